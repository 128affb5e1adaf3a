//! The accounts and keys the fuzzer signs with: fixed, so every finding replays.

use std::collections::HashMap;

use codec::Encode;
use gridbrain_runtime::{genesis_config_presets::DEV_REGISTRAR, AccountId};
use pallet_energy_data::{CertificateSerial, RegistrarId};
use sp_core::{ed25519, sr25519, Pair};
use sp_keyring::Sr25519Keyring;

/// Registrar ids the fuzzer can issue certificates for: the genesis registrar and two that only
/// exist once sudo adds them.
pub const REGISTRARS: [RegistrarId; 3] = [DEV_REGISTRAR, 1, 2];

/// Signers: the well-known development accounts (Alice … Dave are the `local` preset's
/// validators, Alice holds the sudo key), the genesis registrar's account, and two accounts that
/// hold nothing at genesis.
pub struct Actors {
	pub pairs: Vec<sr25519::Pair>,
	pub accounts: Vec<AccountId>,
	index: HashMap<AccountId, usize>,
	registrar_keys: Vec<ed25519::Pair>,
	meters: HashMap<(RegistrarId, CertificateSerial), ed25519::Pair>,
	meter_by_public: HashMap<ed25519::Public, ed25519::Pair>,
}

impl Actors {
	pub fn new() -> Self {
		let mut pairs: Vec<sr25519::Pair> = Sr25519Keyring::well_known().map(|k| k.pair()).collect();
		for uri in ["//Registrar", "//Unfunded1", "//Unfunded2"] {
			pairs.push(sr25519::Pair::from_string(uri, None).expect("static dev URI"));
		}
		let accounts: Vec<AccountId> = pairs.iter().map(|p| AccountId::from(p.public())).collect();
		let index = accounts.iter().enumerate().map(|(i, a)| (a.clone(), i)).collect();
		let registrar_keys = REGISTRARS
			.iter()
			.map(|&r| {
				if r == DEV_REGISTRAR {
					ed25519::Pair::from_string("//Registrar", None).expect("static dev URI")
				} else {
					ed25519::Pair::from_seed(&[0xe0 | r as u8; 32])
				}
			})
			.collect();
		Self {
			pairs,
			accounts,
			index,
			registrar_keys,
			meters: HashMap::new(),
			meter_by_public: HashMap::new(),
		}
	}

	pub fn len(&self) -> usize {
		self.accounts.len()
	}

	pub fn is_empty(&self) -> bool {
		self.accounts.is_empty()
	}

	/// The signer index of an account, if the fuzzer holds its key.
	pub fn index_of(&self, who: &AccountId) -> Option<usize> {
		self.index.get(who).copied()
	}

	/// The certificate key of a registrar id (any id maps to one of the known keys).
	pub fn registrar_key(&self, registrar: RegistrarId) -> &ed25519::Pair {
		let i = REGISTRARS.iter().position(|&r| r == registrar).unwrap_or(0);
		&self.registrar_keys[i]
	}

	/// The signer index of the genesis registrar's account.
	pub fn registrar_account(&self) -> usize {
		self.len() - 3
	}

	/// The meter key of a certificate serial (deterministic, remembered for its readings).
	pub fn meter(&mut self, registrar: RegistrarId, serial: CertificateSerial) -> ed25519::Pair {
		let pair = self
			.meters
			.entry((registrar, serial))
			.or_insert_with(|| {
				ed25519::Pair::from_seed(&sp_io::hashing::blake2_256(&(b"meter", registrar, serial).encode()))
			});
		let pair = *pair;
		self.meter_by_public.insert(pair.public(), pair);
		pair
	}

	/// The pair of a meter key the fuzzer created, if any.
	pub fn meter_pair(&self, key: &ed25519::Public) -> Option<&ed25519::Pair> {
		self.meter_by_public.get(key)
	}
}

impl Default for Actors {
	fn default() -> Self {
		Self::new()
	}
}
