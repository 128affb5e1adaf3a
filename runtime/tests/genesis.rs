//! The genesis presets build valid state with the documented validators, balances and sudo key.

// Test code: panicking on a broken expectation is the point.
#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::assertions_on_constants
)]



mod common;

use common::{preset_config, preset_storage};
use gridbrain_runtime::{
	genesis_config_presets::{preset_names, DEV_PRESET, ENDOWMENT, LOCAL_PRESET},
	Balances, Grandpa, Runtime, System,
};
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;

fn with_preset<R>(name: &str, f: impl FnOnce() -> R) -> R {
	sp_io::TestExternalities::new(preset_storage(name)).execute_with(f)
}

#[test]
fn preset_names_are_development_and_local() {
	assert_eq!(preset_names(), vec![PresetId::from("development"), PresetId::from("local")]);
	assert!(gridbrain_runtime::genesis_config_presets::get_preset(&PresetId::from("nope")).is_none());
}

#[test]
fn development_has_alice_as_only_authority_and_sudo() {
	with_preset(DEV_PRESET, || {
		let aura = pallet_aura::Authorities::<Runtime>::get();
		assert_eq!(aura.len(), 1);
		assert_eq!(aura[0], Sr25519Keyring::Alice.public().into());
		assert_eq!(Grandpa::grandpa_authorities().len(), 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
	});
}

#[test]
fn local_has_four_authorities_in_aura_and_grandpa() {
	with_preset(LOCAL_PRESET, || {
		let expected = [
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		];
		let aura = pallet_aura::Authorities::<Runtime>::get();
		assert_eq!(aura.len(), 4);
		for (got, want) in aura.iter().zip(expected) {
			assert_eq!(*got, want.public().into());
		}
		let grandpa = Grandpa::grandpa_authorities();
		assert_eq!(grandpa.len(), 4);
		assert!(grandpa.iter().all(|(_, weight)| *weight == 1));
		// GRANDPA keys are the ed25519 keys of the same validators.
		assert_eq!(grandpa[1].0, sp_keyring::Ed25519Keyring::Bob.public().into());
	});
}

#[test]
fn every_well_known_account_and_the_grid_operator_are_endowed_in_both_presets() {
	for preset in [DEV_PRESET, LOCAL_PRESET] {
		with_preset(preset, || {
			let accounts: Vec<_> = Sr25519Keyring::well_known().collect();
			assert_eq!(accounts.len(), 12);
			for k in accounts {
				assert_eq!(Balances::free_balance(k.to_account_id()), ENDOWMENT, "{k:?} in {preset}");
				assert!(System::account_exists(&k.to_account_id()));
			}
			// ... and the grid operator, which receives market fees and must exist, and the dev
			// meter registrar, which pays for revocations.
			let operator = gridbrain_runtime::configs::GridOperatorAccount::get();
			assert!(System::account_exists(&operator));
			assert_eq!(Balances::total_issuance(), ENDOWMENT * 14);
		});
	}
}

#[test]
fn presets_deserialize_without_unknown_fields() {
	// `preset_config` fails if the patch names a field the runtime does not have.
	let dev = preset_config(DEV_PRESET);
	assert_eq!(dev.balances.balances.len(), 14);
	assert_eq!(dev.energy_data.registrars.len(), 1);
	assert_eq!(preset_config(LOCAL_PRESET).aura.authorities.len(), 4);
}

#[test]
fn both_presets_have_the_dev_registrar_derived_from_its_documented_seed() {
	use gridbrain_runtime::genesis_config_presets::{
		DEV_REGISTRAR, DEV_REGISTRAR_ACCOUNT, DEV_REGISTRAR_KEY,
	};
	use sp_core::Pair;
	// The scripts sign certificates with //Registrar: the preset must hold exactly its keys.
	let account = sp_core::sr25519::Pair::from_string("//Registrar", None).unwrap().public();
	let key = sp_core::ed25519::Pair::from_string("//Registrar", None).unwrap().public();
	assert_eq!(account.0, DEV_REGISTRAR_ACCOUNT);
	assert_eq!(key.0, DEV_REGISTRAR_KEY);
	for preset in [DEV_PRESET, LOCAL_PRESET] {
		with_preset(preset, || {
			let r = pallet_energy_data::Registrars::<Runtime>::get(DEV_REGISTRAR)
				.expect("the dev registrar is in genesis");
			assert_eq!(r.account, gridbrain_runtime::AccountId::from(DEV_REGISTRAR_ACCOUNT));
			assert_eq!(r.key, key);
			// It can pay for revocations.
			assert_eq!(Balances::free_balance(&r.account), ENDOWMENT);
			assert_eq!(
				<pallet_energy_data::Pallet<Runtime> as frame_support::traits::GetStorageVersion>::on_chain_storage_version(),
				2
			);
		});
	}
}
