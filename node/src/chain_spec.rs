//! Chain specifications: `dev` (single validator Alice) and `local` (Alice, Bob, Charlie, Dave).
//!
//! Both are built from the runtime's genesis presets, so they always match the runtime compiled
//! into this binary. `gridbrain-node build-spec --chain local --raw` writes the raw spec that
//! other machines can join with `--chain <file>` (see `scripts/chain-spec.sh`).

use gridbrain_runtime::{
	genesis_config_presets::{DEV_PRESET, LOCAL_PRESET},
	SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL, WASM_BINARY,
};
use sc_service::{ChainType, Properties};

/// The chain specification type of gridbrain (no extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// Token properties shown by wallets such as polkadot.js apps.
fn properties() -> Properties {
	let mut p = Properties::new();
	p.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	p.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	p.insert("ss58Format".into(), SS58_PREFIX.into());
	p
}

fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"this gridbrain-node was built with SKIP_WASM_BUILD and carries no runtime; rebuild \
		 without SKIP_WASM_BUILD to use the built-in chain specs"
			.to_string()
	})
}

/// The single-validator development chain (`--dev`, `--chain dev`).
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("gridbrain development")
		.with_id("gridbrain_dev")
		.with_protocol_id("gridbrain-dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(DEV_PRESET)
		.with_properties(properties())
		.build())
}

/// The four-validator local testnet (`--chain local`).
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("gridbrain local testnet")
		.with_id("gridbrain_local")
		.with_protocol_id("gridbrain-local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(LOCAL_PRESET)
		.with_properties(properties())
		.build())
}

/// Resolves a `--chain` argument: `dev`, `local`, or a path to a JSON chain spec.
pub fn load(id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
	Ok(match id {
		"dev" | "" => Box::new(development_chain_spec()?),
		"local" => Box::new(local_chain_spec()?),
		path => Box::new(ChainSpec::from_json_file(std::path::PathBuf::from(path)).map_err(
			|e| format!("cannot load chain spec `{path}` (expected dev, local or a JSON file): {e}"),
		)?),
	})
}
