//! Genesis presets: `development` (single validator Alice) and `local` (four validators Alice,
//! Bob, Charlie and Dave). The node's `--dev` / `--chain dev` and `--chain local` use them.
//!
//! Both presets fund every well-known development account (Alice … Ferdie and their `//stash`
//! accounts) with [`ENDOWMENT`] and make Alice the sudo key. They also have one meter registrar
//! ([`DEV_REGISTRAR`]: account `//Registrar` (sr25519), certificate key `//Registrar`
//! (ed25519)), whose certificates the scripts issue. They are for development and local
//! testing only: all these keys are public.

use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use pallet_grandpa::AuthorityId as GrandpaId;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_genesis_builder::PresetId;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use crate::{
	AccountId, AuraConfig, BalancesConfig, DispatchConfig, EnergyDataConfig, GrandpaConfig, RuntimeGenesisConfig,
	SudoConfig, UNIT,
};

/// Name of the single-validator development preset.
pub const DEV_PRESET: &str = sp_genesis_builder::DEV_RUNTIME_PRESET;
/// Name of the four-validator local testnet preset.
pub const LOCAL_PRESET: &str = "local";

/// Balance given to each endowed development account: one million tokens.
pub const ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// Id of the development meter registrar.
pub const DEV_REGISTRAR: u32 = 0;
/// Account of the development registrar: sr25519 `//Registrar` (public, dev only).
pub const DEV_REGISTRAR_ACCOUNT: [u8; 32] = [
	0xbe, 0x72, 0x38, 0x4e, 0xf5, 0x16, 0xe6, 0x09,
	0x13, 0xca, 0x06, 0x7e, 0x4a, 0x06, 0x40, 0xca,
	0xb1, 0x92, 0x2c, 0x44, 0x19, 0x98, 0x2d, 0x04,
	0xef, 0xd8, 0x54, 0x08, 0xb5, 0x27, 0x41, 0x59,
];
/// Certificate key of the development registrar: ed25519 `//Registrar` (public, dev only).
pub const DEV_REGISTRAR_KEY: [u8; 32] = [
	0x51, 0x9f, 0x05, 0x66, 0x15, 0xc2, 0xa3, 0x47,
	0xaa, 0x98, 0x02, 0xe2, 0x27, 0xb6, 0x3d, 0xdf,
	0x78, 0x3c, 0xac, 0xee, 0x9c, 0x1b, 0xe3, 0xdb,
	0x54, 0x1b, 0xe6, 0x6f, 0x75, 0x29, 0xe6, 0xe4,
];

/// The grid case the workers of the development and local networks dispatch (the worker's
/// default `--grid pglib118`): PGLib-OPF's IEEE 118-bus case, every branch rated; its lines
/// bind in 98.8 % of the year's hours under the worker's scenarios.
pub const DEV_GRID_CASE: &[u8] = b"pglib118";
/// Its set-point vector: the case's 54 generators, then the worker's 20 renewable units.
pub const DEV_GRID_GENERATORS: u32 = 74;
/// The demo's zones on the case's buses (zone, bus, scale): zone 0 (homes, wind) at bus 13
/// (34 MW of case load), zone 1 (shops, PV) at bus 14 (14 MW); each metered watt stands for
/// 100 W of the bus's customers, so the demo's tens of kW move a few MW there.
pub const DEV_GRID_ZONES: &[(u16, u32, u32)] = &[(0, 13, 100), (1, 14, 100)];

/// The Aura and GRANDPA keys of a well-known development validator.
fn authority_keys(who: Sr25519Keyring) -> (AuraId, GrandpaId) {
	let ed = match who {
		Sr25519Keyring::Alice => Ed25519Keyring::Alice,
		Sr25519Keyring::Bob => Ed25519Keyring::Bob,
		Sr25519Keyring::Charlie => Ed25519Keyring::Charlie,
		Sr25519Keyring::Dave => Ed25519Keyring::Dave,
		Sr25519Keyring::Eve => Ed25519Keyring::Eve,
		Sr25519Keyring::Ferdie => Ed25519Keyring::Ferdie,
		Sr25519Keyring::One => Ed25519Keyring::One,
		Sr25519Keyring::Two => Ed25519Keyring::Two,
		Sr25519Keyring::AliceStash => Ed25519Keyring::AliceStash,
		Sr25519Keyring::BobStash => Ed25519Keyring::BobStash,
		Sr25519Keyring::CharlieStash => Ed25519Keyring::CharlieStash,
		Sr25519Keyring::DaveStash => Ed25519Keyring::DaveStash,
		Sr25519Keyring::EveStash => Ed25519Keyring::EveStash,
		Sr25519Keyring::FerdieStash => Ed25519Keyring::FerdieStash,
	};
	(who.public().into(), ed.public().into())
}

/// A genesis configuration with the given validators, endowed accounts and sudo key.
fn testnet_genesis(
	validators: &[Sr25519Keyring],
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
) -> Value {
	let (aura, grandpa): (Vec<AuraId>, Vec<(GrandpaId, u64)>) = validators
		.iter()
		.map(|v| {
			let (a, g) = authority_keys(*v);
			(a, (g, 1))
		})
		.unzip();
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts.into_iter().map(|k| (k, ENDOWMENT)).collect::<Vec<_>>(),
		},
		aura: AuraConfig { authorities: aura },
		grandpa: GrandpaConfig { authorities: grandpa },
		sudo: SudoConfig { key: Some(root) },
		energy_data: EnergyDataConfig {
			registrars: vec![(DEV_REGISTRAR, AccountId::from(DEV_REGISTRAR_ACCOUNT), DEV_REGISTRAR_KEY)],
		},
		dispatch: DispatchConfig {
			case: DEV_GRID_CASE.to_vec(),
			generators: DEV_GRID_GENERATORS,
			zones: DEV_GRID_ZONES.to_vec(),
		},
	})
}

/// Every well-known development account.
/// The well-known development accounts and the grid operator (which must exist to receive
/// grid fees and imbalance charges).
fn endowed() -> Vec<AccountId> {
	Sr25519Keyring::well_known()
		.map(|k| k.to_account_id())
		.chain(core::iter::once(crate::configs::GridOperatorAccount::get()))
		.chain(core::iter::once(AccountId::from(DEV_REGISTRAR_ACCOUNT)))
		.collect()
}

/// The single-validator development preset.
pub fn development_config_genesis() -> Value {
	testnet_genesis(&[Sr25519Keyring::Alice], endowed(), Sr25519Keyring::Alice.to_account_id())
}

/// The four-validator local testnet preset.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		&[
			Sr25519Keyring::Alice,
			Sr25519Keyring::Bob,
			Sr25519Keyring::Charlie,
			Sr25519Keyring::Dave,
		],
		endowed(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// The JSON of the preset with the given id, if it exists.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		DEV_PRESET => development_config_genesis(),
		LOCAL_PRESET => local_config_genesis(),
		_ => return None,
	};
	serde_json::to_string(&patch).ok().map(|s| s.into_bytes())
}

/// The names of all presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![PresetId::from(DEV_PRESET), PresetId::from(LOCAL_PRESET)]
}
