//! Tests of the EnergyData pallet: one `assert_noop!` per error, events per success path,
//! invariants (`do_try_state`) after every test, and a property test over random readings.

#![allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]

use crate::{mock::*, pallet::*, types::*, Error, Event};
use codec::Encode;
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use sp_core::Pair;

fn register(owner: u64, kind: DeviceKind, capacity_w: u32, zone: ZoneId, seed: u8) -> DeviceId {
	let id = NextDeviceId::<Test>::get();
	assert_ok!(EnergyData::register_device(
		RuntimeOrigin::signed(owner),
		kind,
		capacity_w,
		zone,
		meter(seed).public()
	));
	id
}

/// 60-second intervals: a 6 kW device can deliver at most 100 Wh per interval.
const CAP: u32 = 6_000;
const BOUND: u64 = 100;

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::DeviceDeposit.into(), &who)
}

// ---------------------------------------------------------------- register_device

#[test]
fn register_device_holds_deposit_and_emits_event() {
	build_and_execute(|| {
		let id = register(ALICE, DeviceKind::Prosumer, CAP, 2, 1);
		assert_eq!(id, 0);
		System::assert_last_event(
			Event::DeviceRegistered {
				device: 0,
				owner: ALICE,
				kind: DeviceKind::Prosumer,
				capacity_w: CAP,
				zone: 2,
				meter_key: meter(1).public(),
				deposit: DEPOSIT,
			}
			.into(),
		);
		assert_eq!(held(ALICE), DEPOSIT);
		assert_eq!(DevicesByOwner::<Test>::get(ALICE).into_inner(), vec![0]);
		assert_eq!(MeterKeys::<Test>::get(meter(1).public()), Some(0));
		assert_eq!(NextDeviceId::<Test>::get(), 1);
		assert_eq!(EnergyData::device(0).unwrap().registered_in, 0);
	});
}

#[test]
fn register_device_rejects_zero_capacity() {
	build_and_execute(|| {
		assert_noop!(
			EnergyData::register_device(
				RuntimeOrigin::signed(ALICE),
				DeviceKind::Producer,
				0,
				0,
				meter(1).public()
			),
			Error::<Test>::ZeroCapacity
		);
	});
}

#[test]
fn register_device_rejects_zone_out_of_range() {
	build_and_execute(|| {
		assert_noop!(
			EnergyData::register_device(
				RuntimeOrigin::signed(ALICE),
				DeviceKind::Producer,
				CAP,
				4,
				meter(1).public()
			),
			Error::<Test>::InvalidZone
		);
	});
}

#[test]
fn register_device_rejects_reused_meter_key() {
	build_and_execute(|| {
		register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		assert_noop!(
			EnergyData::register_device(
				RuntimeOrigin::signed(BOB),
				DeviceKind::Consumer,
				CAP,
				0,
				meter(1).public()
			),
			Error::<Test>::MeterKeyInUse
		);
	});
}

#[test]
fn register_device_rejects_too_many_devices() {
	build_and_execute(|| {
		for seed in 1..=4 {
			register(ALICE, DeviceKind::Producer, CAP, 0, seed);
		}
		assert_noop!(
			EnergyData::register_device(
				RuntimeOrigin::signed(ALICE),
				DeviceKind::Producer,
				CAP,
				0,
				meter(5).public()
			),
			Error::<Test>::TooManyDevices
		);
	});
}

#[test]
fn register_device_rejects_unaffordable_deposit() {
	build_and_execute(|| {
		assert_noop!(
			EnergyData::register_device(
				RuntimeOrigin::signed(POOR),
				DeviceKind::Producer,
				CAP,
				0,
				meter(1).public()
			),
			Error::<Test>::InsufficientDeposit
		);
	});
}

