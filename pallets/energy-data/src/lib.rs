//! # EnergyData pallet
//!
//! Meter registry, signed meter readings and the sealed per-interval **energy data blocks** that
//! the market settles against.
//!
//! ## Pallet API
//!
//! Calls (polkadot.js names): [`registerDevice`](Pallet::register_device),
//! [`retireDevice`](Pallet::retire_device), [`submitReadings`](Pallet::submit_readings),
//! [`revokeCertificate`](Pallet::revoke_certificate); admin ([`Config::AdminOrigin`], sudo on
//! dev/local): [`addRegistrar`](Pallet::add_registrar),
//! [`removeRegistrar`](Pallet::remove_registrar).
//! Runtime API: [`runtime_api::EnergyDataApi`] (sealed blocks, Merkle proofs of readings).
//!
//! ## Overview
//!
//! Time is cut into intervals of [`Config::IntervalBlocks`] blocks; the interval of block `n` is
//! `n / IntervalBlocks`. A device (producer, consumer, prosumer or storage) is registered with a
//! nameplate capacity, a grid zone and its meter's ed25519 key; registration holds
//! [`Config::DeviceDeposit`] from the owner until the device is retired.
//!
//! ### Certified meters
//!
//! Settlement pays sellers for what their meters report, so a meter is only trusted when a
//! **registrar** (a metering operator, kept by the admin origin) vouches for it. The registrar
//! signs, off chain, a [`MeterCertificate`]: meter key, owner account, device kind, capacity,
//! zone, a serial and a validity end, under a domain-separated payload bound to this chain's
//! genesis ([`Pallet::certificate_payload`]). `register_device` takes the certificate (kind,
//! capacity and zone come from it, not from the caller) and a **proof of possession**: the meter
//! key's signature over (genesis, owner, certificate hash) ([`Pallet::possession_payload`]), so
//! nobody can register a key it does not hold, and nobody watching the transaction pool can
//! register someone else's meter first (the certificate names the owner).
//!
//! A certificate serial registers at most one device, ever ([`Certificates`]). The registrar's
//! account or the admin origin **revokes** a certificate by serial: readings of the device for the
//! current and later intervals are rejected, and [`Config::OnDeviceDisabled`] (the market)
//! cancels the device's open sell orders in the same call, releasing their holds. Trades already
//! executed settle on what the meter reported before. A certificate also **expires**: readings of
//! intervals after `valid_until` are rejected. Removing a registrar stops new registrations with
//! its certificates; devices it certified keep their certificates until they expire or the admin
//! revokes them.
//!
//! Devices registered before certificates existed (storage version 1) were migrated with
//! `certificate: None`: they keep reporting readings but can't sell; to sell, the owner retires
//! the device and registers it again with a certificate.
//!
//! After an interval ends, anyone (typically a meter gateway that pays the fee) relays its
//! readings. Each reading carries the meter's signature over a domain-separated payload
//! ([`Pallet::reading_payload`]): a tag, the chain's genesis hash, the device, the interval and
//! both values, so a reading can't be replayed on another chain, for another device or for
//! another interval. The signature is the authority, not the relayer.
//!
//! Readings of interval `i` are accepted while `i < current ≤ i + SubmissionWindow`. When the
//! window closes, `on_initialize` **seals** the interval into an [`EnergyDataBlock`]: counts,
//! totals, per-zone totals and the Merkle root of its readings. Raw readings are **pruned**
//! `RetentionIntervals` after their interval, but never before [`Config::ReadingsInUse`] (the
//! market) has settled the interval against them; sealed blocks stay.
//!
//! ### Batches accept what is valid
//!
//! `submit_readings` checks each reading on its own: a valid one is stored, an invalid one is
//! skipped with a [`ReadingRejection`] (the `ReadingsSubmitted` event lists the skipped indices
//! and the count per reason), and the weight of skipped readings is refunded. A reading that is
//! an identical copy of one already stored (e.g. copied from the pool and front-run into an
//! earlier block) is skipped silently and counted as `duplicates`, so one copied reading can no
//! longer fail a gateway's batch. If no reading of the batch is stored, the call fails with the
//! first reading's error.
//!
//! ## Low Level / Implementation Details
//!
//! ### Design
//!
//! - Readings: `Readings[interval][device]`, one per device and interval (duplicates rejected).
//!   `ReadingCount[interval]` caps an interval at `MaxReadingsPerInterval`, which bounds the
//!   sealing and pruning work of one interval.
//! - Sealing and pruning run in `on_initialize`, at most `MaxIntervalsPerBlock` intervals each
//!   per block and at most `MaxPrunedPerBlock` readings removed per block, oldest first
//!   (`NextToSeal`, `NextToPrune`), so a stalled chain catches up gradually with bounded work
//!   per block.
//! - Leaves of the Merkle tree are SCALE-encoded [`ReadingLeaf`]s ascending by device id; the
//!   tree is `gridbrain-merkle` (no FRAME), shared with off-chain verifiers.
//! - Retired devices are removed from storage; since ids are never reused, `id < NextDeviceId`
//!   tells a retired device from an unknown one.
//!
//! ### Invariants (checked by `try_state`)
//!
//! - `ReadingCount[i]` equals the number of stored readings of every interval `i`, and never
//!   exceeds `MaxReadingsPerInterval`.
//! - A sealed interval whose readings are still stored has `reading_count`, totals, per-zone
//!   totals and `readings_root` equal to those recomputed from its readings.
//! - No interval `≥ NextToSeal` is sealed, every interval `< NextToSeal` is sealed, and
//!   `NextToPrune ≤ NextToSeal`; nothing is stored for intervals `< NextToPrune`.
//! - Every device is listed under its owner, every listed device exists with that owner, its
//!   meter key maps back to it, its id is `< NextDeviceId`, and each owner's held deposit equals
//!   the sum of its devices' deposits.
//! - A certified device's certificate status names it and agrees on revocation; a status that
//!   names a device that still exists is that device's certificate.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub mod migrations;

