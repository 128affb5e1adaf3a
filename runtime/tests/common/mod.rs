//! Helpers shared by the runtime's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gridbrain_runtime::{genesis_config_presets, BuildStorage, RuntimeGenesisConfig};
use serde_json::Value;
use sp_genesis_builder::PresetId;

/// Recursively merges `patch` into `base` (objects merge key by key; anything else replaces),
/// as chain-spec builders do with a genesis preset.
pub fn json_merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(b), Value::Object(p)) => {
			for (k, v) in p {
				json_merge(b.entry(k).or_insert(Value::Null), v);
			}
		},
		(b, p) => *b = p,
	}
}

/// The full genesis config of a preset: the default config with the preset's patch applied.
pub fn preset_config(name: &str) -> RuntimeGenesisConfig {
	let patch = genesis_config_presets::get_preset(&PresetId::from(name))
		.unwrap_or_else(|| panic!("preset {name} exists"));
	let patch: Value = serde_json::from_slice(&patch).expect("preset is JSON");
	let mut full = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	json_merge(&mut full, patch);
	serde_json::from_value(full).expect("preset patch deserializes into RuntimeGenesisConfig")
}

/// The genesis storage of a preset (without `:code`, which the chain spec adds).
pub fn preset_storage(name: &str) -> sp_core::storage::Storage {
	preset_config(name).build_storage().expect("genesis builds")
}

/// What a signed extrinsic of `call` whose call weighs `call_weight` is charged in all: the
/// normal class's extrinsic base weight, the transaction extensions' weight for `call` (nonce,
/// weight and fee checks, ...) and the call.
pub fn signed_weight(
	call: &gridbrain_runtime::RuntimeCall,
	call_weight: frame_support::weights::Weight,
) -> frame_support::weights::Weight {
	use sp_runtime::traits::TransactionExtension;
	let base = gridbrain_runtime::configs::RuntimeBlockWeights::get()
		.get(frame_support::dispatch::DispatchClass::Normal)
		.base_extrinsic;
	base + gridbrain_runtime::tx_extension(0, 0).weight(call) + call_weight
}
