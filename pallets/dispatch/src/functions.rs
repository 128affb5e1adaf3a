//! The Dispatch pallet's logic (every no-panic lint applies here).

use crate::*;
use frame_support::{pallet_prelude::*, traits::Get};
use frame_system::pallet_prelude::BlockNumberFor;
use gridbrain_aggregation::{
	agreement::{coordinate_median, realised_imbalance, zone_net_kw},
	quorum_threshold,
};
use pallet_energy_data::IntervalIndex;

impl<T: Config> Pallet<T> {
	/// Checks a grid map against the pallet's bounds.
	pub fn check_grid_map(map: &GridMapOf<T>) -> Result<(), GridMapProblem> {
		if map.case.is_empty() {
			return Err(GridMapProblem::EmptyCaseName);
		}
		if map.generators == 0 || map.generators > T::MaxGenerators::get() {
			return Err(GridMapProblem::Generators);
		}
		if map.zones.is_empty() {
			return Err(GridMapProblem::NoZones);
		}
		if map
			.zones
			.windows(2)
			.any(|w| matches!(w, [a, b] if a.zone >= b.zone))
		{
			return Err(GridMapProblem::ZonesNotSorted);
		}
		let max_zones = <T as pallet_energy_data::Config>::MaxZones::get();
		if map.zones.iter().any(|z| u32::from(z.zone) >= max_zones) {
			return Err(GridMapProblem::UnknownZone);
		}
		if map.zones.iter().any(|z| z.scale == 0) {
			return Err(GridMapProblem::ZeroScale);
		}
		Ok(())
	}

	/// Most plans that can be open at once (what a new grid map may have to drop): each open
	/// interval holds fewer than its quorum.
	pub fn max_open_plans() -> u32 {
		let per_interval = quorum_threshold(T::MaxParticipants::get()).saturating_sub(1);
		T::SubmissionHorizon::get().saturating_mul(per_interval)
	}

	/// Plans an agreement reads at most: the quorum of the largest participant set.
	pub fn max_quorum() -> u32 {
		quorum_threshold(T::MaxParticipants::get())
	}

	/// Sets the map and drops the open plans; returns how many plans it dropped.
	pub(crate) fn do_set_grid_map(map: GridMapOf<T>) -> Result<u32, DispatchError> {
		Self::check_grid_map(&map).map_err(|problem| Error::<T>::InvalidGridMap { problem })?;
		let intervals = PendingIntervals::<T>::take();
		let mut plans: u32 = 0;
		for &interval in &intervals {
			let dropped = Self::drop_plans(interval)
				.map(|p| p.submitted)
				.unwrap_or_default();
			plans = plans.saturating_add(dropped);
		}
		Self::deposit_event(Event::GridMapSet {
			case: map.case.to_vec(),
			generators: map.generators,
			zones: map.zones.len() as u32,
		});
		GridMapping::<T>::put(map);
		if !intervals.is_empty() {
			Self::deposit_event(Event::PendingPlansDropped {
				intervals: intervals.to_vec(),
				plans,
			});
		}
		Ok(plans)
	}

	/// Removes an interval's open plans and its `Pending` record (not its `PendingIntervals`
	/// entry); returns the record.
	fn drop_plans(interval: IntervalIndex) -> Option<PendingOf<T>> {
		let pending = Pending::<T>::take(interval)?;
		// At most one plan per participant is stored, so this limit removes them all.
		let _ = Submissions::<T>::clear_prefix(interval, T::MaxParticipants::get(), None);
		Some(pending)
	}

