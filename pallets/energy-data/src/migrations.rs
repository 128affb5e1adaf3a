//! Storage migrations of the EnergyData pallet.

/// Version 1 → 2: devices carry their meter certificate and revocation.
///
/// Devices registered before certificates existed get `certificate: None` and
/// `revoked_from: None`: they keep reporting readings but can no longer sell (the market only
/// accepts sell orders backed by a certified device) until their owner retires them and
/// registers them again with a certificate.
///
/// One read and one write per device, in one block: fine for the device counts of the chains
/// this runs on (a few thousand at most; 10,000 devices cost about 10,000 × (read + write) ≈
/// 0.25 s of the 2 s block budget with RocksDB weights). A larger chain would need a multi-block
/// migration.
pub mod v2 {
	use crate::{
		pallet::{BalanceOf, Config, Devices, Pallet},
		types::*,
	};
	use codec::{Decode, Encode, MaxEncodedLen};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use scale_info::TypeInfo;
	use sp_core::ed25519;
	#[cfg(feature = "try-runtime")]
	use alloc::vec::Vec;

	/// A device as stored in version 1.
	#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
	pub struct DeviceV1<AccountId, Balance> {
		/// The owner.
		pub owner: AccountId,
		/// What the device does.
		pub kind: DeviceKind,
		/// Nameplate power in W.
		pub capacity_w: u32,
		/// Grid zone.
		pub zone: ZoneId,
		/// The meter key.
		pub meter_key: ed25519::Public,
		/// Deposit held.
		pub deposit: Balance,
		/// Interval of registration.
		pub registered_in: IntervalIndex,
	}

	/// The unversioned step (use [`MigrateV1ToV2`]).
	pub struct InnerMigrateV1ToV2<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut translated = 0u64;
			Devices::<T>::translate::<DeviceV1<T::AccountId, BalanceOf<T>>, _>(|_, old| {
				translated = translated.saturating_add(1);
				Some(Device {
					owner: old.owner,
					kind: old.kind,
					capacity_w: old.capacity_w,
					zone: old.zone,
					meter_key: old.meter_key,
					deposit: old.deposit,
					registered_in: old.registered_in,
					certificate: None,
					revoked_from: None,
				})
			});
			log::info!(
				target: "runtime::energy-data",
				"migrated {translated} devices to storage version 2 (uncertified)"
			);
			T::DbWeight::get().reads_writes(translated, translated)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			// Every stored device must decode as version 1; remember them to compare after.
			let mut old = Vec::new();
			for key in Devices::<T>::iter_keys() {
				let raw = frame_support::storage::unhashed::get_raw(&Devices::<T>::hashed_key_for(key))
					.ok_or("device key without a value")?;
				let device = DeviceV1::<T::AccountId, BalanceOf<T>>::decode(&mut &raw[..])
					.map_err(|_| "a device does not decode as version 1")?;
				old.push((key, device));
			}
			Ok(old.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			#[allow(clippy::type_complexity)]
			let old: Vec<(DeviceId, DeviceV1<T::AccountId, BalanceOf<T>>)> =
				Decode::decode(&mut &state[..]).map_err(|_| "pre_upgrade state does not decode")?;
			ensure!(
				Devices::<T>::iter_keys().count() == old.len(),
				"the number of devices changed"
			);
			for (id, before) in old {
				let after = Devices::<T>::get(id).ok_or("a device was lost")?;
				ensure!(
					after.owner == before.owner &&
						after.kind == before.kind &&
						after.capacity_w == before.capacity_w &&
						after.zone == before.zone &&
						after.meter_key == before.meter_key &&
						after.deposit == before.deposit &&
						after.registered_in == before.registered_in,
					"a device's fields changed"
				);
				ensure!(
					after.certificate.is_none() && after.revoked_from.is_none(),
					"a migrated device is certified or revoked"
				);
			}
			ensure!(
				Pallet::<T>::on_chain_storage_version() == 2,
				"storage version not set to 2"
			);
			Pallet::<T>::do_try_state()
		}
	}

	/// Migrates EnergyData from storage version 1 to 2 (only when on-chain version is 1).
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		InnerMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
