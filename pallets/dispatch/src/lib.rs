//! # Dispatch pallet
//!
//! Closes gridbrain's loop: the validators' workers, which train the dispatch model together
//! (FederatedLearning), each compute a **plan** for every upcoming interval (a forecast of the
//! net load of each market zone, and the generator set-points the finalized global model gives
//! for it after the line-safe repair); the chain records the coordinate-wise median of the
//! plans as the interval's **agreed dispatch**, and once the interval's energy data block is
//! sealed, the **realised imbalance** between the plan's forecast and what the meters measured.
//!
//! ## Pallet API
//!
//! Calls (polkadot.js names): [`submitPlan`](Pallet::submit_plan); admin
//! ([`Config::AdminOrigin`], sudo on dev/local): [`setGridMap`](Pallet::set_grid_map).
//! Runtime API: [`runtime_api::DispatchApi`] (`gridMap`, `dispatchFor(interval)`,
//! `imbalance(interval)`, `pendingPlans(interval)`, `recent(count)`).
//!
//! ## Overview
//!
//! **Grid map.** [`GridMapping`] names the grid case the workers dispatch, the length of its
//! set-point vector, and for each mapped market zone the bus where its energy enters the case and
//! a scale (watts at the bus per metered watt). A zone's metered consumption is load at its bus,
//! its production a renewable injection there (so device kinds map through what their meters
//! report: producers produce, consumers consume, prosumers and storage do both). The admin
//! origin sets it; the `development` and `local` genesis map the demo's zones onto the case the
//! workers use. Setting a new map drops the plans of the intervals not agreed yet
//! (`PendingPlansDropped`): they were made for the old shape.
//!
//! **Plans.** For interval `i`, a participant submits its plan while `current < i ≤ current +
//! SubmissionHorizon` (`TooLate` / `TooEarly` otherwise): a forecast per mapped zone and a
//! set-point per generator, in kW (fixed-point MW), and the version of the global model that
//! computed it (the latest finalized one or the one before: a round may finalize while the plan is
//! in the pool). The participants are those of [`Config::Participants`] (in the runtime: the
//! registered workers of current validators that are not excluded for strikes), fixed for the
//! interval when its first plan arrives; a worker account bound with `setWorkerAccount` submits
//! for its validator. One plan per participant and interval.
//!
//! **Agreement.** The plan that brings an interval to `⌈2n/3⌉` of its `n` participants makes the
//! chain take the coordinate-wise lower median of those plans (`gridbrain_aggregation::agreement`)
//! and record it as the agreed dispatch ([`Agreed`], `DispatchAgreed`); later plans for it fail
//! with `AlreadyAgreed`. The median of each coordinate is one of the submitted values, and with
//! fewer than `n/3` faulty participants it lies between the smallest and largest honest value:
//! faulty participants can neither move it out of that range nor block it (the honest two thirds
//! reach the quorum without them). An interval without a quorum when it starts has no agreed
//! dispatch (`DispatchMissed`); it never holds up the next one.
//!
//! **Accountability.** `on_initialize` follows EnergyData's sealing: for each sealed interval
//! with an agreed dispatch it records the [`ImbalanceRecord`] (per mapped zone, metered − forecast
//! in kW at the bus, their sum and their absolute sum; `ImbalanceRecorded`). Agreed dispatches and
//! imbalances are kept for `HistoryDepth` intervals.
//!
//! **What an attack costs.** Plans are [`DispatchClass::Operational`](frame_support::dispatch::DispatchClass)
//! like the FL round calls, so block stuffing cannot keep them out before the interval starts. A
//! non-participant's plan fails with `NotParticipant` and pays its full weight. A faulty
//! participant can withhold its plan (the quorum needs two thirds, not all) or submit absurd
//! values (the median ignores fewer than half of the quorum's plans); a coalition of a third can
//! stop agreement, as it can stop FL rounds and GRANDPA.
//!
//! A caveat a user must know: the coordinate-wise median of feasible dispatches need not be
//! feasible itself (its set-points need not balance the forecast exactly, nor respect every line
//! when plans differ). With honest workers running the same finalized model on similar
//! forecasts the plans differ little; the recorded plan is what the validators agreed to
//! publish, and the grid operator's redispatch closes what it misses.
//!
//! ## Low Level / Implementation Details
//!
//! - `Pending[i]` (participants, count) and `Submissions[i][participant]` hold the open plans;
//!   `PendingIntervals` lists the intervals with open plans (at most `SubmissionHorizon`), so
//!   expiring them at an interval's start is O(open plans).
//! - Agreement reads the interval's ≤ `MaxParticipants` plans, takes the median (O(plans ×
//!   coordinates)), writes one record and clears the plans.
//! - `NextToAccount` trails EnergyData's `NextToSeal` by at most `MaxAccountedPerBlock` intervals
//!   per block; visiting interval `i` records its imbalance and prunes `i − HistoryDepth`. It
//!   starts at the interval of the first block this pallet runs in (not at 0 on a live chain).
//!
//! ### Invariants (checked by `try_state`)
//!
//! - `PendingIntervals` is strictly ascending, every entry has a `Pending` record and every
//!   `Pending` record is listed; all are after the current interval and at most
//!   `SubmissionHorizon` ahead.
//! - Each pending interval's participants are sorted and unique; its count equals its stored
//!   plans, each by a participant, and is below the quorum; no plan is stored for an interval
//!   without a `Pending` record; no agreed interval has open plans.
//! - Every agreed plan has one forecast per zone of its recorded map and `generators` set-points
//!   of a map; `submitters` reaches the quorum of `participants`; model versions are ordered.
//! - Every imbalance belongs to an agreed interval below `NextToAccount`; nothing is kept for
//!   intervals older than `NextToAccount − HistoryDepth`.

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

pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;

/// Who takes part in agreeing dispatches (in the runtime: the FederatedLearning pallet).
pub trait Participants<AccountId> {
	/// The accounts that may submit plans now, sorted ascending and unique.
	fn participants() -> Vec<AccountId>;
	/// The participant a signer submits for: the validator a worker account acts for, or the
	/// signer itself.
	fn principal(signer: AccountId) -> AccountId;
	/// The version of the latest finalized global model, if any.
	fn model_version() -> Option<u64>;
	/// Benchmarks: make `who` a participant.
	#[cfg(feature = "runtime-benchmarks")]
	fn add_participant(who: &AccountId);
	/// Benchmarks: make `version` the latest finalized model version.
	#[cfg(feature = "runtime-benchmarks")]
	fn set_model_version(version: u64);
}

/// A grid map with the runtime's zone bound.
pub type GridMapOf<T> = GridMap<<T as pallet_energy_data::Config>::MaxZones>;
/// A plan with the runtime's bounds.
pub type PlanOf<T> =
	Plan<<T as pallet_energy_data::Config>::MaxZones, <T as Config>::MaxGenerators>;
/// A submission with the runtime's bounds.
pub type SubmissionOf<T> =
	Submission<<T as pallet_energy_data::Config>::MaxZones, <T as Config>::MaxGenerators>;
/// Pending plans with the runtime's bounds.
pub type PendingOf<T> =
	PendingPlans<<T as frame_system::Config>::AccountId, <T as Config>::MaxParticipants>;
/// An agreed dispatch with the runtime's bounds.
pub type AgreedOf<T> = AgreedDispatch<
	frame_system::pallet_prelude::BlockNumberFor<T>,
	<T as pallet_energy_data::Config>::MaxZones,
	<T as Config>::MaxGenerators,
>;
/// An imbalance record with the runtime's bounds.
pub type ImbalanceOf<T> = ImbalanceRecord<<T as pallet_energy_data::Config>::MaxZones>;