#[test]
fn register_device_needs_a_signed_origin() {
	build_and_execute(|| {
		assert_noop!(
			EnergyData::register_device(
				RuntimeOrigin::none(),
				DeviceKind::Producer,
				CAP,
				0,
				meter(1).public()
			),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

// ---------------------------------------------------------------- retire_device

#[test]
fn retire_device_releases_deposit_and_cleans_up() {
	build_and_execute(|| {
		let a = register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		let b = register(ALICE, DeviceKind::Consumer, CAP, 0, 2);
		assert_ok!(EnergyData::retire_device(RuntimeOrigin::signed(ALICE), a));
		System::assert_last_event(
			Event::DeviceRetired { device: a, owner: ALICE, deposit: DEPOSIT }.into(),
		);
		assert_eq!(held(ALICE), DEPOSIT);
		assert!(Devices::<Test>::get(a).is_none());
		assert!(MeterKeys::<Test>::get(meter(1).public()).is_none());
		assert_eq!(DevicesByOwner::<Test>::get(ALICE).into_inner(), vec![b]);
		assert_ok!(EnergyData::retire_device(RuntimeOrigin::signed(ALICE), b));
		assert_eq!(held(ALICE), 0);
		assert!(!DevicesByOwner::<Test>::contains_key(ALICE));
		// The meter key can be registered again, and ids are not reused.
		assert_eq!(register(BOB, DeviceKind::Producer, CAP, 0, 1), 2);
	});
}

#[test]
fn retire_device_rejects_unknown_device() {
	build_and_execute(|| {
		assert_noop!(
			EnergyData::retire_device(RuntimeOrigin::signed(ALICE), 7),
			Error::<Test>::UnknownDevice
		);
	});
}

#[test]
fn retire_device_rejects_already_retired_device() {
	build_and_execute(|| {
		let a = register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		assert_ok!(EnergyData::retire_device(RuntimeOrigin::signed(ALICE), a));
		assert_noop!(
			EnergyData::retire_device(RuntimeOrigin::signed(ALICE), a),
			Error::<Test>::DeviceRetired
		);
	});
}

#[test]
fn retire_device_rejects_non_owner() {
	build_and_execute(|| {
		let a = register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		assert_noop!(
			EnergyData::retire_device(RuntimeOrigin::signed(BOB), a),
			Error::<Test>::NotDeviceOwner
		);
	});
}

// ---------------------------------------------------------------- submit_readings

/// Alice's prosumer (device 0, zone 0), Bob's producer (1, zone 1), Bob's consumer (2, zone 1);
/// then moves into interval 1 so interval 0 takes readings.
fn setup_three_devices() {
	register(ALICE, DeviceKind::Prosumer, CAP, 0, 1);
	register(BOB, DeviceKind::Producer, CAP, 1, 2);
	register(BOB, DeviceKind::Consumer, CAP, 1, 3);
	run_to_interval(1);
}

#[test]
fn submit_readings_stores_batch_and_emits_event() {
	build_and_execute(|| {
		setup_three_devices();
		let batch = vec![
			signed(&meter(1), 0, 0, 40, 10),
			signed(&meter(2), 1, 0, BOUND, 0),
			signed(&meter(3), 2, 0, 0, 55),
		];
		// Anyone may relay: the signatures are the authority.
		assert_ok!(EnergyData::submit_readings(RuntimeOrigin::signed(POOR), batch));
		System::assert_last_event(Event::ReadingsSubmitted { relayer: POOR, count: 3 }.into());
		assert_eq!(ReadingCount::<Test>::get(0), 3);
		assert_eq!(
			Readings::<Test>::get(0, 1),
			Some(MeterValues { zone: 1, produced_wh: BOUND, consumed_wh: 0 })
		);
	});
}

#[test]
fn submit_readings_rejects_empty_batch() {
	build_and_execute(|| {
		assert_noop!(
			EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), vec![]),
			Error::<Test>::EmptyBatch
		);
	});
}

#[test]
fn submit_readings_rejects_batch_above_limit() {
	build_and_execute(|| {
		setup_three_devices();
		let batch: Vec<_> = (0..17).map(|_| signed(&meter(1), 0, 0, 1, 1)).collect();
		assert_noop!(
			EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), batch),
			Error::<Test>::BatchTooLarge
		);
	});
}

#[test]
fn submit_readings_rejects_unknown_device() {
	build_and_execute(|| {
		setup_three_devices();
		assert_noop!(
			EnergyData::submit_readings(
				RuntimeOrigin::signed(ALICE),
				vec![signed(&meter(9), 9, 0, 1, 0)]
			),
			Error::<Test>::UnknownDevice
		);
	});
}

