//! Types of the FederatedLearning pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, BoundedVec};
use scale_info::TypeInfo;
use sp_core::{ed25519, H256};

pub use gridbrain_aggregation::AggregationRule;

/// Index of a training round (0, 1, 2, …).
pub type RoundIndex = u32;

/// The current validators, as accounts. Only a validator's account may register a worker, and
/// only workers of current validators take part in new rounds.
pub trait ValidatorSet<AccountId> {
	/// Whether `who` is a current validator.
	fn is_validator(who: &AccountId) -> bool;

	/// Makes `who` a validator (benchmarks only).
	#[cfg(feature = "runtime-benchmarks")]
	fn add_validator(who: &AccountId);
}

/// A registered worker: the off-chain trainer of one validator.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(MaxPeerIdLen))]
pub struct WorkerInfo<Balance, BlockNumber, MaxPeerIdLen: Get<u32>> {
	/// The worker's libp2p peer id (its multihash bytes).
	pub peer_id: BoundedVec<u8, MaxPeerIdLen>,
	/// The ed25519 key that signs the worker's updates off chain.
	pub worker_key: ed25519::Public,
	/// Deposit held while registered.
	pub deposit: Balance,
	/// Block of registration.
	pub registered_at: BlockNumber,
}

/// Lengths of a round's phases, in blocks (each ≥ 1).
#[derive(
	Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct PhaseLengths {
	/// Blocks for `commitUpdate`.
	pub commit: u32,
	/// Blocks for `revealUpdate`.
	pub reveal: u32,
	/// Blocks for `attestAvailability`.
	pub attest: u32,
	/// Blocks for `submitAggregate`.
	pub aggregate: u32,
}

impl PhaseLengths {
	/// Whether every phase lasts at least one block.
	pub fn is_valid(&self) -> bool {
		self.commit > 0 && self.reveal > 0 && self.attest > 0 && self.aggregate > 0
	}
}

/// Why a round ended without a new global model.
#[derive(
	Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum FailReason {
	/// Nobody committed during the commit phase.
	NoCommits,
	/// Nobody revealed during the reveal phase.
	NoReveals,
	/// The aggregate phase ended before ≥ 2/3 of the participants agreed.
	NoQuorum,
	/// No revealed update was attested by ≥ 2/3 of the participants.
	NothingAvailable,
}

/// Where a round is.
#[derive(
	Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum Phase {
	/// Participants commit to their update's hash.
	#[codec(index = 0)]
	Commit,
	/// Participants reveal hash, salt, samples and loss.
	#[codec(index = 1)]
	Reveal,
	/// Participants attest which revealed updates they hold and found valid.
	#[codec(index = 5)]
	Attest,
	/// Participants submit the hash of the aggregate of the available updates.
	#[codec(index = 2)]
	Aggregate,
	/// A quorum agreed; the global model was updated.
	#[codec(index = 3)]
	Finalized,
	/// The round ended without a new model.
	#[codec(index = 4)]
	Failed(FailReason),
}

impl Phase {
	/// Whether the round is over.
	pub fn is_closed(&self) -> bool {
		matches!(self, Phase::Finalized | Phase::Failed(_))
	}
}

/// A round: its participants (snapshot at opening), rule, schedule and progress.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(MaxWorkers))]
pub struct RoundInfo<AccountId, BlockNumber, MaxWorkers: Get<u32>> {
	/// Workers of current validators without too many strikes, sorted, at opening.
	pub participants: BoundedVec<AccountId, MaxWorkers>,
	/// The aggregation rule workers must apply.
	pub rule: AggregationRule,
	/// Current phase.
	pub phase: Phase,
	/// Block the round opened.
	pub opened_at: BlockNumber,
	/// First block of the reveal phase.
	pub commit_end: BlockNumber,
	/// First block of the attest phase.
	pub reveal_end: BlockNumber,
	/// First block of the aggregate phase.
	pub attest_end: BlockNumber,
	/// The round fails at this block without a quorum.
	pub aggregate_end: BlockNumber,
	/// Commitments received.
	pub commits: u32,
	/// Reveals received.
	pub reveals: u32,
	/// Availability attestations received.
	pub attestations: u32,
	/// Aggregate votes received.
	pub aggregates: u32,
	/// The revealers whose updates ≥ 2/3 of the participants attested, sorted: decided when the
	/// attest phase ends; every aggregate must include exactly these.
	pub available: BoundedVec<AccountId, MaxWorkers>,
}

