//! The FederatedLearning pallet's logic: registration, the round state machine, votes, strikes,
//! queries and invariants.

use crate::{pallet::*, types::*, weights::WeightInfo, BalanceOf};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	dispatch::{DispatchResult, DispatchResultWithPostInfo, PostDispatchInfo},
	ensure,
	traits::{
		fungible::MutateHold,
		tokens::Precision,
		Get,
	},
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use gridbrain_aggregation::{commitment, quorum_reached, quorum_threshold};
use sp_core::{ed25519, H256};
use sp_runtime::traits::Saturating;

/// How a round ends.
pub(crate) enum Outcome<'a, T: Config> {
	/// Finalized on `tally`, stored under `key`.
	Finalized { key: H256, tally: &'a TallyOf<T> },
	/// Failed.
	Failed(FailReason),
}

impl<T: Config> Pallet<T> {
	pub(crate) fn do_register_worker(
		who: T::AccountId,
		peer_id: PeerIdOf<T>,
		worker_key: ed25519::Public,
	) -> DispatchResult {
		ensure!(T::Validators::is_validator(&who), Error::<T>::NotValidator);
		ensure!(!Workers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		ensure!(!peer_id.is_empty(), Error::<T>::InvalidPeerId);
		ensure!(!WorkerKeys::<T>::contains_key(worker_key), Error::<T>::WorkerKeyInUse);
		ensure!(Workers::<T>::count() < T::MaxWorkers::get(), Error::<T>::TooManyWorkers);
		let deposit = T::WorkerDeposit::get();
		T::Currency::hold(&HoldReason::WorkerDeposit.into(), &who, deposit)
			.map_err(|_| Error::<T>::InsufficientDeposit)?;
		let info = WorkerInfo {
			peer_id: peer_id.clone(),
			worker_key,
			deposit,
			registered_at: frame_system::Pallet::<T>::block_number(),
		};
		Workers::<T>::insert(&who, info);
		WorkerKeys::<T>::insert(worker_key, &who);
		// A validator's own registration wins over another validator's binding of its account.
		if let Some(other) = ActsFor::<T>::take(&who) {
			WorkerAccounts::<T>::remove(&other);
			Self::deposit_event(Event::WorkerAccountSet { validator: other, account: None });
		}
		Self::deposit_event(Event::WorkerRegistered { validator: who, peer_id, worker_key, deposit });
		Ok(())
	}

	/// The participant a round transaction of `signer` acts for: the validator that bound it
	/// with `setWorkerAccount`, else the signer itself.
	pub fn principal(signer: T::AccountId) -> T::AccountId {
		ActsFor::<T>::get(&signer).unwrap_or(signer)
	}

	pub(crate) fn do_set_worker_account(who: T::AccountId, account: Option<T::AccountId>) -> DispatchResult {
		ensure!(Workers::<T>::contains_key(&who), Error::<T>::NotRegistered);
		if let Some(a) = &account {
			ensure!(*a != who, Error::<T>::AccountIsValidator);
			ensure!(!Workers::<T>::contains_key(a), Error::<T>::AccountInUse);
			ensure!(ActsFor::<T>::get(a).is_none_or(|v| v == who), Error::<T>::AccountInUse);
		}
		if let Some(old) = WorkerAccounts::<T>::take(&who) {
			ActsFor::<T>::remove(old);
		}
		if let Some(a) = &account {
			WorkerAccounts::<T>::insert(&who, a);
			ActsFor::<T>::insert(a, &who);
		}
		Self::deposit_event(Event::WorkerAccountSet { validator: who, account });
		Ok(())
	}

	pub(crate) fn do_deregister_worker(who: T::AccountId) -> DispatchResult {
		let info = Workers::<T>::take(&who).ok_or(Error::<T>::NotRegistered)?;
		WorkerKeys::<T>::remove(info.worker_key);
		if let Some(account) = WorkerAccounts::<T>::take(&who) {
			ActsFor::<T>::remove(account);
		}
		// Releases what is held, at most the deposit; `BestEffort` never fails on a shortfall.
		let released = T::Currency::release(
			&HoldReason::WorkerDeposit.into(),
			&who,
			info.deposit,
			Precision::BestEffort,
		)?;
		Self::deposit_event(Event::WorkerDeregistered { validator: who, deposit: released });
		Ok(())
	}

	fn round_of(round: RoundIndex) -> Result<RoundOf<T>, Error<T>> {
		Rounds::<T>::get(round).ok_or(Error::<T>::UnknownRound)
	}

	fn is_participant(info: &RoundOf<T>, who: &T::AccountId) -> bool {
		info.participants.binary_search(who).is_ok()
	}

	pub(crate) fn do_commit(who: T::AccountId, round: RoundIndex, commitment: H256) -> DispatchResult {
		let mut info = Self::round_of(round)?;
		ensure!(info.phase == Phase::Commit, Error::<T>::WrongPhase);
		ensure!(Self::is_participant(&info, &who), Error::<T>::NotParticipant);
		ensure!(!Commits::<T>::contains_key(round, &who), Error::<T>::AlreadyCommitted);
		info.commits = info.commits.checked_add(1).ok_or(Error::<T>::Overflow)?;
		Commits::<T>::insert(round, &who, commitment);
		Rounds::<T>::insert(round, info);
		Self::deposit_event(Event::UpdateCommitted { round, worker: who, commitment });
		Ok(())
	}

	pub(crate) fn do_reveal(
		who: T::AccountId,
		round: RoundIndex,
		update_hash: H256,
		salt: H256,
		num_samples: u64,
		train_loss: u64,
	) -> DispatchResult {
		let mut info = Self::round_of(round)?;
		match info.phase {
			Phase::Commit => return Err(Error::<T>::RevealTooEarly.into()),
			Phase::Reveal => {},
			_ => return Err(Error::<T>::RevealTooLate.into()),
		}
		ensure!(Self::is_participant(&info, &who), Error::<T>::NotParticipant);
		let committed = Commits::<T>::get(round, &who).ok_or(Error::<T>::NotCommitted)?;
		ensure!(!Reveals::<T>::contains_key(round, &who), Error::<T>::AlreadyRevealed);
		ensure!(num_samples > 0, Error::<T>::ZeroSamples);
		let expected = commitment(update_hash.as_fixed_bytes(), salt.as_fixed_bytes(), &who.encode());
		ensure!(committed == H256(expected), Error::<T>::CommitmentMismatch);
		info.reveals = info.reveals.checked_add(1).ok_or(Error::<T>::Overflow)?;
		Reveals::<T>::insert(round, &who, Reveal { update_hash, num_samples, train_loss });
		Rounds::<T>::insert(round, info);
		Self::deposit_event(Event::UpdateRevealed {
			round,
			worker: who,
			update_hash,
			num_samples,
			train_loss,
		});
		Ok(())
	}

	/// Sorts `set` and checks that it names each worker once, each a revealer of `round`.
	fn sorted_revealers(
		round: RoundIndex,
		set: &mut WorkerSet<T>,
		duplicate: Error<T>,
		not_revealed: Error<T>,
	) -> Result<u32, Error<T>> {
		set.sort();
		ensure!(!set.windows(2).any(|w| matches!(w, [a, b] if a == b)), duplicate);
		ensure!(set.iter().all(|w| Reveals::<T>::contains_key(round, w)), not_revealed);
		u32::try_from(set.len()).map_err(|_| Error::<T>::Overflow)
	}

	pub(crate) fn do_attest(
		who: T::AccountId,
		round: RoundIndex,
		mut held: WorkerSet<T>,
	) -> DispatchResultWithPostInfo {
		let mut info = Self::round_of(round)?;
		match info.phase {
			Phase::Commit | Phase::Reveal => return Err(Error::<T>::AttestTooEarly.into()),
			Phase::Attest => {},
			_ => return Err(Error::<T>::AttestTooLate.into()),
		}
		ensure!(Self::is_participant(&info, &who), Error::<T>::NotParticipant);
		ensure!(!Attestations::<T>::contains_key(round, &who), Error::<T>::AlreadyAttested);
		let count = Self::sorted_revealers(
			round,
			&mut held,
			Error::<T>::DuplicateAttested,
			Error::<T>::AttestedNotRevealed,
		)?;
		info.attestations = info.attestations.checked_add(1).ok_or(Error::<T>::Overflow)?;
		Attestations::<T>::insert(round, &who, held);
		Rounds::<T>::insert(round, info);
		Self::deposit_event(Event::AvailabilityAttested { round, worker: who, held: count });
		Ok(PostDispatchInfo {
			actual_weight: Some(<T as Config>::WeightInfo::attest_availability(count)),
			pays_fee: frame_support::dispatch::Pays::Yes,
		})
	}

	/// The revealers of `round` attested by at least `⌈2n/3⌉` of its `n` participants (sorted),
	/// the other revealers (sorted), and whether `⌈2n/3⌉` participants attested at all.
	pub fn availability(round: RoundIndex, info: &RoundOf<T>) -> (Vec<T::AccountId>, Vec<T::AccountId>, bool) {
		let threshold = quorum_threshold(Self::participant_count(info));
		let mut revealers: Vec<(T::AccountId, u32)> =
			Reveals::<T>::iter_key_prefix(round).map(|w| (w, 0u32)).collect();
		revealers.sort_by(|a, b| a.0.cmp(&b.0));
		for held in Attestations::<T>::iter_prefix_values(round) {
			for w in held.iter() {
				if let Ok(i) = revealers.binary_search_by(|(r, _)| r.cmp(w)) {
					if let Some((_, n)) = revealers.get_mut(i) {
						*n = n.saturating_add(1);
					}
				}
			}
		}
		let (available, unavailable): (Vec<_>, Vec<_>) =
			revealers.into_iter().partition(|(_, n)| *n >= threshold);
		(
			available.into_iter().map(|(w, _)| w).collect(),
			unavailable.into_iter().map(|(w, _)| w).collect(),
			info.attestations >= threshold,
		)
	}

	/// Ends the attest phase: fixes the available set and strikes the revealers of unavailable
	/// updates (if ≥ 2/3 attested). Returns a fail reason when nothing is available.
	fn decide_availability(round: RoundIndex, info: &mut RoundOf<T>) -> Option<FailReason> {
		let (available, unavailable, quorate) = Self::availability(round, info);
		// Revealers are participants, so at most `MaxWorkers`: nothing is cut.
		info.available = WorkerSet::<T>::truncate_from(available);
		Self::deposit_event(Event::AvailabilityDecided {
			round,
			available: u32::try_from(info.available.len()).unwrap_or(u32::MAX),
			unavailable: u32::try_from(unavailable.len()).unwrap_or(u32::MAX),
		});
		if quorate {
			for w in unavailable {
				Self::strike(&w, round, StrikeReason::Unavailable);
			}
		}
		info.available.is_empty().then_some(FailReason::NothingAvailable)
	}

	/// Records a strike (and restarts the worker's count of clean rounds).
	fn strike(who: &T::AccountId, round: RoundIndex, reason: StrikeReason) {
		let strikes = Strikes::<T>::mutate(who, |s| {
			*s = s.saturating_add(1);
			*s
		});
		CleanRounds::<T>::remove(who);
		Self::deposit_event(Event::StrikeRecorded { worker: who.clone(), round, reason, strikes });
	}

	/// The key under which equal (aggregate hash, included set) submissions are tallied.
	pub fn vote_key(aggregate_hash: &H256, included: &WorkerSet<T>) -> H256 {
		H256(sp_io::hashing::blake2_256(&(aggregate_hash, included).encode()))
	}

	pub(crate) fn do_submit_aggregate(
		who: T::AccountId,
		round: RoundIndex,
		aggregate_hash: H256,
		mut included: WorkerSet<T>,
	) -> DispatchResultWithPostInfo {
		let mut info = Self::round_of(round)?;
		ensure!(info.phase == Phase::Aggregate, Error::<T>::WrongPhase);
		ensure!(Self::is_participant(&info, &who), Error::<T>::NotParticipant);
		ensure!(!Votes::<T>::contains_key(round, &who), Error::<T>::AlreadySubmitted);
		ensure!(!included.is_empty(), Error::<T>::EmptyIncluded);
		let included_len = Self::sorted_revealers(
			round,
			&mut included,
			Error::<T>::DuplicateIncluded,
			Error::<T>::IncludedNotRevealed,
		)?;
		ensure!(included == info.available, Error::<T>::NotTheAvailableSet);
		let key = Self::vote_key(&aggregate_hash, &included);
		let mut tally = Tallies::<T>::get(round, key)
			.unwrap_or(Tally { aggregate_hash, included, votes: 0 });
		tally.votes = tally.votes.checked_add(1).ok_or(Error::<T>::Overflow)?;
		info.aggregates = info.aggregates.checked_add(1).ok_or(Error::<T>::Overflow)?;
		Votes::<T>::insert(round, &who, key);
		Self::deposit_event(Event::AggregateSubmitted {
			round,
			worker: who,
			aggregate_hash,
			included: included_len,
			votes: tally.votes,
		});
		let participants = Self::participant_count(&info);
		let finalizes = quorum_reached(tally.votes, participants);
		Tallies::<T>::insert(round, key, &tally);
		let mut weight = <T as Config>::WeightInfo::submit_aggregate(included_len);
		if finalizes {
			Self::close_round(round, &mut info, Outcome::Finalized { key, tally: &tally });
			weight = weight
				.saturating_add(<T as Config>::WeightInfo::submit_aggregate_finalize(participants));
		}
		Rounds::<T>::insert(round, info);
		Ok(PostDispatchInfo { actual_weight: Some(weight), pays_fee: frame_support::dispatch::Pays::Yes })
	}

	fn participant_count(info: &RoundOf<T>) -> u32 {
		u32::try_from(info.participants.len()).unwrap_or(u32::MAX)
	}

	/// Closes `round` (the caller stores `info`): records strikes and the outcome, emits the
	/// events.
	pub(crate) fn close_round(round: RoundIndex, info: &mut RoundOf<T>, outcome: Outcome<'_, T>) {
		let unavailable_struck = |p: &T::AccountId| {
			// Struck when availability was decided: a revealer outside the available set of a
			// round where ≥ 2/3 attested.
			Reveals::<T>::contains_key(round, p) &&
				!matches!(info.phase, Phase::Commit | Phase::Reveal | Phase::Attest) &&
				info.available.binary_search(p).is_err() &&
				info.attestations >= quorum_threshold(Self::participant_count(info))
		};
		for p in info.participants.iter() {
			let vote = Votes::<T>::get(round, p);
			let reason = if Commits::<T>::contains_key(round, p) && !Reveals::<T>::contains_key(round, p)
			{
				Some(StrikeReason::NotRevealed)
			} else {
				match (&outcome, vote) {
					(Outcome::Finalized { key, .. }, Some(vote)) if vote != *key =>
						Some(StrikeReason::Dissented),
					_ => None,
				}
			};
			if let Some(reason) = reason {
				Self::strike(p, round, reason);
				continue;
			}
			// Decay: a vote with the finalizing quorum, in a round without a strike for `p`.
			let Outcome::Finalized { key, .. } = &outcome else { continue };
			if vote.as_ref() != Some(key) || unavailable_struck(p) || Strikes::<T>::get(p) == 0 {
				continue;
			}
			let clean = CleanRounds::<T>::get(p).saturating_add(1);
			if clean >= T::StrikeDecayRounds::get() {
				let strikes = Strikes::<T>::mutate(p, |s| {
					*s = s.saturating_sub(1);
					*s
				});
				CleanRounds::<T>::remove(p);
				Self::deposit_event(Event::StrikeForgiven { worker: p.clone(), strikes });
			} else {
				CleanRounds::<T>::insert(p, clean);
			}
		}
		match outcome {
			Outcome::Finalized { tally, .. } => {
				let (total_samples, loss_sum, n) = tally.included.iter().fold(
					(0u64, 0u128, 0u64),
					|(samples, loss, n), w| match Reveals::<T>::get(round, w) {
						Some(r) => (
							samples.saturating_add(r.num_samples),
							loss.saturating_add(u128::from(r.train_loss)),
							n.saturating_add(1),
						),
						None => (samples, loss, n),
					},
				);
				let mean_train_loss = loss_sum
					.checked_div(u128::from(n))
					.and_then(|m| u64::try_from(m).ok())
					.unwrap_or(0);
				let version =
					GlobalModel::<T>::get().map_or(1, |g| g.version.saturating_add(1));
				let participants = u32::try_from(tally.included.len()).unwrap_or(u32::MAX);
				GlobalModel::<T>::put(GlobalModelInfo {
					version,
					round,
					params_hash: tally.aggregate_hash,
					participants,
					votes: tally.votes,
					total_samples,
					mean_train_loss,
					finalized_at: frame_system::Pallet::<T>::block_number(),
				});
				info.phase = Phase::Finalized;
				Self::deposit_event(Event::RoundFinalized {
					round,
					version,
					params_hash: tally.aggregate_hash,
					participants,
					votes: tally.votes,
				});
			},
			Outcome::Failed(reason) => {
				info.phase = Phase::Failed(reason);
				Self::deposit_event(Event::RoundFailed { round, reason });
			},
		}
	}

	/// Moves `info` to `phase` (Reveal, Attest or Aggregate) and emits `PhaseChanged` with the
	/// block that phase ends at.
	fn enter_phase(round: RoundIndex, info: &mut RoundOf<T>, phase: Phase) {
		let ends_at = match phase {
			Phase::Reveal => info.reveal_end,
			Phase::Attest => info.attest_end,
			_ => info.aggregate_end,
		};
		info.phase = phase;
		Self::deposit_event(Event::PhaseChanged { round, phase, ends_at });
	}

	/// `on_initialize`: advances, closes and opens rounds. Returns the weight used.
	pub(crate) fn drive_rounds(now: BlockNumberFor<T>) -> Weight {
		let base = <T as Config>::WeightInfo::advance_phase();
		let Some(round) = CurrentRound::<T>::get() else {
			return base.saturating_add(Self::try_open(now));
		};
		let Some(mut info) = Rounds::<T>::get(round) else {
			// Unreachable (the current round is never pruned); recover by opening a new one.
			return base.saturating_add(Self::try_open(now));
		};
		let mut extra = Weight::zero();
		let fail = match info.phase {
			Phase::Commit if now >= info.commit_end => {
				if info.commits == 0 {
					Some(FailReason::NoCommits)
				} else {
					Self::enter_phase(round, &mut info, Phase::Reveal);
					None
				}
			},
			Phase::Reveal if now >= info.reveal_end => {
				if info.reveals == 0 {
					Some(FailReason::NoReveals)
				} else {
					Self::enter_phase(round, &mut info, Phase::Attest);
					None
				}
			},
			Phase::Attest if now >= info.attest_end => {
				let p = Self::participant_count(&info);
				extra = <T as Config>::WeightInfo::decide_availability(p);
				let fail = Self::decide_availability(round, &mut info);
				if fail.is_none() {
					Self::enter_phase(round, &mut info, Phase::Aggregate);
				}
				fail
			},
			Phase::Aggregate if now >= info.aggregate_end => Some(FailReason::NoQuorum),
			Phase::Finalized | Phase::Failed(_) => return base.saturating_add(Self::try_open(now)),
			_ => return base,
		};
		let base = base.saturating_add(extra);
		match fail {
			None => {
				Rounds::<T>::insert(round, info);
				base
			},
			Some(reason) => {
				let p = Self::participant_count(&info);
				Self::close_round(round, &mut info, Outcome::Failed(reason));
				Rounds::<T>::insert(round, info);
				base.saturating_add(<T as Config>::WeightInfo::close_round(p))
					.saturating_add(Self::try_open(now))
			},
		}
	}

	/// The workers that would take part in a round opening now, sorted.
	pub fn eligible_workers() -> Vec<T::AccountId> {
		let threshold = T::StrikeThreshold::get();
		let mut v: Vec<T::AccountId> = Workers::<T>::iter_keys()
			.filter(|w| T::Validators::is_validator(w) && Strikes::<T>::get(w) < threshold)
			.collect();
		v.sort();
		v
	}

	/// Opens the next round if enough workers are eligible; returns the weight used.
	pub(crate) fn try_open(now: BlockNumberFor<T>) -> Weight {
		let registered = Workers::<T>::count();
		if registered < T::MinParticipants::get() {
			return <T as Config>::WeightInfo::open_round(0);
		}
		// Charged at `MaxWorkers`, not at `registered`: the benchmark's straight-line fit runs
		// through its w = 0 point (no round opens), which puts the intercept below what opening
		// with a few workers does (measured 2026-12-04 at w = 3: 173 reads and 166 writes
		// against 123 and 115 from the fit; at w = 32: 231 and 166 against 239 and 173).
		// `open_round` was measured before server momentum: its read of `ServerMomentum`, the
		// insert into `RoundMomentum` and the prune's removal are added until it is measured
		// again (its benchmark now sets a momentum, so the next measurement includes them).
		let weight = <T as Config>::WeightInfo::open_round(T::MaxWorkers::get())
			.saturating_add(T::DbWeight::get().reads_writes(1, 2));
		let eligible = Self::eligible_workers();
		let min = usize::try_from(T::MinParticipants::get()).unwrap_or(usize::MAX);
		if eligible.len() < min {
			return weight;
		}
		// `Workers` never holds more than `MaxWorkers` entries, so nothing is cut here.
		let participants = WorkerSet::<T>::truncate_from(eligible);
		let index = NextRoundIndex::<T>::get();
		let Some(next) = index.checked_add(1) else { return weight };
		let lengths = Phases::<T>::get();
		let commit_end = now.saturating_add(lengths.commit.into());
		let reveal_end = commit_end.saturating_add(lengths.reveal.into());
		let attest_end = reveal_end.saturating_add(lengths.attest.into());
		let aggregate_end = attest_end.saturating_add(lengths.aggregate.into());
		let rule = Rule::<T>::get();
		let momentum_ppm = ServerMomentum::<T>::get();
		if momentum_ppm > 0 {
			RoundMomentum::<T>::insert(index, momentum_ppm);
		}
		let count = u32::try_from(participants.len()).unwrap_or(u32::MAX);
		Rounds::<T>::insert(
			index,
			RoundInfo {
				participants,
				rule,
				phase: Phase::Commit,
				opened_at: now,
				commit_end,
				reveal_end,
				attest_end,
				aggregate_end,
				commits: 0,
				reveals: 0,
				attestations: 0,
				aggregates: 0,
				available: Default::default(),
			},
		);
		NextRoundIndex::<T>::put(next);
		CurrentRound::<T>::put(index);
		if let Some(old) = index.checked_sub(T::HistoryDepth::get()) {
			Self::prune_round(old);
		}
		Self::deposit_event(Event::RoundOpened {
			round: index,
			participants: count,
			rule,
			momentum_ppm,
			commit_end,
			reveal_end,
			attest_end,
			aggregate_end,
		});
		weight
	}

	/// Removes round `old` and its submissions (each map holds at most `MaxWorkers` entries
	/// of a round).
	fn prune_round(old: RoundIndex) {
		let limit = T::MaxWorkers::get();
		Rounds::<T>::remove(old);
		RoundMomentum::<T>::remove(old);
		let _ = Commits::<T>::clear_prefix(old, limit, None);
		let _ = Reveals::<T>::clear_prefix(old, limit, None);
		let _ = Attestations::<T>::clear_prefix(old, limit, None);
		let _ = Votes::<T>::clear_prefix(old, limit, None);
		let _ = Tallies::<T>::clear_prefix(old, limit, None);
	}

	/// A round for the runtime API.
	pub fn round_view(index: RoundIndex) -> Option<RoundView<T::AccountId, BlockNumberFor<T>>> {
		let r = Rounds::<T>::get(index)?;
		let quorum = quorum_threshold(Self::participant_count(&r));
		Some(RoundView {
			index,
			participants: r.participants.into_inner(),
			rule: r.rule,
			phase: r.phase,
			opened_at: r.opened_at,
			commit_end: r.commit_end,
			reveal_end: r.reveal_end,
			attest_end: r.attest_end,
			aggregate_end: r.aggregate_end,
			quorum,
			available: r.available.into_inner(),
		})
	}

	/// The latest round for the runtime API.
	pub fn current_round_view() -> Option<RoundView<T::AccountId, BlockNumberFor<T>>> {
		CurrentRound::<T>::get().and_then(Self::round_view)
	}

	/// A round's submissions for the runtime API (empty once pruned).
	pub fn round_submissions(index: RoundIndex) -> RoundSubmissions<T::AccountId> {
		RoundSubmissions {
			commits: Commits::<T>::iter_prefix(index).collect(),
			reveals: Reveals::<T>::iter_prefix(index).collect(),
			attestations: Attestations::<T>::iter_prefix(index).map(|(w, held)| (w, held.into_inner())).collect(),
			aggregates: Tallies::<T>::iter_prefix_values(index)
				.map(|t| (t.aggregate_hash, t.included.into_inner(), t.votes))
				.collect(),
		}
	}

	/// Registered workers with their strikes, for the runtime API.
	pub fn workers_view(
	) -> Vec<crate::runtime_api::WorkerView<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		Workers::<T>::iter()
			.map(|(validator, w)| crate::runtime_api::WorkerView {
				strikes: Strikes::<T>::get(&validator),
				validator,
				peer_id: w.peer_id.into_inner(),
				worker_key: w.worker_key,
				deposit: w.deposit,
				registered_at: w.registered_at,
			})
			.collect()
	}

