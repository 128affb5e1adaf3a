//! Benchmarks of the FederatedLearning pallet (frame-benchmarking v2), each at its worst case.

#![allow(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::indexing_slicing
)]

use super::*;
use crate::{
	functions::Outcome,
	pallet::{
		ActsFor, Attestations, Call, CleanRounds, Commits, Config, CurrentRound, NextRoundIndex,
		Pallet, Reveals, Rounds, Strikes, Tallies, Votes, WorkerAccounts,
	},
};
use alloc::vec::Vec;
use codec::Encode;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate as _, EnsureOrigin, Get};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use sp_core::{ed25519, H256};

/// A validator account with enough for many deposits.
fn validator<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("validator", i, 0);
	let funds = T::WorkerDeposit::get() * 1000u32.into();
	let _ = T::Currency::set_balance(&who, funds);
	T::Validators::add_validator(&who);
	who
}

fn key(i: u32) -> ed25519::Public {
	let mut k = [0u8; 32];
	k[..4].copy_from_slice(&i.to_le_bytes());
	k[31] = 0x77;
	ed25519::Public::from_raw(k)
}

/// A peer id of maximal length.
fn peer_id<T: Config>(i: u32) -> PeerIdOf<T> {
	let mut v: Vec<u8> = i.to_le_bytes().to_vec();
	v.resize(T::MaxPeerIdLen::get() as usize, 0xab);
	v.try_into().expect("MaxPeerIdLen bytes fit")
}

/// Validator `i` with a registered worker.
fn worker<T: Config>(i: u32) -> T::AccountId {
	let who = validator::<T>(i);
	Pallet::<T>::register_worker(RawOrigin::Signed(who.clone()).into(), peer_id::<T>(i), key(i))
		.expect("benchmark worker registers");
	who
}

/// A fresh account bound to `who`'s worker with `setWorkerAccount`: round calls signed by it
/// read `ActsFor` (the worst case of resolving the participant).
fn bound<T: Config>(who: &T::AccountId, i: u32) -> T::AccountId {
	let account: T::AccountId = account("worker-account", i, 0);
	Pallet::<T>::set_worker_account(RawOrigin::Signed(who.clone()).into(), Some(account.clone()))
		.expect("benchmark worker account binds");
	account
}

fn update_hash<T: Config>(who: &T::AccountId) -> H256 {
	H256(sp_io::hashing::blake2_256(&who.encode()))
}

const SALT: H256 = H256::repeat_byte(0x5a);

/// Opens a round with `n` fresh workers (tagged `tag`) and returns its index and participants.
fn start_round<T: Config>(n: u32, tag: u32) -> (RoundIndex, Vec<T::AccountId>) {
	let ws: Vec<_> = (0..n).map(|i| worker::<T>(tag * 1000 + i)).collect();
	let now = frame_system::Pallet::<T>::block_number();
	let _ = Pallet::<T>::try_open(now);
	let round = CurrentRound::<T>::get().expect("round opened");
	let mut ws = ws;
	ws.sort();
	(round, ws)
}

fn set_phase<T: Config>(round: RoundIndex, phase: Phase) {
	Rounds::<T>::mutate(round, |r| r.as_mut().expect("round").phase = phase);
}

fn commit_all<T: Config>(round: RoundIndex, ws: &[T::AccountId]) {
	for w in ws {
		let c = gridbrain_aggregation::commitment(
			update_hash::<T>(w).as_fixed_bytes(),
			SALT.as_fixed_bytes(),
			&w.encode(),
		);
		Pallet::<T>::commit_update(RawOrigin::Signed(w.clone()).into(), round, H256(c))
			.expect("commit");
	}
}

fn reveal_all<T: Config>(round: RoundIndex, ws: &[T::AccountId]) {
	for w in ws {
		Pallet::<T>::reveal_update(
			RawOrigin::Signed(w.clone()).into(),
			round,
			update_hash::<T>(w),
			SALT,
			1000,
			1234,
		)
		.expect("reveal");
	}
}

fn included<T: Config>(ws: &[T::AccountId]) -> WorkerSet<T> {
	let mut v = ws.to_vec();
	v.sort();
	v.try_into().expect("at most MaxWorkers")
}