	/// Stores a plan; returns `Some(plans)` when it completed the quorum and the dispatch was
	/// agreed over `plans` plans.
	pub(crate) fn do_submit_plan(
		who: T::AccountId,
		interval: IntervalIndex,
		submission: SubmissionOf<T>,
	) -> Result<Option<u32>, DispatchError> {
		let map = GridMapping::<T>::get().ok_or(Error::<T>::NoGridMap)?;
		let current = pallet_energy_data::Pallet::<T>::current_interval();
		ensure!(interval > current, Error::<T>::TooLate);
		ensure!(
			interval <= current.saturating_add(T::SubmissionHorizon::get()),
			Error::<T>::TooEarly
		);
		ensure!(
			!Agreed::<T>::contains_key(interval),
			Error::<T>::AlreadyAgreed
		);
		ensure!(
			submission.plan.forecast_kw.len() == map.zones.len(),
			Error::<T>::WrongZoneCount
		);
		ensure!(
			submission.plan.setpoints_kw.len() == map.generators as usize,
			Error::<T>::WrongGeneratorCount
		);
		let latest = T::Participants::model_version().ok_or(Error::<T>::NoModel)?;
		ensure!(submission.model_version <= latest, Error::<T>::UnknownModel);
		ensure!(
			submission.model_version.saturating_add(1) >= latest,
			Error::<T>::StaleModel
		);

		let mut pending = match Pending::<T>::get(interval) {
			Some(p) => p,
			None => PendingPlans {
				participants: Self::participants_now(),
				submitted: 0,
			},
		};
		ensure!(
			pending.participants.binary_search(&who).is_ok(),
			Error::<T>::NotParticipant
		);
		ensure!(
			!Submissions::<T>::contains_key(interval, &who),
			Error::<T>::AlreadySubmitted
		);

		let participants = pending.participants.len() as u32;
		let needed = quorum_threshold(participants);
		pending.submitted = pending.submitted.saturating_add(1);
		Self::deposit_event(Event::PlanSubmitted {
			interval,
			participant: who.clone(),
			model_version: submission.model_version,
			submitted: pending.submitted,
			needed,
		});
		if pending.submitted < needed {
			if pending.submitted == 1 {
				// At most SubmissionHorizon intervals are open (all in (current, current +
				// horizon]); expired ones left at this block's `on_initialize`.
				PendingIntervals::<T>::try_mutate(|list| {
					let at = list.binary_search(&interval).unwrap_or_else(|at| at);
					list.try_insert(at, interval)
				})
				.map_err(|_| Error::<T>::TooEarly)?;
			}
			Submissions::<T>::insert(interval, &who, submission);
			Pending::<T>::insert(interval, pending);
			return Ok(None);
		}

		// The quorum: the median of the stored plans and this one.
		let mut plans: Vec<SubmissionOf<T>> =
			Submissions::<T>::iter_prefix_values(interval).collect();
		plans.push(submission);
		let agreed = Self::median_of(&plans, &map, participants)?;
		let submitters = agreed.submitters;
		let model_versions = agreed.model_versions;
		Agreed::<T>::insert(interval, agreed);
		let _ = Self::drop_plans(interval);
		PendingIntervals::<T>::mutate(|list| list.retain(|&i| i != interval));
		Self::deposit_event(Event::DispatchAgreed {
			interval,
			model_versions,
			submitters,
			participants,
		});
		Ok(Some(submitters))
	}

	/// The participants now, sorted, unique, cut to `MaxParticipants`.
	fn participants_now() -> BoundedVec<T::AccountId, T::MaxParticipants> {
		let mut all = T::Participants::participants();
		all.sort();
		all.dedup();
		all.truncate(T::MaxParticipants::get() as usize);
		BoundedVec::truncate_from(all)
	}

	/// The agreed dispatch of `plans` (all of the map's shape).
	fn median_of(
		plans: &[SubmissionOf<T>],
		map: &GridMapOf<T>,
		participants: u32,
	) -> Result<AgreedOf<T>, DispatchError> {
		let forecasts: Vec<&[i64]> = plans
			.iter()
			.map(|p| p.plan.forecast_kw.as_slice())
			.collect();
		let setpoints: Vec<&[i64]> = plans
			.iter()
			.map(|p| p.plan.setpoints_kw.as_slice())
			.collect();
		// Every stored plan passed the same shape checks, so neither can fail; map it to an
		// error, never a panic.
		let forecast = coordinate_median(&forecasts).map_err(|_| Error::<T>::WrongZoneCount)?;
		let setpoints =
			coordinate_median(&setpoints).map_err(|_| Error::<T>::WrongGeneratorCount)?;
		let oldest = plans
			.iter()
			.map(|p| p.model_version)
			.min()
			.unwrap_or_default();
		let newest = plans
			.iter()
			.map(|p| p.model_version)
			.max()
			.unwrap_or_default();
		Ok(AgreedDispatch {
			plan: Plan {
				forecast_kw: BoundedVec::try_from(forecast)
					.map_err(|_| Error::<T>::WrongZoneCount)?,
				setpoints_kw: BoundedVec::try_from(setpoints)
					.map_err(|_| Error::<T>::WrongGeneratorCount)?,
			},
			model_versions: (oldest, newest),
			submitters: plans.len() as u32,
			participants,
			zones: map.zones.clone(),
			agreed_at: frame_system::Pallet::<T>::block_number(),
		})
	}