// FRAME's expansion of this module uses `expect` and `unreachable!`; the pallet's logic lives in
// `functions.rs`, where every no-panic lint applies.
#[allow(clippy::expect_used, clippy::unreachable)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{dispatch::PostDispatchInfo, pallet_prelude::*};
	use frame_system::pallet_prelude::*;
	use pallet_energy_data::{IntervalIndex, ZoneId};

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config + pallet_energy_data::Config {
		/// Who may submit plans, and the global model's version.
		type Participants: Participants<Self::AccountId>;

		/// Sets the grid map.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Most participants of an interval (the FederatedLearning pallet's `MaxWorkers`); more
		/// are cut off (the smallest accounts are kept).
		#[pallet::constant]
		type MaxParticipants: Get<u32>;

		/// Longest set-point vector a grid map may ask for.
		#[pallet::constant]
		type MaxGenerators: Get<u32>;

		/// Plans for interval `i` are accepted while `current < i ≤ current + SubmissionHorizon`
		/// (1 ..= [`MAX_HORIZON`]).
		#[pallet::constant]
		type SubmissionHorizon: Get<u32>;

		/// Intervals of agreed dispatches and imbalances kept for queries (≥ 1).
		#[pallet::constant]
		type HistoryDepth: Get<u32>;

		/// Sealed intervals `on_initialize` accounts for per block (≥ 1; EnergyData seals at most
		/// its `MaxIntervalsPerBlock` per block, so a value at least that keeps up).
		#[pallet::constant]
		type MaxAccountedPerBlock: Get<u32>;

		/// Weights of calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// The grid map (none until the admin or the genesis sets one; no plans without it).
	#[pallet::storage]
	pub type GridMapping<T: Config> = StorageValue<_, GridMapOf<T>>;

	/// Intervals with plans but no agreement, ascending.
	#[pallet::storage]
	pub type PendingIntervals<T: Config> =
		StorageValue<_, BoundedVec<IntervalIndex, ConstU32<MAX_HORIZON>>, ValueQuery>;

	/// An interval's participants and the number of plans so far.
	#[pallet::storage]
	pub type Pending<T: Config> = StorageMap<_, Twox64Concat, IntervalIndex, PendingOf<T>>;

	/// Open plans by interval and participant.
	#[pallet::storage]
	pub type Submissions<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		IntervalIndex,
		Blake2_128Concat,
		T::AccountId,
		SubmissionOf<T>,
	>;

	/// Agreed dispatches of the last `HistoryDepth` intervals (and the upcoming ones).
	#[pallet::storage]
	pub type Agreed<T: Config> = StorageMap<_, Twox64Concat, IntervalIndex, AgreedOf<T>>;

	/// Realised imbalances of agreed dispatches, last `HistoryDepth` intervals.
	#[pallet::storage]
	pub type Imbalances<T: Config> = StorageMap<_, Twox64Concat, IntervalIndex, ImbalanceOf<T>>;

	/// The next sealed interval to account for (set when the pallet first runs).
	#[pallet::storage]
	pub type NextToAccount<T: Config> = StorageValue<_, IntervalIndex>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The grid case's name; empty: no grid map at genesis.
		pub case: Vec<u8>,
		/// Length of the set-point vector.
		pub generators: u32,
		/// `(zone, bus, scale)` per mapped zone, ascending by zone.
		pub zones: Vec<(ZoneId, u32, u32)>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if self.case.is_empty() {
				return;
			}
			let map = GridMap {
				case: self
					.case
					.clone()
					.try_into()
					.expect("genesis case name too long"),
				generators: self.generators,
				zones: self
					.zones
					.iter()
					.map(|&(zone, bus, scale)| ZoneBus { zone, bus, scale })
					.collect::<Vec<_>>()
					.try_into()
					.expect("genesis maps more zones than MaxZones"),
			};
			let checked = Pallet::<T>::check_grid_map(&map);
			assert!(checked.is_ok(), "invalid genesis grid map: {checked:?}");
			GridMapping::<T>::put(map);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The admin set the grid map.
		GridMapSet {
			case: Vec<u8>,
			generators: u32,
			zones: u32,
		},
		/// A new grid map dropped the open plans of these intervals.
		PendingPlansDropped {
			intervals: Vec<IntervalIndex>,
			plans: u32,
		},
		/// A participant submitted its plan for an interval.
		PlanSubmitted {
			interval: IntervalIndex,
			participant: T::AccountId,
			model_version: u64,
			submitted: u32,
			needed: u32,
		},
		/// `submitters` of `participants` plans agreed an interval's dispatch (their median).
		DispatchAgreed {
			interval: IntervalIndex,
			model_versions: (u64, u64),
			submitters: u32,
			participants: u32,
		},
		/// An interval started without a quorum of plans: it has no agreed dispatch.
		DispatchMissed {
			interval: IntervalIndex,
			submitted: u32,
			needed: u32,
		},
		/// The sealed energy data of an interval gave its agreed dispatch's realised imbalance.
		ImbalanceRecorded {
			interval: IntervalIndex,
			net_kw: i64,
			absolute_kw: u64,
			reading_count: u32,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No grid map is set: nobody can plan.
		NoGridMap,
		/// The interval has started (or is over): plans are for upcoming intervals.
		TooLate,
		/// The interval is more than `SubmissionHorizon` intervals ahead.
		TooEarly,
		/// The interval's dispatch is agreed already.
		AlreadyAgreed,
		/// The forecast does not have one value per mapped zone.
		WrongZoneCount,
		/// The set-points do not have the grid map's `generators` values.
		WrongGeneratorCount,
		/// No global model is finalized yet.
		NoModel,
		/// The model version is newer than the latest finalized one.
		UnknownModel,
		/// The model version is older than the one before the latest finalized one.
		StaleModel,
		/// The signer (or the validator it acts for) is not a participant of the interval.
		NotParticipant,
		/// The participant's plan for the interval is in already.
		AlreadySubmitted,
		/// The grid map is invalid; the field says why.
		InvalidGridMap { problem: GridMapProblem },
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::on_block(now)
		}

		fn integrity_test() {
			assert!(
				(1..=MAX_HORIZON).contains(&T::SubmissionHorizon::get()),
				"SubmissionHorizon must be 1..=MAX_HORIZON"
			);
			assert!(
				T::HistoryDepth::get() >= 1,
				"HistoryDepth must be at least 1"
			);
			assert!(
				T::MaxAccountedPerBlock::get() >= 1,
				"MaxAccountedPerBlock must be at least 1"
			);
			assert!(
				T::MaxParticipants::get() >= 1,
				"MaxParticipants must be at least 1"
			);
			assert!(
				T::MaxGenerators::get() >= 1,
				"MaxGenerators must be at least 1"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Submits the signer's plan (or, for a worker account, its validator's) for `interval`:
		/// forecast net load per mapped zone and generator set-points, both in kW, computed with
		/// global model `model_version`. The plan that completes the quorum records the median.
		///
		/// Charged for the agreement over the largest quorum's plans of the largest shape; refunded
		/// to the plain submission when it does not complete the quorum.
		///
		/// Emits `PlanSubmitted`, and `DispatchAgreed` when it completes the quorum.
		#[pallet::call_index(0)]
		#[pallet::weight((
			<T as Config>::WeightInfo::submit_plan_agree(Pallet::<T>::max_quorum()),
			DispatchClass::Operational
		))]
		pub fn submit_plan(
			origin: OriginFor<T>,
			interval: IntervalIndex,
			model_version: u64,
			forecast_kw: BoundedVec<i64, <T as pallet_energy_data::Config>::MaxZones>,
			setpoints_kw: BoundedVec<i64, T::MaxGenerators>,
		) -> DispatchResultWithPostInfo {
			let signer = ensure_signed(origin)?;
			let who = T::Participants::principal(signer);
			let agreed_over = Self::do_submit_plan(
				who,
				interval,
				SubmissionOf::<T> {
					model_version,
					plan: Plan {
						forecast_kw,
						setpoints_kw,
					},
				},
			)?;
			let weight = match agreed_over {
				Some(plans) => <T as Config>::WeightInfo::submit_plan_agree(plans),
				None => <T as Config>::WeightInfo::submit_plan(),
			};
			Ok(PostDispatchInfo {
				actual_weight: Some(weight),
				pays_fee: Pays::Yes,
			})
		}

		/// Sets the grid map (admin origin). Drops the plans of intervals not agreed yet.
		///
		/// Emits `GridMapSet` (and `PendingPlansDropped` when it dropped plans).
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::set_grid_map(Pallet::<T>::max_open_plans()))]
		pub fn set_grid_map(origin: OriginFor<T>, map: GridMapOf<T>) -> DispatchResultWithPostInfo {
			<T as Config>::AdminOrigin::ensure_origin(origin)?;
			let dropped = Self::do_set_grid_map(map)?;
			Ok(PostDispatchInfo {
				actual_weight: Some(<T as Config>::WeightInfo::set_grid_map(dropped)),
				pays_fee: Pays::Yes,
			})
		}
	}
}
