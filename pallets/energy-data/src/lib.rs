//! # EnergyData pallet
//!
//! Meter registry, signed meter readings and the sealed per-interval **energy data blocks** that
//! the market settles against.
//!
//! ## Pallet API
//!
//! Calls (polkadot.js names): [`registerDevice`](Pallet::register_device),
//! [`retireDevice`](Pallet::retire_device), [`submitReadings`](Pallet::submit_readings).
//! Runtime API: [`runtime_api::EnergyDataApi`] (sealed blocks, Merkle proofs of readings).
//!
//! ## Overview
//!
//! Time is cut into intervals of [`Config::IntervalBlocks`] blocks; the interval of block `n` is
//! `n / IntervalBlocks`. A device (producer, consumer, prosumer or storage) is registered with a
//! nameplate capacity, a grid zone and its meter's ed25519 key; registration holds
//! [`Config::DeviceDeposit`] from the owner until the device is retired.
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
//! `RetentionIntervals` after their interval; sealed blocks stay.
//!
//! ### Batches are all-or-nothing
//!
//! `submit_readings` validates every reading of the batch before writing any: if one reading
//! is invalid, the call fails with that reading's error and nothing of the batch is stored.
//! Gateways should validate before relaying (the checks are listed under *Errors*).
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

pub use functions::verify_reading_proof;
pub use types::*;
pub use weights::WeightInfo;

/// Domain tag of the signed reading payload (version 1).
pub const READING_PAYLOAD_TAG: &[u8; 30] = b"gridbrain/energy-data/reading1";

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

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

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

	#[pallet::event]
	#[pallet::generate_deposit(pub(crate) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A device was registered and its deposit held.
		DeviceRegistered {
			device: DeviceId,
			owner: T::AccountId,
			kind: DeviceKind,
			capacity_w: u32,
			zone: ZoneId,
			meter_key: ed25519::Public,
			deposit: BalanceOf<T>,
		},
		/// A device was retired and its deposit released.
		DeviceRetired { device: DeviceId, owner: T::AccountId, deposit: BalanceOf<T> },
		/// A batch of readings was accepted.
		ReadingsSubmitted { relayer: T::AccountId, count: u32 },
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
		/// Register a device with its meter key, holding `DeviceDeposit`.
		///
		/// ## Dispatch Origin
		/// Signed: the owner.
		///
		/// ## Details
		/// `capacity_w` is the nameplate power in W and bounds every reading; `zone` is the grid
		/// zone (`< MaxZones`); `meter_key` is the ed25519 public key the meter signs readings
		/// with. The device gets the next id (see the event).
		///
		/// ## Errors
		/// `ZeroCapacity`, `InvalidZone`, `MeterKeyInUse`, `TooManyDevices`,
		/// `InsufficientDeposit`.
		///
		/// ## Events
		/// `DeviceRegistered`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_device())]
		pub fn register_device(
			origin: OriginFor<T>,
			kind: DeviceKind,
			capacity_w: u32,
			zone: ZoneId,
			meter_key: ed25519::Public,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_register_device(owner, kind, capacity_w, zone, meter_key)
		}

		/// Retire a device and release its deposit.
		///
		/// ## Dispatch Origin
		/// Signed: the device's owner.
		///
		/// ## Details
		/// The device takes no further readings; readings already accepted stay and are sealed.
		/// Its id is never reused.
		///
		/// ## Errors
		/// `UnknownDevice`, `DeviceRetired`, `NotDeviceOwner`.
		///
		/// ## Events
		/// `DeviceRetired`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::retire_device())]
		pub fn retire_device(origin: OriginFor<T>, device_id: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_retire_device(who, device_id)
		}

		/// Submit a batch of signed meter readings (all-or-nothing).
		///
		/// ## Dispatch Origin
		/// Signed: any account (a gateway relaying for its meters pays the fee). The meter's
		/// signature on each reading is the authority.
		///
		/// ## Details
		/// Each reading is for an ended interval within the submission window, at most one per
		/// device and interval. If any reading is invalid the whole batch fails with that
		/// reading's error and nothing is stored.
		///
		/// ## Errors
		/// `EmptyBatch`, `BatchTooLarge`, `UnknownDevice`, `DeviceRetired`, `IntervalNotEnded`,
		/// `SubmissionWindowClosed`, `DuplicateReading`, `ExceedsPhysicalBound`,
		/// `ProductionOnConsumer`, `ConsumptionOnProducer`, `BadSignature`, `IntervalFull`.
		///
		/// ## Events
		/// `ReadingsSubmitted`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::submit_readings(
			u32::try_from(readings.len()).unwrap_or(u32::MAX)
		))]
		pub fn submit_readings(origin: OriginFor<T>, readings: Vec<SignedReading>) -> DispatchResult {
			let relayer = ensure_signed(origin)?;
			let count = Self::do_submit_readings(&readings)?;
			Self::deposit_event(Event::ReadingsSubmitted { relayer, count });
			Ok(())
		}
	}
}