	/// `on_initialize`: expires the plans of started intervals and accounts for sealed ones.
	pub(crate) fn on_block(now: BlockNumberFor<T>) -> Weight {
		let current = pallet_energy_data::Pallet::<T>::interval_of(now);
		let mut weight = T::DbWeight::get().reads(1);

		let open = PendingIntervals::<T>::get();
		let started = open.iter().take_while(|&&i| i <= current).count();
		if started > 0 {
			for &interval in open.iter().take(started) {
				let Some(pending) = Self::drop_plans(interval) else {
					continue;
				};
				let needed = quorum_threshold(pending.participants.len() as u32);
				Self::deposit_event(Event::DispatchMissed {
					interval,
					submitted: pending.submitted,
					needed,
				});
				weight
					.saturating_accrue(<T as Config>::WeightInfo::expire_plans(pending.submitted));
			}
			PendingIntervals::<T>::put(BoundedVec::truncate_from(
				open.iter().skip(started).copied().collect(),
			));
		}

		let sealed_before = pallet_energy_data::NextToSeal::<T>::get();
		let mut next = match NextToAccount::<T>::get() {
			Some(n) => n,
			None => {
				NextToAccount::<T>::put(current);
				return weight.saturating_add(T::DbWeight::get().reads_writes(1, 1));
			}
		};
		weight.saturating_accrue(T::DbWeight::get().reads(2));
		let mut accounted = 0;
		while next < sealed_before && accounted < T::MaxAccountedPerBlock::get() {
			Self::account(next);
			weight.saturating_accrue(<T as Config>::WeightInfo::account_interval());
			next = next.saturating_add(1);
			accounted = accounted.saturating_add(1);
		}
		if accounted > 0 {
			NextToAccount::<T>::put(next);
		}
		weight
	}

	/// Records interval `i`'s imbalance (if it has an agreed dispatch and a sealed block) and
	/// prunes interval `i − HistoryDepth`.
	pub(crate) fn account(interval: IntervalIndex) {
		if let Some(old) = interval.checked_sub(T::HistoryDepth::get()) {
			Agreed::<T>::remove(old);
			Imbalances::<T>::remove(old);
		}
		let Some(agreed) = Agreed::<T>::get(interval) else {
			return;
		};
		let Some(block) = pallet_energy_data::EnergyDataBlocks::<T>::get(interval) else {
			return;
		};
		let seconds = <T as pallet_energy_data::Config>::IntervalSeconds::get();
		let actual: Vec<i64> = agreed
			.zones
			.iter()
			.map(|z| {
				let (produced, consumed) = block
					.per_zone
					.iter()
					.find(|t| t.zone == z.zone)
					.map(|t| (t.produced_wh, t.consumed_wh))
					.unwrap_or_default();
				// Saturate an absurd total rather than lose the record.
				zone_net_kw(produced, consumed, seconds, z.scale).unwrap_or(
					if consumed >= produced {
						i64::MAX
					} else {
						i64::MIN
					},
				)
			})
			.collect();
		let Ok(imbalance) = realised_imbalance(&agreed.plan.forecast_kw, &actual) else {
			return;
		};
		let record = ImbalanceRecord {
			actual_kw: BoundedVec::truncate_from(actual),
			per_zone_kw: BoundedVec::truncate_from(imbalance.per_zone_kw),
			net_kw: imbalance.net_kw,
			absolute_kw: imbalance.absolute_kw,
			reading_count: block.reading_count,
		};
		Self::deposit_event(Event::ImbalanceRecorded {
			interval,
			net_kw: record.net_kw,
			absolute_kw: record.absolute_kw,
			reading_count: record.reading_count,
		});
		Imbalances::<T>::insert(interval, record);
	}