#[test]
fn submit_readings_rejects_retired_device() {
	build_and_execute(|| {
		setup_three_devices();
		assert_ok!(EnergyData::retire_device(RuntimeOrigin::signed(BOB), 1));
		assert_noop!(
			EnergyData::submit_readings(
				RuntimeOrigin::signed(ALICE),
				vec![signed(&meter(2), 1, 0, 1, 0)]
			),
			Error::<Test>::DeviceRetired
		);
	});
}

#[test]
fn submit_readings_rejects_interval_not_ended() {
	build_and_execute(|| {
		setup_three_devices();
		// Interval 1 is the current one; 2 is in the future.
		for interval in [1, 2] {
			assert_noop!(
				EnergyData::submit_readings(
					RuntimeOrigin::signed(ALICE),
					vec![signed(&meter(1), 0, interval, 1, 0)]
				),
				Error::<Test>::IntervalNotEnded
			);
		}
	});
}

#[test]
fn submit_readings_rejects_interval_past_window() {
	build_and_execute(|| {
		setup_three_devices();
		run_to_interval(3);
		// Window 2: interval 0 closed when interval 3 began (and was sealed).
		assert!(EnergyDataBlocks::<Test>::contains_key(0));
		assert_noop!(
			EnergyData::submit_readings(
				RuntimeOrigin::signed(ALICE),
				vec![signed(&meter(1), 0, 0, 1, 0)]
			),
			Error::<Test>::SubmissionWindowClosed
		);
		// Interval 1 is still open (age 2).
		assert_ok!(EnergyData::submit_readings(
			RuntimeOrigin::signed(ALICE),
			vec![signed(&meter(1), 0, 1, 1, 0)]
		));
	});
}

#[test]
fn submit_readings_rejects_duplicate_reading() {
	build_and_execute(|| {
		setup_three_devices();
		let r = signed(&meter(1), 0, 0, 5, 5);
		assert_ok!(EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), vec![r.clone()]));
		// Replaying the same signed reading is rejected.
		assert_noop!(
			EnergyData::submit_readings(RuntimeOrigin::signed(BOB), vec![r]),
			Error::<Test>::DuplicateReading
		);
	});
}

#[test]
fn submit_readings_rejects_duplicate_within_batch() {
	build_and_execute(|| {
		setup_three_devices();
		let batch = vec![signed(&meter(1), 0, 0, 5, 5), signed(&meter(1), 0, 0, 6, 6)];
		assert_noop!(
			EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), batch),
			Error::<Test>::DuplicateReading
		);
	});
}

#[test]
fn submit_readings_rejects_values_above_physical_bound() {
	build_and_execute(|| {
		setup_three_devices();
		assert_eq!(EnergyData::physical_bound_wh(CAP), BOUND);
		for (p, c) in [(BOUND + 1, 0), (0, BOUND + 1)] {
			assert_noop!(
				EnergyData::submit_readings(
					RuntimeOrigin::signed(ALICE),
					vec![signed(&meter(1), 0, 0, p, c)]
				),
				Error::<Test>::ExceedsPhysicalBound
			);
		}
	});
}

#[test]
fn submit_readings_rejects_production_on_consumer() {
	build_and_execute(|| {
		setup_three_devices();
		assert_noop!(
			EnergyData::submit_readings(
				RuntimeOrigin::signed(ALICE),
				vec![signed(&meter(3), 2, 0, 1, 0)]
			),
			Error::<Test>::ProductionOnConsumer
		);
	});
}

#[test]
fn submit_readings_rejects_consumption_on_producer() {
	build_and_execute(|| {
		setup_three_devices();
		assert_noop!(
			EnergyData::submit_readings(
				RuntimeOrigin::signed(ALICE),
				vec![signed(&meter(2), 1, 0, 0, 1)]
			),
			Error::<Test>::ConsumptionOnProducer
		);
	});
}

