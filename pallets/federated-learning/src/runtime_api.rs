//! Runtime API of the FederatedLearning pallet.

// `decl_runtime_apis!` repeats the generics' bounds on every method.
#![allow(clippy::multiple_bound_locations)]

use crate::types::*;
use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;
use sp_core::ed25519;

/// A registered worker as the runtime API returns it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct WorkerView<AccountId, Balance, BlockNumber> {
	/// The validator account that registered it (and signs its extrinsics).
	pub validator: AccountId,
	/// libp2p peer id bytes.
	pub peer_id: Vec<u8>,
	/// The ed25519 key that signs its updates.
	pub worker_key: ed25519::Public,
	/// Deposit held.
	pub deposit: Balance,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Strikes so far.
	pub strikes: u32,
}

sp_api::decl_runtime_apis! {
	/// Queries of federated learning. Version 2: rounds have an attest phase (`attest_end`,
	/// `available`) and submissions carry the availability attestations. A round's server
	/// momentum is in storage (`FederatedLearning::RoundMomentum`), so that workers built
	/// before it still decode every answer.
	#[api_version(2)]
	pub trait FederatedLearningApi<AccountId: Codec, Balance: Codec, BlockNumber: Codec> {
		/// The latest round (open, or closed until the next one opens).
		fn current_round() -> Option<RoundView<AccountId, BlockNumber>>;
		/// A round of the last `HistoryDepth`.
		fn round(index: RoundIndex) -> Option<RoundView<AccountId, BlockNumber>>;
		/// A round's commitments, reveals, availability attestations and distinct aggregates
		/// with their votes.
		fn round_submissions(index: RoundIndex) -> RoundSubmissions<AccountId>;
		/// The latest finalized global model.
		fn global_model() -> Option<GlobalModelInfo<BlockNumber>>;
		/// Registered workers with their keys and strikes.
		fn workers() -> Vec<WorkerView<AccountId, Balance, BlockNumber>>;
		/// A worker account's strikes.
		fn strikes(who: AccountId) -> u32;
	}
}
