//! Tests of the EnergyData pallet: one `assert_noop!` per error, events per success path,
//! invariants (`do_try_state`) after every test, and a property test over random readings.

#![allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]

use crate::{mock::*, pallet::*, types::*, Error, Event};
use codec::Encode;
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use sp_core::Pair;

/// Registers a device of `owner` with a fresh certificate (serial = meter seed).
fn try_register(
	owner: u64,
	kind: DeviceKind,
	capacity_w: u32,
	zone: ZoneId,
	seed: u8,
) -> sp_runtime::DispatchResult {
	let cert = certificate(owner, kind, capacity_w, zone, seed);
	let (sig, pop) = sign_certificate(&cert, seed);
	EnergyData::register_device(RuntimeOrigin::signed(owner), cert, sig, pop)
}

fn register(owner: u64, kind: DeviceKind, capacity_w: u32, zone: ZoneId, seed: u8) -> DeviceId {
	let id = NextDeviceId::<Test>::get();
	assert_ok!(try_register(owner, kind, capacity_w, zone, seed));
	id
}

/// Submits a batch as `who`, dropping the post-dispatch info (so `assert_noop!` compares
/// errors only).
fn submit(who: u64, readings: Vec<SignedReading>) -> sp_runtime::DispatchResult {
	EnergyData::submit_readings(RuntimeOrigin::signed(who), readings)
		.map(|_| ())
		.map_err(|e| e.error)
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
				registrar: REGISTRAR,
				serial: 1,
				valid_until: VALID_UNTIL,
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
			try_register(ALICE, DeviceKind::Producer, 0, 0, 1),
			Error::<Test>::ZeroCapacity
		);
	});
}

#[test]
fn register_device_rejects_zone_out_of_range() {
	build_and_execute(|| {
		assert_noop!(
			try_register(ALICE, DeviceKind::Producer, CAP, 4, 1),
			Error::<Test>::InvalidZone
		);
	});
}

#[test]
fn register_device_rejects_reused_meter_key() {
	build_and_execute(|| {
		register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		// A second certificate (another serial) for the same meter key.
		let cert = MeterCertificate { serial: 101, ..certificate(BOB, DeviceKind::Consumer, CAP, 0, 1) };
		let (sig, pop) = sign_certificate(&cert, 1);
		assert_noop!(
			EnergyData::register_device(RuntimeOrigin::signed(BOB), cert, sig, pop),
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
			try_register(ALICE, DeviceKind::Producer, CAP, 0, 5),
			Error::<Test>::TooManyDevices
		);
	});
}

#[test]
fn register_device_rejects_unaffordable_deposit() {
	build_and_execute(|| {
		assert_noop!(
			try_register(POOR, DeviceKind::Producer, CAP, 0, 1),
			Error::<Test>::InsufficientDeposit
		);
	});
}

#[test]
fn register_device_needs_a_signed_origin() {
	build_and_execute(|| {
		assert_noop!(
			{
				let cert = certificate(ALICE, DeviceKind::Producer, CAP, 0, 1);
				let (sig, pop) = sign_certificate(&cert, 1);
				EnergyData::register_device(RuntimeOrigin::none(), cert, sig, pop)
			},
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
		// The meter key can be registered again (with a new certificate: serials are spent),
		// and ids are not reused.
		let cert = MeterCertificate { serial: 101, ..certificate(BOB, DeviceKind::Producer, CAP, 0, 1) };
		let (sig, pop) = sign_certificate(&cert, 1);
		assert_ok!(EnergyData::register_device(RuntimeOrigin::signed(BOB), cert, sig, pop));
		assert_eq!(MeterKeys::<Test>::get(meter(1).public()), Some(2));
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
		assert_ok!(submit(POOR, batch));
		System::assert_last_event(
			Event::ReadingsSubmitted {
				relayer: POOR,
				accepted: 3,
				duplicates: 0,
				skipped: Default::default(),
				skipped_by_reason: Default::default(),
			}
			.into(),
		);
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
			submit(ALICE, vec![]),
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
			submit(ALICE, batch),
			Error::<Test>::BatchTooLarge
		);
	});
}

