//! Tests of the Dispatch pallet.

#![allow(
	clippy::arithmetic_side_effects,
	clippy::indexing_slicing,
	clippy::unwrap_used,
	clippy::expect_used
)]

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::Hooks as _, BoundedVec};
use pallet_energy_data::IntervalIndex;
use sp_runtime::DispatchError;

fn submit(
	who: u64,
	interval: IntervalIndex,
	forecast: &[i64],
	setpoints: &[i64],
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	Dispatch::submit_plan(
		RuntimeOrigin::signed(who),
		interval,
		5,
		BoundedVec::truncate_from(forecast.to_vec()),
		BoundedVec::truncate_from(setpoints.to_vec()),
	)
}

fn plan(
	who: u64,
	interval: IntervalIndex,
	base: i64,
) -> frame_support::dispatch::DispatchResultWithPostInfo {
	submit(who, interval, &[base, -base], &[base, 2 * base, 3 * base])
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| {
			if let RuntimeEvent::Dispatch(e) = r.event {
				Some(e)
			} else {
				None
			}
		})
		.collect()
}

fn last_event() -> Event<Test> {
	events().pop().expect("an event")
}

#[test]
fn genesis_sets_the_map_and_the_accounting_cursor() {
	build_and_execute(|| {
		assert_eq!(GridMapping::<Test>::get(), Some(test_map()));
		assert_eq!(NextToAccount::<Test>::get(), Some(0));
		let view = Dispatch::grid_map_view().unwrap();
		assert_eq!(view.case, b"ieee14".to_vec());
		assert_eq!(view.generators, 3);
		assert_eq!(view.zones.len(), 2);
	});
}

#[test]
fn set_grid_map_is_admin_only_and_checks_the_map() {
	build_and_execute(|| {
		let map = test_map();
		assert_noop!(
			Dispatch::set_grid_map(RuntimeOrigin::signed(ALICE), map.clone()),
			DispatchError::BadOrigin
		);
		let invalid = |problem| Error::<Test>::InvalidGridMap { problem };
		let mut m = map.clone();
		m.case = Default::default();
		assert_noop!(
			Dispatch::set_grid_map(RuntimeOrigin::root(), m),
			invalid(GridMapProblem::EmptyCaseName)
		);
		let mut m = map.clone();
		m.generators = 0;
		assert_noop!(
			Dispatch::set_grid_map(RuntimeOrigin::root(), m),
			invalid(GridMapProblem::Generators)
		);
		let mut m = map.clone();
		m.generators = 7; // MaxGenerators is 6
		assert_noop!(
			Dispatch::set_grid_map(RuntimeOrigin::root(), m),
			invalid(GridMapProblem::Generators)
		);
		let mut m = map.clone();
		m.zones = Default::default();
		assert_noop!(
			Dispatch::set_grid_map(RuntimeOrigin::root(), m),
			invalid(GridMapProblem::NoZones)
		);
		let mut m = map.clone();
		m.zones[1].zone = 0;
		assert_noop!(
			Dispatch::set_grid_map(RuntimeOrigin::root(), m),
			invalid(GridMapProblem::ZonesNotSorted)
		);
		let mut m = map.clone();
		m.zones[1].zone = 4; // EnergyData's MaxZones is 4
		assert_noop!(
			Dispatch::set_grid_map(RuntimeOrigin::root(), m),
			invalid(GridMapProblem::UnknownZone)
		);
		let mut m = map.clone();
		m.zones[0].scale = 0;
		assert_noop!(
			Dispatch::set_grid_map(RuntimeOrigin::root(), m),
			invalid(GridMapProblem::ZeroScale)
		);

		let mut m = map;
		m.generators = 6;
		assert_ok!(Dispatch::set_grid_map(RuntimeOrigin::root(), m.clone()));
		assert_eq!(GridMapping::<Test>::get(), Some(m));
		assert_eq!(
			last_event(),
			Event::GridMapSet {
				case: b"ieee14".to_vec(),
				generators: 6,
				zones: 2
			}
		);
	});
}

#[test]
fn a_new_grid_map_drops_the_open_plans() {
	build_and_execute(|| {
		assert_ok!(plan(ALICE, 1, 10));
		assert_ok!(plan(BOB, 1, 10));
		assert_ok!(plan(ALICE, 2, 10));
		let dropped = Dispatch::set_grid_map(RuntimeOrigin::root(), test_map()).unwrap();
		assert_eq!(
			dropped.actual_weight,
			Some(<() as crate::WeightInfo>::set_grid_map(3))
		);
		assert_eq!(
			last_event(),
			Event::PendingPlansDropped {
				intervals: vec![1, 2],
				plans: 3
			}
		);
		assert!(PendingIntervals::<Test>::get().is_empty());
		assert_eq!(Pending::<Test>::iter().count(), 0);
		assert_eq!(Submissions::<Test>::iter().count(), 0);
		// Everyone plans again for the new map.
		assert_ok!(plan(ALICE, 1, 10));
	});
}

