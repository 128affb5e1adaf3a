//! Benchmarks of the EnergyMarket pallet (frame-benchmarking v2), each at its worst case.

#![allow(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::indexing_slicing
)]

use super::*;
use crate::pallet::{Books, Call, Config, NextToExpire, NextToSettle, Pallet, SettledUpTo, TradeCount};
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate as _, EnsureOrigin, Get};
use frame_system::RawOrigin;
use pallet_energy_data::{DeviceKind, EnergyDataBlock, EnergyDataBlocks, MeterValues, Readings};
use sp_core::ed25519;

type EnergyData<T> = pallet_energy_data::Pallet<T>;

/// Plenty of money for any benchmark account.
const FUNDS: Money = 1_000_000_000_000_000_000_000;

/// An account funded in both pallets' currencies (the same `Balances` in the runtime).
fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	let who: T::AccountId = account(name, i, 0);
	let deposits = <T as pallet_energy_data::Config>::DeviceDeposit::get() * 1000u32.into();
	let _ = <T as pallet_energy_data::Config>::Currency::set_balance(&who, deposits);
	let _ = <T as Config>::Currency::set_balance(&who, FUNDS);
	who
}

/// Seller `i` with one producing device of huge capacity in `zone`.
fn seller<T: Config>(i: u32, zone: ZoneId) -> T::AccountId {
	let who = funded::<T>("seller", i);
	let mut key = [0u8; 32];
	key[..4].copy_from_slice(&i.to_le_bytes());
	key[4..6].copy_from_slice(&zone.to_le_bytes());
	key[31] = 0xbe;
	EnergyData::<T>::benchmark_device(
		&who,
		DeviceKind::Producer,
		u32::MAX,
		zone,
		ed25519::Public::from_raw(key),
	)
	.expect("benchmark device registers");
	who
}

fn place<T: Config>(who: &T::AccountId, side: Side, zone: ZoneId, interval: IntervalIndex, qty: u64, price: Money) {
	Pallet::<T>::place_order(RawOrigin::Signed(who.clone()).into(), side, zone, interval, qty, price)
		.expect("benchmark order is placed");
}

/// The first interval still open for orders.
fn open_interval<T: Config>() -> IntervalIndex {
	EnergyData::<T>::current_interval() + T::GateClosureIntervals::get() + 1
}

/// Fills the book of `interval` and `side` with `count` orders of distinct owners in rotation
/// (respecting the per-account and per-device caps); sells are at `price` in `zone`.
fn fill_book<T: Config>(
	side: Side,
	interval: IntervalIndex,
	zone: ZoneId,
	count: u32,
	price: Money,
	tag: u32,
) {
	let per_owner =
		T::MaxOpenOrdersPerAccount::get().min(T::MaxOrdersPerDeviceInterval::get()).max(1);
	let mut owner = None;
	for k in 0..count {
		if k % per_owner == 0 {
			let i = tag * 10_000 + k / per_owner;
			owner = Some(match side {
				Side::Sell => seller::<T>(i, zone),
				Side::Buy => funded::<T>("buyer", i),
			});
		}
		place::<T>(owner.as_ref().unwrap(), side, zone, interval, 1, price);
	}
}

/// `n` trades of one seller's device in `interval` (each with a grid fee), then the interval is
/// sealed with a reading delivering half of it (so every payout path runs).
fn trades_sealed<T: Config>(n: u32) -> IntervalIndex {
	let interval = open_interval::<T>();
	Pallet::<T>::do_set_zone_pair(0, 0, Some(ZonePair { fee_per_kwh: 7, capacity_wh: 0 })).unwrap();
	let operator = T::GridOperator::get();
	let _ = <T as Config>::Currency::set_balance(&operator, FUNDS);
	let s = seller::<T>(0, 0);
	place::<T>(&s, Side::Sell, 0, interval, 1000 * u64::from(n), 100);
	let b = funded::<T>("buyer", 0);
	for _ in 0..n {
		// Each buy fills completely: one trade, nothing rests.
		place::<T>(&b, Side::Buy, 0, interval, 1000, 150);
	}
	assert_eq!(TradeCount::<T>::get(interval), n);
	let device = pallet_energy_data::DevicesByOwner::<T>::get(&s)[0];
	Readings::<T>::insert(
		interval,
		device,
		MeterValues { zone: 0, produced_wh: 500 * u64::from(n), consumed_wh: 0 },
	);
	EnergyDataBlocks::<T>::insert(
		interval,
		EnergyDataBlock {
			interval,
			reading_count: 1,
			total_produced_wh: 500 * u64::from(n),
			total_consumed_wh: 0,
			per_zone: Default::default(),
			readings_root: [0; 32],
		},
	);
	interval
}

