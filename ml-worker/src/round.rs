//! The round-decision core: what a worker does at a block, from the chain's view of the round
//! and the worker's own state. Pure (no network, chain, disk or clock): the run loop
//! ([`crate::run`]) reads a [`ChainRound`] and a [`Local`] at every new best block, calls
//! [`decide`], and carries out the [`Step`]s in order. Every decision is derived from chain
//! state, so deciding again at the next block is harmless; a transaction that does not show up
//! in state within [`RESEND_AFTER`] blocks is sent again.

use gridbrain_runtime::BlockNumber;
use pallet_federated_learning::{FailReason, Phase};
use std::collections::HashMap;

/// A participant, by its account's 32 bytes.
pub type Author = [u8; 32];

/// Blocks to wait for a sent transaction to show in state before sending it again (a second
/// copy takes the next nonce: if the first lands after all, the second fails harmlessly with
/// `AlreadyCommitted`/`AlreadyRevealed`/`AlreadyAttested`/`AlreadySubmitted`).
pub const RESEND_AFTER: BlockNumber = 2;

/// The transactions a worker sends in a round.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Tx {
	/// `commit_update`.
	Commit,
	/// `reveal_update`.
	Reveal,
	/// `attest_availability`.
	Attest,
	/// `submit_aggregate`.
	Aggregate,
}

/// The chain's view of the round at one block (runtime API `current_round` and
/// `round_submissions`).
#[derive(Clone, Debug)]
pub struct ChainRound<'a> {
	/// The round.
	pub index: u32,
	/// Its phase at this block.
	pub phase: Phase,
	/// This block's number.
	pub block: BlockNumber,
	/// Last block of the reveal phase.
	pub reveal_end: BlockNumber,
	/// Last block of the attest phase.
	pub attest_end: BlockNumber,
	/// Last block of the aggregate phase.
	pub aggregate_end: BlockNumber,
	/// Whether this worker's validator takes part in the round.
	pub participant: bool,
	/// Whether this worker's commitment is on chain.
	pub committed: bool,
	/// Whether this worker's reveal is on chain.
	pub revealed: bool,
	/// Whether this worker's attestation is on chain.
	pub attested: bool,
	/// Every reveal on chain: (revealer, update hash).
	pub reveals: &'a [(Author, [u8; 32])],
	/// The round's available set (decided at the end of the attest phase).
	pub available: &'a [Author],
}

/// The worker's own state for the round.
pub struct Local<'a> {
	/// It holds the round's checkpoint (trained update and salt, written before the commit).
	pub checkpoint: bool,
	/// It holds the global model the round trains from / aggregates onto.
	pub base_model: bool,
	/// It submitted its aggregate for the round.
	pub aggregated: bool,
	/// Whether it holds a verified copy of (author, update hash).
	pub holds: &'a dyn Fn(&Author, &[u8; 32]) -> bool,
	/// When each transaction was last sent, by (round, kind).
	pub sent: &'a HashMap<(u32, Tx), BlockNumber>,
}

/// Why a worker does nothing (more) at this block; each is worth one log line per round.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Note {
	/// Its validator is not a participant (not registered when the round opened, not a
	/// validator, or too many strikes).
	NotParticipant,
	/// It committed before a restart, but its checkpoint is gone: it cannot reveal.
	LostCheckpoint,
	/// It has no update for the round (it joined after the commit phase).
	JoinedLate,
	/// Its commitment did not land in time: nothing to reveal.
	CommitMissed,
	/// An available worker has no reveal on chain (the pallet rules this out); never vote on
	/// a guess.
	AvailableUnrevealed,
	/// Some available updates never arrived before the end of the aggregate phase: no vote.
	MissingAvailable(usize),
	/// Nothing was available to aggregate.
	NothingAvailable,
	/// The round failed.
	Failed(FailReason),
}