pub use functions::verify_reading_proof;
pub use types::*;
pub use weights::WeightInfo;

use frame_support::weights::Weight;

/// Domain tag of the signed reading payload (version 1).
pub const READING_PAYLOAD_TAG: &[u8; 30] = b"gridbrain/energy-data/reading1";
/// Domain tag of the meter certificate payload a registrar signs (version 1).
pub const CERTIFICATE_PAYLOAD_TAG: &[u8; 34] = b"gridbrain/energy-data/certificate1";
/// Domain tag of the proof of possession a meter key signs (version 1).
pub const POSSESSION_PAYLOAD_TAG: &[u8; 33] = b"gridbrain/energy-data/possession1";

/// Told when a device can no longer deliver energy: it was retired, or its certificate was
/// revoked. The market implements it to cancel the device's open sell orders.
pub trait OnDeviceDisabled<AccountId> {
	/// Withdraws what `device` of `owner` backs; returns the weight used.
	fn on_device_disabled(device: DeviceId, owner: &AccountId) -> Weight;
	/// The most [`Self::on_device_disabled`] may weigh (charged up front, refunded to the
	/// actual).
	fn max_weight() -> Weight;
}

/// Tells EnergyData which raw readings are still needed: the market settles trades against
/// them, so they are not pruned before their interval is settled.
pub trait ReadingsInUse {
	/// The oldest interval whose readings may still be read; it and later intervals are not
	/// pruned. `None`: nothing is needed.
	fn oldest_needed() -> Option<IntervalIndex>;
}

impl ReadingsInUse for () {
	fn oldest_needed() -> Option<IntervalIndex> {
		None
	}
}

impl<AccountId> OnDeviceDisabled<AccountId> for () {
	fn on_device_disabled(_: DeviceId, _: &AccountId) -> Weight {
		Weight::zero()
	}
	fn max_weight() -> Weight {
		Weight::zero()
	}
}

