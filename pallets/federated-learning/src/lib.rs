//! # FederatedLearning pallet
//!
//! The validators' workers train gridbrain's dispatch model together, in rounds that go
//! **Commit → Reveal → Attest → Aggregate** and finalize when at least two thirds of the participants
//! agree on the same aggregate. Only hashes go on chain; parameters travel between workers over
//! libp2p.
//!
//! ## Pallet API
//!
//! Calls (polkadot.js names): [`registerWorker`](Pallet::register_worker),
//! [`deregisterWorker`](Pallet::deregister_worker), [`setWorkerAccount`](Pallet::set_worker_account),
//! [`commitUpdate`](Pallet::commit_update), [`revealUpdate`](Pallet::reveal_update),
//! [`attestAvailability`](Pallet::attest_availability), [`submitAggregate`](Pallet::submit_aggregate); admin
//! ([`Config::AdminOrigin`], sudo on dev/local): [`setAggregationRule`](Pallet::set_aggregation_rule),
//! [`setPhaseLengths`](Pallet::set_phase_lengths), [`resetStrikes`](Pallet::reset_strikes).
//! Runtime API: [`runtime_api::FederatedLearningApi`] (current round, a round's submissions, the
//! global model, workers and strikes).
//!
//! ## Overview
//!
//! **Workers.** A validator's account registers its worker: the libp2p peer id and the ed25519
//! key that signs its updates off chain (a deposit is held until `deregisterWorker`). The
//! worker signs its round transactions with the validator's account, or with an account the
//! validator bound with `setWorkerAccount` (`WorkerAccounts` / `ActsFor`), so that the
//! validator's secret need not live on the worker's host; such a transaction counts as the
//! validator's in every respect.
//!
//! **Rounds** are opened and advanced by `on_initialize`. When a round opens, its
//! **participants** are fixed: the registered workers whose account is a current validator and
//! who have fewer than `StrikeThreshold` strikes (at least `MinParticipants`, else no round opens
//! until there are). The round also fixes its [`AggregationRule`] and phase schedule (changes by
//! the admin apply from the next round).
//!
//! 1. **Commit** (`PhaseLengths::commit` blocks): each participant trains locally and commits
//!    `blake2b-256(update_hash ‖ salt ‖ account)` (see `gridbrain_aggregation::commitment`).
//!    Binding the account means nobody can reveal someone else's commitment.
//! 2. **Reveal**: the participant reveals `update_hash`, `salt`, claimed samples and training loss;
//!    the pallet checks them against the commitment. Workers fetch each other's updates over
//!    libp2p and check them against the revealed hashes and the peers' worker keys.
//! 3. **Attest** (availability): each participant attests the set of revealers whose updates it
//!    holds and found valid. When the phase ends, the updates attested by `⌈2n/3⌉` of the `n`
//!    participants form the round's **available** set (`AvailabilityDecided`); with none the
//!    round fails (`NothingAvailable`).
//! 4. **Aggregate**: each participant submits the hash of the next global model it computed with
//!    the round's rule (`gridbrain_aggregation::next_global`) over exactly the available
//!    updates (`included` must equal the available set). When `⌈2n/3⌉` of the participants
//!    submitted the same hash, the round **finalizes** at once: [`GlobalModel`] advances a version
//!    and `RoundFinalized` is emitted. At the end of the phase without quorum the round **fails**
//!    (`RoundFailed { reason }`); a round also fails early when nobody committed or revealed.
//!
//! The next round opens in the block after the previous one closed.
//!
//! **Block space.** `commitUpdate`, `revealUpdate`, `attestAvailability` and `submitAggregate` are
//! [`DispatchClass::Operational`](frame_support::dispatch::DispatchClass): they use the quarter of
//! every block that normal transactions cannot fill, and the transaction pool orders them before
//! normal transactions of the same fee (`OperationalFeeMultiplier`). Filling blocks with
//! transfers therefore cannot keep a participant's reveal out of the 5-block reveal phase and
//! earn it a `NotRevealed` strike. They still pay fees: a non-participant's call fails with
//! `NotParticipant` and pays for its full weight, so crowding the operational space costs an
//! attacker at least what filling the whole block with transfers would.
//!
//! **Why availability comes first.** Without it, a participant could reveal an update and serve
//! it to only some peers (or serve one that honest workers must reject): honest workers would
//! aggregate different sets, split their votes, and the round would fail or finalize on the side
//! the attacker joined, with the honest dissenters struck. With a fixed available set every
//! honest worker aggregates the same updates: an available update is held by ≥ 2/3 of the
//! participants, so (with fewer than 1/3 faulty) at least one honest holder serves it to whoever
//! misses it; an unavailable one is left out by everyone.
//!
//! **Strikes.** Each participant that committed but did not reveal gets a strike when the round
//! closes; each revealer whose update is not available gets one when the attest phase ends, but
//! only if at least `⌈2n/3⌉` participants attested (so a round where most workers were offline
//! strikes nobody for it); when the round finalized, each participant that submitted a different
//! aggregate gets one. An honest worker is never struck for a set it could not see: it attests
//! what it holds, and it only votes on the available set, which it can fetch. Workers with
//! `StrikeThreshold` strikes are left out of new rounds until the admin resets them. **Decay**: a
//! participant with strikes that votes with the finalizing quorum in `StrikeDecayRounds` rounds
//! without a new strike in between has one strike forgiven (`StrikeForgiven`); excluded workers
//! take part in no round, so theirs stay. A participant that stays silent gets no strike, but
//! counts against the quorum.
//!
//! ## Low Level / Implementation Details
//!
//! - `Rounds[r]` keeps the last `HistoryDepth` rounds with their `Commits`, `Reveals`,
//!   `Attestations`, `Votes` and `Tallies` (for queries); older ones are removed when a round
//!   opens, in work bounded by `MaxWorkers`.
//! - A vote is keyed by `blake2b-256(SCALE(aggregate_hash, sorted included))`, so equal
//!   submissions share one `Tally`.
//! - Hooks do bounded work: advancing a phase is O(1), except deciding availability, which reads
//!   every attestation and reveal: O(participants²) ≤ `MaxWorkers`²; closing a round is
//!   O(participants); opening is O(registered workers) ≤ `MaxWorkers`.
//!
//! ### Invariants (checked by `try_state`)
//!
//! - `CurrentRound` is `None` or a stored round `< NextRoundIndex`; rounds older than
//!   `HistoryDepth` are gone.
//! - Every round's participants are sorted and unique; its `commits`, `reveals`, `attestations`
//!   and `aggregates` counters equal the stored entries, and each is at most the number of
//!   participants; reveals have commits; attested sets and the available set are sorted and name
//!   only revealers; each available update was attested by ≥ ⌈2n/3⌉ participants and every other
//!   revealed one by fewer; every tally includes exactly the available set; Σ tally votes equals
//!   `aggregates`; each vote points at a tally.
//! - Every worker holds exactly its deposit, and `WorkerKeys` maps each worker key to its worker.
//! - The global model's version counts the finalized rounds (never decreases).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
pub mod migrations;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

