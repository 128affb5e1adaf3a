//! Benchmarks of the Dispatch pallet (frame-benchmarking v2), each at its worst case; every
//! benchmark's `verify` asserts that its setup took the path it claims to measure.

#![allow(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::indexing_slicing
)]

use super::*;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};
use frame_system::RawOrigin;
use gridbrain_aggregation::quorum_threshold;
use pallet_energy_data::{EnergyDataBlock, IntervalIndex, ZoneTotals};

fn max_zones<T: Config>() -> u32 {
	<T as pallet_energy_data::Config>::MaxZones::get()
}

/// A grid map of the largest shape: every zone mapped, `MaxGenerators` set-points.
fn big_map<T: Config>() -> GridMapOf<T> {
	GridMap {
		case: BoundedVec::truncate_from(vec![b'c'; MAX_CASE_NAME as usize]),
		generators: T::MaxGenerators::get(),
		zones: BoundedVec::truncate_from(
			(0..max_zones::<T>())
				.map(|z| ZoneBus {
					zone: z as u16,
					bus: z + 1,
					scale: 1_000,
				})
				.collect(),
		),
	}
}

/// `n` participants (sorted) and a finalized model version 7; the largest grid map.
fn setup<T: Config>(n: u32) -> Vec<T::AccountId> {
	GridMapping::<T>::put(big_map::<T>());
	let mut who: Vec<T::AccountId> = (0..n).map(|i| account("participant", i, 0)).collect();
	for w in &who {
		T::Participants::add_participant(w);
	}
	T::Participants::set_model_version(7);
	who.sort();
	assert!(
		T::Participants::participants().len() >= n as usize,
		"participants added"
	);
	who
}

/// A plan of the largest shape whose values differ by participant.
fn big_plan<T: Config>(
	i: u32,
) -> (
	BoundedVec<i64, <T as pallet_energy_data::Config>::MaxZones>,
	BoundedVec<i64, T::MaxGenerators>,
) {
	let v = i64::from(i) * 1_000 - 500_000;
	(
		BoundedVec::truncate_from(vec![v; max_zones::<T>() as usize]),
		BoundedVec::truncate_from(vec![-v; T::MaxGenerators::get() as usize]),
	)
}

fn submit<T: Config>(who: &T::AccountId, interval: IntervalIndex, i: u32) {
	let (f, s) = big_plan::<T>(i);
	Pallet::<T>::submit_plan(RawOrigin::Signed(who.clone()).into(), interval, 7, f, s)
		.expect("benchmark plan");
}