#[test]
fn submit_readings_rejects_unknown_device() {
	build_and_execute(|| {
		setup_three_devices();
		assert_noop!(
			submit(ALICE, vec![signed(&meter(9), 9, 0, 1, 0)]
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
			submit(ALICE, vec![signed(&meter(2), 1, 0, 1, 0)]
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
				submit(ALICE, vec![signed(&meter(1), 0, interval, 1, 0)]
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
			submit(ALICE, vec![signed(&meter(1), 0, 0, 1, 0)]
			),
			Error::<Test>::SubmissionWindowClosed
		);
		// Interval 1 is still open (age 2).
		assert_ok!(submit(ALICE, vec![signed(&meter(1), 0, 1, 1, 0)]
		));
	});
}

#[test]
fn submit_readings_rejects_duplicate_reading() {
	build_and_execute(|| {
		setup_three_devices();
		let r = signed(&meter(1), 0, 0, 5, 5);
		assert_ok!(submit(ALICE, vec![r.clone()]));
		// A batch of nothing but an identical replay stores nothing and fails.
		assert_noop!(submit(BOB, vec![r]), Error::<Test>::DuplicateReading);
		// Another reading for the same device and interval (an equivocating meter) too.
		assert_noop!(
			submit(BOB, vec![signed(&meter(1), 0, 0, 6, 5)]),
			Error::<Test>::DuplicateReading
		);
		assert_eq!(
			Readings::<Test>::get(0, 0),
			Some(MeterValues { zone: 0, produced_wh: 5, consumed_wh: 5 })
		);
	});
}

#[test]
fn submit_readings_keeps_the_first_of_two_different_readings_in_a_batch() {
	build_and_execute(|| {
		setup_three_devices();
		let batch = vec![signed(&meter(1), 0, 0, 5, 5), signed(&meter(1), 0, 0, 6, 6)];
		assert_ok!(submit(ALICE, batch));
		assert_eq!(Readings::<Test>::get(0, 0).map(|v| v.produced_wh), Some(5));
		System::assert_last_event(
			Event::ReadingsSubmitted {
				relayer: ALICE,
				accepted: 1,
				duplicates: 0,
				skipped: vec![SkippedReading { index: 1, reason: ReadingRejection::DuplicateReading }]
					.try_into()
					.unwrap(),
				skipped_by_reason: vec![RejectionCount {
					reason: ReadingRejection::DuplicateReading,
					count: 1,
				}]
				.try_into()
				.unwrap(),
			}
			.into(),
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
				submit(ALICE, vec![signed(&meter(1), 0, 0, p, c)]
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
			submit(ALICE, vec![signed(&meter(3), 2, 0, 1, 0)]
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
			submit(ALICE, vec![signed(&meter(2), 1, 0, 0, 1)]
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
				submit(ALICE, vec![r]),
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

/// 36 producers over 9 accounts (4 each, the per-account limit): `(device, meter seed)`.
fn many_producers() -> Vec<(DeviceId, u8)> {
	let mut devices = Vec::new();
	for (i, owner) in MANY.take(9).enumerate() {
		for j in 0..4u8 {
			let seed = 10 + (i as u8) * 4 + j;
			devices.push((register(owner, DeviceKind::Producer, CAP, 0, seed), seed));
		}
	}
	devices
}

#[test]
fn submit_readings_rejects_full_interval() {
	build_and_execute(|| {
		// 32 readings per interval at most: register 33 devices over 9 accounts.
		let devices = many_producers();
		run_to_interval(1);
		for chunk in devices[..32].chunks(16) {
			let batch = chunk.iter().map(|(d, s)| signed(&meter(*s), *d, 0, 1, 0)).collect();
			assert_ok!(submit(ALICE, batch));
		}
		let (d, s) = devices[32];
		assert_noop!(
			submit(ALICE, vec![signed(&meter(s), d, 0, 1, 0)]),
			Error::<Test>::IntervalFull
		);
	});
}

#[test]
fn a_batch_whose_readings_all_fail_fails_with_the_first_error() {
	build_and_execute(|| {
		setup_three_devices();
		let batch = vec![
			signed(&meter(3), 2, 0, 1, 0), // production on a consumer
			signed(&meter(1), 1, 0, 5, 0), // signed with another meter's key
		];
		assert_noop!(submit(ALICE, batch), Error::<Test>::ProductionOnConsumer);
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
		assert_ok!(submit(ALICE, batch));
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
		assert_ok!(submit(ALICE, batch));
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
		assert_ok!(submit(ALICE, vec![signed(&meter(1), 0, 0, 40, 10), signed(&meter(2), 1, 0, 70, 0)]
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
fn readings_still_needed_for_settlement_are_not_pruned() {
	build_and_execute(|| {
		setup_three_devices();
		assert_ok!(submit(ALICE, vec![signed(&meter(1), 0, 0, 40, 10)]));
		// The market has not settled interval 0 yet (a settlement backlog).
		OLDEST_NEEDED.with(|o| o.set(Some(0)));
		run_to_interval(8);
		assert_eq!(ReadingCount::<Test>::get(0), 1);
		assert_eq!(NextToPrune::<Test>::get(), 0);
		assert!(EnergyData::reading_proof(0, 0).is_some());
		// Settled: the readings go at the next block.
		OLDEST_NEEDED.with(|o| o.set(Some(1)));
		run_to_block(81);
		System::assert_has_event(Event::ReadingsPruned { interval: 0 }.into());
		assert_eq!(NextToPrune::<Test>::get(), 1);
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
			assert_ok!(submit(ALICE, batch));
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
		assert_ok!(submit(ALICE, vec![signed(&meter(1), 0, 0, 40, 10)]
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
						let (p, c, send) = values[(interval as usize) * 4 + device as usize];
						if !send { continue; }
						let kind = kinds[device as usize];
						let p = if kind.can_produce() { p } else { 0 };
						let c = if kind.can_consume() { c } else { 0 };
						batch.push(signed(&meter(device as u8 + 1), device, interval, p, c));
						let e = &mut expected[interval as usize];
						*e = (e.0 + p, e.1 + c, e.2 + 1);
					}
					if !batch.is_empty() {
						assert_ok!(submit(BOB, batch));
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

// ---------------------------------------------------------------- certificates

/// `(accepted, duplicates, skipped)` of the last `ReadingsSubmitted` event.
fn last_submitted() -> (u32, u32, Vec<SkippedReading>) {
	System::events()
		.into_iter()
		.rev()
		.find_map(|r| match r.event {
			RuntimeEvent::EnergyData(Event::ReadingsSubmitted {
				accepted, duplicates, skipped, ..
			}) => Some((accepted, duplicates, skipped.into_inner())),
			_ => None,
		})
		.expect("a ReadingsSubmitted event")
}

/// Submits a certificate signed as `sign_certificate` would, as `who`.
fn register_cert(who: u64, cert: MeterCertificate<u64>, seed: u8) -> sp_runtime::DispatchResult {
	let (sig, pop) = sign_certificate(&cert, seed);
	EnergyData::register_device(RuntimeOrigin::signed(who), cert, sig, pop)
}

#[test]
fn kind_capacity_and_zone_come_from_the_certificate() {
	build_and_execute(|| {
		let id = register(ALICE, DeviceKind::Storage, 9_000, 3, 1);
		let d = EnergyData::device(id).unwrap();
		assert_eq!((d.kind, d.capacity_w, d.zone), (DeviceKind::Storage, 9_000, 3));
		assert_eq!(
			d.certificate,
			Some(CertificateRef { registrar: REGISTRAR, serial: 1, valid_until: VALID_UNTIL })
		);
		assert_eq!(
			Certificates::<Test>::get(REGISTRAR, 1),
			Some(CertificateStatus { device: Some(id), revoked_from: None })
		);
	});
}

#[test]
fn register_device_rejects_unknown_registrar() {
	build_and_execute(|| {
		let cert = MeterCertificate { registrar: 99, ..certificate(ALICE, DeviceKind::Producer, CAP, 0, 1) };
		assert_noop!(register_cert(ALICE, cert, 1), Error::<Test>::UnknownRegistrar);
	});
}

#[test]
fn a_self_certified_meter_cannot_register() {
	build_and_execute(|| {
		// The seller signs its own certificate (with its meter key) claiming the registrar.
		let cert = certificate(ALICE, DeviceKind::Producer, 10_000_000, 0, 1);
		let forged = meter(1).sign(&EnergyData::certificate_payload(&cert));
		let pop = meter(1).sign(&EnergyData::possession_payload(&ALICE, &cert));
		assert_noop!(
			EnergyData::register_device(RuntimeOrigin::signed(ALICE), cert, forged, pop),
			Error::<Test>::BadCertificateSignature
		);
	});
}

#[test]
fn register_device_rejects_an_altered_certificate() {
	build_and_execute(|| {
		let cert = certificate(ALICE, DeviceKind::Producer, CAP, 0, 1);
		let (sig, pop) = sign_certificate(&cert, 1);
		// The owner raises the capacity after the registrar signed.
		let altered = MeterCertificate { capacity_w: CAP * 100, ..cert };
		assert_noop!(
			EnergyData::register_device(RuntimeOrigin::signed(ALICE), altered, sig, pop),
			Error::<Test>::BadCertificateSignature
		);
	});
}

#[test]
fn register_device_rejects_another_owners_certificate() {
	build_and_execute(|| {
		// Bob copies Alice's registration from the pool and submits it first.
		let cert = certificate(ALICE, DeviceKind::Producer, CAP, 0, 1);
		assert_noop!(register_cert(BOB, cert.clone(), 1), Error::<Test>::CertificateOwnerMismatch);
		assert_ok!(register_cert(ALICE, cert, 1));
	});
}

#[test]
fn register_device_rejects_an_expired_certificate() {
	build_and_execute(|| {
		run_to_interval(3);
		let cert = MeterCertificate { valid_until: 2, ..certificate(ALICE, DeviceKind::Producer, CAP, 0, 1) };
		assert_noop!(register_cert(ALICE, cert, 1), Error::<Test>::CertificateExpired);
	});
}

#[test]
fn register_device_rejects_a_revoked_certificate() {
	build_and_execute(|| {
		// Revoked before anyone registered it: the serial can never register.
		assert_ok!(EnergyData::revoke_certificate(RuntimeOrigin::signed(REGISTRAR_ACCOUNT), REGISTRAR, 1));
		System::assert_last_event(
			Event::CertificateRevoked { registrar: REGISTRAR, serial: 1, device: None, from_interval: 0 }
				.into(),
		);
		let cert = certificate(ALICE, DeviceKind::Producer, CAP, 0, 1);
		assert_noop!(register_cert(ALICE, cert, 1), Error::<Test>::CertificateRevoked);
	});
}

#[test]
fn register_device_rejects_a_reused_serial() {
	build_and_execute(|| {
		let id = register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		assert_ok!(EnergyData::retire_device(RuntimeOrigin::signed(ALICE), id));
		// Retired: the serial stays spent, even for the same meter and owner.
		let cert = certificate(ALICE, DeviceKind::Producer, CAP, 0, 1);
		assert_noop!(register_cert(ALICE, cert, 1), Error::<Test>::SerialReused);
	});
}

#[test]
fn register_device_rejects_a_bad_proof_of_possession() {
	build_and_execute(|| {
		let cert = certificate(ALICE, DeviceKind::Producer, CAP, 0, 1);
		let (sig, _) = sign_certificate(&cert, 1);
		// Signed by another key than the certified meter key.
		let pop = meter(2).sign(&EnergyData::possession_payload(&ALICE, &cert));
		assert_noop!(
			EnergyData::register_device(RuntimeOrigin::signed(ALICE), cert.clone(), sig, pop),
			Error::<Test>::BadProofOfPossession
		);
		// Signed by the meter, but for another owner.
		let pop = meter(1).sign(&EnergyData::possession_payload(&BOB, &cert));
		assert_noop!(
			EnergyData::register_device(RuntimeOrigin::signed(ALICE), cert, sig, pop),
			Error::<Test>::BadProofOfPossession
		);
	});
}

#[test]
fn add_and_remove_registrar() {
	build_and_execute(|| {
		let key = meter(77).public();
		assert_ok!(EnergyData::add_registrar(RuntimeOrigin::root(), 8, BOB, key));
		System::assert_last_event(Event::RegistrarAdded { registrar: 8, account: BOB, key }.into());
		assert_eq!(Registrars::<Test>::get(8), Some(Registrar { account: BOB, key }));
		// Its certificates register devices.
		let cert = MeterCertificate { registrar: 8, ..certificate(ALICE, DeviceKind::Producer, CAP, 0, 1) };
		let sig = meter(77).sign(&EnergyData::certificate_payload(&cert));
		let pop = meter(1).sign(&EnergyData::possession_payload(&ALICE, &cert));
		assert_ok!(EnergyData::register_device(RuntimeOrigin::signed(ALICE), cert, sig, pop));

		assert_ok!(EnergyData::remove_registrar(RuntimeOrigin::root(), 8));
		System::assert_last_event(Event::RegistrarRemoved { registrar: 8 }.into());
		let cert = MeterCertificate { registrar: 8, ..certificate(ALICE, DeviceKind::Producer, CAP, 0, 2) };
		let sig = meter(77).sign(&EnergyData::certificate_payload(&cert));
		let pop = meter(2).sign(&EnergyData::possession_payload(&ALICE, &cert));
		assert_noop!(
			EnergyData::register_device(RuntimeOrigin::signed(ALICE), cert, sig, pop),
			Error::<Test>::UnknownRegistrar
		);
		// The device it certified keeps its certificate.
		assert!(EnergyData::device(0).unwrap().certified_for(1));
	});
}

#[test]
fn add_registrar_rejects_an_existing_id() {
	build_and_execute(|| {
		assert_noop!(
			EnergyData::add_registrar(RuntimeOrigin::root(), REGISTRAR, BOB, meter(77).public()),
			Error::<Test>::RegistrarExists
		);
	});
}

#[test]
fn registrar_management_needs_the_admin_origin() {
	build_and_execute(|| {
		assert_noop!(
			EnergyData::add_registrar(RuntimeOrigin::signed(ALICE), 8, ALICE, meter(77).public()),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			EnergyData::remove_registrar(RuntimeOrigin::signed(REGISTRAR_ACCOUNT), REGISTRAR),
			sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn remove_registrar_rejects_unknown_registrar() {
	build_and_execute(|| {
		assert_noop!(
			EnergyData::remove_registrar(RuntimeOrigin::root(), 99),
			Error::<Test>::UnknownRegistrar
		);
	});
}

#[test]
fn revocation_rejects_readings_from_its_interval_on_and_disables_the_device() {
	build_and_execute(|| {
		let id = register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		run_to_interval(2);
		assert_ok!(EnergyData::revoke_certificate(RuntimeOrigin::signed(REGISTRAR_ACCOUNT), REGISTRAR, 1));
		System::assert_last_event(
			Event::CertificateRevoked { registrar: REGISTRAR, serial: 1, device: Some(id), from_interval: 2 }
				.into(),
		);
		assert_eq!(EnergyData::device(id).unwrap().revoked_from, Some(2));
		// The market is told (and cancels the device's open sell orders).
		assert_eq!(disabled(), vec![(id, ALICE)]);
		// Interval 1 ended before the revocation: its reading still counts.
		assert_ok!(submit(BOB, vec![signed(&meter(1), id, 1, 50, 0)]));
		run_to_interval(3);
		assert_noop!(
			submit(BOB, vec![signed(&meter(1), id, 2, 50, 0)]),
			Error::<Test>::CertificateRevoked
		);
		assert!(!EnergyData::device(id).unwrap().certified_for(2));
		assert!(EnergyData::device(id).unwrap().certified_for(1));
	});
}

#[test]
fn the_admin_may_revoke_any_certificate() {
	build_and_execute(|| {
		let id = register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		assert_ok!(EnergyData::remove_registrar(RuntimeOrigin::root(), REGISTRAR));
		assert_ok!(EnergyData::revoke_certificate(RuntimeOrigin::root(), REGISTRAR, 1));
		assert_eq!(EnergyData::device(id).unwrap().revoked_from, Some(0));
	});
}

#[test]
fn revoke_certificate_rejects_other_accounts() {
	build_and_execute(|| {
		register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		// Not even the device's owner may revoke (it would escape its imbalance charges).
		assert_noop!(
			EnergyData::revoke_certificate(RuntimeOrigin::signed(ALICE), REGISTRAR, 1),
			Error::<Test>::NotRegistrar
		);
	});
}

#[test]
fn revoke_certificate_rejects_unknown_registrar() {
	build_and_execute(|| {
		assert_noop!(
			EnergyData::revoke_certificate(RuntimeOrigin::signed(REGISTRAR_ACCOUNT), 99, 1),
			Error::<Test>::UnknownRegistrar
		);
	});
}

#[test]
fn revoke_certificate_rejects_a_revoked_certificate() {
	build_and_execute(|| {
		register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		assert_ok!(EnergyData::revoke_certificate(RuntimeOrigin::root(), REGISTRAR, 1));
		assert_noop!(
			EnergyData::revoke_certificate(RuntimeOrigin::signed(REGISTRAR_ACCOUNT), REGISTRAR, 1),
			Error::<Test>::AlreadyRevoked
		);
	});
}

#[test]
fn revoke_and_retire_charge_the_hook_up_front_and_refund_it() {
	build_and_execute(|| {
		use frame_support::dispatch::GetDispatchInfo;
		use crate::WeightInfo;
		let id = register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		let call = crate::Call::<Test>::revoke_certificate { registrar: REGISTRAR, serial: 1 };
		let charged = call.get_dispatch_info().call_weight;
		let hook_max = frame_support::weights::Weight::from_parts(5_000, 0);
		assert_eq!(charged, <() as WeightInfo>::revoke_certificate() + hook_max);
		let post = EnergyData::revoke_certificate(RuntimeOrigin::root(), REGISTRAR, 1).unwrap();
		assert_eq!(
			post.actual_weight,
			Some(<() as WeightInfo>::revoke_certificate() + frame_support::weights::Weight::from_parts(1_000, 0))
		);
		let post = EnergyData::retire_device(RuntimeOrigin::signed(ALICE), id).unwrap();
		assert_eq!(
			post.actual_weight,
			Some(<() as WeightInfo>::retire_device() + frame_support::weights::Weight::from_parts(1_000, 0))
		);
		assert_eq!(disabled(), vec![(id, ALICE), (id, ALICE)]);
	});
}

#[test]
fn readings_after_the_certificate_expires_are_rejected() {
	build_and_execute(|| {
		let cert = MeterCertificate { valid_until: 1, ..certificate(ALICE, DeviceKind::Producer, CAP, 0, 1) };
		assert_ok!(register_cert(ALICE, cert, 1));
		run_to_interval(3);
		assert_ok!(submit(BOB, vec![signed(&meter(1), 0, 1, 10, 0)]));
		assert_noop!(
			submit(BOB, vec![signed(&meter(1), 0, 2, 10, 0)]),
			Error::<Test>::CertificateExpired
		);
		assert!(!EnergyData::device(0).unwrap().certified_for(2));
	});
}

#[test]
fn readings_before_registration_are_rejected() {
	build_and_execute(|| {
		run_to_interval(2);
		let id = register(ALICE, DeviceKind::Producer, CAP, 0, 1);
		run_to_interval(3);
		// Interval 1 is within the submission window, but the device did not exist then.
		assert_noop!(
			submit(BOB, vec![signed(&meter(1), id, 1, 10, 0)]),
			Error::<Test>::BeforeRegistration
		);
		assert_ok!(submit(BOB, vec![signed(&meter(1), id, 2, 10, 0)]));
	});
}

// ---------------------------------------------------------------- partly skipped batches

#[test]
fn a_front_run_reading_no_longer_fails_the_batch() {
	build_and_execute(|| {
		setup_three_devices();
		let batch = vec![
			signed(&meter(1), 0, 0, 40, 10),
			signed(&meter(2), 1, 0, 50, 0),
			signed(&meter(3), 2, 0, 0, 55),
		];
		// An attacker copies one reading from the pool and gets it in first.
		assert_ok!(submit(POOR, vec![batch[1].clone()]));
		// The gateway's batch still stores the other two; the copy is skipped silently.
		assert_ok!(submit(ALICE, batch));
		System::assert_last_event(
			Event::ReadingsSubmitted {
				relayer: ALICE,
				accepted: 2,
				duplicates: 1,
				skipped: Default::default(),
				skipped_by_reason: Default::default(),
			}
			.into(),
		);
		assert_eq!(ReadingCount::<Test>::get(0), 3);
	});
}

#[test]
fn invalid_readings_are_skipped_with_reasons_and_their_weight_refunded() {
	build_and_execute(|| {
		setup_three_devices();
		let mut bad_sig = signed(&meter(2), 1, 0, 5, 0);
		bad_sig.produced_wh = 6;
		let batch = vec![
			signed(&meter(1), 0, 0, 5, 5),
			bad_sig,
			signed(&meter(3), 2, 0, 1, 0), // production on a consumer
			signed(&meter(1), 9, 0, 1, 0), // unknown device
			signed(&meter(3), 2, 0, 0, 7),
		];
		let post = EnergyData::submit_readings(RuntimeOrigin::signed(ALICE), batch).unwrap();
		assert_eq!(post.actual_weight, Some(EnergyData::readings_weight(2, 3)));
		assert!(EnergyData::readings_weight(2, 3).all_lte(EnergyData::readings_weight_max(5)));
		let skipped = vec![
			SkippedReading { index: 1, reason: ReadingRejection::BadSignature },
			SkippedReading { index: 2, reason: ReadingRejection::ProductionOnConsumer },
			SkippedReading { index: 3, reason: ReadingRejection::UnknownDevice },
		];
		let counts = vec![
			RejectionCount { reason: ReadingRejection::UnknownDevice, count: 1 },
			RejectionCount { reason: ReadingRejection::ProductionOnConsumer, count: 1 },
			RejectionCount { reason: ReadingRejection::BadSignature, count: 1 },
		];
		System::assert_last_event(
			Event::ReadingsSubmitted {
				relayer: ALICE,
				accepted: 2,
				duplicates: 0,
				skipped: skipped.try_into().unwrap(),
				skipped_by_reason: counts.try_into().unwrap(),
			}
			.into(),
		);
		assert_eq!(ReadingCount::<Test>::get(0), 2);
		assert!(Readings::<Test>::get(0, 1).is_none());
	});
}

#[test]
fn a_batch_crossing_the_interval_cap_stores_up_to_it() {
	build_and_execute(|| {
		let devices = many_producers();
		run_to_interval(1);
		for chunk in devices[..24].chunks(12) {
			let batch = chunk.iter().map(|(d, s)| signed(&meter(*s), *d, 0, 1, 0)).collect();
			assert_ok!(submit(ALICE, batch));
		}
		// 12 more for a cap of 32: 8 stored, 4 skipped as IntervalFull.
		let batch = devices[24..36].iter().map(|(d, s)| signed(&meter(*s), *d, 0, 1, 0)).collect();
		assert_ok!(submit(ALICE, batch));
		assert_eq!(ReadingCount::<Test>::get(0), 32);
		let (accepted, _, skipped) = last_submitted();
		assert_eq!(accepted, 8);
		assert_eq!(
			skipped.iter().map(|s| (s.index, s.reason)).collect::<Vec<_>>(),
			(8..12).map(|i| (i, ReadingRejection::IntervalFull)).collect::<Vec<_>>()
		);
	});
}

// ---------------------------------------------------------------- migration v1 -> v2

#[test]
fn migration_v1_to_v2_keeps_devices_and_leaves_them_uncertified() {
	use crate::migrations::v2::{DeviceV1, MigrateV1ToV2};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	build_and_execute(|| {
		// Two devices as a version-1 chain stored them (raw, old layout).
		let old = |owner: u64, seed: u8, zone: ZoneId| DeviceV1::<u64, u64> {
			owner,
			kind: DeviceKind::Producer,
			capacity_w: CAP,
			zone,
			meter_key: meter(seed).public(),
			deposit: DEPOSIT,
			registered_in: 0,
		};
		for (id, owner, seed, zone) in [(0u64, ALICE, 1u8, 0), (1, BOB, 2, 1)] {
			frame_support::storage::unhashed::put(
				&Devices::<Test>::hashed_key_for(id),
				&old(owner, seed, zone),
			);
			DevicesByOwner::<Test>::insert(owner, frame_support::BoundedVec::truncate_from(vec![id]));
			MeterKeys::<Test>::insert(meter(seed).public(), id);
			assert_ok!(<Balances as frame_support::traits::fungible::MutateHold<u64>>::hold(
				&HoldReason::DeviceDeposit.into(),
				&owner,
				DEPOSIT
			));
		}
		NextDeviceId::<Test>::put(2);
		StorageVersion::new(1).put::<EnergyData>();

		#[cfg(feature = "try-runtime")]
		let state = <MigrateV1ToV2<Test> as OnRuntimeUpgrade>::pre_upgrade().unwrap();
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		#[cfg(feature = "try-runtime")]
		<MigrateV1ToV2<Test> as OnRuntimeUpgrade>::post_upgrade(state).unwrap();

		assert_eq!(EnergyData::on_chain_storage_version(), 2);
		let d = EnergyData::device(1).unwrap();
		assert_eq!((d.owner, d.zone, d.capacity_w, d.meter_key), (BOB, 1, CAP, meter(2).public()));
		assert_eq!((d.certificate, d.revoked_from), (None, None));
		assert!(!d.certified_for(1));
		// Uncertified devices still report readings.
		run_to_interval(1);
		assert_ok!(submit(BOB, vec![signed(&meter(2), 1, 0, 10, 0)]));
	});
}

// ---------------------------------------------------------------- model-based batches

mod batch_model {
	use super::*;
	use proptest::prelude::*;

	/// What a generated reading is.
	#[derive(Clone, Copy, Debug)]
	enum Kind {
		Valid,
		BadSignature,
		Equivocating,
		Copy,
	}

	fn kind() -> impl Strategy<Value = Kind> {
		prop_oneof![Just(Kind::Valid), Just(Kind::BadSignature), Just(Kind::Equivocating), Just(Kind::Copy)]
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(48))]

		/// Random batches over 4 devices: the pallet stores what a simple model of the rules
		/// (first valid reading per device wins, identical copies are silent, the rest skipped
		/// with a reason) predicts, and the event reports the same.
		#[test]
		fn batches_match_the_model(
			pre in prop::collection::vec(any::<bool>(), 4),
			batch in prop::collection::vec((0u64..4, kind(), 1u64..=BOUND), 1..16),
		) {
			build_and_execute(|| {
				for d in 0..4u8 {
					register(ALICE, DeviceKind::Producer, CAP, 0, d + 1);
				}
				run_to_interval(1);
				// Some devices already have a reading (value = device + 1).
				let mut stored: std::collections::BTreeMap<u64, u64> = Default::default();
				let pre_batch: Vec<_> = (0..4u64)
					.filter(|d| pre[*d as usize])
					.map(|d| signed(&meter(d as u8 + 1), d, 0, d + 1, 0))
					.collect();
				if !pre_batch.is_empty() {
					assert_ok!(submit(BOB, pre_batch));
					stored.extend((0..4u64).filter(|d| pre[*d as usize]).map(|d| (d, d + 1)));
				}
				System::reset_events();
				let mut readings = Vec::new();
				let (mut accepted, mut duplicates, mut skipped) = (0u32, 0u32, Vec::new());
				for (i, (d, k, v)) in batch.iter().enumerate() {
					let key = meter(*d as u8 + 1);
					let r = match k {
						Kind::Valid | Kind::Equivocating => signed(&key, *d, 0, *v, 0),
						Kind::BadSignature => { let mut r = signed(&key, *d, 0, *v, 0); r.produced_wh = *v - 1; r }
						Kind::Copy => signed(&key, *d, 0, stored.get(d).copied().unwrap_or(*v), 0),
					};
					// A reading with the stored values is an identical copy whatever its
					// signature (the stored one's verified); otherwise the first stored wins.
					match stored.get(d) {
						Some(s) if *s == r.produced_wh => duplicates += 1,
						Some(_) => skipped.push(SkippedReading { index: i as u32, reason: ReadingRejection::DuplicateReading }),
						None if matches!(k, Kind::BadSignature) =>
							skipped.push(SkippedReading { index: i as u32, reason: ReadingRejection::BadSignature }),
						None => { stored.insert(*d, r.produced_wh); accepted += 1; },
					}
					readings.push(r);
				}
				let result = submit(ALICE, readings);
				if accepted == 0 {
					prop_assert!(result.is_err());
				} else {
					prop_assert!(result.is_ok());
					prop_assert_eq!(last_submitted(), (accepted, duplicates, skipped));
				}
				for d in 0..4u64 {
					let want = if accepted == 0 {
						pre[d as usize].then_some(d + 1)
					} else {
						stored.get(&d).copied()
					};
					prop_assert_eq!(Readings::<Test>::get(0, d).map(|v| v.produced_wh), want);
				}
				Ok(())
			})?;
		}
	}
}