// FRAME's expansion of this module uses `expect` and `unreachable!` (storage prefixes, metadata,
// the uninhabited `__Ignore` call variant). The pallet's own logic lives in `functions.rs`, where
// every no-panic lint applies; `unwrap`, indexing and unchecked arithmetic stay denied here too.
#[allow(clippy::expect_used, clippy::unreachable)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use sp_core::ed25519;

	/// The balance type of the currency that holds deposits.
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	/// A device as stored.
	pub type DeviceOf<T> = Device<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

	/// Version 2: devices carry their meter certificate ([`crate::migrations::v2`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default configurations of this pallet for tests and runtimes.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;

		/// A configuration for tests: 10-block intervals of 60 s, small bounds.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type IntervalBlocks = ConstU32<10>;
			type IntervalSeconds = ConstU32<60>;
			type SubmissionWindow = ConstU32<2>;
			type RetentionIntervals = ConstU32<5>;
			type MaxDevicesPerAccount = ConstU32<4>;
			type MaxZones = ConstU32<4>;
			type MaxReadingsPerCall = ConstU32<16>;
			type MaxReadingsPerInterval = ConstU32<32>;
			type MaxIntervalsPerBlock = ConstU32<2>;
			type MaxPrunedPerBlock = ConstU32<20>;
			type OnDeviceDisabled = ();
			type ReadingsInUse = ();
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The currency that holds device deposits.
		#[pallet::no_default]
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The overarching hold reason.
		#[pallet::no_default]
		type RuntimeHoldReason: From<HoldReason>;

		/// Adds and removes registrars, and may revoke any certificate.
		#[pallet::no_default]
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Deposit held for each registered device.
		#[pallet::constant]
		#[pallet::no_default]
		type DeviceDeposit: Get<BalanceOf<Self>>;

		/// Blocks per interval.
		#[pallet::constant]
		type IntervalBlocks: Get<u32>;

		/// Length of an interval in seconds (`IntervalBlocks × block time`): a reading may not
		/// exceed `capacity_w × IntervalSeconds / 3600` Wh.
		#[pallet::constant]
		type IntervalSeconds: Get<u32>;

		/// Readings of interval `i` are accepted until interval `i + SubmissionWindow` ends;
		/// then `i` is sealed.
		#[pallet::constant]
		type SubmissionWindow: Get<u32>;

		/// Raw readings of interval `i` are pruned once interval `i + RetentionIntervals` has
		/// begun (must exceed `SubmissionWindow`).
		#[pallet::constant]
		type RetentionIntervals: Get<u32>;

		/// Devices one account may have registered at once.
		#[pallet::constant]
		type MaxDevicesPerAccount: Get<u32>;

		/// Zones are `0 .. MaxZones` (at most 256).
		#[pallet::constant]
		type MaxZones: Get<u32>;

		/// Readings in one `submit_readings` call.
		#[pallet::constant]
		type MaxReadingsPerCall: Get<u32>;

		/// Readings accepted for one interval (bounds the sealing and pruning work).
		#[pallet::constant]
		type MaxReadingsPerInterval: Get<u32>;

		/// Intervals sealed, and intervals pruned, per block at most.
		#[pallet::constant]
		type MaxIntervalsPerBlock: Get<u32>;

		/// Raw readings removed per block at most (pruning of a large interval spans blocks).
		#[pallet::constant]
		type MaxPrunedPerBlock: Get<u32>;

		/// Told when a device is retired or its certificate revoked (the market cancels the
		/// device's open sell orders).
		type OnDeviceDisabled: OnDeviceDisabled<Self::AccountId>;

		/// Which readings are still needed (the market: those of intervals not yet settled);
		/// they are kept past `RetentionIntervals` until released.
		type ReadingsInUse: ReadingsInUse;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// Reasons for which this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Deposit of a registered device.
		#[codec(index = 0)]
		DeviceDeposit,
	}

	/// Registered devices by id.
	#[pallet::storage]
	pub type Devices<T: Config> = StorageMap<_, Twox64Concat, DeviceId, DeviceOf<T>>;

	/// Devices registered by each account.
	#[pallet::storage]
	pub type DevicesByOwner<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<DeviceId, T::MaxDevicesPerAccount>,
		ValueQuery,
	>;

	/// The device a meter key belongs to (a meter key serves one device).
	#[pallet::storage]
	pub type MeterKeys<T: Config> = StorageMap<_, Blake2_128Concat, ed25519::Public, DeviceId>;

	/// Id the next registered device gets.
	#[pallet::storage]
	pub type NextDeviceId<T: Config> = StorageValue<_, DeviceId, ValueQuery>;

	/// Accepted readings by interval and device (pruned after `RetentionIntervals`).
	#[pallet::storage]
	pub type Readings<T: Config> =
		StorageDoubleMap<_, Twox64Concat, IntervalIndex, Twox64Concat, DeviceId, MeterValues>;

	/// Number of readings stored for an interval.
	#[pallet::storage]
	pub type ReadingCount<T: Config> = StorageMap<_, Twox64Concat, IntervalIndex, u32, ValueQuery>;

	/// Sealed energy data blocks by interval (kept forever).
	#[pallet::storage]
	pub type EnergyDataBlocks<T: Config> =
		StorageMap<_, Twox64Concat, IntervalIndex, EnergyDataBlock>;

	/// The oldest interval not sealed yet.
	#[pallet::storage]
	pub type NextToSeal<T: Config> = StorageValue<_, IntervalIndex, ValueQuery>;

	/// The oldest interval whose readings are not pruned yet.
	#[pallet::storage]
	pub type NextToPrune<T: Config> = StorageValue<_, IntervalIndex, ValueQuery>;

	/// Registrars (metering operators) by id, kept by the admin origin.
	#[pallet::storage]
	pub type Registrars<T: Config> =
		StorageMap<_, Twox64Concat, RegistrarId, Registrar<T::AccountId>>;

	/// Every certificate serial that registered a device or was revoked, by registrar and
	/// serial; kept forever so a serial is never reused. Grows by one entry per registration
	/// (which holds a deposit and pays a fee) or revocation (registrar or admin only).
	#[pallet::storage]
	pub type Certificates<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		RegistrarId,
		Twox64Concat,
		CertificateSerial,
		CertificateStatus,
	>;

	/// Registrars at genesis: `(id, account, ed25519 certificate key)`.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The registrars.
		pub registrars: Vec<(RegistrarId, T::AccountId, [u8; 32])>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (id, account, key) in &self.registrars {
				assert!(!Registrars::<T>::contains_key(id), "duplicate registrar id in genesis");
				Registrars::<T>::insert(
					id,
					Registrar { account: account.clone(), key: ed25519::Public::from_raw(*key) },
				);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(crate) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A device was registered with a meter certificate and its deposit held.
		DeviceRegistered {
			device: DeviceId,
			owner: T::AccountId,
			kind: DeviceKind,
			capacity_w: u32,
			zone: ZoneId,
			meter_key: ed25519::Public,
			deposit: BalanceOf<T>,
			registrar: RegistrarId,
			serial: CertificateSerial,
			valid_until: IntervalIndex,
		},
		/// A device was retired and its deposit released.
		DeviceRetired { device: DeviceId, owner: T::AccountId, deposit: BalanceOf<T> },
		/// A batch of readings was processed: `accepted` stored, `duplicates` identical copies of
		/// stored readings skipped silently, the others skipped (indices in the batch and counts
		/// per reason).
		ReadingsSubmitted {
			relayer: T::AccountId,
			accepted: u32,
			duplicates: u32,
			skipped: BoundedVec<SkippedReading, T::MaxReadingsPerCall>,
			skipped_by_reason: BoundedVec<RejectionCount, ConstU32<REJECTION_KINDS>>,
		},
		/// A registrar was added.
		RegistrarAdded { registrar: RegistrarId, account: T::AccountId, key: ed25519::Public },
		/// A registrar was removed: its certificates no longer register devices.
		RegistrarRemoved { registrar: RegistrarId },
		/// A certificate was revoked: its device (if registered) takes no readings from
		/// `from_interval` on, and its open sell orders were cancelled.
		CertificateRevoked {
			registrar: RegistrarId,
			serial: CertificateSerial,
			device: Option<DeviceId>,
			from_interval: IntervalIndex,
		},
		/// An interval's readings were sealed into an energy data block.
		EnergyDataBlockSealed {
			interval: IntervalIndex,
			reading_count: u32,
			total_produced_wh: u64,
			total_consumed_wh: u64,
			readings_root: Hash32,
		},
		/// The raw readings of an interval are all pruned (its sealed block stays).
		ReadingsPruned { interval: IntervalIndex },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account already has `MaxDevicesPerAccount` devices: retire one first.
		TooManyDevices,
		/// The zone is not below `MaxZones`.
		InvalidZone,
		/// A device must have a capacity above 0 W.
		ZeroCapacity,
		/// This meter key is already registered for another device: each meter needs its own key.
		MeterKeyInUse,
		/// The free balance does not cover `DeviceDeposit`.
		InsufficientDeposit,
		/// No device with this id was ever registered.
		UnknownDevice,
		/// The device was retired: it takes no readings and can't be retired again.
		DeviceRetired,
		/// Only the account that registered the device may retire it.
		NotDeviceOwner,
		/// The batch holds no readings.
		EmptyBatch,
		/// The batch holds more than `MaxReadingsPerCall` readings: split it.
		BatchTooLarge,
		/// The reading's interval has not ended yet (it is the current or a future interval).
		IntervalNotEnded,
		/// The reading's interval is older than the submission window and has been (or is
		/// being) sealed: late readings are not accepted.
		SubmissionWindowClosed,
		/// A reading for this device and interval was already accepted (also within one batch).
		DuplicateReading,
		/// A value exceeds what the device can physically deliver in one interval
		/// (`capacity_w × IntervalSeconds / 3600` Wh).
		ExceedsPhysicalBound,
		/// The reading reports production for a consumer-only device.
		ProductionOnConsumer,
		/// The reading reports consumption for a producer-only device.
		ConsumptionOnProducer,
		/// The signature does not verify against the device's meter key and the payload of
		/// this chain, device, interval and values.
		BadSignature,
		/// The interval already holds `MaxReadingsPerInterval` readings.
		IntervalFull,
		/// The reading's interval began before the device was registered.
		BeforeRegistration,
		/// No registrar with this id.
		UnknownRegistrar,
		/// A registrar with this id exists already.
		RegistrarExists,
		/// The registrar's signature on the certificate does not verify against its key and
		/// this chain's certificate payload.
		BadCertificateSignature,
		/// The certificate's validity ended before the current interval (at registration), or
		/// before the reading's interval.
		CertificateExpired,
		/// The certificate was revoked (at registration), or revoked from the reading's interval
		/// or earlier.
		CertificateRevoked,
		/// The certificate names another owner than the caller.
		CertificateOwnerMismatch,
		/// The meter key's proof of possession (over genesis, owner and certificate hash) does
		/// not verify.
		BadProofOfPossession,
		/// This certificate serial already registered a device: each serial registers once.
		SerialReused,
		/// Only the registrar's account or the admin origin may revoke its certificates.
		NotRegistrar,
		/// The certificate is revoked already.
		AlreadyRevoked,
		/// An internal counter would overflow (unreachable with sane constants).
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::seal_and_prune(Self::interval_of(now))
		}

		fn integrity_test() {
			assert!(T::IntervalBlocks::get() > 0, "IntervalBlocks must be positive");
			assert!(T::IntervalSeconds::get() > 0, "IntervalSeconds must be positive");
			assert!(
				T::RetentionIntervals::get() > T::SubmissionWindow::get(),
				"readings must be retained beyond the submission window"
			);
			assert!(T::MaxZones::get() > 0 && T::MaxZones::get() <= MAX_ZONES_BOUND);
			assert!(T::MaxZones::get() <= u32::from(ZoneId::MAX) + 1);
			assert!(T::MaxReadingsPerCall::get() > 0);
			assert!(T::MaxReadingsPerInterval::get() >= T::MaxReadingsPerCall::get());
			assert!(T::MaxIntervalsPerBlock::get() > 0);
			assert!(T::MaxPrunedPerBlock::get() > 0);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a device with its meter certificate, holding `DeviceDeposit`.
		///
		/// ## Dispatch Origin
		/// Signed: the owner named in the certificate.
		///
		/// ## Details
		/// `certificate` is signed by its registrar's key over
		/// [`certificate_payload`](Pallet::certificate_payload) (`registrar_signature`); the
		/// meter key signs [`possession_payload`](Pallet::possession_payload) for the caller and
		/// this certificate (`proof_of_possession`). Kind, capacity and zone come from the
		/// certificate. The device gets the next id (see the event).
		///
		/// ## Errors
		/// `UnknownRegistrar`, `BadCertificateSignature`, `CertificateOwnerMismatch`,
		/// `CertificateExpired`, `CertificateRevoked`, `SerialReused`, `BadProofOfPossession`,
		/// `ZeroCapacity`, `InvalidZone`, `MeterKeyInUse`, `TooManyDevices`,
		/// `InsufficientDeposit`.
		///
		/// ## Events
		/// `DeviceRegistered`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_device())]
		pub fn register_device(
			origin: OriginFor<T>,
			certificate: MeterCertificate<T::AccountId>,
			registrar_signature: ed25519::Signature,
			proof_of_possession: ed25519::Signature,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_register_device(owner, certificate, registrar_signature, proof_of_possession)
		}

		/// Retire a device and release its deposit; its open sell orders are cancelled.
		///
		/// ## Dispatch Origin
		/// Signed: the device's owner.
		///
		/// ## Details
		/// The device takes no further readings; readings already accepted stay and are sealed.
		/// Its id is never reused. [`Config::OnDeviceDisabled`] (the market) cancels its open
		/// sell orders and releases their holds; trades already executed settle on its readings.
		///
		/// ## Errors
		/// `UnknownDevice`, `DeviceRetired`, `NotDeviceOwner`.
		///
		/// ## Events
		/// `DeviceRetired` (and the market's `OrderCancelled` per cancelled order).
		#[pallet::call_index(1)]
		#[pallet::weight(
			T::WeightInfo::retire_device().saturating_add(T::OnDeviceDisabled::max_weight())
		)]
		pub fn retire_device(
			origin: OriginFor<T>,
			device_id: DeviceId,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let hook = Self::do_retire_device(who, device_id)?;
			Ok(Some(T::WeightInfo::retire_device().saturating_add(hook)).into())
		}

		/// Submit a batch of signed meter readings; valid ones are stored, the others skipped.
		///
		/// ## Dispatch Origin
		/// Signed: any account (a gateway relaying for its meters pays the fee). The meter's
		/// signature on each reading is the authority.
		///
		/// ## Details
		/// Each reading must be for an ended interval within the submission window, not before
		/// the device's registration, covered by its certificate, at most one per device and
		/// interval. Invalid readings are skipped and listed in the event with their reason; an
		/// identical copy of a stored reading is skipped silently. The weight of skipped
		/// readings is refunded. If no reading is stored, the call fails with the first
		/// reading's error.
		///
		/// ## Errors
		/// `EmptyBatch`, `BatchTooLarge`; when nothing is stored, the first reading's error:
		/// `UnknownDevice`, `DeviceRetired`, `BeforeRegistration`, `IntervalNotEnded`,
		/// `SubmissionWindowClosed`, `DuplicateReading`, `ExceedsPhysicalBound`,
		/// `ProductionOnConsumer`, `ConsumptionOnProducer`, `CertificateExpired`,
		/// `CertificateRevoked`, `BadSignature`, `IntervalFull`.
		///
		/// ## Events
		/// `ReadingsSubmitted`.
		#[pallet::call_index(2)]
		#[pallet::weight(Pallet::<T>::readings_weight_max(
			u32::try_from(readings.len()).unwrap_or(u32::MAX)
		))]
		pub fn submit_readings(
			origin: OriginFor<T>,
			readings: Vec<SignedReading>,
		) -> DispatchResultWithPostInfo {
			let relayer = ensure_signed(origin)?;
			Self::do_submit_readings(relayer, &readings)
		}

		/// Add a registrar (metering operator) whose certificates register devices.
		///
		/// ## Dispatch Origin
		/// [`Config::AdminOrigin`].
		///
		/// ## Errors
		/// `RegistrarExists`.
		///
		/// ## Events
		/// `RegistrarAdded`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::add_registrar())]
		pub fn add_registrar(
			origin: OriginFor<T>,
			registrar: RegistrarId,
			account: T::AccountId,
			key: ed25519::Public,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(!Registrars::<T>::contains_key(registrar), Error::<T>::RegistrarExists);
			Registrars::<T>::insert(registrar, Registrar { account: account.clone(), key });
			Self::deposit_event(Event::RegistrarAdded { registrar, account, key });
			Ok(())
		}

		/// Remove a registrar: its certificates no longer register devices. Devices it
		/// certified keep their certificates until they expire or the admin revokes them.
		///
		/// ## Dispatch Origin
		/// [`Config::AdminOrigin`].
		///
		/// ## Errors
		/// `UnknownRegistrar`.
		///
		/// ## Events
		/// `RegistrarRemoved`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::remove_registrar())]
		pub fn remove_registrar(origin: OriginFor<T>, registrar: RegistrarId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(Registrars::<T>::contains_key(registrar), Error::<T>::UnknownRegistrar);
			Registrars::<T>::remove(registrar);
			Self::deposit_event(Event::RegistrarRemoved { registrar });
			Ok(())
		}

		/// Revoke a meter certificate by serial, from the current interval on.
		///
		/// ## Dispatch Origin
		/// Signed by the registrar's account, or [`Config::AdminOrigin`] (which may also revoke
		/// certificates of a removed registrar).
		///
		/// ## Details
		/// The certificate's device (if registered) takes no readings of the current or later
		/// intervals; its open sell orders are cancelled and their holds released
		/// ([`Config::OnDeviceDisabled`]). Trades already executed settle on the readings
		/// accepted before. A serial not registered yet is revoked too, so it can never
		/// register.
		///
		/// ## Errors
		/// `UnknownRegistrar` (signed origin only), `NotRegistrar`, `AlreadyRevoked`.
		///
		/// ## Events
		/// `CertificateRevoked` (and the market's `OrderCancelled` per cancelled order).
		#[pallet::call_index(5)]
		#[pallet::weight(
			T::WeightInfo::revoke_certificate().saturating_add(T::OnDeviceDisabled::max_weight())
		)]
		pub fn revoke_certificate(
			origin: OriginFor<T>,
			registrar: RegistrarId,
			serial: CertificateSerial,
		) -> DispatchResultWithPostInfo {
			if T::AdminOrigin::try_origin(origin.clone()).is_err() {
				let who = ensure_signed(origin)?;
				let r = Registrars::<T>::get(registrar).ok_or(Error::<T>::UnknownRegistrar)?;
				ensure!(r.account == who, Error::<T>::NotRegistrar);
			}
			let hook = Self::do_revoke_certificate(registrar, serial)?;
			Ok(Some(T::WeightInfo::revoke_certificate().saturating_add(hook)).into())
		}
	}
}