/// A revealed update.
#[derive(
	Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Reveal {
	/// blake2b-256 of the update's canonical bytes.
	pub update_hash: H256,
	/// Training samples the worker claims.
	pub num_samples: u64,
	/// Local training loss × 10⁶.
	pub train_loss: u64,
}

/// Votes for one (aggregate hash, included set).
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(MaxWorkers))]
pub struct Tally<AccountId, MaxWorkers: Get<u32>> {
	/// The aggregate's hash (the next global model's `params_hash`).
	pub aggregate_hash: H256,
	/// The workers whose updates it includes, sorted.
	pub included: BoundedVec<AccountId, MaxWorkers>,
	/// Participants who submitted exactly this.
	pub votes: u32,
}

/// The latest finalized global model.
#[derive(
	Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct GlobalModelInfo<BlockNumber> {
	/// 1 for the first finalized round, +1 per finalized round.
	pub version: u32,
	/// The round that produced it.
	pub round: RoundIndex,
	/// blake2b-256 of the model's canonical bytes (`gridbrain-aggregation`'s `Model::hash`).
	pub params_hash: H256,
	/// Updates included in the aggregate.
	pub participants: u32,
	/// Votes that finalized it.
	pub votes: u32,
	/// Σ samples claimed by the included updates.
	pub total_samples: u64,
	/// Mean training loss of the included updates × 10⁶.
	pub mean_train_loss: u64,
	/// Block of finalization.
	pub finalized_at: BlockNumber,
}

/// Why a worker got a strike.
#[derive(
	Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum StrikeReason {
	/// Committed but did not reveal.
	NotRevealed,
	/// Submitted an aggregate other than the one that finalized.
	Dissented,
	/// Revealed an update that fewer than 2/3 of the participants attested (withheld from
	/// peers, or invalid), while ≥ 2/3 of them attested.
	Unavailable,
}

/// A round as the runtime API returns it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct RoundView<AccountId, BlockNumber> {
	/// Its index.
	pub index: RoundIndex,
	/// Participants.
	pub participants: alloc::vec::Vec<AccountId>,
	/// The rule of the round.
	pub rule: AggregationRule,
	/// Current phase.
	pub phase: Phase,
	/// Block of opening.
	pub opened_at: BlockNumber,
	/// First block of the reveal phase.
	pub commit_end: BlockNumber,
	/// First block of the attest phase.
	pub reveal_end: BlockNumber,
	/// First block of the aggregate phase.
	pub attest_end: BlockNumber,
	/// End of the aggregate phase.
	pub aggregate_end: BlockNumber,
	/// Votes needed to finalize (and attestations needed to make an update available).
	pub quorum: u32,
	/// The available updates' authors (empty until the attest phase ends): what an aggregate
	/// must include.
	pub available: alloc::vec::Vec<AccountId>,
}

/// A round's submissions as the runtime API returns them.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct RoundSubmissions<AccountId> {
	/// Commitments by participant.
	pub commits: alloc::vec::Vec<(AccountId, H256)>,
	/// Reveals by participant.
	pub reveals: alloc::vec::Vec<(AccountId, Reveal)>,
	/// Availability attestations by participant: the revealers whose updates it holds.
	pub attestations: alloc::vec::Vec<(AccountId, alloc::vec::Vec<AccountId>)>,
	/// Distinct (aggregate hash, included set) submissions with their votes.
	pub aggregates: alloc::vec::Vec<(H256, alloc::vec::Vec<AccountId>, u32)>,
}