	/// The `try_state` checks (see the crate docs' invariants).
	#[cfg(any(feature = "std", feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let current = pallet_energy_data::Pallet::<T>::current_interval();
		let open = PendingIntervals::<T>::get();
		ensure!(
			open.windows(2).all(|w| matches!(w, [a, b] if a < b)),
			"PendingIntervals not ascending"
		);
		ensure!(
			open.iter()
				.all(|&i| i > current && i <= current.saturating_add(T::SubmissionHorizon::get())),
			"open interval outside the submission window"
		);
		ensure!(
			open.iter().all(|&i| Pending::<T>::contains_key(i)),
			"listed interval without Pending"
		);
		for (interval, pending) in Pending::<T>::iter() {
			ensure!(open.contains(&interval), "Pending interval not listed");
			ensure!(
				!Agreed::<T>::contains_key(interval),
				"agreed interval with open plans"
			);
			ensure!(
				pending
					.participants
					.windows(2)
					.all(|w| matches!(w, [a, b] if a < b)),
				"participants not sorted and unique"
			);
			let mut count: u32 = 0;
			for (who, _) in Submissions::<T>::iter_prefix(interval) {
				ensure!(
					pending.participants.binary_search(&who).is_ok(),
					"plan by a non-participant"
				);
				count = count.saturating_add(1);
			}
			ensure!(
				count == pending.submitted,
				"plan count differs from the stored plans"
			);
			ensure!(
				pending.submitted < quorum_threshold(pending.participants.len() as u32),
				"open interval at quorum"
			);
		}
		for (interval, _, _) in Submissions::<T>::iter() {
			ensure!(
				Pending::<T>::contains_key(interval),
				"plan without a Pending record"
			);
		}
		let next = NextToAccount::<T>::get();
		let oldest = next
			.map(|n| n.saturating_sub(T::HistoryDepth::get()))
			.unwrap_or_default();
		for (interval, agreed) in Agreed::<T>::iter() {
			ensure!(
				interval >= oldest,
				"agreed dispatch older than HistoryDepth"
			);
			ensure!(
				agreed.plan.forecast_kw.len() == agreed.zones.len(),
				"forecast/zone count"
			);
			ensure!(
				!agreed.plan.setpoints_kw.is_empty()
					&& agreed.plan.setpoints_kw.len() <= T::MaxGenerators::get() as usize,
				"set-point count"
			);
			ensure!(
				agreed.submitters >= quorum_threshold(agreed.participants),
				"agreed below quorum"
			);
			ensure!(
				agreed.submitters <= agreed.participants,
				"more submitters than participants"
			);
			ensure!(
				agreed.model_versions.0 <= agreed.model_versions.1,
				"model versions unordered"
			);
		}
		for (interval, record) in Imbalances::<T>::iter() {
			let agreed =
				Agreed::<T>::get(interval).ok_or("imbalance without an agreed dispatch")?;
			ensure!(
				next.is_some_and(|n| interval < n),
				"imbalance of an interval not accounted"
			);
			ensure!(
				record.per_zone_kw.len() == agreed.zones.len(),
				"imbalance zone count"
			);
			ensure!(
				record.actual_kw.len() == agreed.zones.len(),
				"actual zone count"
			);
		}
		Ok(())
	}
}

/// Runtime API queries.
impl<T: Config> Pallet<T> {
	/// The grid map.
	pub fn grid_map_view() -> Option<runtime_api::GridMapView> {
		GridMapping::<T>::get().map(|m| runtime_api::GridMapView {
			case: m.case.to_vec(),
			generators: m.generators,
			zones: m.zones.to_vec(),
		})
	}

	/// An interval's agreed dispatch with its imbalance.
	pub fn dispatch_view(
		interval: IntervalIndex,
	) -> Option<runtime_api::DispatchView<BlockNumberFor<T>>> {
		let a = Agreed::<T>::get(interval)?;
		Some(runtime_api::DispatchView {
			interval,
			forecast_kw: a.plan.forecast_kw.to_vec(),
			setpoints_kw: a.plan.setpoints_kw.to_vec(),
			model_versions: a.model_versions,
			submitters: a.submitters,
			participants: a.participants,
			zones: a.zones.to_vec(),
			agreed_at: a.agreed_at,
			imbalance: Imbalances::<T>::get(interval).map(|r| runtime_api::ImbalanceView {
				actual_kw: r.actual_kw.to_vec(),
				per_zone_kw: r.per_zone_kw.to_vec(),
				net_kw: r.net_kw,
				absolute_kw: r.absolute_kw,
				reading_count: r.reading_count,
			}),
		})
	}

	/// An interval's open plans.
	pub fn pending_view(interval: IntervalIndex) -> Option<PendingView<T::AccountId>> {
		let p = Pending::<T>::get(interval)?;
		Some(PendingView {
			interval,
			needed: quorum_threshold(p.participants.len() as u32),
			submitted: Submissions::<T>::iter_key_prefix(interval).collect(),
			participants: p.participants.into_inner(),
		})
	}

	/// The agreed dispatches of the latest `count` intervals (bounded), ascending.
	pub fn recent_views(count: u32) -> Vec<runtime_api::DispatchView<BlockNumberFor<T>>> {
		let last = pallet_energy_data::Pallet::<T>::current_interval()
			.saturating_add(T::SubmissionHorizon::get());
		let count = count.min(T::HistoryDepth::get().saturating_add(T::SubmissionHorizon::get()));
		let first = last.saturating_sub(count.saturating_sub(1));
		if count == 0 {
			return Vec::new();
		}
		(first..=last).filter_map(Self::dispatch_view).collect()
	}
}
