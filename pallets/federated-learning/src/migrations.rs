//! Storage migrations of the FederatedLearning pallet.

/// Version 1 → 2: rounds get an **attest** (availability) phase.
///
/// - `Phases` gains `attest`: the default length (`DefaultPhaseLengths::attest`).
/// - Every stored round gets `attest_end`, `attestations: 0` and `available`:
///   - a round still in Commit or Reveal gets the attest phase inserted after its reveal phase
///     (`attest_end = reveal_end + attest`, `aggregate_end += attest`), so it runs the new
///     protocol from there;
///   - a round already in Aggregate or closed gets `attest_end = reveal_end` (no attest
///     phase) and every revealer available: version 1 let an aggregate include any revealers,
///     and an honest worker included all it could get. `try_state` recognises these rounds by
///     `attest_end == reveal_end`, which a new round cannot have (every phase lasts ≥ 1 block).
///
/// At most `HistoryDepth` rounds (16 on the runtime) and their reveals: one block.
pub mod v2 {
	use crate::{
		pallet::{Config, Pallet, Phases, Reveals, Rounds},
		types::*,
		WorkerSet,
	};
	use alloc::vec::Vec;
	use codec::{Decode, Encode};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use sp_runtime::Saturating;

	/// Phase lengths as stored in version 1.
	#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
	pub struct PhaseLengthsV1 {
		/// Commit blocks.
		pub commit: u32,
		/// Reveal blocks.
		pub reveal: u32,
		/// Aggregate blocks.
		pub aggregate: u32,
	}

	/// A round as stored in version 1.
	#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
	pub struct RoundInfoV1<AccountId, BlockNumber> {
		/// Participants, sorted.
		pub participants: Vec<AccountId>,
		/// Rule.
		pub rule: AggregationRule,
		/// Phase.
		pub phase: Phase,
		/// Opening block.
		pub opened_at: BlockNumber,
		/// First block of the reveal phase.
		pub commit_end: BlockNumber,
		/// First block of the aggregate phase.
		pub reveal_end: BlockNumber,
		/// End of the aggregate phase.
		pub aggregate_end: BlockNumber,
		/// Commitments.
		pub commits: u32,
		/// Reveals.
		pub reveals: u32,
		/// Aggregate votes.
		pub aggregates: u32,
	}

	/// The unversioned step (use [`MigrateV1ToV2`]).
	pub struct InnerMigrateV1ToV2<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let attest = T::DefaultPhaseLengths::get().attest;
			let mut phases_migrated = 0u64;
			match Phases::<T>::translate::<PhaseLengthsV1, _>(|old| {
				old.map(|o| PhaseLengths { commit: o.commit, reveal: o.reveal, attest, aggregate: o.aggregate })
			}) {
				Ok(Some(_)) => phases_migrated = 1,
				Ok(None) => {},
				// Undecodable: back to the default lengths rather than a value nobody can read.
				Err(()) => {
					Phases::<T>::kill();
					phases_migrated = 1;
				},
			}
			let mut rounds = 0u64;
			let mut reveals = 0u64;
			Rounds::<T>::translate::<RoundInfoV1<T::AccountId, BlockNumberFor<T>>, _>(|index, old| {
				rounds = rounds.saturating_add(1);
				let before_attest = matches!(old.phase, Phase::Commit | Phase::Reveal);
				let (attest_end, aggregate_end, available) = if before_attest {
					let attest_end = old.reveal_end.saturating_add(attest.into());
					(attest_end, old.aggregate_end.saturating_add(attest.into()), Vec::new())
				} else {
					let mut all: Vec<T::AccountId> = Reveals::<T>::iter_key_prefix(index).collect();
					reveals = reveals.saturating_add(all.len() as u64);
					all.sort();
					(old.reveal_end, old.aggregate_end, all)
				};
				Some(RoundInfo {
					participants: WorkerSet::<T>::truncate_from(old.participants),
					rule: old.rule,
					phase: old.phase,
					opened_at: old.opened_at,
					commit_end: old.commit_end,
					reveal_end: old.reveal_end,
					attest_end,
					aggregate_end,
					commits: old.commits,
					reveals: old.reveals,
					attestations: 0,
					aggregates: old.aggregates,
					available: WorkerSet::<T>::truncate_from(available),
				})
			});
			log::info!(
				target: "runtime::federated-learning",
				"storage version 2: {rounds} rounds given an attest phase or their available set, phase lengths migrated: {phases_migrated}"
			);
			let n = rounds.saturating_add(phases_migrated);
			T::DbWeight::get().reads_writes(n.saturating_add(reveals), n)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			let mut rounds = Vec::new();
			for index in Rounds::<T>::iter_keys() {
				let raw = frame_support::storage::unhashed::get_raw(&Rounds::<T>::hashed_key_for(index))
					.ok_or("round key without a value")?;
				let old = RoundInfoV1::<T::AccountId, BlockNumberFor<T>>::decode(&mut &raw[..])
					.map_err(|_| "a round does not decode as version 1")?;
				rounds.push((index, old.phase, old.reveal_end, old.aggregate_end));
			}
			Ok(rounds.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			#[allow(clippy::type_complexity)]
			let before: Vec<(RoundIndex, Phase, BlockNumberFor<T>, BlockNumberFor<T>)> =
				Decode::decode(&mut &state[..]).map_err(|_| "pre_upgrade state does not decode")?;
			let attest = T::DefaultPhaseLengths::get().attest;
			ensure!(Phases::<T>::get().is_valid(), "phase lengths invalid after the upgrade");
			ensure!(before.len() == Rounds::<T>::iter_keys().count(), "rounds appeared or vanished");
			for (index, phase, reveal_end, aggregate_end) in before {
				let r = Rounds::<T>::get(index).ok_or("a round vanished")?;
				ensure!(r.phase == phase && r.reveal_end == reveal_end, "a round's phase or reveal end changed");
				if matches!(phase, Phase::Commit | Phase::Reveal) {
					ensure!(
						r.attest_end == reveal_end.saturating_add(attest.into()) &&
							r.aggregate_end == aggregate_end.saturating_add(attest.into()),
						"an open round without its attest phase"
					);
				} else {
					ensure!(r.attest_end == reveal_end && r.aggregate_end == aggregate_end, "a closed round rescheduled");
					ensure!(r.available.len() as u32 == r.reveals, "a migrated round's available set is not its revealers");
				}
			}
			ensure!(Pallet::<T>::on_chain_storage_version() == 2, "storage version not set to 2");
			Pallet::<T>::do_try_state()
		}
	}

	/// Migrates FederatedLearning from storage version 1 to 2 (only when on-chain version is 1).
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		InnerMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