/// The balance type of the pallet's currency.
pub type BalanceOf<T> = <<T as Config>::Currency as frame_support::traits::fungible::Inspect<
	<T as frame_system::Config>::AccountId,
>>::Balance;

// FRAME's expansion of this module uses `expect` and `unreachable!`; the pallet's logic lives in
// `functions.rs`, where every no-panic lint applies.
#[allow(clippy::expect_used, clippy::unreachable)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use sp_core::{ed25519, H256};

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default configurations of this pallet.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;

		/// A configuration for tests: short phases, small bounds.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type MaxWorkers = ConstU32<8>;
			type MaxPeerIdLen = ConstU32<64>;
			type DefaultPhaseLengths = DefaultTestPhases;
			type MinParticipants = ConstU32<1>;
			type StrikeThreshold = ConstU32<2>;
			type StrikeDecayRounds = ConstU32<2>;
			type HistoryDepth = ConstU32<3>;
			type WeightInfo = ();
		}

		frame_support::parameter_types! {
			/// Commit 3, reveal 2, attest 2, aggregate 2 blocks.
			pub const DefaultTestPhases: PhaseLengths =
				PhaseLengths { commit: 3, reveal: 2, attest: 2, aggregate: 2 };
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config {
		/// The currency that holds worker deposits.
		#[pallet::no_default]
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The overarching hold reason.
		#[pallet::no_default]
		type RuntimeHoldReason: From<HoldReason>;

		/// The current validators (in the runtime: the accounts of the Aura authorities).
		#[pallet::no_default]
		type Validators: ValidatorSet<Self::AccountId>;

		/// Sets the aggregation rule and phase lengths and resets strikes.
		#[pallet::no_default]
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Deposit held for each registered worker.
		#[pallet::constant]
		#[pallet::no_default]
		type WorkerDeposit: Get<BalanceOf<Self>>;

		/// The aggregation rule until the admin sets one.
		#[pallet::constant]
		#[pallet::no_default]
		type DefaultRule: Get<AggregationRule>;

		/// Registered workers at most (and so participants of a round at most).
		#[pallet::constant]
		type MaxWorkers: Get<u32>;

		/// Bytes of a libp2p peer id at most.
		#[pallet::constant]
		type MaxPeerIdLen: Get<u32>;

		/// Phase lengths until the admin sets others.
		#[pallet::constant]
		type DefaultPhaseLengths: Get<PhaseLengths>;

		/// Eligible workers needed to open a round (≥ 1).
		#[pallet::constant]
		type MinParticipants: Get<u32>;

		/// Strikes that exclude a worker from new rounds (≥ 1).
		#[pallet::constant]
		type StrikeThreshold: Get<u32>;

		/// Finalized rounds a participant must vote with the quorum, without a new strike, to
		/// have one strike forgiven (≥ 1). Excluded workers take part in no round, so their
		/// strikes stay until the admin resets them.
		#[pallet::constant]
		type StrikeDecayRounds: Get<u32>;

		/// Rounds kept in storage with their submissions (≥ 1).
		#[pallet::constant]
		type HistoryDepth: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// Reasons for which this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Deposit of a registered worker.
		#[codec(index = 0)]
		WorkerDeposit,
	}

	/// A registered worker with the validator account that registered it.
	pub type WorkerOf<T> =
		WorkerInfo<BalanceOf<T>, BlockNumberFor<T>, <T as Config>::MaxPeerIdLen>;
	/// A round of this runtime.
	pub type RoundOf<T> =
		RoundInfo<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, <T as Config>::MaxWorkers>;
	/// A vote tally of this runtime.
	pub type TallyOf<T> = Tally<<T as frame_system::Config>::AccountId, <T as Config>::MaxWorkers>;
	/// A sorted set of workers.
	pub type WorkerSet<T> =
		BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxWorkers>;
	/// A libp2p peer id.
	pub type PeerIdOf<T> = BoundedVec<u8, <T as Config>::MaxPeerIdLen>;

	#[pallet::type_value]
	pub fn DefaultRuleValue<T: Config>() -> AggregationRule {
		T::DefaultRule::get()
	}

	#[pallet::type_value]
	pub fn DefaultPhasesValue<T: Config>() -> PhaseLengths {
		T::DefaultPhaseLengths::get()
	}

	/// Registered workers by validator account.
	#[pallet::storage]
	pub type Workers<T: Config> = CountedStorageMap<_, Blake2_128Concat, T::AccountId, WorkerOf<T>>;

	/// The worker a worker key belongs to (one key per worker).
	#[pallet::storage]
	pub type WorkerKeys<T: Config> =
		StorageMap<_, Blake2_128Concat, ed25519::Public, T::AccountId>;

	/// The account a validator's worker signs its round transactions with, when it is not the
	/// validator's own (`setWorkerAccount`): the validator's secret need not live on the
	/// worker's host. At most one per registered worker.
	#[pallet::storage]
	pub type WorkerAccounts<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

	/// The validator a worker account acts for: the inverse of `WorkerAccounts`.
	#[pallet::storage]
	pub type ActsFor<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

	/// Strikes per worker account.
	#[pallet::storage]
	pub type Strikes<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The rule new rounds use.
	#[pallet::storage]
	pub type Rule<T: Config> = StorageValue<_, AggregationRule, ValueQuery, DefaultRuleValue<T>>;

	/// The server momentum new rounds use, parts per million (0: none). See
	/// [`gridbrain_aggregation::next_global_with_momentum`].
	#[pallet::storage]
	pub type ServerMomentum<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// The server momentum of each of the last `HistoryDepth` rounds that opened with one
	/// (absent: 0), pruned with its round. Workers read it here (not in the round's runtime-API
	/// view), so that a worker built before it keeps decoding the rounds of a chain that
	/// upgraded, and a new worker reads 0 from a chain that has not.
	#[pallet::storage]
	pub type RoundMomentum<T: Config> = StorageMap<_, Twox64Concat, RoundIndex, u32>;

	/// The phase lengths new rounds use.
	#[pallet::storage]
	pub type Phases<T: Config> = StorageValue<_, PhaseLengths, ValueQuery, DefaultPhasesValue<T>>;

	/// Index the next round gets.
	#[pallet::storage]
	pub type NextRoundIndex<T: Config> = StorageValue<_, RoundIndex, ValueQuery>;

	/// The latest round (open, or closed in the previous block); `None` before the first round
	/// and while too few workers are eligible.
	#[pallet::storage]
	pub type CurrentRound<T: Config> = StorageValue<_, RoundIndex, OptionQuery>;

	/// The last `HistoryDepth` rounds.
	#[pallet::storage]
	pub type Rounds<T: Config> = StorageMap<_, Twox64Concat, RoundIndex, RoundOf<T>>;

	/// Commitments by round and worker.
	#[pallet::storage]
	pub type Commits<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundIndex, Blake2_128Concat, T::AccountId, H256>;

	/// Reveals by round and worker.
	#[pallet::storage]
	pub type Reveals<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundIndex, Blake2_128Concat, T::AccountId, Reveal>;

	/// Availability attestations by round and attesting participant: the revealers whose
	/// updates it holds and found valid, sorted.
	#[pallet::storage]
	pub type Attestations<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundIndex, Blake2_128Concat, T::AccountId, WorkerSet<T>>;

	/// Finalized rounds each worker with strikes voted with the quorum without a new strike,
	/// since its last strike or forgiven strike (see `StrikeDecayRounds`).
	#[pallet::storage]
	pub type CleanRounds<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Each worker's aggregate vote (the key of its tally) by round.
	#[pallet::storage]
	pub type Votes<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundIndex, Blake2_128Concat, T::AccountId, H256>;

	/// Vote tallies by round and vote key.
	#[pallet::storage]
	pub type Tallies<T: Config> =
		StorageDoubleMap<_, Twox64Concat, RoundIndex, Identity, H256, TallyOf<T>>;

	/// The latest finalized global model.
	#[pallet::storage]
	pub type GlobalModel<T: Config> = StorageValue<_, GlobalModelInfo<BlockNumberFor<T>>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(crate) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A validator registered its worker and the deposit was held.
		WorkerRegistered {
			validator: T::AccountId,
			peer_id: PeerIdOf<T>,
			worker_key: ed25519::Public,
			deposit: BalanceOf<T>,
		},
		/// A worker was deregistered and its deposit released.
		WorkerDeregistered { validator: T::AccountId, deposit: BalanceOf<T> },
		/// A round opened in its commit phase.
		RoundOpened {
			round: RoundIndex,
			participants: u32,
			rule: AggregationRule,
			/// Server momentum of the round, parts per million.
			momentum_ppm: u32,
			commit_end: BlockNumberFor<T>,
			reveal_end: BlockNumberFor<T>,
			attest_end: BlockNumberFor<T>,
			aggregate_end: BlockNumberFor<T>,
		},
		/// A round moved to its reveal or aggregate phase.
		PhaseChanged { round: RoundIndex, phase: Phase, ends_at: BlockNumberFor<T> },
		/// A participant committed to its update.
		UpdateCommitted { round: RoundIndex, worker: T::AccountId, commitment: H256 },
		/// A participant attested which revealed updates it holds.
		AvailabilityAttested { round: RoundIndex, worker: T::AccountId, held: u32 },
		/// The attest phase ended: `available` updates (attested by ≥ 2/3 of the participants)
		/// are what aggregates must include; `unavailable` revealed updates are left out.
		AvailabilityDecided { round: RoundIndex, available: u32, unavailable: u32 },
		/// A worker's strike was forgiven after `StrikeDecayRounds` clean rounds.
		StrikeForgiven { worker: T::AccountId, strikes: u32 },
		/// A participant revealed its update.
		UpdateRevealed {
			round: RoundIndex,
			worker: T::AccountId,
			update_hash: H256,
			num_samples: u64,
			train_loss: u64,
		},
		/// A participant submitted an aggregate; `votes` counts equal submissions so far.
		AggregateSubmitted {
			round: RoundIndex,
			worker: T::AccountId,
			aggregate_hash: H256,
			included: u32,
			votes: u32,
		},
		/// A quorum agreed: the global model is now `version` with `params_hash`.
		RoundFinalized {
			round: RoundIndex,
			version: u32,
			params_hash: H256,
			participants: u32,
			votes: u32,
		},
		/// A round ended without a new global model.
		RoundFailed { round: RoundIndex, reason: FailReason },
		/// A worker got a strike.
		StrikeRecorded {
			worker: T::AccountId,
			round: RoundIndex,
			reason: StrikeReason,
			strikes: u32,
		},
		/// The admin set the rule of new rounds.
		AggregationRuleSet { rule: AggregationRule },
		/// The admin set the server momentum of new rounds (parts per million).
		ServerMomentumSet { momentum_ppm: u32 },
		/// The admin set the phase lengths of new rounds.
		PhaseLengthsSet { lengths: PhaseLengths },
		/// The admin cleared a worker's strikes.
		StrikesReset { worker: T::AccountId, previous: u32 },
		/// A validator let `account` sign its worker's round transactions (`None`: only the
		/// validator's own account from now on).
		WorkerAccountSet { validator: T::AccountId, account: Option<T::AccountId> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only the account of a current validator may register a worker.
		NotValidator,
		/// This validator already has a worker: deregister it first to change peer id or key.
		AlreadyRegistered,
		/// This account has no registered worker.
		NotRegistered,
		/// Another worker registered this worker key: each worker needs its own key.
		WorkerKeyInUse,
		/// `MaxWorkers` workers are registered.
		TooManyWorkers,
		/// The peer id is empty.
		InvalidPeerId,
		/// The free balance does not cover `WorkerDeposit`.
		InsufficientDeposit,
		/// No such round: it has not opened yet (or was pruned after `HistoryDepth` rounds).
		UnknownRound,
		/// The round is not in the phase this call belongs to (commits in Commit, aggregates
		/// in Aggregate), or it has closed.
		WrongPhase,
		/// The round is still in its commit phase: reveal once the reveal phase begins.
		RevealTooEarly,
		/// The round's reveal phase is over.
		RevealTooLate,
		/// The caller is not a participant of this round (participants are fixed when it opens).
		NotParticipant,
		/// The caller already committed in this round.
		AlreadyCommitted,
		/// The caller did not commit in this round, so it has nothing to reveal.
		NotCommitted,
		/// The caller already revealed in this round.
		AlreadyRevealed,
		/// `blake2b-256(update_hash ‖ salt ‖ caller)` is not the caller's commitment.
		CommitmentMismatch,
		/// A reveal must claim at least one training sample.
		ZeroSamples,
		/// The caller already submitted an aggregate in this round.
		AlreadySubmitted,
		/// The included set is empty.
		EmptyIncluded,
		/// The included set names a worker twice.
		DuplicateIncluded,
		/// The included set names a worker that did not reveal an update in this round.
		IncludedNotRevealed,
		/// The included set is not the round's available set (`available` of the round).
		NotTheAvailableSet,
		/// The round is still in its commit or reveal phase: attest once the attest phase
		/// begins.
		AttestTooEarly,
		/// The round's attest phase is over.
		AttestTooLate,
		/// The caller already attested in this round.
		AlreadyAttested,
		/// The attested set names a worker twice.
		DuplicateAttested,
		/// The attested set names a worker that did not reveal an update in this round.
		AttestedNotRevealed,
		/// The rule's parameters are out of range (FedAvg cap 0, trim fraction ≥ 50 %).
		InvalidRule,
		/// Server momentum above `gridbrain_aggregation::MAX_MOMENTUM_PPM` (0.99).
		InvalidMomentum,
		/// Every phase must last at least one block.
		InvalidPhaseLength,
		/// A counter would overflow (unreachable with sane constants).
		Overflow,
		/// The account already signs for another validator's worker, or has a worker of its
		/// own: one account acts for one participant.
		AccountInUse,
		/// A validator's own account always signs for its worker: bind another account.
		AccountIsValidator,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::drive_rounds(now)
		}

		fn integrity_test() {
			assert!(T::MaxWorkers::get() > 0);
			assert!(T::MaxPeerIdLen::get() > 0);
			assert!(T::MinParticipants::get() > 0);
			assert!(T::MinParticipants::get() <= T::MaxWorkers::get());
			assert!(T::StrikeThreshold::get() > 0);
			assert!(T::StrikeDecayRounds::get() > 0);
			assert!(T::HistoryDepth::get() > 0);
			assert!(T::DefaultPhaseLengths::get().is_valid());
			assert!(T::DefaultRule::get().validate().is_ok());
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register the caller's worker: its libp2p peer id and the ed25519 key that signs its
		/// updates. Holds `WorkerDeposit`.
		///
		/// ## Dispatch Origin
		/// Signed by the account of a current validator. The worker signs its round
		/// transactions with this account, or with one bound by `setWorkerAccount`.
		///
		/// ## Details
		/// The worker takes part in rounds that open from the next block on. If the caller's
		/// account was bound to another validator's worker, that binding ends
		/// (`WorkerAccountSet` with `None` for that validator).
		///
		/// ## Errors
		/// `NotValidator`, `AlreadyRegistered`, `InvalidPeerId`, `WorkerKeyInUse`,
		/// `TooManyWorkers`, `InsufficientDeposit`.
		///
		/// ## Events
		/// `WorkerRegistered`.
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::register_worker())]
		pub fn register_worker(
			origin: OriginFor<T>,
			peer_id: PeerIdOf<T>,
			worker_key: ed25519::Public,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_worker(who, peer_id, worker_key)
		}

		/// Deregister the caller's worker and release its deposit.
		///
		/// ## Dispatch Origin
		/// Signed by the account that registered the worker.
		///
		/// ## Details
		/// The worker stays a participant of a round already open (it may finish it) but joins
		/// no new round. Strikes are kept.
		///
		/// ## Errors
		/// `NotRegistered`.
		///
		/// ## Events
		/// `WorkerDeregistered`.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::deregister_worker())]
		pub fn deregister_worker(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deregister_worker(who)
		}

		/// Commit to this round's update: `commitment = blake2b-256(update_hash ‖ salt ‖
		/// account)` with the caller's 32-byte account id.
		///
		/// ## Dispatch Origin
		/// Signed by a participant of the round (or the account it bound with
		/// `setWorkerAccount`).
		///
		/// ## Errors
		/// `UnknownRound`, `WrongPhase` (not in Commit), `NotParticipant`, `AlreadyCommitted`.
		///
		/// ## Events
		/// `UpdateCommitted`.
		#[pallet::call_index(2)]
		#[pallet::weight((<T as Config>::WeightInfo::commit_update(), DispatchClass::Operational))]
		pub fn commit_update(
			origin: OriginFor<T>,
			round: RoundIndex,
			commitment: H256,
		) -> DispatchResult {
			let who = Self::principal(ensure_signed(origin)?);
			Self::do_commit(who, round, commitment)
		}

		/// Reveal the committed update: its hash, the salt, the samples it was trained on and
		/// its training loss (× 10⁶).
		///
		/// ## Dispatch Origin
		/// Signed by a participant that committed in the round (or the account it bound with
		/// `setWorkerAccount`).
		///
		/// ## Errors
		/// `UnknownRound`, `RevealTooEarly` (still Commit), `RevealTooLate` (Aggregate or
		/// closed), `NotParticipant`, `NotCommitted`, `AlreadyRevealed`, `ZeroSamples`,
		/// `CommitmentMismatch`.
		///
		/// ## Events
		/// `UpdateRevealed`.
		#[pallet::call_index(3)]
		#[pallet::weight((<T as Config>::WeightInfo::reveal_update(), DispatchClass::Operational))]
		pub fn reveal_update(
			origin: OriginFor<T>,
			round: RoundIndex,
			update_hash: H256,
			salt: H256,
			num_samples: u64,
			train_loss: u64,
		) -> DispatchResult {
			let who = Self::principal(ensure_signed(origin)?);
			Self::do_reveal(who, round, update_hash, salt, num_samples, train_loss)
		}

		/// Submit the hash of the next global model computed from the `included` workers'
		/// updates with the round's rule; `included` must be the round's `available` set. The
		/// round finalizes in this call when it is the `⌈2n/3⌉`-th equal submission.
		///
		/// ## Dispatch Origin
		/// Signed by a participant of the round (or the account it bound with
		/// `setWorkerAccount`).
		///
		/// ## Details
		/// `included` may come in any order; it is compared as a set. Finalizing also records
		/// strikes (non-revealers, dissenters), so the call is charged for that and refunded
		/// when it does not finalize.
		///
		/// ## Errors
		/// `UnknownRound`, `WrongPhase` (not in Aggregate), `NotParticipant`,
		/// `AlreadySubmitted`, `EmptyIncluded`, `DuplicateIncluded`, `IncludedNotRevealed`,
		/// `NotTheAvailableSet`.
		///
		/// ## Events
		/// `AggregateSubmitted`; on quorum also `RoundFinalized` and `StrikeRecorded`s.
		#[pallet::call_index(4)]
		#[pallet::weight((
			<T as Config>::WeightInfo::submit_aggregate(T::MaxWorkers::get())
				.saturating_add(<T as Config>::WeightInfo::submit_aggregate_finalize(T::MaxWorkers::get())),
			DispatchClass::Operational,
		))]
		pub fn submit_aggregate(
			origin: OriginFor<T>,
			round: RoundIndex,
			aggregate_hash: H256,
			included: WorkerSet<T>,
		) -> DispatchResultWithPostInfo {
			let who = Self::principal(ensure_signed(origin)?);
			Self::do_submit_aggregate(who, round, aggregate_hash, included)
		}

		/// Set the aggregation rule of rounds that open from now on.
		///
		/// ## Dispatch Origin
		/// [`Config::AdminOrigin`].
		///
		/// ## Errors
		/// `InvalidRule` (FedAvg `max_samples` 0, trimmed mean `trim_ppm` ≥ 500 000).
		///
		/// ## Events
		/// `AggregationRuleSet`.
		#[pallet::call_index(5)]
		#[pallet::weight(<T as Config>::WeightInfo::set_aggregation_rule())]
		pub fn set_aggregation_rule(origin: OriginFor<T>, rule: AggregationRule) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			rule.validate().map_err(|_| Error::<T>::InvalidRule)?;
			Rule::<T>::put(rule);
			Self::deposit_event(Event::AggregationRuleSet { rule });
			Ok(())
		}

		/// Set the phase lengths (blocks) of rounds that open from now on: commit, reveal,
		/// attest, aggregate.
		///
		/// ## Dispatch Origin
		/// [`Config::AdminOrigin`].
		///
		/// ## Errors
		/// `InvalidPhaseLength` (a phase of 0 blocks).
		///
		/// ## Events
		/// `PhaseLengthsSet`.
		#[pallet::call_index(6)]
		#[pallet::weight(<T as Config>::WeightInfo::set_phase_lengths())]
		pub fn set_phase_lengths(
			origin: OriginFor<T>,
			commit: u32,
			reveal: u32,
			attest: u32,
			aggregate: u32,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			let lengths = PhaseLengths { commit, reveal, attest, aggregate };
			ensure!(lengths.is_valid(), Error::<T>::InvalidPhaseLength);
			Phases::<T>::put(lengths);
			Self::deposit_event(Event::PhaseLengthsSet { lengths });
			Ok(())
		}

		/// Clear a worker's strikes, so it joins rounds again.
		///
		/// ## Dispatch Origin
		/// [`Config::AdminOrigin`].
		///
		/// ## Errors
		/// None besides the origin check.
		///
		/// ## Events
		/// `StrikesReset` with the previous count.
		#[pallet::call_index(7)]
		#[pallet::weight(<T as Config>::WeightInfo::reset_strikes())]
		pub fn reset_strikes(origin: OriginFor<T>, worker: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			let previous = Strikes::<T>::take(&worker);
			CleanRounds::<T>::remove(&worker);
			Self::deposit_event(Event::StrikesReset { worker, previous });
			Ok(())
		}

		/// Attest which revealed updates of this round the caller holds and found valid (its
		/// author's worker key signed it, it is the revealed hash, its layout is the model's).
		///
		/// ## Dispatch Origin
		/// Signed by a participant of the round (or the account it bound with
		/// `setWorkerAccount`).
		///
		/// ## Details
		/// `held` may come in any order and may be empty. When the attest phase ends, the
		/// updates attested by `⌈2n/3⌉` of the `n` participants are the round's `available` set,
		/// which every aggregate must include exactly. If at least `⌈2n/3⌉` participants
		/// attested, each revealer whose update is not available gets an `Unavailable` strike.
		///
		/// ## Errors
		/// `UnknownRound`, `AttestTooEarly` (Commit or Reveal), `AttestTooLate` (Aggregate or
		/// closed), `NotParticipant`, `AlreadyAttested`, `DuplicateAttested`,
		/// `AttestedNotRevealed`.
		///
		/// ## Events
		/// `AvailabilityAttested`.
		#[pallet::call_index(8)]
		#[pallet::weight((
			<T as Config>::WeightInfo::attest_availability(T::MaxWorkers::get()),
			DispatchClass::Operational,
		))]
		pub fn attest_availability(
			origin: OriginFor<T>,
			round: RoundIndex,
			held: WorkerSet<T>,
		) -> DispatchResultWithPostInfo {
			let who = Self::principal(ensure_signed(origin)?);
			Self::do_attest(who, round, held)
		}

		/// Let `account` sign the caller's worker's round transactions (`commitUpdate`,
		/// `revealUpdate`, `attestAvailability`, `submitAggregate`) on the caller's behalf, or
		/// with `None` stop letting any account but the caller's own do so.
		///
		/// ## Dispatch Origin
		/// Signed by a validator with a registered worker.
		///
		/// ## Details
		/// The worker then holds only `account`'s secret (and pays its fees from it), never the
		/// validator's. Everything the account does counts as the validator's: strikes,
		/// participation and events name the validator. One account per worker; binding
		/// another replaces it; deregistering the worker removes it. An account that later
		/// registers a worker of its own is unbound then (a validator's own registration always
		/// wins, so binding a validator's account cannot keep it from registering).
		///
		/// ## Errors
		/// `NotRegistered`, `AccountIsValidator` (the caller's own account),
		/// `AccountInUse` (bound to another validator's worker, or has a worker itself).
		///
		/// ## Events
		/// `WorkerAccountSet`.
		#[pallet::call_index(9)]
		#[pallet::weight(<T as Config>::WeightInfo::set_worker_account())]
		pub fn set_worker_account(origin: OriginFor<T>, account: Option<T::AccountId>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_set_worker_account(who, account)
		}

		/// Set the server momentum of rounds that open from now on, in parts per million (0
		/// switches it off): each round's step is its aggregate plus this share of the previous
		/// round's step (`gridbrain_aggregation::next_global_with_momentum`). Rounds already
		/// open keep theirs.
		///
		/// ## Dispatch Origin
		/// [`Config::AdminOrigin`].
		///
		/// ## Errors
		/// `InvalidMomentum` (above 990 000).
		///
		/// ## Events
		/// `ServerMomentumSet`.
		#[pallet::call_index(10)]
		#[pallet::weight(<T as Config>::WeightInfo::set_server_momentum())]
		pub fn set_server_momentum(origin: OriginFor<T>, momentum_ppm: u32) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(momentum_ppm <= gridbrain_aggregation::MAX_MOMENTUM_PPM, Error::<T>::InvalidMomentum);
			ServerMomentum::<T>::put(momentum_ppm);
			Self::deposit_event(Event::ServerMomentumSet { momentum_ppm });
			Ok(())
		}
	}
}