/// Moves `round` to its aggregate phase with `available` as its available set.
fn to_aggregate<T: Config>(round: RoundIndex, available: &[T::AccountId]) {
	Rounds::<T>::mutate(round, |r| {
		let r = r.as_mut().expect("round");
		r.phase = Phase::Aggregate;
		r.available = included::<T>(available);
	});
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The registrant's account is bound to another validator's worker: that binding ends.
	#[benchmark]
	fn register_worker() {
		let who = validator::<T>(1);
		let other = worker::<T>(2);
		Pallet::<T>::set_worker_account(RawOrigin::Signed(other.clone()).into(), Some(who.clone()))
			.expect("binds");
		let peer = peer_id::<T>(1);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), peer, key(1));
		assert!(Workers::<T>::contains_key(&who));
		assert!(!WorkerAccounts::<T>::contains_key(&other));
	}

	/// With a bound worker account, which is unbound.
	#[benchmark]
	fn deregister_worker() {
		let who = worker::<T>(1);
		let account = bound::<T>(&who, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Workers::<T>::contains_key(&who));
		assert!(!ActsFor::<T>::contains_key(&account));
	}

	/// Replacing a bound account with another (both maps read and written twice).
	#[benchmark]
	fn set_worker_account() {
		let who = worker::<T>(1);
		let old = bound::<T>(&who, 1);
		let new: T::AccountId = account("worker-account", 2, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Some(new.clone()));
		assert_eq!(ActsFor::<T>::get(&new), Some(who.clone()));
		assert!(!ActsFor::<T>::contains_key(&old));
	}

	/// The largest round (MaxWorkers participants); the caller is the last participant.
	#[benchmark]
	fn commit_update() {
		let (round, ws) = start_round::<T>(T::MaxWorkers::get(), 1);
		let who = ws.last().cloned().expect("participants");
		let signer = bound::<T>(&who, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(signer), round, H256::repeat_byte(1));
		assert!(Commits::<T>::contains_key(round, &who));
	}

	#[benchmark]
	fn reveal_update() {
		let (round, ws) = start_round::<T>(T::MaxWorkers::get(), 1);
		commit_all::<T>(round, &ws);
		set_phase::<T>(round, Phase::Reveal);
		let who = ws.last().cloned().expect("participants");
		let signer = bound::<T>(&who, 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(signer), round, update_hash::<T>(&who), SALT, 1000, 1234);
		assert!(Reveals::<T>::contains_key(round, &who));
	}

	/// A vote that does not finalize, including `i` revealed updates, in the largest round.
	#[benchmark]
	fn submit_aggregate(i: Linear<1, { T::MaxWorkers::get() }>) {
		let (round, ws) = start_round::<T>(T::MaxWorkers::get().max(2), 1);
		commit_all::<T>(round, &ws);
		set_phase::<T>(round, Phase::Reveal);
		reveal_all::<T>(round, &ws);
		to_aggregate::<T>(round, &ws[..i as usize]);
		let who = ws[0].clone();
		let signer = bound::<T>(&who, 1);
		let set = included::<T>(&ws[..i as usize]);
		#[extrinsic_call]
		submit_aggregate(RawOrigin::Signed(signer), round, H256::repeat_byte(9), set);
		assert!(Votes::<T>::contains_key(round, &who));
		assert_eq!(Rounds::<T>::get(round).expect("round").phase, Phase::Aggregate);
	}

	/// The finalizing part of the vote that finalizes a round of `p` participants, with the
	/// most work per participant: every participant revealed and has a strike, one clean
	/// round short of having it forgiven; the quorum's voters have it forgiven, the others
	/// dissent (a new strike each). Only the caller's update is available. The call is charged
	/// `submit_aggregate(i) + submit_aggregate_finalize(p)`.
	#[benchmark]
	fn submit_aggregate_finalize(p: Linear<1, { T::MaxWorkers::get() }>) {
		let (round, ws) = start_round::<T>(p, 1);
		commit_all::<T>(round, &ws);
		set_phase::<T>(round, Phase::Reveal);
		reveal_all::<T>(round, &ws);
		let decay = T::StrikeDecayRounds::get();
		for w in &ws {
			Strikes::<T>::insert(w, 1);
			if decay > 1 {
				CleanRounds::<T>::insert(w, decay - 1);
			}
		}
		let quorum = gridbrain_aggregation::quorum_threshold(p) as usize;
		let (caller, others) = ws.split_last().expect("p ≥ 1");
		let (voters, dissenters) = others.split_at(quorum - 1);
		to_aggregate::<T>(round, core::slice::from_ref(caller));
		let signer = bound::<T>(caller, 1);
		let win = H256::repeat_byte(9);
		let mine = included::<T>(core::slice::from_ref(caller));
		for w in voters {
			Pallet::<T>::submit_aggregate(RawOrigin::Signed(w.clone()).into(), round, win, mine.clone())
				.expect("vote");
		}
		for w in dissenters {
			Pallet::<T>::submit_aggregate(RawOrigin::Signed(w.clone()).into(), round, H256::repeat_byte(8), mine.clone())
				.expect("vote");
		}
		#[extrinsic_call]
		submit_aggregate(RawOrigin::Signed(signer), round, win, mine);
		assert_eq!(Rounds::<T>::get(round).expect("round").phase, Phase::Finalized);
		assert_eq!(Strikes::<T>::get(caller), 0, "the caller's strike was forgiven");
		if let Some(w) = dissenters.first() {
			assert_eq!(Strikes::<T>::get(w), 2, "a dissenter got a second strike");
		}
	}

	/// An attestation of `n` revealed updates in the largest round.
	#[benchmark]
	fn attest_availability(n: Linear<0, { T::MaxWorkers::get() }>) {
		let (round, ws) = start_round::<T>(T::MaxWorkers::get(), 1);
		commit_all::<T>(round, &ws);
		set_phase::<T>(round, Phase::Reveal);
		reveal_all::<T>(round, &ws);
		set_phase::<T>(round, Phase::Attest);
		let who = ws[0].clone();
		let signer = bound::<T>(&who, 1);
		let held = included::<T>(&ws[..n as usize]);
		#[extrinsic_call]
		_(RawOrigin::Signed(signer), round, held);
		assert_eq!(Attestations::<T>::get(round, &who).map(|h| h.len() as u32), Some(n));
	}

	/// `on_initialize` ending the attest phase of a round of `p` participants that all
	/// revealed and attested: the quorum attest only the first revealer, the others attest every
	/// revealer, so every attestation is read, every reveal counted and all revealers but the
	/// first are unavailable (a strike each).
	#[benchmark]
	fn decide_availability(p: Linear<1, { T::MaxWorkers::get() }>) {
		let (round, ws) = start_round::<T>(p, 1);
		commit_all::<T>(round, &ws);
		set_phase::<T>(round, Phase::Reveal);
		reveal_all::<T>(round, &ws);
		set_phase::<T>(round, Phase::Attest);
		let quorum = gridbrain_aggregation::quorum_threshold(p) as usize;
		for (k, w) in ws.iter().enumerate() {
			let held = if k < quorum { included::<T>(&ws[..1]) } else { included::<T>(&ws) };
			Pallet::<T>::attest_availability(RawOrigin::Signed(w.clone()).into(), round, held).expect("attest");
		}
		let at = Rounds::<T>::get(round).expect("round").attest_end;
		#[block]
		{
			let _ = Pallet::<T>::drive_rounds(at);
		}
		let r = Rounds::<T>::get(round).expect("round");
		assert_eq!(r.phase, Phase::Aggregate);
		assert_eq!(r.available.len(), 1);
		if let Some(w) = ws.get(1) {
			assert_eq!(Strikes::<T>::get(w), 1, "an unavailable revealer is struck");
		}
	}

	#[benchmark]
	fn set_aggregation_rule() -> Result<(), BenchmarkError> {
		let origin = T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let rule = AggregationRule::TrimmedMean { trim_ppm: 100_000 };
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, rule);
		assert_eq!(crate::pallet::Rule::<T>::get(), rule);
		Ok(())
	}

	#[benchmark]
	fn set_server_momentum() -> Result<(), BenchmarkError> {
		let origin = T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 700_000);
		assert_eq!(crate::pallet::ServerMomentum::<T>::get(), 700_000);
		Ok(())
	}

	#[benchmark]
	fn set_phase_lengths() -> Result<(), BenchmarkError> {
		let origin = T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 7, 8, 6, 9);
		assert_eq!(crate::pallet::Phases::<T>::get().aggregate, 9);
		Ok(())
	}

	#[benchmark]
	fn reset_strikes() -> Result<(), BenchmarkError> {
		let origin = T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let who = validator::<T>(1);
		Strikes::<T>::insert(&who, 3);
		CleanRounds::<T>::insert(&who, 1);
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());
		assert_eq!(Strikes::<T>::get(&who), 0);
		Ok(())
	}

	/// `on_initialize` moving the largest round from Commit to Reveal (also the base cost
	/// charged for every block).
	#[benchmark]
	fn advance_phase() {
		let (round, ws) = start_round::<T>(T::MaxWorkers::get(), 1);
		commit_all::<T>(round, &ws[..1]);
		let at = Rounds::<T>::get(round).expect("round").commit_end;
		#[block]
		{
			let _ = Pallet::<T>::drive_rounds(at);
		}
		assert_eq!(Rounds::<T>::get(round).expect("round").phase, Phase::Reveal);
	}

	/// Closing a round of `p` participants that all committed and none revealed: every one
	/// gets a strike.
	#[benchmark]
	fn close_round(p: Linear<1, { T::MaxWorkers::get() }>) {
		let (round, ws) = start_round::<T>(p, 1);
		commit_all::<T>(round, &ws);
		let mut info = Rounds::<T>::get(round).expect("round");
		#[block]
		{
			Pallet::<T>::close_round(round, &mut info, Outcome::Failed(FailReason::NoReveals));
		}
		assert_eq!(info.phase, Phase::Failed(FailReason::NoReveals));
		assert_eq!(Strikes::<T>::get(&ws[0]), 1);
	}

	/// Opening a round with `w` registered, eligible workers while pruning a round
	/// `HistoryDepth` back that has `MaxWorkers` commits, reveals, votes and tallies.
	#[benchmark]
	fn open_round(w: Linear<0, { T::MaxWorkers::get() }>) {
		let max = T::MaxWorkers::get();
		let depth = T::HistoryDepth::get();
		// A full old round to prune.
		let (old, old_ws) = start_round::<T>(max, 2);
		commit_all::<T>(old, &old_ws);
		set_phase::<T>(old, Phase::Reveal);
		reveal_all::<T>(old, &old_ws);
		set_phase::<T>(old, Phase::Attest);
		for v in &old_ws {
			Pallet::<T>::attest_availability(RawOrigin::Signed(v.clone()).into(), old, included::<T>(&old_ws))
				.expect("attest");
		}
		to_aggregate::<T>(old, &old_ws[..1]);
		for (k, v) in old_ws.iter().enumerate() {
			Pallet::<T>::submit_aggregate(
				RawOrigin::Signed(v.clone()).into(),
				old,
				H256::repeat_byte(k as u8),
				included::<T>(&old_ws[..1]),
			)
			.expect("vote");
			if Rounds::<T>::get(old).expect("round").phase.is_closed() {
				break;
			}
		}
		// Leave only the `w` workers registered, and make `old` exactly HistoryDepth back.
		for v in &old_ws {
			Pallet::<T>::deregister_worker(RawOrigin::Signed(v.clone()).into()).expect("deregister");
		}
		let _ws: Vec<_> = (0..w).map(|i| worker::<T>(3000 + i)).collect();
		NextRoundIndex::<T>::put(old + depth);
		CurrentRound::<T>::kill();
		// With server momentum: the new round records it and the pruned one drops its own.
		crate::pallet::ServerMomentum::<T>::put(700_000);
		crate::pallet::RoundMomentum::<T>::insert(old, 700_000);
		let now: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			let _ = Pallet::<T>::try_open(now);
		}
		let min = T::MinParticipants::get();
		assert_eq!(CurrentRound::<T>::get().is_some(), w >= min);
		if w >= min {
			assert!(!Rounds::<T>::contains_key(old));
			assert!(!crate::pallet::RoundMomentum::<T>::contains_key(old));
			assert_eq!(crate::pallet::RoundMomentum::<T>::get(old + depth), Some(700_000));
			assert_eq!(Tallies::<T>::iter_prefix(old).count(), 0);
			assert_eq!(Attestations::<T>::iter_prefix(old).count(), 0);
		}
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