	/// Checks the invariants listed in the crate docs.
	#[cfg(any(feature = "std", feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use frame_support::traits::fungible::InspectHold;
		let next = NextRoundIndex::<T>::get();
		if let Some(c) = CurrentRound::<T>::get() {
			ensure!(c < next && Rounds::<T>::contains_key(c), "current round is not stored");
		}
		let depth = T::HistoryDepth::get();
		ensure!(ServerMomentum::<T>::get() <= gridbrain_aggregation::MAX_MOMENTUM_PPM, "server momentum too high");
		for (index, m) in RoundMomentum::<T>::iter() {
			ensure!(Rounds::<T>::contains_key(index), "a round momentum without its round");
			ensure!(m > 0 && m <= gridbrain_aggregation::MAX_MOMENTUM_PPM, "a round momentum out of range");
		}
		for (index, r) in Rounds::<T>::iter() {
			ensure!(index < next, "a round at or beyond NextRoundIndex");
			ensure!(index.saturating_add(depth) >= next, "a round older than HistoryDepth");
			ensure!(
				r.participants.windows(2).all(|w| matches!(w, [a, b] if a < b)),
				"participants not sorted and unique"
			);
			let p = r.participants.len();
			let commits: Vec<_> = Commits::<T>::iter_key_prefix(index).collect();
			ensure!(commits.len() == r.commits as usize && commits.len() <= p, "commit count");
			ensure!(
				commits.iter().all(|w| r.participants.binary_search(w).is_ok()),
				"a commit by a non-participant"
			);
			let reveals: Vec<_> = Reveals::<T>::iter_key_prefix(index).collect();
			ensure!(reveals.len() == r.reveals as usize, "reveal count");
			ensure!(
				reveals.iter().all(|w| Commits::<T>::contains_key(index, w)),
				"a reveal without a commit"
			);
			let attested: Vec<_> = Attestations::<T>::iter_prefix(index).collect();
			ensure!(
				attested.len() == r.attestations as usize && attested.len() <= p,
				"attestation count"
			);
			for (who, held) in &attested {
				ensure!(r.participants.binary_search(who).is_ok(), "an attestation by a non-participant");
				ensure!(
					held.windows(2).all(|w| matches!(w, [a, b] if a < b)) &&
						held.iter().all(|w| Reveals::<T>::contains_key(index, w)),
					"an attested set not sorted, or naming a non-revealer"
				);
			}
			let decided = !matches!(r.phase, Phase::Commit | Phase::Reveal | Phase::Attest);
			// Rounds migrated from storage version 1 after their reveal phase have no attest
			// phase (attest_end == reveal_end) and every revealer available; their tallies may
			// include any revealers.
			let migrated = r.attest_end == r.reveal_end;
			ensure!(r.available.iter().all(|w| Reveals::<T>::contains_key(index, w)), "an available non-revealer");
			if !decided {
				ensure!(r.available.is_empty(), "an available set before the attest phase ended");
			} else if !migrated {
				let (available, _, _) = Self::availability(index, &r);
				ensure!(r.available.as_slice() == available.as_slice(), "available set differs from the attestations");
				for t in Tallies::<T>::iter_prefix_values(index) {
					ensure!(t.included == r.available, "a tally of another set than the available one");
				}
			}
			let votes: Vec<_> = Votes::<T>::iter_prefix(index).collect();
			ensure!(votes.len() == r.aggregates as usize && votes.len() <= p, "vote count");
			ensure!(
				votes.iter().all(|(_, k)| Tallies::<T>::contains_key(index, k)),
				"a vote without a tally"
			);
			let tallied = Tallies::<T>::iter_prefix_values(index)
				.fold(0u32, |acc, t| acc.saturating_add(t.votes));
			ensure!(tallied == r.aggregates, "tally votes differ from votes");
		}
		for (index, _) in Commits::<T>::iter_keys() {
			ensure!(Rounds::<T>::contains_key(index), "a commit of a pruned round");
		}
		for (index, _) in Tallies::<T>::iter_keys() {
			ensure!(Rounds::<T>::contains_key(index), "a tally of a pruned round");
		}
		for (index, _) in Attestations::<T>::iter_keys() {
			ensure!(Rounds::<T>::contains_key(index), "an attestation of a pruned round");
		}
		for (who, clean) in CleanRounds::<T>::iter() {
			ensure!(
				clean < T::StrikeDecayRounds::get() && Strikes::<T>::get(&who) > 0,
				"clean rounds counted for a worker without strikes, or past the decay"
			);
		}
		let mut workers = 0u32;
		for (who, w) in Workers::<T>::iter() {
			workers = workers.saturating_add(1);
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::WorkerDeposit.into(), &who) == w.deposit,
				"worker hold differs from its deposit"
			);
			ensure!(WorkerKeys::<T>::get(w.worker_key).as_ref() == Some(&who), "worker key map");
		}
		ensure!(workers == Workers::<T>::count(), "worker counter");
		ensure!(WorkerKeys::<T>::iter().count() == workers as usize, "stale worker keys");
		let mut bound = 0usize;
		for (validator, account) in WorkerAccounts::<T>::iter() {
			bound = bound.saturating_add(1);
			ensure!(Workers::<T>::contains_key(&validator), "a worker account of an unregistered validator");
			ensure!(!Workers::<T>::contains_key(&account) && account != validator, "a worker account with a worker of its own");
			ensure!(ActsFor::<T>::get(&account).as_ref() == Some(&validator), "worker account maps disagree");
		}
		ensure!(ActsFor::<T>::iter().count() == bound, "stale ActsFor entries");
		if let Some(g) = GlobalModel::<T>::get() {
			ensure!(g.version <= next && g.round < next, "global model ahead of rounds");
		}
		Ok(())
	}
}
