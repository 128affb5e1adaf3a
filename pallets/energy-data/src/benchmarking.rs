//! Benchmarks of the EnergyData pallet (frame-benchmarking v2), each at its worst case.

#![allow(clippy::arithmetic_side_effects, clippy::expect_used, clippy::unwrap_used)]

use super::*;
use crate::pallet::{
	BalanceOf, Call, Config, Devices, DevicesByOwner, NextDeviceId, NextToPrune, NextToSeal, Pallet,
	ReadingCount, Readings,
};
use alloc::{format, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	Get,
};
use frame_system::RawOrigin;
use sp_core::{crypto::KeyTypeId, ed25519};
use sp_runtime::traits::Zero;

/// Key type under which benchmark meter keys live in the keystore.
const METER_KEY_TYPE: KeyTypeId = KeyTypeId(*b"metr");

fn meter_key(i: u32) -> ed25519::Public {
	sp_io::crypto::ed25519_generate(METER_KEY_TYPE, Some(format!("//meter{i}").into_bytes()))
}

/// An account funded (once) with enough for `MaxDevicesPerAccount` deposits and fees.
fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	let who: T::AccountId = account(name, i, 0);
	if T::Currency::balance(&who).is_zero() {
		let devices: BalanceOf<T> = (T::MaxDevicesPerAccount::get() + 10).into();
		let amount = T::DeviceDeposit::get() * devices + T::Currency::minimum_balance() * 100u32.into();
		let _ = T::Currency::set_balance(&who, amount);
	}
	who
}

/// Registers device number `i` (owners rotate so no account exceeds its device limit).
fn register<T: Config>(i: u32, kind: DeviceKind) -> (T::AccountId, DeviceId, ed25519::Public) {
	let per_owner = T::MaxDevicesPerAccount::get();
	let owner = funded::<T>("owner", i / per_owner);
	let key = meter_key(i);
	let id = NextDeviceId::<T>::get();
	Pallet::<T>::register_device(
		RawOrigin::Signed(owner.clone()).into(),
		kind,
		u32::MAX,
		0,
		key,
	)
	.expect("benchmark device registers");
	(owner, id, key)
}

fn set_block<T: Config>(n: u32) {
	frame_system::Pallet::<T>::set_block_number(n.into());
}

/// Stores `r` readings for interval 0 directly (for the hook benchmarks).
fn store_readings<T: Config>(r: u32) {
	for d in 0..u64::from(r) {
		Readings::<T>::insert(
			0,
			d,
			MeterValues {
				zone: (d % u64::from(T::MaxZones::get())) as ZoneId,
				produced_wh: d,
				consumed_wh: d + 1,
			},
		);
	}
	ReadingCount::<T>::insert(0, r);
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Worst case: the owner already has `MaxDevicesPerAccount - 1` devices.
	#[benchmark]
	fn register_device() {
		let max = T::MaxDevicesPerAccount::get();
		for i in 0..max.saturating_sub(1) {
			register::<T>(i, DeviceKind::Producer);
		}
		let owner = funded::<T>("owner", 0);
		let key = meter_key(max);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), DeviceKind::Prosumer, 10_000, 1, key);

		assert_eq!(DevicesByOwner::<T>::get(&owner).len() as u32, max);
	}

	/// Worst case: the owner has `MaxDevicesPerAccount` devices and retires the last one.
	#[benchmark]
	fn retire_device() {
		let max = T::MaxDevicesPerAccount::get();
		let mut last = None;
		for i in 0..max {
			last = Some(register::<T>(i, DeviceKind::Producer));
		}
		let (owner, id, _) = last.expect("MaxDevicesPerAccount > 0");

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);

		assert!(Devices::<T>::get(id).is_none());
	}

	/// `n` readings of `n` different devices, each with both values set (prosumers).
	#[benchmark]
	fn submit_readings(n: Linear<1, { T::MaxReadingsPerCall::get() }>) {
		let mut devices = Vec::new();
		for i in 0..n {
			devices.push(register::<T>(i, DeviceKind::Prosumer));
		}
		set_block::<T>(T::IntervalBlocks::get());
		let readings: Vec<SignedReading> = devices
			.iter()
			.map(|(_, id, key)| {
				let payload = Pallet::<T>::reading_payload(*id, 0, 1_000, 500);
				let signature = sp_io::crypto::ed25519_sign(METER_KEY_TYPE, key, &payload)
					.expect("benchmark key is in the keystore");
				SignedReading { device: *id, interval: 0, produced_wh: 1_000, consumed_wh: 500, signature }
			})
			.collect();
		let relayer = funded::<T>("relayer", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(relayer), readings);

		assert_eq!(ReadingCount::<T>::get(0), n);
	}

	/// Sealing an interval holding `r` readings.
	#[benchmark]
	fn seal_interval(r: Linear<0, { T::MaxReadingsPerInterval::get() }>) {
		store_readings::<T>(r);

		#[block]
		{
			Pallet::<T>::seal_interval(0);
		}

		assert_eq!(NextToSeal::<T>::get(), 1);
		assert_eq!(Pallet::<T>::data_block(0).map(|b| b.reading_count), Some(r));
	}

	/// Pruning `r` readings of an interval (all of them).
	#[benchmark]
	fn prune_interval(r: Linear<0, { T::MaxPrunedPerBlock::get() }>) {
		store_readings::<T>(r);
		NextToSeal::<T>::put(1);

		#[block]
		{
			Pallet::<T>::prune_interval(0, r);
		}

		assert_eq!(NextToPrune::<T>::get(), 1);
		assert!(ReadingCount::<T>::get(0).is_zero());
	}

	/// The hook when nothing is due.
	#[benchmark]
	fn hook_idle() {
		#[block]
		{
			Pallet::<T>::seal_and_prune(0);
		}
		assert_eq!(NextToSeal::<T>::get(), 0);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