/// The current interval is 0 while the block is below `IntervalBlocks`.
fn at_interval_zero<T: Config>() {
	frame_system::Pallet::<T>::set_block_number(1u32.into());
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// The first plan of an interval, not completing the quorum: it snapshots the largest
	/// participant set and joins `SubmissionHorizon − 1` other open intervals.
	#[benchmark]
	fn submit_plan() {
		at_interval_zero::<T>();
		let ps = setup::<T>(T::MaxParticipants::get());
		let horizon = T::SubmissionHorizon::get();
		for interval in 1..horizon {
			submit::<T>(&ps[0], interval, 0);
		}
		let (f, s) = big_plan::<T>(1);
		let who = ps[ps.len() - 1].clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), horizon, 7, f, s);

		assert!(Submissions::<T>::contains_key(horizon, &who));
		assert_eq!(
			Pending::<T>::get(horizon)
				.expect("pending")
				.participants
				.len() as u32,
			T::MaxParticipants::get()
		);
		assert_eq!(PendingIntervals::<T>::get().len() as u32, horizon);
		assert!(Agreed::<T>::get(horizon).is_none());
	}

	/// The plan that completes a quorum of `p` plans: reads the other `p − 1`, takes the median
	/// over the largest shape, records it and clears the plans.
	#[benchmark]
	fn submit_plan_agree(p: Linear<1, { quorum_threshold(T::MaxParticipants::get()) }>) {
		at_interval_zero::<T>();
		// `n` participants whose quorum is exactly `p`.
		let n = (p * 3 / 2).clamp(1, T::MaxParticipants::get());
		let ps = setup::<T>(n);
		assert_eq!(quorum_threshold(n), p);
		for (i, w) in ps.iter().enumerate().take(p as usize - 1) {
			submit::<T>(w, 1, i as u32);
		}
		let (f, s) = big_plan::<T>(p);
		let who = ps[p as usize - 1].clone();

		#[extrinsic_call]
		submit_plan(RawOrigin::Signed(who), 1, 7, f, s);

		let agreed = Agreed::<T>::get(1).expect("agreed");
		assert_eq!(agreed.submitters, p);
		assert_eq!(
			agreed.plan.setpoints_kw.len() as u32,
			T::MaxGenerators::get()
		);
		assert!(Pending::<T>::get(1).is_none());
		assert_eq!(Submissions::<T>::iter_prefix(1).count(), 0);
	}

	/// A new grid map dropping `p` open plans spread over the open intervals.
	#[benchmark]
	fn set_grid_map(p: Linear<0, { Pallet::<T>::max_open_plans() }>) {
		at_interval_zero::<T>();
		let ps = setup::<T>(T::MaxParticipants::get());
		let per_interval = quorum_threshold(T::MaxParticipants::get()) - 1;
		for k in 0..p {
			let interval = 1 + k / per_interval;
			submit::<T>(&ps[(k % per_interval) as usize], interval, k);
		}
		let origin = <T as Config>::AdminOrigin::try_successful_origin().expect("admin origin");

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, big_map::<T>());

		assert!(PendingIntervals::<T>::get().is_empty());
		assert_eq!(Submissions::<T>::iter().count(), 0);
	}

	/// An interval starting with `p` plans short of the quorum (`on_initialize`).
	#[benchmark]
	fn expire_plans(p: Linear<0, { quorum_threshold(T::MaxParticipants::get()) - 1 }>) {
		at_interval_zero::<T>();
		let ps = setup::<T>(T::MaxParticipants::get());
		for (i, w) in ps.iter().enumerate().take(p as usize) {
			submit::<T>(w, 1, i as u32);
		}
		let start = <T as pallet_energy_data::Config>::IntervalBlocks::get();
		frame_system::Pallet::<T>::set_block_number(start.into());

		#[block]
		{
			Pallet::<T>::on_block(start.into());
		}

		assert!(Pending::<T>::get(1).is_none());
		assert_eq!(Submissions::<T>::iter().count(), 0);
	}

	/// Accounting for one sealed interval: an agreed dispatch and a sealed block of the largest
	/// shape, and a full history to prune.
	#[benchmark]
	fn account_interval() {
		let depth = T::HistoryDepth::get();
		let interval: IntervalIndex = depth + 1;
		let zones = max_zones::<T>();
		let (f, s) = big_plan::<T>(3);
		let agreed: AgreedOf<T> = AgreedDispatch {
			plan: Plan {
				forecast_kw: f,
				setpoints_kw: s,
			},
			model_versions: (6, 7),
			submitters: 3,
			participants: 4,
			zones: big_map::<T>().zones,
			agreed_at: 1u32.into(),
		};
		let old = interval - depth;
		Agreed::<T>::insert(old, agreed.clone());
		Imbalances::<T>::insert(
			old,
			ImbalanceRecord {
				actual_kw: agreed.plan.forecast_kw.clone(),
				per_zone_kw: agreed.plan.forecast_kw.clone(),
				net_kw: 0,
				absolute_kw: 0,
				reading_count: 0,
			},
		);
		Agreed::<T>::insert(interval, agreed);
		pallet_energy_data::EnergyDataBlocks::<T>::insert(
			interval,
			EnergyDataBlock {
				interval,
				reading_count: zones,
				total_produced_wh: 0,
				total_consumed_wh: 0,
				per_zone: BoundedVec::truncate_from(
					(0..zones)
						.map(|z| ZoneTotals {
							zone: z as u16,
							reading_count: 1,
							produced_wh: 1_000,
							consumed_wh: 3_000,
						})
						.collect(),
				),
				readings_root: Default::default(),
			},
		);

		#[block]
		{
			Pallet::<T>::account(interval);
		}

		assert!(Imbalances::<T>::get(interval).is_some());
		assert!(Agreed::<T>::get(old).is_none());
		assert!(Imbalances::<T>::get(old).is_none());
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
