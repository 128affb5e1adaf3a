//! Tests of the FederatedLearning pallet. Every test ends with `try_state`.
//!
//! Schedule in the mock: a worker registered at block 1 makes round 0 open at block 2 with
//! commit until 5, reveal until 7, attest until 9, aggregate until 11 (phases 3, 2, 2, 2
//! blocks).

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate::{mock::*, pallet::*, types::*};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{InspectHold, Mutate},
};
use sp_core::H256;
use sp_runtime::DispatchError;

const COMMIT_END: u64 = 5;
const REVEAL_END: u64 = 7;
const ATTEST_END: u64 = 9;
const AGGREGATE_END: u64 = 11;

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn assert_last_event(e: Event<Test>) {
	assert_eq!(last_event(), RuntimeEvent::FederatedLearning(e));
}

fn fl_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::FederatedLearning(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn register(who: u64) {
	assert_ok!(FederatedLearning::register_worker(
		RuntimeOrigin::signed(who),
		peer_id(who),
		worker_key(who)
	));
}

fn update_hash(who: u64) -> H256 {
	H256::repeat_byte(0x10 + who as u8)
}

fn salt(who: u64) -> H256 {
	H256::repeat_byte(0xa0 + who as u8)
}

fn commitment_of(who: u64, hash: H256, salt: H256) -> H256 {
	H256(gridbrain_aggregation::commitment(hash.as_fixed_bytes(), salt.as_fixed_bytes(), &who.encode()))
}

fn commit(who: u64, round: RoundIndex) -> sp_runtime::DispatchResult {
	commit_as(who, who, round)
}

/// `who`'s commitment, signed by `signer` (`who` itself, or the account it bound).
fn commit_as(signer: u64, who: u64, round: RoundIndex) -> sp_runtime::DispatchResult {
	FederatedLearning::commit_update(
		RuntimeOrigin::signed(signer),
		round,
		commitment_of(who, update_hash(who), salt(who)),
	)
}

fn reveal(who: u64, round: RoundIndex) -> sp_runtime::DispatchResult {
	reveal_as(who, who, round)
}

/// `who`'s reveal, signed by `signer` (`who` itself, or the account it bound).
fn reveal_as(signer: u64, who: u64, round: RoundIndex) -> sp_runtime::DispatchResult {
	FederatedLearning::reveal_update(
		RuntimeOrigin::signed(signer),
		round,
		update_hash(who),
		salt(who),
		100 * who,
		1_000 * who,
	)
}

fn set(ws: &[u64]) -> WorkerSet<Test> {
	ws.to_vec().try_into().unwrap()
}

fn attest(who: u64, round: RoundIndex, held: &[u64]) -> sp_runtime::DispatchResult {
	FederatedLearning::attest_availability(RuntimeOrigin::signed(who), round, set(held))
		.map(|_| ())
		.map_err(|e| e.error)
}

fn vote(who: u64, round: RoundIndex, hash: H256, included: &[u64]) -> sp_runtime::DispatchResult {
	FederatedLearning::submit_aggregate(RuntimeOrigin::signed(who), round, hash, set(included))
		.map(|_| ())
		.map_err(|e| e.error)
}

const X: H256 = H256::repeat_byte(0xee);
const Y: H256 = H256::repeat_byte(0xdd);

/// Registers `ws` at block 1 and runs to block 2, where round 0 opens.
fn open_round_0(ws: &[u64]) {
	for w in ws {
		register(*w);
	}
	run_to_block(2);
}

/// Round 0 with `ws`, all committed and revealed, in its attest phase.
fn round_0_in_attest(ws: &[u64]) {
	open_round_0(ws);
	for w in ws {
		assert_ok!(commit(*w, 0));
	}
	run_to_block(COMMIT_END);
	for w in ws {
		assert_ok!(reveal(*w, 0));
	}
	run_to_block(REVEAL_END);
}

/// Round 0 with `ws` in its aggregate phase, every worker having committed, revealed and
/// attested everyone's update (so all are available).
fn round_0_in_aggregate(ws: &[u64]) {
	round_0_in_attest(ws);
	for w in ws {
		assert_ok!(attest(*w, 0, ws));
	}
	run_to_block(ATTEST_END);
	assert_eq!(Rounds::<Test>::get(0).unwrap().available.to_vec(), ws.to_vec());
}

fn phase(round: RoundIndex) -> Phase {
	Rounds::<Test>::get(round).expect("round stored").phase
}

fn held(who: u64) -> u128 {
	Balances::balance_on_hold(&HoldReason::WorkerDeposit.into(), &who)
}

// ---------------------------------------------------------------- registration

#[test]
fn register_worker_holds_the_deposit() {
	build_and_execute(|| {
		register(ALICE);
		assert_eq!(held(ALICE), DEPOSIT);
		let w = Workers::<Test>::get(ALICE).unwrap();
		assert_eq!((w.worker_key, w.deposit, w.registered_at), (worker_key(ALICE), DEPOSIT, 1));
		assert_eq!(WorkerKeys::<Test>::get(worker_key(ALICE)), Some(ALICE));
		assert_last_event(Event::WorkerRegistered {
			validator: ALICE,
			peer_id: peer_id(ALICE),
			worker_key: worker_key(ALICE),
			deposit: DEPOSIT,
		});
	});
}

#[test]
fn register_worker_rejects_each_bad_request() {
	build_and_execute(|| {
		let reg = |who: u64, peer: PeerIdOf<Test>, key: u64| {
			FederatedLearning::register_worker(RuntimeOrigin::signed(who), peer, worker_key(key))
		};
		assert_noop!(reg(OUTSIDER, peer_id(OUTSIDER), OUTSIDER), Error::<Test>::NotValidator);
		assert_noop!(reg(ALICE, Default::default(), ALICE), Error::<Test>::InvalidPeerId);
		assert_noop!(reg(POOR, peer_id(POOR), POOR), Error::<Test>::InsufficientDeposit);
		register(ALICE);
		assert_noop!(reg(ALICE, peer_id(ALICE), 9), Error::<Test>::AlreadyRegistered);
		assert_noop!(reg(BOB, peer_id(BOB), ALICE), Error::<Test>::WorkerKeyInUse);
		// Fill up to MaxWorkers (8) with extra validators.
		for who in 20..27 {
			VALIDATORS.with(|v| v.borrow_mut().push(who));
			Balances::set_balance(&who, FUNDS);
			register(who);
		}
		assert_eq!(Workers::<Test>::count(), 8);
		assert_noop!(reg(BOB, peer_id(BOB), BOB), Error::<Test>::TooManyWorkers);
		assert_noop!(
			FederatedLearning::register_worker(RuntimeOrigin::none(), peer_id(BOB), worker_key(BOB)),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn deregister_worker_releases_the_deposit_and_the_key() {
	build_and_execute(|| {
		assert_noop!(
			FederatedLearning::deregister_worker(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NotRegistered
		);
		register(ALICE);
		assert_ok!(FederatedLearning::deregister_worker(RuntimeOrigin::signed(ALICE)));
		assert_last_event(Event::WorkerDeregistered { validator: ALICE, deposit: DEPOSIT });
		assert_eq!(held(ALICE), 0);
		assert_eq!(Balances::free_balance(ALICE), FUNDS);
		assert!(WorkerKeys::<Test>::get(worker_key(ALICE)).is_none());
		// The key is free again.
		assert_ok!(FederatedLearning::register_worker(
			RuntimeOrigin::signed(BOB),
			peer_id(BOB),
			worker_key(ALICE)
		));
	});
}

// ---------------------------------------------------------------- opening rounds

#[test]
fn no_round_opens_without_workers() {
	build_and_execute(|| {
		run_to_block(5);
		assert_eq!(CurrentRound::<Test>::get(), None);
		assert!(fl_events().is_empty());
		// The first worker makes a round open in the next block.
		register(BOB);
		run_to_block(6);
		assert_eq!(CurrentRound::<Test>::get(), Some(0));
		assert_last_event(Event::RoundOpened {
			round: 0,
			participants: 1,
			rule: AggregationRule::TrimmedMean { trim_ppm: 200_000 },
			momentum_ppm: 0,
			commit_end: 9,
			reveal_end: 11,
			attest_end: 13,
			aggregate_end: 15,
		});
	});
}

#[test]
fn a_round_snapshots_eligible_workers_sorted() {
	build_and_execute(|| {
		open_round_0(&[CHARLIE, ALICE, BOB]);
		let r = Rounds::<Test>::get(0).unwrap();
		assert_eq!(r.participants.into_inner(), vec![ALICE, BOB, CHARLIE]);
		assert_eq!((r.commit_end, r.reveal_end, r.aggregate_end), (COMMIT_END, REVEAL_END, AGGREGATE_END));
		assert_eq!(r.phase, Phase::Commit);
		// A worker registered later joins the next round only.
		register(DAVE);
		assert_noop!(commit(DAVE, 0), Error::<Test>::NotParticipant);
	});
}

#[test]
fn workers_of_former_validators_and_struck_workers_are_left_out() {
	build_and_execute(|| {
		register(ALICE);
		register(BOB);
		register(CHARLIE);
		remove_validator(BOB);
		Strikes::<Test>::insert(CHARLIE, 2);
		run_to_block(2);
		assert_eq!(Rounds::<Test>::get(0).unwrap().participants.into_inner(), vec![ALICE]);
		assert_eq!(FederatedLearning::eligible_workers(), vec![ALICE]);
	});
}

// ---------------------------------------------------------------- commit

#[test]
fn commit_update_records_the_commitment() {
	build_and_execute(|| {
		open_round_0(&[ALICE, BOB]);
		assert_ok!(commit(ALICE, 0));
		assert_eq!(Commits::<Test>::get(0, ALICE), Some(commitment_of(ALICE, update_hash(ALICE), salt(ALICE))));
		assert_eq!(Rounds::<Test>::get(0).unwrap().commits, 1);
		assert_last_event(Event::UpdateCommitted {
			round: 0,
			worker: ALICE,
			commitment: commitment_of(ALICE, update_hash(ALICE), salt(ALICE)),
		});
	});
}

#[test]
fn commit_update_rejects_each_bad_request() {
	build_and_execute(|| {
		assert_noop!(commit(ALICE, 0), Error::<Test>::UnknownRound);
		open_round_0(&[ALICE, BOB]);
		assert_noop!(commit(ALICE, 1), Error::<Test>::UnknownRound);
		assert_noop!(commit(CHARLIE, 0), Error::<Test>::NotParticipant);
		assert_ok!(commit(ALICE, 0));
		assert_noop!(commit(ALICE, 0), Error::<Test>::AlreadyCommitted);
		run_to_block(COMMIT_END);
		assert_noop!(commit(BOB, 0), Error::<Test>::WrongPhase);
	});
}

#[test]
fn phases_advance_at_their_ends() {
	build_and_execute(|| {
		open_round_0(&[ALICE]);
		assert_ok!(commit(ALICE, 0));
		run_to_block(COMMIT_END - 1);
		assert_eq!(phase(0), Phase::Commit);
		run_to_block(COMMIT_END);
		assert_eq!(phase(0), Phase::Reveal);
		assert_last_event(Event::PhaseChanged { round: 0, phase: Phase::Reveal, ends_at: REVEAL_END });
		assert_ok!(reveal(ALICE, 0));
		run_to_block(REVEAL_END);
		assert_eq!(phase(0), Phase::Attest);
		assert_last_event(Event::PhaseChanged { round: 0, phase: Phase::Attest, ends_at: ATTEST_END });
		assert_ok!(attest(ALICE, 0, &[ALICE]));
		run_to_block(ATTEST_END - 1);
		assert_eq!(phase(0), Phase::Attest);
		run_to_block(ATTEST_END);
		assert_eq!(phase(0), Phase::Aggregate);
		let events = fl_events();
		assert_eq!(
			events[events.len() - 2..],
			[
				Event::AvailabilityDecided { round: 0, available: 1, unavailable: 0 },
				Event::PhaseChanged { round: 0, phase: Phase::Aggregate, ends_at: AGGREGATE_END },
			]
		);
	});
}

// ---------------------------------------------------------------- reveal

#[test]
fn reveal_update_checks_the_commitment() {
	build_and_execute(|| {
		open_round_0(&[ALICE]);
		assert_ok!(commit(ALICE, 0));
		run_to_block(COMMIT_END);
		assert_ok!(reveal(ALICE, 0));
		assert_eq!(
			Reveals::<Test>::get(0, ALICE),
			Some(Reveal { update_hash: update_hash(ALICE), num_samples: 100, train_loss: 1000 })
		);
		assert_last_event(Event::UpdateRevealed {
			round: 0,
			worker: ALICE,
			update_hash: update_hash(ALICE),
			num_samples: 100,
			train_loss: 1000,
		});
	});
}

#[test]
fn reveal_update_rejects_each_bad_request() {
	build_and_execute(|| {
		assert_noop!(reveal(ALICE, 0), Error::<Test>::UnknownRound);
		open_round_0(&[ALICE, BOB, CHARLIE]);
		assert_ok!(commit(ALICE, 0));
		assert_noop!(reveal(ALICE, 0), Error::<Test>::RevealTooEarly);
		// BOB copies ALICE's commitment: it can't be revealed by BOB.
		let copied = Commits::<Test>::get(0, ALICE).unwrap();
		assert_ok!(FederatedLearning::commit_update(RuntimeOrigin::signed(BOB), 0, copied));
		run_to_block(COMMIT_END);
		assert_noop!(reveal(DAVE, 0), Error::<Test>::NotParticipant);
		assert_noop!(reveal(CHARLIE, 0), Error::<Test>::NotCommitted);
		assert_noop!(
			FederatedLearning::reveal_update(
				RuntimeOrigin::signed(BOB),
				0,
				update_hash(ALICE),
				salt(ALICE),
				1,
				1
			),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			FederatedLearning::reveal_update(RuntimeOrigin::signed(ALICE), 0, update_hash(ALICE), salt(BOB), 1, 1),
			Error::<Test>::CommitmentMismatch
		);
		assert_noop!(
			FederatedLearning::reveal_update(RuntimeOrigin::signed(ALICE), 0, update_hash(ALICE), salt(ALICE), 0, 1),
			Error::<Test>::ZeroSamples
		);
		assert_ok!(reveal(ALICE, 0));
		assert_noop!(reveal(ALICE, 0), Error::<Test>::AlreadyRevealed);
		run_to_block(REVEAL_END);
		assert_noop!(reveal(BOB, 0), Error::<Test>::RevealTooLate);
	});
}

// ---------------------------------------------------------------- aggregate and quorum

#[test]
fn two_thirds_of_equal_aggregates_finalize_the_round() {
	build_and_execute(|| {
		round_0_in_aggregate(&[ALICE, BOB, CHARLIE]);
		assert_ok!(vote(ALICE, 0, X, &[ALICE, BOB, CHARLIE]));
		assert_last_event(Event::AggregateSubmitted {
			round: 0,
			worker: ALICE,
			aggregate_hash: X,
			included: 3,
			votes: 1,
		});
		assert_eq!(phase(0), Phase::Aggregate);
		// The same set in another order is the same vote.
		assert_ok!(vote(BOB, 0, X, &[CHARLIE, ALICE, BOB]));
		assert_eq!(phase(0), Phase::Finalized);
		assert_last_event(Event::RoundFinalized {
			round: 0,
			version: 1,
			params_hash: X,
			participants: 3,
			votes: 2,
		});
		assert_eq!(
			GlobalModel::<Test>::get(),
			Some(GlobalModelInfo {
				version: 1,
				round: 0,
				params_hash: X,
				participants: 3,
				votes: 2,
				total_samples: 600,
				mean_train_loss: 2000,
				finalized_at: ATTEST_END,
			})
		);
		// Late submissions are refused; the next round opens in the next block.
		assert_noop!(vote(CHARLIE, 0, X, &[ALICE]), Error::<Test>::WrongPhase);
		run_to_block(ATTEST_END + 1);
		assert_eq!(CurrentRound::<Test>::get(), Some(1));
		assert_eq!(Rounds::<Test>::get(1).unwrap().commit_end, ATTEST_END + 4);
	});
}

#[test]
fn submit_aggregate_rejects_each_bad_request() {
	build_and_execute(|| {
		assert_noop!(vote(ALICE, 0, X, &[ALICE]), Error::<Test>::UnknownRound);
		open_round_0(&[ALICE, BOB, CHARLIE, DAVE]);
		assert_noop!(vote(ALICE, 0, X, &[ALICE]), Error::<Test>::WrongPhase);
		for w in [ALICE, BOB, CHARLIE] {
			assert_ok!(commit(w, 0));
		}
		run_to_block(COMMIT_END);
		assert_ok!(reveal(ALICE, 0));
		assert_ok!(reveal(BOB, 0));
		run_to_block(REVEAL_END);
		assert_noop!(vote(ALICE, 0, X, &[ALICE]), Error::<Test>::WrongPhase);
		for w in [ALICE, BOB, CHARLIE] {
			assert_ok!(attest(w, 0, &[ALICE, BOB]));
		}
		run_to_block(ATTEST_END);
		assert_noop!(vote(EVE, 0, X, &[ALICE]), Error::<Test>::NotParticipant);
		assert_noop!(vote(ALICE, 0, X, &[]), Error::<Test>::EmptyIncluded);
		assert_noop!(vote(ALICE, 0, X, &[BOB, ALICE, BOB]), Error::<Test>::DuplicateIncluded);
		// CHARLIE committed but did not reveal; DAVE did nothing.
		assert_noop!(vote(ALICE, 0, X, &[ALICE, CHARLIE]), Error::<Test>::IncludedNotRevealed);
		assert_noop!(vote(ALICE, 0, X, &[DAVE]), Error::<Test>::IncludedNotRevealed);
		assert_noop!(vote(ALICE, 1, X, &[ALICE]), Error::<Test>::UnknownRound);
		// Both revealed updates are available: a vote must include both.
		assert_noop!(vote(ALICE, 0, X, &[ALICE]), Error::<Test>::NotTheAvailableSet);
		assert_ok!(vote(ALICE, 0, X, &[BOB, ALICE]));
		assert_noop!(vote(ALICE, 0, X, &[ALICE, BOB]), Error::<Test>::AlreadySubmitted);
	});
}

#[test]
fn only_the_available_set_can_be_voted_and_another_hash_is_another_vote() {
	build_and_execute(|| {
		round_0_in_aggregate(&[ALICE, BOB, CHARLIE]);
		assert_ok!(vote(ALICE, 0, X, &[ALICE, BOB, CHARLIE]));
		assert_noop!(vote(BOB, 0, X, &[ALICE, BOB]), Error::<Test>::NotTheAvailableSet);
		assert_ok!(vote(BOB, 0, Y, &[ALICE, BOB, CHARLIE]));
		assert_eq!(phase(0), Phase::Aggregate);
		assert_eq!(FederatedLearning::round_submissions(0).aggregates.len(), 2);
	});
}

#[test]
fn dissenters_and_non_revealers_get_strikes_when_a_round_finalizes() {
	build_and_execute(|| {
		open_round_0(&[ALICE, BOB, CHARLIE, DAVE, EVE]);
		for w in [ALICE, BOB, CHARLIE, DAVE, EVE] {
			assert_ok!(commit(w, 0));
		}
		run_to_block(COMMIT_END);
		for w in [ALICE, BOB, CHARLIE, DAVE] {
			assert_ok!(reveal(w, 0));
		}
		run_to_block(REVEAL_END);
		let all = [ALICE, BOB, CHARLIE, DAVE];
		for w in [ALICE, BOB, CHARLIE, DAVE, EVE] {
			assert_ok!(attest(w, 0, &all));
		}
		run_to_block(ATTEST_END);
		// Quorum of 5 is 4. DAVE dissents first; EVE never revealed.
		assert_ok!(vote(DAVE, 0, Y, &all));
		for w in [ALICE, BOB, CHARLIE] {
			assert_ok!(vote(w, 0, X, &all));
		}
		assert_eq!(phase(0), Phase::Aggregate);
		assert_ok!(vote(EVE, 0, X, &all));
		assert_eq!(phase(0), Phase::Finalized);
		let events = fl_events();
		let strikes: Vec<_> = events
			.iter()
			.filter_map(|e| match e {
				Event::StrikeRecorded { worker, reason, strikes, round: 0 } =>
					Some((*worker, *reason, *strikes)),
				_ => None,
			})
			.collect();
		assert_eq!(strikes, vec![(DAVE, StrikeReason::Dissented, 1), (EVE, StrikeReason::NotRevealed, 1)]);
		assert_eq!(Strikes::<Test>::get(DAVE), 1);
		assert_eq!(Strikes::<Test>::get(ALICE), 0);
		assert_last_event(Event::RoundFinalized {
			round: 0,
			version: 1,
			params_hash: X,
			participants: 4,
			votes: 4,
		});
	});
}

#[test]
fn a_round_without_quorum_fails_and_the_next_opens() {
	build_and_execute(|| {
		round_0_in_aggregate(&[ALICE, BOB, CHARLIE]);
		assert_ok!(vote(ALICE, 0, X, &[ALICE, BOB, CHARLIE]));
		assert_ok!(vote(BOB, 0, Y, &[ALICE, BOB, CHARLIE]));
		run_to_block(AGGREGATE_END - 1);
		assert_eq!(phase(0), Phase::Aggregate);
		run_to_block(AGGREGATE_END);
		assert_eq!(phase(0), Phase::Failed(FailReason::NoQuorum));
		assert!(fl_events().contains(&Event::RoundFailed { round: 0, reason: FailReason::NoQuorum }));
		// No winner: nobody dissented, everybody revealed, so no strikes.
		assert!(!fl_events().iter().any(|e| matches!(e, Event::StrikeRecorded { .. })));
		assert_eq!(GlobalModel::<Test>::get(), None);
		assert_eq!(CurrentRound::<Test>::get(), Some(1));
		assert!(matches!(last_event(), RuntimeEvent::FederatedLearning(Event::RoundOpened { round: 1, .. })));
	});
}

#[test]
fn a_round_without_commits_fails_at_the_end_of_the_commit_phase() {
	build_and_execute(|| {
		open_round_0(&[ALICE, BOB]);
		run_to_block(COMMIT_END);
		assert_eq!(phase(0), Phase::Failed(FailReason::NoCommits));
		assert!(fl_events().contains(&Event::RoundFailed { round: 0, reason: FailReason::NoCommits }));
		assert_eq!(Strikes::<Test>::get(ALICE), 0);
		assert_eq!(CurrentRound::<Test>::get(), Some(1));
	});
}

#[test]
fn a_round_without_reveals_fails_and_strikes_the_committers() {
	build_and_execute(|| {
		open_round_0(&[ALICE, BOB]);
		assert_ok!(commit(ALICE, 0));
		run_to_block(REVEAL_END);
		assert_eq!(phase(0), Phase::Failed(FailReason::NoReveals));
		let events = fl_events();
		assert!(events.contains(&Event::StrikeRecorded {
			worker: ALICE,
			round: 0,
			reason: StrikeReason::NotRevealed,
			strikes: 1,
		}));
		assert!(events.contains(&Event::RoundFailed { round: 0, reason: FailReason::NoReveals }));
		assert_eq!(Strikes::<Test>::get(BOB), 0);
	});
}

#[test]
fn struck_out_workers_join_again_after_a_reset() {
	build_and_execute(|| {
		open_round_0(&[ALICE, BOB]);
		Strikes::<Test>::insert(ALICE, 2);
		run_to_block(COMMIT_END); // round 0 fails (no commits); round 1 opens without ALICE
		assert_eq!(Rounds::<Test>::get(1).unwrap().participants.into_inner(), vec![BOB]);
		assert_noop!(
			FederatedLearning::reset_strikes(RuntimeOrigin::signed(ALICE), ALICE),
			DispatchError::BadOrigin
		);
		assert_ok!(FederatedLearning::reset_strikes(RuntimeOrigin::root(), ALICE));
		assert_last_event(Event::StrikesReset { worker: ALICE, previous: 2 });
		assert_eq!(Strikes::<Test>::get(ALICE), 0);
		run_to_block(COMMIT_END + 3); // round 1 fails; round 2 includes ALICE again
		assert_eq!(Rounds::<Test>::get(2).unwrap().participants.into_inner(), vec![ALICE, BOB]);
	});
}

// ---------------------------------------------------------------- admin

#[test]
fn set_aggregation_rule_applies_from_the_next_round() {
	build_and_execute(|| {
		open_round_0(&[ALICE]);
		let median = AggregationRule::Median;
		assert_noop!(
			FederatedLearning::set_aggregation_rule(RuntimeOrigin::signed(ALICE), median),
			DispatchError::BadOrigin
		);
		assert_noop!(
			FederatedLearning::set_aggregation_rule(
				RuntimeOrigin::root(),
				AggregationRule::TrimmedMean { trim_ppm: 500_000 }
			),
			Error::<Test>::InvalidRule
		);
		assert_noop!(
			FederatedLearning::set_aggregation_rule(
				RuntimeOrigin::root(),
				AggregationRule::FedAvg { max_samples: 0 }
			),
			Error::<Test>::InvalidRule
		);
		assert_ok!(FederatedLearning::set_aggregation_rule(RuntimeOrigin::root(), median));
		assert_last_event(Event::AggregationRuleSet { rule: median });
		assert_eq!(Rounds::<Test>::get(0).unwrap().rule, AggregationRule::TrimmedMean { trim_ppm: 200_000 });
		run_to_block(COMMIT_END);
		assert_eq!(Rounds::<Test>::get(1).unwrap().rule, median);
	});
}

#[test]
fn set_server_momentum_applies_from_the_next_round_and_is_pruned_with_it() {
	build_and_execute(|| {
		open_round_0(&[ALICE]);
		assert_noop!(
			FederatedLearning::set_server_momentum(RuntimeOrigin::signed(ALICE), 700_000),
			DispatchError::BadOrigin
		);
		assert_noop!(
			FederatedLearning::set_server_momentum(
				RuntimeOrigin::root(),
				gridbrain_aggregation::MAX_MOMENTUM_PPM + 1
			),
			Error::<Test>::InvalidMomentum
		);
		assert_ok!(FederatedLearning::set_server_momentum(RuntimeOrigin::root(), 700_000));
		assert_last_event(Event::ServerMomentumSet { momentum_ppm: 700_000 });
		// The open round keeps the momentum it opened with.
		assert_eq!(RoundMomentum::<Test>::get(0), None);
		run_to_block(COMMIT_END);
		assert_eq!(CurrentRound::<Test>::get(), Some(1));
		assert_eq!(RoundMomentum::<Test>::get(1), Some(700_000));
		assert!(fl_events().iter().any(|e| matches!(e, Event::RoundOpened { round: 1, momentum_ppm: 700_000, .. })));
		// Switched off: the next round has none, and round 1's record goes with round 1.
		assert_ok!(FederatedLearning::set_server_momentum(RuntimeOrigin::root(), 0));
		let depth = <<Test as Config>::HistoryDepth as frame_support::traits::Get<u32>>::get();
		let mut block = COMMIT_END;
		while NextRoundIndex::<Test>::get() <= 1 + depth {
			block += 1;
			run_to_block(block);
		}
		assert!(Rounds::<Test>::contains_key(2));
		assert_eq!(RoundMomentum::<Test>::get(2), None);
		assert!(Rounds::<Test>::get(1).is_none());
		assert_eq!(RoundMomentum::<Test>::get(1), None);
	});
}

#[test]
fn set_phase_lengths_applies_from_the_next_round() {
	build_and_execute(|| {
		open_round_0(&[ALICE]);
		assert_noop!(
			FederatedLearning::set_phase_lengths(RuntimeOrigin::signed(ALICE), 1, 1, 1, 1),
			DispatchError::BadOrigin
		);
		for (c, r, t, a) in [(0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 0, 1), (1, 1, 1, 0)] {
			assert_noop!(
				FederatedLearning::set_phase_lengths(RuntimeOrigin::root(), c, r, t, a),
				Error::<Test>::InvalidPhaseLength
			);
		}
		assert_ok!(FederatedLearning::set_phase_lengths(RuntimeOrigin::root(), 4, 5, 3, 6));
		assert_last_event(Event::PhaseLengthsSet {
			lengths: PhaseLengths { commit: 4, reveal: 5, attest: 3, aggregate: 6 },
		});
		assert_eq!(Rounds::<Test>::get(0).unwrap().commit_end, COMMIT_END);
		run_to_block(COMMIT_END);
		let r1 = Rounds::<Test>::get(1).unwrap();
		assert_eq!((r1.commit_end, r1.reveal_end, r1.attest_end, r1.aggregate_end), (9, 14, 17, 23));
	});
}

// ---------------------------------------------------------------- availability

fn strike_events() -> Vec<(u64, StrikeReason, u32)> {
	fl_events()
		.into_iter()
		.filter_map(|e| match e {
			Event::StrikeRecorded { worker, reason, strikes, .. } => Some((worker, reason, strikes)),
			_ => None,
		})
		.collect()
}

#[test]
fn attest_availability_records_the_set_and_rejects_each_bad_request() {
	build_and_execute(|| {
		assert_noop!(attest(ALICE, 0, &[]), Error::<Test>::UnknownRound);
		open_round_0(&[ALICE, BOB, CHARLIE, DAVE]);
		assert_noop!(attest(ALICE, 0, &[]), Error::<Test>::AttestTooEarly);
		for w in [ALICE, BOB, CHARLIE] {
			assert_ok!(commit(w, 0));
		}
		run_to_block(COMMIT_END);
		assert_ok!(reveal(ALICE, 0));
		assert_ok!(reveal(BOB, 0));
		assert_noop!(attest(ALICE, 0, &[ALICE]), Error::<Test>::AttestTooEarly);
		run_to_block(REVEAL_END);
		assert_noop!(attest(EVE, 0, &[ALICE]), Error::<Test>::NotParticipant);
		assert_noop!(attest(ALICE, 0, &[BOB, ALICE, BOB]), Error::<Test>::DuplicateAttested);
		// CHARLIE committed but did not reveal; DAVE did nothing.
		assert_noop!(attest(ALICE, 0, &[ALICE, CHARLIE]), Error::<Test>::AttestedNotRevealed);
		assert_noop!(attest(ALICE, 0, &[DAVE]), Error::<Test>::AttestedNotRevealed);
		assert_ok!(attest(ALICE, 0, &[BOB, ALICE]));
		assert_last_event(Event::AvailabilityAttested { round: 0, worker: ALICE, held: 2 });
		assert_eq!(Attestations::<Test>::get(0, ALICE).unwrap().to_vec(), vec![ALICE, BOB]);
		assert_noop!(attest(ALICE, 0, &[ALICE]), Error::<Test>::AlreadyAttested);
		// A participant that holds nothing may say so.
		assert_ok!(attest(DAVE, 0, &[]));
		assert_ok!(attest(BOB, 0, &[ALICE, BOB]));
		run_to_block(ATTEST_END);
		assert_noop!(attest(CHARLIE, 0, &[ALICE]), Error::<Test>::AttestTooLate);
	});
}

/// The withholding attack: DAVE reveals but serves its update to nobody (or serves one that
/// fails the workers' checks), so only DAVE attests it. It is left out, DAVE is struck, the
/// honest workers agree on the rest and nobody honest is struck.
#[test]
fn a_withheld_update_is_left_out_and_only_its_revealer_is_struck() {
	build_and_execute(|| {
		let honest = [ALICE, BOB, CHARLIE];
		round_0_in_attest(&[ALICE, BOB, CHARLIE, DAVE]);
		for w in honest {
			assert_ok!(attest(w, 0, &honest));
		}
		assert_ok!(attest(DAVE, 0, &[ALICE, BOB, CHARLIE, DAVE]));
		run_to_block(ATTEST_END);
		assert_eq!(phase(0), Phase::Aggregate);
		assert_eq!(Rounds::<Test>::get(0).unwrap().available.to_vec(), honest.to_vec());
		assert!(fl_events().contains(&Event::AvailabilityDecided { round: 0, available: 3, unavailable: 1 }));
		assert_eq!(strike_events(), vec![(DAVE, StrikeReason::Unavailable, 1)]);
		// DAVE cannot push its update into the aggregate.
		assert_noop!(vote(DAVE, 0, Y, &[ALICE, BOB, CHARLIE, DAVE]), Error::<Test>::NotTheAvailableSet);
		for w in honest {
			assert_ok!(vote(w, 0, X, &honest));
		}
		assert_eq!(phase(0), Phase::Finalized);
		assert_eq!(strike_events(), vec![(DAVE, StrikeReason::Unavailable, 1)], "no honest strike");
		assert_eq!(GlobalModel::<Test>::get().unwrap().participants, 3);
	});
}

/// DAVE serves its update to ALICE and BOB only: 3 of 4 attest it (DAVE, ALICE, BOB), so it is
/// available; CHARLIE, who could not see it, fetches it from a holder off chain and votes the
/// same set. Nobody is struck.
#[test]
fn an_update_two_thirds_hold_is_available_to_everyone() {
	build_and_execute(|| {
		let all = [ALICE, BOB, CHARLIE, DAVE];
		round_0_in_attest(&all);
		for w in [ALICE, BOB, DAVE] {
			assert_ok!(attest(w, 0, &all));
		}
		assert_ok!(attest(CHARLIE, 0, &[ALICE, BOB, CHARLIE]));
		run_to_block(ATTEST_END);
		assert_eq!(Rounds::<Test>::get(0).unwrap().available.to_vec(), all.to_vec());
		for w in [ALICE, BOB, CHARLIE] {
			assert_ok!(vote(w, 0, X, &all));
		}
		assert_eq!(phase(0), Phase::Finalized);
		assert!(strike_events().is_empty());
	});
}

/// When fewer than 2/3 of the participants attest (most workers offline), nothing is
/// available, the round fails, and no revealer is struck for it.
#[test]
fn without_two_thirds_attesting_the_round_fails_and_nobody_is_struck() {
	build_and_execute(|| {
		round_0_in_attest(&[ALICE, BOB, CHARLIE]);
		assert_ok!(attest(ALICE, 0, &[ALICE, BOB, CHARLIE]));
		run_to_block(ATTEST_END);
		assert_eq!(phase(0), Phase::Failed(FailReason::NothingAvailable));
		assert!(fl_events().contains(&Event::AvailabilityDecided { round: 0, available: 0, unavailable: 3 }));
		assert!(fl_events().contains(&Event::RoundFailed { round: 0, reason: FailReason::NothingAvailable }));
		assert!(strike_events().is_empty());
		assert_eq!(CurrentRound::<Test>::get(), Some(1));
	});
}

/// Strike decay (mock: `StrikeDecayRounds` = 2, threshold 2): one strike is forgiven after two
/// finalized rounds in which the worker voted with the quorum without a new strike; a new
/// strike restarts the count; a dissenting vote does not count.
#[test]
fn a_strike_is_forgiven_after_clean_rounds_and_a_new_one_restarts_the_count() {
	build_and_execute(|| {
		let all = [ALICE, BOB, CHARLIE];
		Strikes::<Test>::insert(ALICE, 1);
		Strikes::<Test>::insert(BOB, 1);
		let run_round = |round: RoundIndex, votes: &[(u64, H256)]| {
			let info = Rounds::<Test>::get(round).unwrap();
			for w in all {
				assert_ok!(commit(w, round));
			}
			run_to_block(info.commit_end);
			for w in all {
				assert_ok!(reveal(w, round));
			}
			run_to_block(info.reveal_end);
			for w in all {
				assert_ok!(attest(w, round, &all));
			}
			run_to_block(info.attest_end);
			for (w, h) in votes {
				let _ = vote(*w, round, *h, &all);
			}
			assert_eq!(phase(round), Phase::Finalized);
			run_to_block(System::block_number() + 1);
		};
		open_round_0(&all);
		// Round 0: ALICE and CHARLIE finalize with X; BOB's vote comes after (refused).
		run_round(0, &[(ALICE, X), (CHARLIE, X), (BOB, X)]);
		assert_eq!((Strikes::<Test>::get(ALICE), CleanRounds::<Test>::get(ALICE)), (1, 1));
		// BOB's vote came after finalization: not with the quorum, no clean round.
		assert_eq!((Strikes::<Test>::get(BOB), CleanRounds::<Test>::get(BOB)), (1, 0));
		assert_eq!(CleanRounds::<Test>::get(CHARLIE), 0, "no strikes, nothing to count");
		// Round 1: ALICE's second clean round forgives her strike.
		run_round(1, &[(ALICE, X), (BOB, X), (CHARLIE, X)]);
		assert_eq!((Strikes::<Test>::get(ALICE), CleanRounds::<Test>::get(ALICE)), (0, 0));
		assert!(fl_events().contains(&Event::StrikeForgiven { worker: ALICE, strikes: 0 }));
		assert_eq!((Strikes::<Test>::get(BOB), CleanRounds::<Test>::get(BOB)), (1, 1));
		// Round 2: BOB dissents among the quorum's votes: a new strike, excluded (threshold 2).
		run_round(2, &[(BOB, Y), (ALICE, X), (CHARLIE, X)]);
		assert_eq!((Strikes::<Test>::get(BOB), CleanRounds::<Test>::get(BOB)), (2, 0));
		assert_eq!(Rounds::<Test>::get(3).unwrap().participants.to_vec(), vec![ALICE, CHARLIE]);
		// The admin reset clears the count too.
		CleanRounds::<Test>::insert(BOB, 1);
		assert_ok!(FederatedLearning::reset_strikes(RuntimeOrigin::root(), BOB));
		assert_eq!((Strikes::<Test>::get(BOB), CleanRounds::<Test>::get(BOB)), (0, 0));
	});
}

// ---------------------------------------------------------------- history and queries

#[test]
fn rounds_older_than_history_depth_are_pruned() {
	build_and_execute(|| {
		open_round_0(&[ALICE]);
		assert_ok!(commit(ALICE, 0));
		run_to_block(COMMIT_END);
		assert_ok!(reveal(ALICE, 0));
		run_to_block(REVEAL_END);
		assert_ok!(attest(ALICE, 0, &[ALICE]));
		run_to_block(ATTEST_END);
		assert_ok!(vote(ALICE, 0, X, &[ALICE]));
		// Rounds 1, 2 and 3 fail without commits (3 blocks each); round 3 opening prunes 0.
		run_to_block(ATTEST_END + 1);
		assert!(Rounds::<Test>::contains_key(0));
		run_to_block(ATTEST_END + 7);
		assert_eq!(CurrentRound::<Test>::get(), Some(3));
		assert!(!Rounds::<Test>::contains_key(0));
		assert_eq!(Commits::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(Reveals::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(Attestations::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(Votes::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(Tallies::<Test>::iter_prefix(0).count(), 0);
		assert_noop!(commit(ALICE, 0), Error::<Test>::UnknownRound);
		// The global model stays.
		assert_eq!(GlobalModel::<Test>::get().unwrap().round, 0);
	});
}

#[test]
fn runtime_api_views_show_rounds_submissions_and_workers() {
	build_and_execute(|| {
		round_0_in_aggregate(&[ALICE, BOB, CHARLIE, DAVE]);
		assert_ok!(vote(ALICE, 0, X, &[ALICE, BOB, CHARLIE, DAVE]));
		let view = FederatedLearning::current_round_view().unwrap();
		assert_eq!((view.index, view.phase, view.quorum), (0, Phase::Aggregate, 3));
		assert_eq!((view.reveal_end, view.attest_end, view.aggregate_end), (REVEAL_END, ATTEST_END, AGGREGATE_END));
		assert_eq!(view.participants, vec![ALICE, BOB, CHARLIE, DAVE]);
		assert_eq!(view.available, vec![ALICE, BOB, CHARLIE, DAVE]);
		let subs = FederatedLearning::round_submissions(0);
		assert_eq!(subs.commits.len(), 4);
		assert_eq!(subs.reveals.len(), 4);
		assert_eq!(subs.attestations.len(), 4);
		assert!(subs.attestations.contains(&(BOB, vec![ALICE, BOB, CHARLIE, DAVE])));
		assert_eq!(subs.aggregates, vec![(X, vec![ALICE, BOB, CHARLIE, DAVE], 1)]);
		let workers = FederatedLearning::workers_view();
		assert_eq!(workers.len(), 4);
		assert!(workers.iter().any(|w| w.validator == BOB && w.worker_key == worker_key(BOB)));
		assert!(FederatedLearning::round_view(7).is_none());
	});
}

// ---------------------------------------------------------------- model-based property test

/// What a worker does in a round.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
	Silent,
	CommitOnly,
	/// Reveals, attests every served update, votes the honest aggregate.
	Honest,
	/// As honest, but votes another aggregate.
	Dissent,
	/// Reveals but serves its update to nobody (or an invalid one): only it attests it.
	Withhold,
	/// Reveals and votes, but never attests.
	Lazy,
}

fn behaviour() -> impl proptest::strategy::Strategy<Value = Behaviour> {
	use proptest::prelude::*;
	prop_oneof![
		1 => Just(Behaviour::Silent),
		1 => Just(Behaviour::CommitOnly),
		3 => Just(Behaviour::Honest),
		1 => Just(Behaviour::Dissent),
		1 => Just(Behaviour::Withhold),
		1 => Just(Behaviour::Lazy),
	]
}

proptest::proptest! {
	#![proptest_config(proptest::test_runner::Config::with_cases(96))]

	/// Five workers play random behaviours for five rounds, some of them signing every round
	/// call with an account their validator bound (`setWorkerAccount`), which must change
	/// nothing. A reference model predicts the participants (strike threshold 2), the available
	/// set, the outcome, the strikes (with decay after 2 clean rounds) and the global model
	/// version of every round; the pallet must agree and keep its invariants. Honest workers are
	/// never struck.
	#[test]
	fn rounds_follow_the_reference_model(
		plan in proptest::collection::vec(proptest::collection::vec(behaviour(), 5), 5),
		bound in proptest::collection::vec(proptest::bool::ANY, 5),
	) {
		build_and_execute(|| {
			use Behaviour::*;
			let all = [ALICE, BOB, CHARLIE, DAVE, EVE];
			open_round_0(&all);
			let signer: Vec<u64> = (0..5).map(|i| if bound[i] { 30 + i as u64 } else { all[i] }).collect();
			for i in (0..5).filter(|&i| bound[i]) {
				assert_ok!(bind(all[i], Some(signer[i])));
			}
			let mut strikes = [0u32; 5];
			let mut clean = [0u32; 5];
			let mut version = 0u32;
			for (round, acts) in plan.iter().enumerate() {
				let round = round as RoundIndex;
				let info = Rounds::<Test>::get(round).expect("round open");
				let expected: Vec<u64> =
					all.iter().enumerate().filter(|(i, _)| strikes[*i] < 2).map(|(_, w)| *w).collect();
				assert_eq!(info.participants.to_vec(), expected);
				let n = expected.len() as u32;
				let quorum = gridbrain_aggregation::quorum_threshold(n);
				let part = |i: usize| expected.contains(&all[i]);
				let mut struck = [false; 5];
				for (i, a) in acts.iter().enumerate() {
					if matches!(a, Silent) { continue; }
					let r = commit_as(signer[i], all[i], round);
					if part(i) { assert_ok!(r); } else { assert_eq!(r, Err(Error::<Test>::NotParticipant.into())); }
				}
				let commits = (0..5).filter(|&i| part(i) && !matches!(acts[i], Silent)).count();
				run_to_block(info.commit_end);
				let non_revealers: Vec<usize> = (0..5).filter(|&i| part(i) && matches!(acts[i], CommitOnly)).collect();
				if commits == 0 {
					assert_eq!(phase(round), Phase::Failed(FailReason::NoCommits));
				} else {
					let revealers: Vec<usize> =
						(0..5).filter(|&i| part(i) && !matches!(acts[i], Silent | CommitOnly)).collect();
					for &i in &revealers {
						assert_ok!(reveal_as(signer[i], all[i], round));
					}
					run_to_block(info.reveal_end);
					if revealers.is_empty() {
						assert_eq!(phase(round), Phase::Failed(FailReason::NoReveals));
					} else {
						// Served updates: every revealer's but the withholders'.
						let served: Vec<u64> =
							revealers.iter().filter(|&&i| !matches!(acts[i], Withhold)).map(|&i| all[i]).collect();
						let attesters: Vec<usize> =
							revealers.iter().copied().filter(|&i| !matches!(acts[i], Lazy)).collect();
						for &i in &attesters {
							let mut held = served.clone();
							if matches!(acts[i], Withhold) { held.push(all[i]); held.sort(); }
							assert_ok!(attest(signer[i], round, &held));
						}
						// The model's availability: a served update is attested by every attester,
						// a withheld one by its revealer only.
						let count = |i: usize| if matches!(acts[i], Withhold) { 1 } else { attesters.len() as u32 };
						let available: Vec<u64> =
							revealers.iter().filter(|&&i| count(i) >= quorum).map(|&i| all[i]).collect();
						let quorate = attesters.len() as u32 >= quorum;
						run_to_block(info.attest_end);
						assert_eq!(Rounds::<Test>::get(round).unwrap().available.to_vec(), available);
						if quorate {
							for &i in &revealers {
								if !available.contains(&all[i]) { strikes[i] += 1; clean[i] = 0; struck[i] = true; }
							}
						}
						if available.is_empty() {
							assert_eq!(phase(round), Phase::Failed(FailReason::NothingAvailable));
						} else {
							let (mut x, mut y, mut winner) = (0u32, 0u32, None);
							let mut voted: Vec<(usize, H256)> = vec![];
							for &i in &revealers {
								let h = if matches!(acts[i], Dissent) { Y } else { X };
								let r = vote(signer[i], round, h, &available);
								if winner.is_some() {
									assert_eq!(r, Err(Error::<Test>::WrongPhase.into()));
									continue;
								}
								assert_ok!(r);
								voted.push((i, h));
								let c = if h == X { &mut x } else { &mut y };
								*c += 1;
								if *c >= quorum { winner = Some(h); }
							}
							match winner {
								Some(h) => {
									version += 1;
									assert_eq!(phase(round), Phase::Finalized);
									let g = GlobalModel::<Test>::get().unwrap();
									assert_eq!((g.version, g.round, g.params_hash), (version, round, h));
									for &(i, v) in &voted {
										if v != h { strikes[i] += 1; clean[i] = 0; struck[i] = true; }
									}
									for &(i, v) in &voted {
										if v == h && !struck[i] && strikes[i] > 0 {
											clean[i] += 1;
											if clean[i] >= 2 { strikes[i] -= 1; clean[i] = 0; }
										}
									}
								},
								None => {
									run_to_block(info.aggregate_end);
									assert_eq!(phase(round), Phase::Failed(FailReason::NoQuorum));
								},
							}
						}
					}
					for &i in &non_revealers { strikes[i] += 1; clean[i] = 0; }
				}
				for (i, w) in all.iter().enumerate() {
					assert_eq!(Strikes::<Test>::get(w), strikes[i], "strikes of {} after round {}", w, round);
					assert_eq!(CleanRounds::<Test>::get(w), clean[i], "clean rounds of {} after round {}", w, round);
				}
				// With fewer than a third of the participants dissenting, no honest participant
				// is struck (withholders and lazy workers cannot get one struck).
				let dissenters = (0..5).filter(|&i| part(i) && matches!(acts[i], Dissent)).count() as u32;
				if dissenters * 3 < n {
					for i in 0..5 {
						assert!(!(part(i) && matches!(acts[i], Honest) && struck[i]), "honest worker {} struck in round {}", all[i], round);
					}
				}
				// Let the next round open (at most one block after the close).
				let next = round + 1;
				let eligible = strikes.iter().filter(|s| **s < 2).count();
				if eligible == 0 { break; }
				if !Rounds::<Test>::contains_key(next) { run_to_block(System::block_number() + 1); }
				assert!(Rounds::<Test>::contains_key(next));
				FederatedLearning::do_try_state().expect("invariants hold between rounds");
			}
		});
	}
}

#[test]
fn round_calls_are_operational_and_the_rest_normal() {
	use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
	new_test_ext().execute_with(|| {
		let class = |c: Call<Test>| c.get_dispatch_info().class;
		let h = H256::repeat_byte(1);
		// The round's own steps use the reserved operational space (block stuffing cannot
		// delay them; runtime/tests/fl_block_space.rs fills blocks with transfers)...
		assert_eq!(class(Call::commit_update { round: 0, commitment: h }), DispatchClass::Operational);
		assert_eq!(
			class(Call::reveal_update { round: 0, update_hash: h, salt: h, num_samples: 1, train_loss: 0 }),
			DispatchClass::Operational
		);
		assert_eq!(
			class(Call::submit_aggregate { round: 0, aggregate_hash: h, included: Default::default() }),
			DispatchClass::Operational
		);
		// ... registration is not time-critical and stays normal.
		assert_eq!(
			class(Call::attest_availability { round: 0, held: Default::default() }),
			DispatchClass::Operational
		);
		assert_eq!(class(Call::deregister_worker {}), DispatchClass::Normal);
		FederatedLearning::do_try_state().unwrap();
	});
}

// ---------------------------------------------------------------- migration

#[test]
fn migration_v1_to_v2_inserts_the_attest_phase_or_makes_every_revealer_available() {
	use crate::migrations::v2::{MigrateV1ToV2, PhaseLengthsV1, RoundInfoV1};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	build_and_execute(|| {
		// Round 0 finalized under version 1 with ALICE and BOB revealed; round 1 in its reveal
		// phase; phase lengths set by the admin.
		round_0_in_aggregate(&[ALICE, BOB]);
		assert_ok!(vote(ALICE, 0, X, &[ALICE, BOB]));
		assert_ok!(vote(BOB, 0, X, &[ALICE, BOB]));
		run_to_block(ATTEST_END + 1);
		let v1 = |r: RoundInfo<u64, u64, <Test as Config>::MaxWorkers>| RoundInfoV1::<u64, u64> {
			participants: r.participants.to_vec(),
			rule: r.rule,
			phase: r.phase,
			opened_at: r.opened_at,
			commit_end: r.commit_end,
			reveal_end: r.reveal_end,
			aggregate_end: r.aggregate_end,
			commits: r.commits,
			reveals: r.reveals,
			aggregates: r.aggregates,
		};
		let r0 = Rounds::<Test>::get(0).unwrap();
		let mut r1 = Rounds::<Test>::get(1).unwrap();
		r1.phase = Phase::Reveal;
		let put = |key: Vec<u8>, value: Vec<u8>| frame_support::storage::unhashed::put_raw(&key, &value);
		put(Rounds::<Test>::hashed_key_for(0), v1(r0.clone()).encode());
		put(Rounds::<Test>::hashed_key_for(1), v1(r1.clone()).encode());
		put(Phases::<Test>::hashed_key().to_vec(), PhaseLengthsV1 { commit: 4, reveal: 4, aggregate: 3 }.encode());
		let _ = Attestations::<Test>::clear_prefix(0, 10, None);
		StorageVersion::new(1).put::<FederatedLearning>();

		#[cfg(feature = "try-runtime")]
		let state = MigrateV1ToV2::<Test>::pre_upgrade().expect("pre_upgrade accepts version 1 state");
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		#[cfg(feature = "try-runtime")]
		MigrateV1ToV2::<Test>::post_upgrade(state).expect("post_upgrade checks pass");

		assert_eq!(FederatedLearning::on_chain_storage_version(), StorageVersion::new(2));
		assert_eq!(Phases::<Test>::get(), PhaseLengths { commit: 4, reveal: 4, attest: 2, aggregate: 3 });
		let m0 = Rounds::<Test>::get(0).unwrap();
		assert_eq!((m0.phase, m0.attest_end, m0.aggregate_end), (Phase::Finalized, r0.reveal_end, r0.aggregate_end));
		assert_eq!(m0.available.to_vec(), vec![ALICE, BOB], "every revealer of a closed round");
		let m1 = Rounds::<Test>::get(1).unwrap();
		assert_eq!((m1.phase, m1.reveal_end), (Phase::Reveal, r1.reveal_end));
		assert_eq!((m1.attest_end, m1.aggregate_end), (r1.reveal_end + 2, r1.aggregate_end + 2), "an attest phase inserted");
		assert!(m1.available.is_empty());
		// A second run does nothing (versioned).
		let before = Rounds::<Test>::get(1).unwrap();
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Rounds::<Test>::get(1).unwrap().encode(), before.encode());
	});
}

// ---------------------------------------------------------------- worker accounts

/// Accounts that hold no validator secret: what a worker host signs with.
const ALICE_WORKER: u64 = 21;
const OTHER_WORKER: u64 = 22;

fn bind(validator: u64, account: Option<u64>) -> sp_runtime::DispatchResult {
	FederatedLearning::set_worker_account(RuntimeOrigin::signed(validator), account)
}

#[test]
fn a_bound_account_runs_the_round_for_its_validator() {
	build_and_execute(|| {
		register(ALICE);
		assert_ok!(bind(ALICE, Some(ALICE_WORKER)));
		assert_last_event(Event::WorkerAccountSet { validator: ALICE, account: Some(ALICE_WORKER) });
		assert_eq!(WorkerAccounts::<Test>::get(ALICE), Some(ALICE_WORKER));
		assert_eq!(ActsFor::<Test>::get(ALICE_WORKER), Some(ALICE));
		open_round_0(&[BOB, CHARLIE]);
		let ws = [ALICE, BOB, CHARLIE];
		assert_eq!(Rounds::<Test>::get(0).unwrap().participants.to_vec(), ws.to_vec());
		// The account commits, reveals, attests and votes as Alice: the commitment is over
		// Alice's account, every event names Alice.
		assert_ok!(FederatedLearning::commit_update(
			RuntimeOrigin::signed(ALICE_WORKER),
			0,
			commitment_of(ALICE, update_hash(ALICE), salt(ALICE))
		));
		assert!(Commits::<Test>::contains_key(0, ALICE));
		assert!(!Commits::<Test>::contains_key(0, ALICE_WORKER));
		// Alice's own account still acts for her (here: a second commit is refused as hers).
		assert_noop!(commit(ALICE, 0), Error::<Test>::AlreadyCommitted);
		assert_ok!(commit(BOB, 0));
		assert_ok!(commit(CHARLIE, 0));
		run_to_block(COMMIT_END);
		assert_ok!(FederatedLearning::reveal_update(
			RuntimeOrigin::signed(ALICE_WORKER),
			0,
			update_hash(ALICE),
			salt(ALICE),
			100,
			1_000
		));
		assert!(fl_events().contains(&Event::UpdateRevealed {
			round: 0,
			worker: ALICE,
			update_hash: update_hash(ALICE),
			num_samples: 100,
			train_loss: 1_000,
		}));
		assert_ok!(reveal(BOB, 0));
		assert_ok!(reveal(CHARLIE, 0));
		run_to_block(REVEAL_END);
		assert_ok!(attest(ALICE_WORKER, 0, &ws));
		assert_last_event(Event::AvailabilityAttested { round: 0, worker: ALICE, held: 3 });
		assert_ok!(attest(BOB, 0, &ws));
		assert_ok!(attest(CHARLIE, 0, &ws));
		run_to_block(ATTEST_END);
		assert_ok!(vote(ALICE_WORKER, 0, X, &ws));
		assert!(Votes::<Test>::contains_key(0, ALICE));
		assert_ok!(vote(BOB, 0, X, &ws));
		assert_eq!(phase(0), Phase::Finalized);
		assert_eq!(Strikes::<Test>::get(ALICE), 0);
		assert_eq!(Strikes::<Test>::get(ALICE_WORKER), 0);
	});
}

#[test]
fn an_unbound_account_is_nobody_in_a_round() {
	build_and_execute(|| {
		register(ALICE);
		assert_ok!(bind(ALICE, Some(ALICE_WORKER)));
		assert_ok!(bind(ALICE, None));
		assert_last_event(Event::WorkerAccountSet { validator: ALICE, account: None });
		assert!(WorkerAccounts::<Test>::get(ALICE).is_none());
		assert!(ActsFor::<Test>::get(ALICE_WORKER).is_none());
		open_round_0(&[BOB]);
		assert_noop!(
			FederatedLearning::commit_update(RuntimeOrigin::signed(ALICE_WORKER), 0, H256::zero()),
			Error::<Test>::NotParticipant
		);
		assert_ok!(commit(ALICE, 0));
	});
}

#[test]
fn set_worker_account_rejects_each_bad_request() {
	build_and_execute(|| {
		assert_noop!(bind(ALICE, Some(ALICE_WORKER)), Error::<Test>::NotRegistered);
		register(ALICE);
		register(BOB);
		assert_noop!(bind(ALICE, Some(ALICE)), Error::<Test>::AccountIsValidator);
		// Bob's account has a worker of its own.
		assert_noop!(bind(ALICE, Some(BOB)), Error::<Test>::AccountInUse);
		// An account signs for one validator only.
		assert_ok!(bind(BOB, Some(OTHER_WORKER)));
		assert_noop!(bind(ALICE, Some(OTHER_WORKER)), Error::<Test>::AccountInUse);
		// Binding the account it already has is a no-op that succeeds.
		assert_ok!(bind(BOB, Some(OTHER_WORKER)));
		assert_eq!(ActsFor::<Test>::get(OTHER_WORKER), Some(BOB));
	});
}

#[test]
fn rebinding_replaces_the_account_and_deregistering_unbinds_it() {
	build_and_execute(|| {
		register(ALICE);
		assert_ok!(bind(ALICE, Some(ALICE_WORKER)));
		assert_ok!(bind(ALICE, Some(OTHER_WORKER)));
		assert!(ActsFor::<Test>::get(ALICE_WORKER).is_none());
		assert_eq!(ActsFor::<Test>::get(OTHER_WORKER), Some(ALICE));
		assert_ok!(FederatedLearning::deregister_worker(RuntimeOrigin::signed(ALICE)));
		assert!(WorkerAccounts::<Test>::get(ALICE).is_none());
		assert!(ActsFor::<Test>::get(OTHER_WORKER).is_none());
		// The account is free for another validator.
		register(BOB);
		assert_ok!(bind(BOB, Some(OTHER_WORKER)));
	});
}

/// The attack: a validator binds another validator's account to keep it from registering (or
/// to make that account's round calls count as its own). The victim's registration wins.
#[test]
fn binding_a_validators_account_cannot_keep_it_from_registering() {
	build_and_execute(|| {
		register(ALICE);
		assert_ok!(bind(ALICE, Some(DAVE)));
		register(DAVE);
		assert!(fl_events().contains(&Event::WorkerAccountSet { validator: ALICE, account: None }));
		assert!(WorkerAccounts::<Test>::get(ALICE).is_none());
		assert!(ActsFor::<Test>::get(DAVE).is_none());
		open_round_0(&[]);
		// Dave's calls are his own again.
		assert_ok!(commit(DAVE, 0));
		assert!(Commits::<Test>::contains_key(0, DAVE));
		assert!(!Commits::<Test>::contains_key(0, ALICE));
	});
}