#[test]
fn submit_readings_rejects_bad_signatures() {
	build_and_execute(|| {
		setup_three_devices();
		run_to_interval(2);
		let bad = |r: SignedReading| {
			assert_noop!(
				EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), vec![r]),
				Error::<Test>::BadSignature
			);
		};
		// Signed by another meter's key.
		bad(signed(&meter(2), 0, 0, 5, 0));
		// Values changed after signing.
		let mut r = signed(&meter(1), 0, 0, 5, 0);
		r.produced_wh = 6;
		bad(r);
		// Replayed for another interval.
		let mut r = signed(&meter(1), 0, 0, 5, 0);
		r.interval = 1;
		bad(r);
		// Replayed for another device (Bob's producer re-using Alice's signature).
		let mut r = signed(&meter(1), 0, 0, 5, 0);
		r.device = 1;
		bad(r);
		// Signed for another chain (other genesis hash).
		let payload = (crate::READING_PAYLOAD_TAG, [9u8; 32], 0u64, 0u32, 5u64, 0u64).encode();
		let mut r = signed(&meter(1), 0, 0, 5, 0);
		r.signature = meter(1).sign(&payload);
		bad(r);
	});
}

#[test]
fn submit_readings_rejects_full_interval() {
	build_and_execute(|| {
		// 32 readings per interval at most: register 33 devices over 9 accounts.
		let mut devices = Vec::new();
		for (i, owner) in MANY.take(9).enumerate() {
			for j in 0..4u8 {
				let seed = 10 + (i as u8) * 4 + j;
				devices.push((register(owner, DeviceKind::Producer, CAP, 0, seed), seed));
			}
		}
		run_to_interval(1);
		for chunk in devices[..32].chunks(16) {
			let batch = chunk.iter().map(|(d, s)| signed(&meter(*s), *d, 0, 1, 0)).collect();
			assert_ok!(EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), batch));
		}
		let (d, s) = devices[32];
		assert_noop!(
			EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), vec![signed(&meter(s), d, 0, 1, 0)]),
			Error::<Test>::IntervalFull
		);
	});
}

#[test]
fn a_batch_with_one_bad_reading_stores_nothing() {
	build_and_execute(|| {
		setup_three_devices();
		let batch = vec![
			signed(&meter(1), 0, 0, 5, 5),
			signed(&meter(2), 1, 0, 5, 0),
			signed(&meter(3), 2, 0, 1, 0), // production on a consumer
		];
		assert_noop!(
			EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), batch),
			Error::<Test>::ProductionOnConsumer
		);
		assert_eq!(ReadingCount::<Test>::get(0), 0);
	});
}