#[benchmarks]
mod benches {
	use super::*;

	/// Both books full; the incoming buy scans every ask: `MaxOrdersPerBook − f` crossing asks
	/// from `r` zones whose route into the buyer's zone has no capacity left (each zone pair
	/// read once, each ask skipped), then `f` cross-zone fills that each close the resting
	/// order; `s` Wh rest (`s = 0`: the order is filled completely and never enters the book).
	/// The call is charged `place_order(MaxFillsPerOrder, MaxZones, 1)` and refunded to
	/// `place_order(fills, zone pairs looked up, whether it rests)`.
	#[benchmark]
	fn place_order(
		f: Linear<0, { T::MaxFillsPerOrder::get().min(T::MaxOrdersPerBook::get()) }>,
		r: Linear<1, { <T as pallet_energy_data::Config>::MaxZones::get().saturating_sub(2).max(1) }>,
		s: Linear<0, 1>,
	) -> Result<(), BenchmarkError> {
		// An order that matches nothing rests: `f = 0` implies `s = 1`.
		let s = if f == 0 { 1 } else { s };
		let interval = open_interval::<T>();
		let max = T::MaxOrdersPerBook::get();
		let zones = <T as pallet_energy_data::Config>::MaxZones::get();
		let skipped = max - f;
		Pallet::<T>::do_set_zone_pair(1, 0, Some(ZonePair { fee_per_kwh: 1, capacity_wh: u64::MAX }))?;
		if zones > 2 {
			// Zones 2..2+r reach zone 0 over pairs without capacity: crossing asks there are
			// skipped, and each pair is looked up once.
			for z in 2..2 + r {
				Pallet::<T>::do_set_zone_pair(z as ZoneId, 0, Some(ZonePair { fee_per_kwh: 1, capacity_wh: 0 }))?;
			}
			for k in 0..skipped {
				let z = (2 + k % r) as ZoneId;
				let s = seller::<T>(60_000 + k, z);
				place::<T>(&s, Side::Sell, z, interval, 1, 5);
			}
		} else {
			fill_book::<T>(Side::Sell, interval, 0, skipped, T::DefaultPriceCap::get().min(1000), 1);
		}
		// `f` crossing asks in zone 1 with 2 Wh each, priced behind the skipped ones.
		let per_owner =
			T::MaxOpenOrdersPerAccount::get().min(T::MaxOrdersPerDeviceInterval::get()).max(1);
		let mut owner = None;
		for k in 0..f {
			if k % per_owner == 0 {
				owner = Some(seller::<T>(50_000 + k / per_owner, 1));
			}
			place::<T>(owner.as_ref().unwrap(), Side::Sell, 1, interval, 2, 10);
		}
		fill_book::<T>(Side::Buy, interval, 0, max - 1, 1, 2);
		let caller = funded::<T>("caller", 0);
		// Every crossing ask fills completely (the heavier path); `s` Wh rest.
		let qty = 2 * u64::from(f) + u64::from(s);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), Side::Buy, 0, interval, qty, 20);

		assert_eq!(TradeCount::<T>::get(interval), f);
		assert_eq!(Books::<T>::get(interval, Side::Buy).len() as u32, max - 1 + s);
		assert_eq!(Books::<T>::get(interval, Side::Sell).len() as u32, skipped);
		Ok(())
	}

	/// Cancels the best of a full book (the owner has the most open orders).
	#[benchmark]
	fn cancel_order() -> Result<(), BenchmarkError> {
		let interval = open_interval::<T>();
		let max = T::MaxOrdersPerBook::get();
		let caller = funded::<T>("caller", 0);
		let own = T::MaxOpenOrdersPerAccount::get().min(max);
		place::<T>(&caller, Side::Buy, 0, interval, 1, 9);
		for _ in 1..own {
			place::<T>(&caller, Side::Buy, 0, interval, 1, 5);
		}
		fill_book::<T>(Side::Buy, interval, 0, max - own, 5, 3);
		let id = Books::<T>::get(interval, Side::Buy)[0].id;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), id);

		assert_eq!(Books::<T>::get(interval, Side::Buy).len() as u32, max - 1);
		Ok(())
	}

	/// Settles `n` trades, each with a payment, a grid fee, a refund and an imbalance charge.
	#[benchmark]
	fn settle(n: Linear<1, { T::MaxSettledPerCall::get() }>) -> Result<(), BenchmarkError> {
		let interval = trades_sealed::<T>(n);
		let caller = funded::<T>("caller", 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), interval, n);

		assert!(!TradeCount::<T>::contains_key(interval));
		Ok(())
	}

	/// Expires `n` open orders after walking `i − 1` intervals without orders.
	#[benchmark]
	fn on_initialize_expire(
		n: Linear<0, { T::MaxExpiredPerBlock::get().min(T::MaxOrdersPerBook::get()) }>,
		i: Linear<1, 10>,
	) -> Result<(), BenchmarkError> {
		let interval = open_interval::<T>();
		fill_book::<T>(Side::Buy, interval, 0, n, 5, 4);
		let gate = T::GateClosureIntervals::get();
		NextToExpire::<T>::put(interval.saturating_sub(i - 1));
		let current = interval - gate;

		#[block]
		{
			Pallet::<T>::expire_orders(current);
		}

		assert!(Books::<T>::get(interval, Side::Buy).is_empty());
		Ok(())
	}

	/// Settles `n` trades of a sealed interval after walking `i − 1` sealed intervals without
	/// trades.
	#[benchmark]
	fn on_initialize_settle(
		n: Linear<1, { T::MaxSettledPerBlock::get().min(T::MaxTradesPerInterval::get()) }>,
		i: Linear<1, 10>,
	) -> Result<(), BenchmarkError> {
		let interval = trades_sealed::<T>(n);
		let start = interval.saturating_sub(i - 1);
		for e in start..interval {
			EnergyDataBlocks::<T>::insert(
				e,
				EnergyDataBlock {
					interval: e,
					reading_count: 0,
					total_produced_wh: 0,
					total_consumed_wh: 0,
					per_zone: Default::default(),
					readings_root: [0; 32],
				},
			);
		}
		NextToSettle::<T>::put(start);

		#[block]
		{
			Pallet::<T>::settle_sealed();
		}

		assert_eq!(SettledUpTo::<T>::get(interval), 0);
		assert!(!TradeCount::<T>::contains_key(interval));
		Ok(())
	}

	/// Sets a pair (recomputing the highest fee into the zone over every zone).
	#[benchmark]
	fn set_zone_pair() -> Result<(), BenchmarkError> {
		let zones = <T as pallet_energy_data::Config>::MaxZones::get();
		let to = ZoneId::try_from(zones - 1).unwrap_or_default();
		for f in 0..zones {
			Pallet::<T>::do_set_zone_pair(f as ZoneId, to, Some(ZonePair { fee_per_kwh: 3, capacity_wh: 10 }))?;
		}

		let origin = <T as Config>::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 0, to, 9, 100);

		assert_eq!(pallet::MaxFeeInto::<T>::get(to), 9);
		Ok(())
	}

	#[benchmark]
	fn set_price_band() -> Result<(), BenchmarkError> {
		let origin = <T as Config>::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 2, 900);

		assert_eq!(pallet::PriceLimits::<T>::get().cap, 900);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
