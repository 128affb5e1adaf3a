//! Benchmarks of the EnergyData pallet (frame-benchmarking v2), each at its worst case.

#![allow(clippy::arithmetic_side_effects, clippy::expect_used, clippy::unwrap_used)]

use super::*;
use crate::pallet::{
	BalanceOf, Call, Certificates, Config, Devices, DevicesByOwner, Event, NextDeviceId,
	NextToPrune, NextToSeal, Pallet, ReadingCount, Readings, Registrars,
};
use frame_support::BoundedVec;
use alloc::{format, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	EnsureOrigin,
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

const REGISTRAR: RegistrarId = 0;

/// Registrar 0 with its certificate key in the keystore; returns its account and key.
fn registrar<T: Config>() -> (T::AccountId, ed25519::Public) {
	let key =
		sp_io::crypto::ed25519_generate(METER_KEY_TYPE, Some(b"//registrar".to_vec()));
	let account = funded::<T>("registrar", 0);
	Registrars::<T>::insert(REGISTRAR, Registrar { account: account.clone(), key });
	(account, key)
}

fn sign(key: &ed25519::Public, payload: &[u8]) -> ed25519::Signature {
	sp_io::crypto::ed25519_sign(METER_KEY_TYPE, key, payload).expect("benchmark key is in the keystore")
}

/// A certificate of registrar 0 for meter `i` (serial `i`) and its two signatures.
fn certified<T: Config>(
	owner: &T::AccountId,
	i: u32,
	kind: DeviceKind,
) -> (MeterCertificate<T::AccountId>, ed25519::Signature, ed25519::Signature) {
	let (_, registrar_key) = registrar::<T>();
	let key = meter_key(i);
	let cert = MeterCertificate {
		registrar: REGISTRAR,
		serial: u64::from(i),
		meter_key: key,
		owner: owner.clone(),
		kind,
		capacity_w: u32::MAX,
		zone: 0,
		valid_until: IntervalIndex::MAX,
	};
	let by_registrar = sign(&registrar_key, &Pallet::<T>::certificate_payload(&cert));
	let pop = sign(&key, &Pallet::<T>::possession_payload(owner, &cert));
	(cert, by_registrar, pop)
}

/// Registers device number `i` (owners rotate so no account exceeds its device limit).
fn register<T: Config>(i: u32, kind: DeviceKind) -> (T::AccountId, DeviceId, ed25519::Public) {
	let per_owner = T::MaxDevicesPerAccount::get();
	let owner = funded::<T>("owner", i / per_owner);
	let (cert, by_registrar, pop) = certified::<T>(&owner, i, kind);
	let key = cert.meter_key;
	let id = NextDeviceId::<T>::get();
	Pallet::<T>::register_device(RawOrigin::Signed(owner.clone()).into(), cert, by_registrar, pop)
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

	/// Worst case: the owner already has `MaxDevicesPerAccount - 1` devices; both signatures
	/// (registrar and proof of possession) are verified.
	#[benchmark]
	fn register_device() {
		let max = T::MaxDevicesPerAccount::get();
		for i in 0..max.saturating_sub(1) {
			register::<T>(i, DeviceKind::Producer);
		}
		let owner = funded::<T>("owner", 0);
		let (cert, by_registrar, pop) = certified::<T>(&owner, max, DeviceKind::Prosumer);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), cert, by_registrar, pop);

		assert_eq!(DevicesByOwner::<T>::get(&owner).len() as u32, max);
		assert!(Certificates::<T>::contains_key(REGISTRAR, u64::from(max)));
	}

	#[benchmark]
	fn add_registrar() -> Result<(), BenchmarkError> {
		let origin = T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let account: T::AccountId = account("registrar", 1, 0);
		let key = meter_key(u32::MAX);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 1, account, key);

		assert!(Registrars::<T>::contains_key(1));
		Ok(())
	}

	#[benchmark]
	fn remove_registrar() -> Result<(), BenchmarkError> {
		registrar::<T>();
		let origin = T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, REGISTRAR);

		assert!(!Registrars::<T>::contains_key(REGISTRAR));
		Ok(())
	}

	/// Worst case: signed by the registrar's account (its record is read), the certificate
	/// registered a device that is updated. The market's cancellations are charged separately
	/// (`OnDeviceDisabled::max_weight`).
	#[benchmark]
	fn revoke_certificate() {
		let (owner, id, _) = register::<T>(0, DeviceKind::Producer);
		let (account, _) = registrar::<T>();
		let _ = owner;

		#[extrinsic_call]
		_(RawOrigin::Signed(account), REGISTRAR, 0);

		assert_eq!(Devices::<T>::get(id).and_then(|d| d.revoked_from), Some(0));
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
				let signature = sign(key, &payload);
				SignedReading { device: *id, interval: 0, produced_wh: 1_000, consumed_wh: 500, signature }
			})
			.collect();
		let relayer = funded::<T>("relayer", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(relayer), readings);

		assert_eq!(ReadingCount::<T>::get(0), n);
	}

	/// One stored reading and `n` skipped at their most expensive check: every check passes
	/// up to the signature, which does not verify (each of a distinct device).
	#[benchmark]
	fn submit_readings_skipped(n: Linear<0, { T::MaxReadingsPerCall::get() - 1 }>) {
		let mut devices = Vec::new();
		for i in 0..=n {
			devices.push(register::<T>(i, DeviceKind::Prosumer));
		}
		set_block::<T>(T::IntervalBlocks::get());
		let readings: Vec<SignedReading> = devices
			.iter()
			.enumerate()
			.map(|(j, (_, id, key))| {
				let payload = Pallet::<T>::reading_payload(*id, 0, 1_000, 500);
				let mut signature = sign(key, &payload);
				if j > 0 {
					// A valid signature of other values: verification runs and fails.
					signature = sign(key, &Pallet::<T>::reading_payload(*id, 0, 1_001, 500));
				}
				SignedReading { device: *id, interval: 0, produced_wh: 1_000, consumed_wh: 500, signature }
			})
			.collect();
		let relayer = funded::<T>("relayer", 0);

		#[extrinsic_call]
		submit_readings(RawOrigin::Signed(relayer), readings);

		assert_eq!(ReadingCount::<T>::get(0), 1);
		let last = frame_system::Pallet::<T>::events().pop().expect("an event").event;
		let expected: <T as frame_system::Config>::RuntimeEvent = Event::<T>::ReadingsSubmitted {
			relayer: funded::<T>("relayer", 0),
			accepted: 1,
			duplicates: 0,
			skipped: BoundedVec::truncate_from(
				(1..=n)
					.map(|index| SkippedReading { index, reason: ReadingRejection::BadSignature })
					.collect(),
			),
			skipped_by_reason: BoundedVec::truncate_from(if n > 0 {
				alloc::vec![RejectionCount { reason: ReadingRejection::BadSignature, count: n }]
			} else {
				alloc::vec![]
			}),
		}
		.into();
		assert!(last == expected, "every skipped reading reached the signature check");
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