/// What to do at this block, in order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Step {
	/// Nothing (more): see the note.
	Note(Note),
	/// Ask peers for the global model.
	FetchModel,
	/// Train on the global model and write the round's checkpoint (before any commit).
	Train,
	/// Send this transaction (commit or reveal: their content is in the checkpoint).
	Send(Tx),
	/// Publish and serve the worker's own update (its reveal is on chain).
	Publish,
	/// Ask peers for these revealed updates.
	Fetch(Vec<Author>),
	/// Attest the updates held, of these revealers.
	Attest(Vec<Author>),
	/// Aggregate exactly these available updates (sorted) and submit the result.
	Aggregate(Vec<Author>),
}

/// Whether `tx` of `round` is due at block `now`: never sent, or sent [`RESEND_AFTER`]
/// blocks ago or more without showing in state.
pub fn due(sent: &HashMap<(u32, Tx), BlockNumber>, round: u32, tx: Tx, now: BlockNumber) -> bool {
	sent.get(&(round, tx)).is_none_or(|at| now >= at.saturating_add(RESEND_AFTER))
}

/// The steps of a worker at one block.
pub fn decide(c: &ChainRound, l: &Local) -> Vec<Step> {
	if !c.participant {
		return vec![Step::Note(Note::NotParticipant)];
	}
	let due = |tx| due(l.sent, c.index, tx, c.block);
	let mut steps = Vec::new();
	match c.phase {
		Phase::Commit => {
			if !l.checkpoint {
				if c.committed {
					return vec![Step::Note(Note::LostCheckpoint)];
				}
				if !l.base_model {
					return vec![Step::FetchModel];
				}
				steps.push(Step::Train);
			}
			if !c.committed && due(Tx::Commit) {
				steps.push(Step::Send(Tx::Commit));
			}
		},
		Phase::Reveal => {
			if !l.checkpoint {
				return vec![Step::Note(Note::JoinedLate)];
			}
			if !c.committed {
				return vec![Step::Note(Note::CommitMissed)];
			}
			if c.revealed {
				steps.push(Step::Publish);
			} else if due(Tx::Reveal) {
				steps.push(Step::Send(Tx::Reveal));
			}
		},
		Phase::Attest => {
			if l.checkpoint && c.revealed {
				steps.push(Step::Publish);
			}
			if c.attested {
				return steps;
			}
			let (held, missing): (Vec<&(Author, [u8; 32])>, Vec<_>) =
				c.reveals.iter().partition(|(who, hash)| (l.holds)(who, hash));
			let held: Vec<Author> = held.into_iter().map(|(who, _)| *who).collect();
			let missing: Vec<Author> = missing.into_iter().map(|(who, _)| *who).collect();
			// Missing updates are waited for one block at most (they come by gossip during the
			// reveal phase, or by request now): the attestation must land before the phase
			// ends, and a validator's own node may author only every third block.
			let deadline = c.block > c.reveal_end || c.block.saturating_add(2) >= c.attest_end;
			if !missing.is_empty() && !deadline {
				steps.push(Step::Fetch(missing));
			} else if due(Tx::Attest) {
				steps.push(Step::Attest(held));
			}
		},
		Phase::Aggregate => {
			if l.aggregated {
				return steps;
			}
			if l.checkpoint && c.revealed {
				steps.push(Step::Publish);
			}
			if !l.base_model {
				steps.push(Step::FetchModel);
				return steps;
			}
			// Exactly the round's available set: every update in it was attested by ≥ 2/3 of
			// the participants, so an honest holder serves it to a worker that misses it.
			let mut missing = Vec::new();
			for who in c.available {
				let Some((_, hash)) = c.reveals.iter().find(|(a, _)| a == who) else {
					steps.push(Step::Note(Note::AvailableUnrevealed));
					return steps;
				};
				if !(l.holds)(who, hash) {
					missing.push(*who);
				}
			}
			if !missing.is_empty() {
				if c.block.saturating_add(1) >= c.aggregate_end {
					steps.push(Step::Note(Note::MissingAvailable(missing.len())));
				} else {
					steps.push(Step::Fetch(missing));
				}
			} else if c.available.is_empty() {
				steps.push(Step::Note(Note::NothingAvailable));
			} else if due(Tx::Aggregate) {
				let mut set = c.available.to_vec();
				set.sort();
				steps.push(Step::Aggregate(set));
			}
		},
		Phase::Finalized => {},
		Phase::Failed(reason) => steps.push(Step::Note(Note::Failed(reason))),
	}
	steps
}