#[test]
fn submit_readings_needs_a_signed_origin() {
	build_and_execute(|| {
		setup_three_devices();
		assert_noop!(
			EnergyData::submit_readings(RuntimeOrigin::none(), vec![signed(&meter(1), 0, 0, 1, 0)]),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

// ---------------------------------------------------------------- sealing and pruning

fn expected_root(leaves: &[ReadingLeaf]) -> Hash32 {
	let encoded: Vec<Vec<u8>> = leaves.iter().map(|l| l.encode()).collect();
	gridbrain_merkle::root(&encoded).unwrap()
}

#[test]
fn closed_interval_is_sealed_with_totals_and_root() {
	build_and_execute(|| {
		setup_three_devices();
		// Submitted out of device order: the root orders leaves by device id.
		let batch = vec![
			signed(&meter(3), 2, 0, 0, 55),
			signed(&meter(1), 0, 0, 40, 10),
			signed(&meter(2), 1, 0, 70, 0),
		];
		assert_ok!(EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), batch));
		run_to_interval(3);

		let leaves = [
			ReadingLeaf { interval: 0, device: 0, zone: 0, produced_wh: 40, consumed_wh: 10 },
			ReadingLeaf { interval: 0, device: 1, zone: 1, produced_wh: 70, consumed_wh: 0 },
			ReadingLeaf { interval: 0, device: 2, zone: 1, produced_wh: 0, consumed_wh: 55 },
		];
		let root = expected_root(&leaves);
		let block = EnergyData::data_block(0).expect("interval 0 sealed");
		assert_eq!(block.reading_count, 3);
		assert_eq!((block.total_produced_wh, block.total_consumed_wh), (110, 65));
		assert_eq!(
			block.per_zone.into_inner(),
			vec![
				ZoneTotals { zone: 0, reading_count: 1, produced_wh: 40, consumed_wh: 10 },
				ZoneTotals { zone: 1, reading_count: 2, produced_wh: 70, consumed_wh: 55 },
			]
		);
		assert_eq!(block.readings_root, root);
		System::assert_has_event(
			Event::EnergyDataBlockSealed {
				interval: 0,
				reading_count: 3,
				total_produced_wh: 110,
				total_consumed_wh: 65,
				readings_root: root,
			}
			.into(),
		);
		// Interval 1 had no readings and is sealed empty once interval 4 begins.
		assert!(EnergyData::data_block(1).is_none());
		run_to_interval(4);
		let empty = EnergyData::data_block(1).unwrap();
		assert_eq!(empty.reading_count, 0);
		assert_eq!(empty.readings_root, gridbrain_merkle::empty_root());
		assert_eq!(NextToSeal::<Test>::get(), 2);
	});
}

#[test]
fn reading_proofs_verify_against_the_sealed_root() {
	build_and_execute(|| {
		setup_three_devices();
		let batch = vec![
			signed(&meter(1), 0, 0, 40, 10),
			signed(&meter(2), 1, 0, 70, 0),
			signed(&meter(3), 2, 0, 0, 55),
		];
		assert_ok!(EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), batch));
		// Not sealed yet: no proof.
		assert!(EnergyData::reading_proof(0, 1).is_none());
		run_to_interval(3);
		let block = EnergyData::data_block(0).unwrap();
		for device in 0..3 {
			let p = EnergyData::reading_proof(0, device).unwrap();
			assert_eq!(p.leaf.device, device);
			assert!(crate::functions::verify_reading_proof(&block, &p));
			// A tampered value does not verify.
			let mut forged = p.clone();
			forged.leaf.produced_wh += 1;
			assert!(!crate::functions::verify_reading_proof(&block, &forged));
		}
		assert!(EnergyData::reading_proof(0, 9).is_none());
	});
}

#[test]
fn readings_are_pruned_after_retention_and_blocks_stay() {
	build_and_execute(|| {
		setup_three_devices();
		assert_ok!(EnergyData::submit_readings(
			RuntimeOrigin::signed(ALICE),
			vec![signed(&meter(1), 0, 0, 40, 10), signed(&meter(2), 1, 0, 70, 0)]
		));
		run_to_interval(4);
		assert_eq!(ReadingCount::<Test>::get(0), 2);
		// Retention 5: interval 0 is pruned when interval 5 begins.
		run_to_interval(5);
		System::assert_has_event(Event::ReadingsPruned { interval: 0 }.into());
		assert_eq!(Readings::<Test>::iter_prefix(0).count(), 0);
		assert!(!ReadingCount::<Test>::contains_key(0));
		assert_eq!(NextToPrune::<Test>::get(), 1);
		assert_eq!(EnergyData::data_block(0).unwrap().reading_count, 2);
		assert!(EnergyData::reading_proof(0, 0).is_none());
	});
}

#[test]
fn pruning_a_large_interval_spans_blocks() {
	build_and_execute(|| {
		// 24 readings in interval 0, pruned at most 20 per block.
		let mut devices = Vec::new();
		for (i, owner) in MANY.take(6).enumerate() {
			for j in 0..4u8 {
				let seed = 10 + (i as u8) * 4 + j;
				devices.push((register(owner, DeviceKind::Producer, CAP, 0, seed), seed));
			}
		}
		run_to_interval(1);
		for chunk in devices.chunks(12) {
			let batch = chunk.iter().map(|(d, s)| signed(&meter(*s), *d, 0, 1, 0)).collect();
			assert_ok!(EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), batch));
		}
		run_to_block(49);
		assert_eq!(ReadingCount::<Test>::get(0), 24);
		run_to_block(50);
		assert_eq!(ReadingCount::<Test>::get(0), 4);
		assert_eq!(Readings::<Test>::iter_prefix(0).count(), 4);
		assert_eq!(NextToPrune::<Test>::get(), 0);
		run_to_block(51);
		assert!(!ReadingCount::<Test>::contains_key(0));
		assert_eq!(NextToPrune::<Test>::get(), 1);
		System::assert_has_event(Event::ReadingsPruned { interval: 0 }.into());
	});
}