#[test]
fn every_rejected_plan_has_its_error() {
	build_and_execute(|| {
		assert_noop!(plan(ALICE, 0, 1), Error::<Test>::TooLate);
		assert_noop!(plan(ALICE, 3, 1), Error::<Test>::TooEarly);
		assert_noop!(
			submit(ALICE, 1, &[1], &[1, 2, 3]),
			Error::<Test>::WrongZoneCount
		);
		assert_noop!(
			submit(ALICE, 1, &[1, 2], &[1, 2]),
			Error::<Test>::WrongGeneratorCount
		);
		assert_noop!(plan(OUTSIDER, 1, 1), Error::<Test>::NotParticipant);
		let with_version = |v: u64| {
			Dispatch::submit_plan(
				RuntimeOrigin::signed(ALICE),
				1,
				v,
				BoundedVec::truncate_from(vec![1, 2]),
				BoundedVec::truncate_from(vec![1, 2, 3]),
			)
		};
		assert_noop!(with_version(6), Error::<Test>::UnknownModel);
		assert_noop!(with_version(3), Error::<Test>::StaleModel);
		assert_ok!(with_version(4)); // the model before the latest is accepted
		assert_noop!(plan(ALICE, 1, 1), Error::<Test>::AlreadySubmitted);
		assert_ok!(plan(BOB, 1, 1));
		assert_ok!(plan(CHARLIE, 1, 1));
		assert_noop!(plan(DAVE, 1, 1), Error::<Test>::AlreadyAgreed);
		MODEL_VERSION.with(|m| *m.borrow_mut() = None);
		assert_noop!(plan(ALICE, 2, 1), Error::<Test>::NoModel);
		GridMapping::<Test>::kill();
		assert_noop!(plan(ALICE, 2, 1), Error::<Test>::NoGridMap);
		assert_noop!(
			Dispatch::submit_plan(
				RuntimeOrigin::none(),
				2,
				5,
				BoundedVec::truncate_from(vec![1, 2]),
				BoundedVec::truncate_from(vec![1, 2, 3])
			),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn two_thirds_of_the_participants_agree_the_median() {
	build_and_execute(|| {
		let first = submit(ALICE, 2, &[100, -60_000], &[10, 20, 30]).unwrap();
		assert_eq!(
			first.actual_weight,
			Some(<() as crate::WeightInfo>::submit_plan())
		);
		assert_eq!(
			last_event(),
			Event::PlanSubmitted {
				interval: 2,
				participant: ALICE,
				model_version: 5,
				submitted: 1,
				needed: 3
			}
		);
		assert_eq!(PendingIntervals::<Test>::get().to_vec(), vec![2]);
		assert_ok!(submit(BOB, 2, &[140, -50_000], &[12, 18, 40]));
		let view = Dispatch::pending_view(2).unwrap();
		assert_eq!(view.participants, vec![ALICE, BOB, CHARLIE, DAVE]);
		assert_eq!(view.needed, 3);
		assert_eq!(view.submitted.len(), 2);
		assert_eq!(Agreed::<Test>::get(2), None);
		// Dave's worker account submits for Dave and completes the quorum.
		let last = submit(DAVE_WORKER, 2, &[120, -70_000], &[11, 25, 35]).unwrap();
		assert_eq!(
			last.actual_weight,
			Some(<() as crate::WeightInfo>::submit_plan_agree(3))
		);
		let evs = events();
		assert_eq!(
			evs[evs.len() - 2],
			Event::PlanSubmitted {
				interval: 2,
				participant: DAVE,
				model_version: 5,
				submitted: 3,
				needed: 3
			}
		);
		assert_eq!(
			evs[evs.len() - 1],
			Event::DispatchAgreed {
				interval: 2,
				model_versions: (5, 5),
				submitters: 3,
				participants: 4
			}
		);
		let agreed = Agreed::<Test>::get(2).unwrap();
		assert_eq!(agreed.plan.forecast_kw.to_vec(), vec![120, -60_000]);
		assert_eq!(agreed.plan.setpoints_kw.to_vec(), vec![11, 20, 35]);
		assert_eq!(agreed.zones, test_map().zones);
		assert_eq!(agreed.agreed_at, 1);
		// The open plans are gone; Charlie's plan comes too late to matter.
		assert!(PendingIntervals::<Test>::get().is_empty());
		assert_eq!(Submissions::<Test>::iter_prefix(2).count(), 0);
		assert_eq!(Dispatch::pending_view(2), None);
		assert_noop!(plan(CHARLIE, 2, 1), Error::<Test>::AlreadyAgreed);
		let view = Dispatch::dispatch_view(2).unwrap();
		assert_eq!(view.setpoints_kw, vec![11, 20, 35]);
		assert_eq!(view.imbalance, None);
		assert_eq!(Dispatch::recent_views(10).len(), 1);
	});
}

#[test]
fn a_missed_interval_never_blocks_the_next() {
	build_and_execute(|| {
		assert_ok!(plan(ALICE, 1, 10));
		assert_ok!(plan(BOB, 1, 10));
		assert_ok!(plan(ALICE, 2, 10));
		run_to_interval(1);
		assert!(events().contains(&Event::DispatchMissed {
			interval: 1,
			submitted: 2,
			needed: 3
		}));
		assert_eq!(Agreed::<Test>::get(1), None);
		assert_eq!(Pending::<Test>::get(1), None);
		assert_eq!(Submissions::<Test>::iter_prefix(1).count(), 0);
		assert_eq!(PendingIntervals::<Test>::get().to_vec(), vec![2]);
		// Late plans for the started interval are refused; interval 2 still agrees.
		assert_noop!(plan(CHARLIE, 1, 10), Error::<Test>::TooLate);
		assert_ok!(plan(BOB, 2, 10));
		assert_ok!(plan(CHARLIE, 2, 10));
		assert!(Agreed::<Test>::get(2).is_some());
		Dispatch::do_try_state().unwrap();
	});
}

#[test]
fn participants_are_fixed_by_the_first_plan() {
	build_and_execute(|| {
		assert_ok!(plan(ALICE, 1, 10));
		// A validator that joins later plans from the next interval; one that leaves keeps
		// its place in the interval that had started collecting.
		PARTICIPANTS.with(|p| *p.borrow_mut() = vec![ALICE, BOB, CHARLIE, OUTSIDER]);
		assert_noop!(plan(OUTSIDER, 1, 10), Error::<Test>::NotParticipant);
		assert_ok!(plan(DAVE, 1, 10));
		assert_ok!(plan(OUTSIDER, 2, 10));
		assert_noop!(plan(DAVE, 2, 10), Error::<Test>::NotParticipant);
	});
}

#[test]
fn plans_of_two_model_versions_agree_and_the_record_says_so() {
	build_and_execute(|| {
		assert_ok!(plan(ALICE, 1, 10));
		MODEL_VERSION.with(|m| *m.borrow_mut() = Some(6));
		let newer = |who| {
			Dispatch::submit_plan(
				RuntimeOrigin::signed(who),
				1,
				6,
				BoundedVec::truncate_from(vec![1, 2]),
				BoundedVec::truncate_from(vec![1, 2, 3]),
			)
		};
		assert_ok!(newer(BOB));
		assert_ok!(newer(CHARLIE));
		assert_eq!(Agreed::<Test>::get(1).unwrap().model_versions, (5, 6));
	});
}

#[test]
fn a_liar_cannot_move_the_median_out_of_the_honest_range() {
	build_and_execute(|| {
		// Dave submits first, as absurd as the encoding allows.
		assert_ok!(submit(
			DAVE,
			1,
			&[i64::MAX, i64::MIN],
			&[i64::MIN, i64::MAX, i64::MIN]
		));
		assert_ok!(submit(ALICE, 1, &[100, -100], &[10, 20, 30]));
		assert_ok!(submit(BOB, 1, &[110, -90], &[11, 21, 31]));
		let agreed = Agreed::<Test>::get(1).unwrap();
		assert_eq!(agreed.plan.forecast_kw.to_vec(), vec![110, -100]);
		assert_eq!(agreed.plan.setpoints_kw.to_vec(), vec![10, 21, 30]);
	});
}

#[test]
fn the_sealed_data_gives_the_realised_imbalance() {
	build_and_execute(|| {
		assert_ok!(submit(ALICE, 2, &[60, -20_000], &[1, 2, 3]));
		assert_ok!(submit(BOB, 2, &[60, -20_000], &[1, 2, 3]));
		assert_ok!(submit(CHARLIE, 2, &[60, -20_000], &[1, 2, 3]));
		// Interval 2's meters: zone 0 consumed 1.2 kWh in the minute (72 kW), zone 2 (scale
		// 1,000) produced 0.5 kWh net (−30 MW at its bus); zone 1 is not mapped.
		reading(2, 1, 0, 0, 1_000);
		reading(2, 2, 0, 100, 300);
		reading(2, 3, 2, 600, 100);
		reading(2, 4, 1, 0, 5_000);
		// EnergyData seals interval 2 when its readings window (2 intervals) closes.
		run_to_interval(4);
		assert_eq!(Imbalances::<Test>::get(2), None);
		run_to_interval(5);
		let record = Imbalances::<Test>::get(2).unwrap();
		assert_eq!(record.actual_kw.to_vec(), vec![72, -30_000]);
		assert_eq!(record.per_zone_kw.to_vec(), vec![12, -10_000]);
		assert_eq!(record.net_kw, -9_988);
		assert_eq!(record.absolute_kw, 10_012);
		assert_eq!(record.reading_count, 4);
		assert!(events().contains(&Event::ImbalanceRecorded {
			interval: 2,
			net_kw: -9_988,
			absolute_kw: 10_012,
			reading_count: 4
		}));
		let view = Dispatch::dispatch_view(2).unwrap();
		assert_eq!(view.imbalance.unwrap().per_zone_kw, vec![12, -10_000]);
		assert_eq!(NextToAccount::<Test>::get(), Some(3));
		// Kept HistoryDepth (3) intervals, then pruned.
		run_to_interval(7);
		assert!(Agreed::<Test>::get(2).is_some());
		run_to_interval(8);
		assert_eq!(Agreed::<Test>::get(2), None);
		assert_eq!(Imbalances::<Test>::get(2), None);
	});
}

#[test]
fn accounting_starts_where_the_pallet_first_runs_and_keeps_up() {
	build_and_execute(|| {
		// As on a live chain that adds the pallet at block 1,000.
		NextToAccount::<Test>::kill();
		Dispatch::on_initialize(1_000);
		assert_eq!(NextToAccount::<Test>::get(), Some(100));
		NextToAccount::<Test>::put(0);
		// Sealing runs ahead (a stalled chain catching up): two intervals per block at most.
		pallet_energy_data::NextToSeal::<Test>::put(7);
		Dispatch::on_initialize(2);
		assert_eq!(NextToAccount::<Test>::get(), Some(2));
		Dispatch::on_initialize(3);
		Dispatch::on_initialize(4);
		Dispatch::on_initialize(5);
		assert_eq!(NextToAccount::<Test>::get(), Some(7));
		pallet_energy_data::NextToSeal::<Test>::put(0);
		NextToAccount::<Test>::put(0);
	});
}

mod property {
	use super::*;
	use proptest::prelude::*;

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]

		/// With `n` participants of which `f < n/3` lie (submitting first, extreme values), the
		/// agreed dispatch lies within the honest plans in every coordinate, and is agreed
		/// as soon as the honest plans bring the quorum.
		#[test]
		fn agreed_dispatch_stays_within_honest_plans(
			n in 1usize..=8,
			honest in proptest::collection::vec(proptest::collection::vec(-1_000_000i64..1_000_000, 5), 8),
			up in any::<bool>(),
		) {
			new_test_ext().execute_with(|| {
				let accounts: Vec<u64> = (1..=n as u64).map(|a| a + 100).collect();
				PARTICIPANTS.with(|p| *p.borrow_mut() = accounts.clone());
				let f = (n - 1) / 3;
				let extreme = if up { i64::MAX } else { i64::MIN };
				for &liar in &accounts[..f] {
					assert_ok!(submit(liar, 1, &[extreme; 2], &[extreme; 3]));
				}
				let mut used = Vec::new();
				for (k, &who) in accounts[f..].iter().enumerate() {
					if Agreed::<Test>::get(1).is_some() {
						break;
					}
					let h = &honest[k];
					assert_ok!(submit(who, 1, &h[..2], &h[2..]));
					used.push(h.clone());
				}
				let agreed = Agreed::<Test>::get(1).expect("the honest plans reach the quorum");
				let values: Vec<i64> =
					agreed.plan.forecast_kw.iter().chain(agreed.plan.setpoints_kw.iter()).copied().collect();
				for (j, v) in values.iter().enumerate() {
					let lo = used.iter().map(|h| h[j]).min().unwrap();
					let hi = used.iter().map(|h| h[j]).max().unwrap();
					assert!(lo <= *v && *v <= hi, "coordinate {j}: {v} outside [{lo}, {hi}]");
				}
				Dispatch::do_try_state().unwrap();
			});
		}
	}
}