#[cfg(test)]
mod tests {
	use super::*;

	const ME: Author = [1; 32];
	const A: Author = [2; 32];
	const B: Author = [3; 32];

	/// A round at block 100 in `phase` (reveal ends at 105, attest at 108, aggregate at 113).
	fn round(phase: Phase) -> ChainRound<'static> {
		ChainRound {
			index: 7,
			phase,
			block: 100,
			reveal_end: 105,
			attest_end: 108,
			aggregate_end: 113,
			participant: true,
			committed: false,
			revealed: false,
			attested: false,
			reveals: &[],
			available: &[],
		}
	}

	fn holds_none(_: &Author, _: &[u8; 32]) -> bool {
		false
	}

	fn local<'a>(sent: &'a HashMap<(u32, Tx), BlockNumber>, holds: &'a dyn Fn(&Author, &[u8; 32]) -> bool) -> Local<'a> {
		Local { checkpoint: true, base_model: true, aggregated: false, holds, sent }
	}

	#[test]
	fn commit_trains_once_then_commits_and_resends_only_after_two_blocks() {
		let none = HashMap::new();
		let fresh = Local { checkpoint: false, ..local(&none, &holds_none) };
		assert_eq!(decide(&round(Phase::Commit), &fresh), vec![Step::Train, Step::Send(Tx::Commit)]);
		// Without the global model it fetches it first, and trains on nothing else.
		let no_model = Local { checkpoint: false, base_model: false, ..local(&none, &holds_none) };
		assert_eq!(decide(&round(Phase::Commit), &no_model), vec![Step::FetchModel]);
		// Checkpoint written, commitment sent at block 99: not again at 100, again at 101.
		let sent = HashMap::from([((7, Tx::Commit), 99)]);
		assert_eq!(decide(&round(Phase::Commit), &local(&sent, &holds_none)), vec![]);
		let at_101 = ChainRound { block: 101, ..round(Phase::Commit) };
		assert_eq!(decide(&at_101, &local(&sent, &holds_none)), vec![Step::Send(Tx::Commit)]);
		// On chain: done.
		let committed = ChainRound { committed: true, ..round(Phase::Commit) };
		assert_eq!(decide(&committed, &local(&none, &holds_none)), vec![]);
		// A sent transaction of another round does not hold this one back.
		let other_round = HashMap::from([((6, Tx::Commit), 100)]);
		assert_eq!(decide(&round(Phase::Commit), &local(&other_round, &holds_none)), vec![Step::Send(Tx::Commit)]);
	}

	#[test]
	fn a_worker_that_lost_its_checkpoint_or_missed_the_commit_sits_the_round_out() {
		let none = HashMap::new();
		let lost = Local { checkpoint: false, ..local(&none, &holds_none) };
		let committed = ChainRound { committed: true, ..round(Phase::Commit) };
		assert_eq!(decide(&committed, &lost), vec![Step::Note(Note::LostCheckpoint)]);
		assert_eq!(decide(&round(Phase::Reveal), &lost), vec![Step::Note(Note::JoinedLate)]);
		assert_eq!(decide(&round(Phase::Reveal), &local(&none, &holds_none)), vec![Step::Note(Note::CommitMissed)]);
		let outsider = ChainRound { participant: false, committed: true, ..round(Phase::Reveal) };
		assert_eq!(decide(&outsider, &local(&none, &holds_none)), vec![Step::Note(Note::NotParticipant)]);
	}

	#[test]
	fn reveal_then_publish_only_once_the_reveal_is_on_chain() {
		let none = HashMap::new();
		let committed = ChainRound { committed: true, ..round(Phase::Reveal) };
		assert_eq!(decide(&committed, &local(&none, &holds_none)), vec![Step::Send(Tx::Reveal)]);
		let revealed = ChainRound { revealed: true, ..committed };
		assert_eq!(decide(&revealed, &local(&none, &holds_none)), vec![Step::Publish]);
	}

	#[test]
	fn attest_waits_one_block_for_missing_updates_then_attests_what_it_holds() {
		let none = HashMap::new();
		let reveals = [(ME, [10; 32]), (A, [11; 32]), (B, [12; 32])];
		let holds_me_and_a = |w: &Author, h: &[u8; 32]| (*w == ME && *h == [10; 32]) || (*w == A && *h == [11; 32]);
		let at = |block| ChainRound { block, committed: true, revealed: true, reveals: &reveals, ..round(Phase::Attest) };
		// Block 105 (attest ends at 108): B's update is missing, fetch it.
		assert_eq!(decide(&at(105), &local(&none, &holds_me_and_a)), vec![Step::Publish, Step::Fetch(vec![B])]);
		// Block 106 (106 + 2 >= 108): attest the two it holds.
		assert_eq!(decide(&at(106), &local(&none, &holds_me_and_a)), vec![Step::Publish, Step::Attest(vec![ME, A])]);
		// A copy with another hash than the revealed one is not held.
		let wrong_copy = |w: &Author, h: &[u8; 32]| *w == B && *h == [99; 32];
		assert_eq!(decide(&at(106), &local(&none, &wrong_copy)), vec![Step::Publish, Step::Attest(vec![])]);
		// Holding everything: attest at once; attested: nothing more.
		let all = |_: &Author, _: &[u8; 32]| true;
		assert_eq!(decide(&at(105), &local(&none, &all)), vec![Step::Publish, Step::Attest(vec![ME, A, B])]);
		let attested = ChainRound { attested: true, ..at(106) };
		assert_eq!(decide(&attested, &local(&none, &all)), vec![Step::Publish]);
	}

	#[test]
	fn aggregate_exactly_the_available_set_or_not_at_all() {
		let none = HashMap::new();
		let reveals = [(ME, [10; 32]), (A, [11; 32]), (B, [12; 32])];
		let available = [B, ME];
		let at = |block| ChainRound { block, revealed: true, reveals: &reveals, available: &available, ..round(Phase::Aggregate) };
		let all = |_: &Author, _: &[u8; 32]| true;
		// Sorted, whatever the chain's order; A (revealed, not available) left out.
		assert_eq!(decide(&at(109), &local(&none, &all)), vec![Step::Publish, Step::Aggregate(vec![ME, B])]);
		// An available update missing: fetched until the block before the end, then no vote.
		let only_me = |w: &Author, _: &[u8; 32]| *w == ME;
		assert_eq!(decide(&at(111), &local(&none, &only_me)), vec![Step::Publish, Step::Fetch(vec![B])]);
		assert_eq!(decide(&at(112), &local(&none, &only_me)), vec![Step::Publish, Step::Note(Note::MissingAvailable(1))]);
		// Submitted: nothing more. No base model: fetch it first.
		let done = Local { aggregated: true, ..local(&none, &all) };
		assert_eq!(decide(&at(109), &done), vec![]);
		let no_model = Local { base_model: false, checkpoint: false, ..local(&none, &all) };
		assert_eq!(decide(&at(109), &no_model), vec![Step::FetchModel]);
		// An available worker without a reveal: never vote on a guess.
		let ghost = [A, [9; 32]];
		let odd = ChainRound { available: &ghost, ..at(109) };
		assert_eq!(decide(&odd, &local(&none, &all)), vec![Step::Publish, Step::Note(Note::AvailableUnrevealed)]);
		let empty = ChainRound { available: &[], ..at(109) };
		assert_eq!(decide(&empty, &local(&none, &all)), vec![Step::Publish, Step::Note(Note::NothingAvailable)]);
	}

	#[test]
	fn finalized_and_failed_rounds_need_nothing() {
		let none = HashMap::new();
		assert_eq!(decide(&round(Phase::Finalized), &local(&none, &holds_none)), vec![]);
		let failed = decide(&round(Phase::Failed(FailReason::NoQuorum)), &local(&none, &holds_none));
		assert_eq!(failed, vec![Step::Note(Note::Failed(FailReason::NoQuorum))]);
	}
}