#[test]
fn hooks_catch_up_at_most_max_intervals_per_block() {
	build_and_execute(|| {
		run_to_block(1);
		// Jump far ahead (a stalled chain): each block seals at most 2 intervals.
		System::set_block_number(200);
		run_to_block(201);
		let sealed_after_one = NextToSeal::<Test>::get();
		run_to_block(202);
		assert_eq!(NextToSeal::<Test>::get(), sealed_after_one + 2);
		assert!(NextToPrune::<Test>::get() <= NextToSeal::<Test>::get());
		// Eventually the frontier reaches `current - window - 1`.
		run_to_block(300);
		assert_eq!(NextToSeal::<Test>::get(), 30 - 2);
	});
}

#[test]
fn hook_weight_accounts_for_sealing() {
	build_and_execute(|| {
		setup_three_devices();
		assert_ok!(EnergyData::submit_readings(
			RuntimeOrigin::signed(ALICE),
			vec![signed(&meter(1), 0, 0, 40, 10)]
		));
		use crate::WeightInfo;
		let idle = <() as WeightInfo>::hook_idle();
		let w = EnergyData::seal_and_prune(3);
		assert_eq!(w, idle.saturating_add(<() as WeightInfo>::seal_interval(1)));
		assert_eq!(EnergyData::seal_and_prune(3), idle);
	});
}

// ---------------------------------------------------------------- property test

mod properties {
	use super::*;
	use proptest::prelude::*;

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(24))]

		/// Random valid readings over 4 devices and 3 intervals: every sealed block's totals
		/// equal the sums of the accepted readings, every proof verifies, invariants hold.
		#[test]
		fn sealed_blocks_match_accepted_readings(
			values in prop::collection::vec((0u64..=BOUND, 0u64..=BOUND, any::<bool>()), 12),
		) {
			build_and_execute(|| {
				let kinds = [DeviceKind::Prosumer, DeviceKind::Producer, DeviceKind::Consumer, DeviceKind::Storage];
				for (i, kind) in kinds.iter().enumerate() {
					register(ALICE, *kind, CAP, (i % 2) as ZoneId, i as u8 + 1);
				}
				let mut expected = [(0u64, 0u64, 0u32); 3];
				for interval in 0..3u32 {
					run_to_interval(interval + 1);
					let mut batch = Vec::new();
					for device in 0..4u64 {
						let (p, c, submit) = values[(interval as usize) * 4 + device as usize];
						if !submit { continue; }
						let kind = kinds[device as usize];
						let p = if kind.can_produce() { p } else { 0 };
						let c = if kind.can_consume() { c } else { 0 };
						batch.push(signed(&meter(device as u8 + 1), device, interval, p, c));
						let e = &mut expected[interval as usize];
						*e = (e.0 + p, e.1 + c, e.2 + 1);
					}
					if !batch.is_empty() {
						assert_ok!(EnergyData::submit_readings(RuntimeOrigin::signed(BOB), batch));
					}
				}
				// Interval 2 is sealed when interval 5 begins; interval 0 is then pruned.
				run_to_interval(5);
				for interval in 0..3u32 {
					let block = EnergyData::data_block(interval).unwrap();
					let (p, c, n) = expected[interval as usize];
					assert_eq!((block.total_produced_wh, block.total_consumed_wh, block.reading_count), (p, c, n));
					let zone_sum: u64 = block.per_zone.iter().map(|z| z.produced_wh).sum();
					assert_eq!(zone_sum, p);
					for device in 0..4u64 {
						let submitted = values[(interval as usize) * 4 + device as usize].2;
						match EnergyData::reading_proof(interval, device) {
							Some(proof) => {
								assert!(submitted && interval > 0);
								assert!(crate::functions::verify_reading_proof(&block, &proof));
							},
							None => assert!(!submitted || interval == 0),
						}
					}
				}
				EnergyData::do_try_state().unwrap();
			});
		}
	}
}
