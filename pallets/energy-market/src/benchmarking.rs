//! Benchmarks of the EnergyMarket pallet (frame-benchmarking v2), each at its worst case:
//! amounts that move holds (never rounding to zero), distinct accounts and devices, full books.
//! Every benchmark asserts that its setup reached the path it claims to measure; the
//! `impl_benchmark_test_suite` runs them at both ends of every component as tests.

#![allow(
	clippy::arithmetic_side_effects,
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::indexing_slicing
)]

use super::*;
use crate::pallet::{
	Call, Config, NextToExpire, NextToSettle, Orders, Pallet, SettledUpTo, Trades,
	ZoneBooks,
};
use alloc::{collections::BTreeSet, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{InspectHold as _, Mutate as _},
	EnsureOrigin, Get,
};
use frame_system::RawOrigin;
use pallet_energy_data::{DeviceKind, EnergyDataBlock, EnergyDataBlocks, MeterValues, Readings};
use sp_core::ed25519;

type EnergyData<T> = pallet_energy_data::Pallet<T>;

/// Plenty of money for any benchmark account.
const FUNDS: Money = 1_000_000_000_000_000_000_000;

/// An account funded in both pallets' currencies (the same `Balances` in the runtime).
fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	fund::<T>(account(name, i, 0))
}

/// Funds `who` in both pallets' currencies.
fn fund<T: Config>(who: T::AccountId) -> T::AccountId {
	let deposits = <T as pallet_energy_data::Config>::DeviceDeposit::get() * 1000u32.into();
	let _ = <T as pallet_energy_data::Config>::Currency::set_balance(&who, deposits);
	let _ = <T as Config>::Currency::set_balance(&who, FUNDS);
	who
}

/// The signer of the measured call, funded: FRAME's `whitelisted_caller`, whose account the
/// benchmarks do not count, since the transaction payment has read and written it before the
/// call (and charged that in its own weight).
fn caller<T: Config>() -> T::AccountId {
	fund::<T>(whitelisted_caller())
}

/// Registers a producing device of `who` in `zone` with `capacity_w`; `salt` keeps meter keys
/// distinct.
fn add_device<T: Config>(who: &T::AccountId, zone: ZoneId, capacity_w: u32, salt: u32) -> DeviceId {
	let mut key = [0u8; 32];
	key[..4].copy_from_slice(&salt.to_le_bytes());
	key[4..6].copy_from_slice(&zone.to_le_bytes());
	key[31] = 0xbe;
	EnergyData::<T>::benchmark_device(
		who,
		DeviceKind::Producer,
		capacity_w,
		zone,
		ed25519::Public::from_raw(key),
	)
	.expect("benchmark device registers")
}

/// Seller `i` with one producing device of huge capacity in `zone`.
fn seller<T: Config>(i: u32, zone: ZoneId) -> T::AccountId {
	let who = funded::<T>("seller", i);
	add_device::<T>(&who, zone, u32::MAX, i);
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

/// The smallest order (one minimum quantity).
fn lot<T: Config>() -> u64 {
	T::MinOrderWh::get()
}

/// Price step: `k` steps make a minimum order worth at least `MinOrderValue` (`k ≥ 1`).
fn price<T: Config>(k: u32) -> Money {
	let step = T::MinOrderValue::get() * 1000 / Money::from(lot::<T>()) + 1;
	step * Money::from(k)
}

/// Orders one account may rest in one book and interval (its own and its device's caps).
fn per_owner<T: Config>(side: Side) -> u32 {
	let own = T::MaxOpenOrdersPerAccount::get();
	match side {
		Side::Buy => own,
		Side::Sell => own.min(T::MaxOrdersPerDeviceInterval::get()),
	}
	.max(1)
}

/// Adds `count` resting orders of one lot at `price` to the book of `(interval, zone, side)`,
/// from owners in rotation (each up to its caps; `tag` keeps owners of different calls apart).
fn fill_book<T: Config>(side: Side, interval: IntervalIndex, zone: ZoneId, count: u32, price: Money, tag: u32) {
	let per_owner = per_owner::<T>(side);
	let mut owner = None;
	for k in 0..count {
		if k % per_owner == 0 {
			let i = tag * 100_000 + u32::from(zone) * 1_000 + k / per_owner;
			owner = Some(match side {
				Side::Sell => seller::<T>(i, zone),
				Side::Buy => funded::<T>("buyer", i),
			});
		}
		place::<T>(owner.as_ref().unwrap(), side, zone, interval, lot::<T>(), price);
	}
}

/// What `place_order_kept` / `place_order_buy_kept` must have reached: one trade against
/// `maker`'s resting order `resting` (of `maker_side`), which stays open with one lot and its
/// owner's hold unchanged (`on_hold` before the call), in a book still full, and nothing of the
/// incoming order `id` resting.
fn assert_kept<T: Config>(
	interval: IntervalIndex,
	maker_side: Side,
	maker: &T::AccountId,
	resting: OrderId,
	on_hold: Money,
	id: OrderId,
) {
	assert_eq!(Pallet::<T>::trade_count(interval), 1);
	let trade = Trades::<T>::get(interval, 0).expect("one trade");
	let counterparty = match maker_side {
		Side::Buy => trade.buyer,
		Side::Sell => trade.seller,
	};
	assert_eq!(&counterparty, maker, "the trade is against the resting order");
	assert_eq!(Orders::<T>::get(resting).map(|o| o.remaining_wh), Some(lot::<T>()), "the maker stays open");
	assert_eq!(
		<T as Config>::Currency::total_balance_on_hold(maker),
		on_hold,
		"nothing of the maker's hold released (its escrow or collateral moved into the trade)"
	);
	assert_eq!(
		ZoneBooks::<T>::get((interval, 0, maker_side)).len() as u32,
		T::MaxOrdersPerBook::get(),
		"the full book kept the maker"
	);
	assert!(Orders::<T>::get(id).is_none(), "filled completely, nothing rests");
}

/// `n` trades of distinct buyers, sellers and devices in `interval` (each with a grid fee),
/// then the interval is sealed with readings delivering half of each (so every payout path
/// runs: payment, grid fee, refund, imbalance charge, collateral refund).
fn trades_sealed<T: Config>(n: u32) -> IntervalIndex {
	let interval = open_interval::<T>();
	Pallet::<T>::do_set_zone_pair(0, 0, Some(ZonePair { fee_per_kwh: 7, capacity_wh: 0 })).unwrap();
	let operator = T::GridOperator::get();
	let _ = <T as Config>::Currency::set_balance(&operator, FUNDS);
	let qty = 10 * lot::<T>();
	let mut devices = Vec::new();
	for i in 0..n {
		let s = seller::<T>(i, 0);
		place::<T>(&s, Side::Sell, 0, interval, qty, price::<T>(10));
		let b = funded::<T>("buyer", i);
		// The only resting ask is seller i's: one trade, nothing rests.
		place::<T>(&b, Side::Buy, 0, interval, qty, price::<T>(20));
		devices.push(pallet_energy_data::DevicesByOwner::<T>::get(&s)[0]);
	}
	assert_eq!(Pallet::<T>::trade_count(interval), n);
	let buyers: BTreeSet<_> = Trades::<T>::iter_prefix_values(interval).map(|t| t.buyer).collect();
	let sellers: BTreeSet<_> = Trades::<T>::iter_prefix_values(interval).map(|t| t.seller).collect();
	let traded: BTreeSet<_> = Trades::<T>::iter_prefix_values(interval).map(|t| t.device).collect();
	assert_eq!((buyers.len(), sellers.len(), traded.len()), (n as usize, n as usize, n as usize));
	for device in &devices {
		Readings::<T>::insert(interval, device, MeterValues { zone: 0, produced_wh: qty / 2, consumed_wh: 0 });
	}
	EnergyDataBlocks::<T>::insert(
		interval,
		EnergyDataBlock {
			interval,
			reading_count: n,
			total_produced_wh: qty / 2 * u64::from(n),
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

	/// An incoming sell in zone 0 (backed by the caller's one device) matching `f` bids of
	/// distinct buyers that each close, in zone 0's full bid book (read, merged and written
	/// back without them), filled completely. A resting remainder is `rest_order`, books of
	/// other zones `zone_books(z)`, the device scan of a sell `pick_device(d)`: each part is
	/// measured with the others at their least, so the sum charged for a small order is what a
	/// small order costs.
	#[benchmark]
	fn place_order(
		f: Linear<1, { T::MaxFillsPerOrder::get().min(T::MaxTakerTradesPerInterval::get()) }>,
	) -> Result<(), BenchmarkError> {
		let interval = open_interval::<T>();
		let max = T::MaxOrdersPerBook::get();
		// `f` crossing bids of distinct buyers, then the rest of the book below the sell's price.
		for k in 0..f {
			place::<T>(&funded::<T>("taker", k), Side::Buy, 0, interval, lot::<T>(), price::<T>(10));
		}
		fill_book::<T>(Side::Buy, interval, 0, max - f, price::<T>(1), 1);
		let caller = caller::<T>();
		add_device::<T>(&caller, 0, u32::MAX, 999_999);
		let id = pallet::NextOrderId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), Side::Sell, 0, interval, lot::<T>() * u64::from(f), price::<T>(5));

		assert_eq!(Pallet::<T>::trade_count(interval), f);
		let buyers: BTreeSet<_> = Trades::<T>::iter_prefix_values(interval).map(|t| t.buyer).collect();
		assert_eq!(buyers.len() as u32, f, "fills with distinct buyers");
		assert_eq!(
			ZoneBooks::<T>::get((interval, 0, Side::Buy)).len() as u32,
			max - f,
			"the bid book was full and lost exactly its crossing bids"
		);
		assert!(Orders::<T>::get(id).is_none(), "filled completely, nothing rests");
		Ok(())
	}

	/// An incoming buy in zone 0 (with a grid fee into the zone, so it reserves one) matching
	/// `f` asks of distinct sellers and devices that each close (each seller's collateral
	/// released, each device's slot updated), in zone 0's full ask book (read, merged and
	/// written back without them), filled completely.
	#[benchmark]
	fn place_order_buy(
		f: Linear<1, { T::MaxFillsPerOrder::get().min(T::MaxTakerTradesPerInterval::get()) }>,
	) -> Result<(), BenchmarkError> {
		let interval = open_interval::<T>();
		let max = T::MaxOrdersPerBook::get();
		Pallet::<T>::do_set_zone_pair(0, 0, Some(ZonePair { fee_per_kwh: 1, capacity_wh: 0 }))?;
		for k in 0..f {
			place::<T>(&seller::<T>(200_000 + k, 0), Side::Sell, 0, interval, lot::<T>(), price::<T>(1));
		}
		fill_book::<T>(Side::Sell, interval, 0, max - f, price::<T>(50), 3);
		let caller = caller::<T>();
		let id = pallet::NextOrderId::<T>::get();

		#[extrinsic_call]
		place_order(RawOrigin::Signed(caller.clone()), Side::Buy, 0, interval, lot::<T>() * u64::from(f), price::<T>(5));

		assert_eq!(Pallet::<T>::trade_count(interval), f);
		let trades: Vec<_> = Trades::<T>::iter_prefix_values(interval).collect();
		let sellers: BTreeSet<_> = trades.iter().map(|t| t.seller.clone()).collect();
		let devices: BTreeSet<_> = trades.iter().map(|t| t.device).collect();
		assert_eq!((sellers.len() as u32, devices.len() as u32), (f, f), "fills with distinct sellers and devices");
		assert_eq!(
			ZoneBooks::<T>::get((interval, 0, Side::Sell)).len() as u32,
			max - f,
			"the ask book was full and lost exactly its crossing asks"
		);
		assert!(Orders::<T>::get(id).is_none(), "filled completely, nothing rests");
		Ok(())
	}

	/// An incoming sell of one lot in zone 0 (backed by the caller's one device) taking one lot
	/// of a two-lot bid of another buyer, which stays open with nothing of its hold released
	/// (`PlaceWork::kept_maker`: a small order against a larger one), in zone 0's full bid
	/// book, filled completely.
	#[benchmark]
	fn place_order_kept() -> Result<(), BenchmarkError> {
		let interval = open_interval::<T>();
		let max = T::MaxOrdersPerBook::get();
		let maker = funded::<T>("taker", 0);
		place::<T>(&maker, Side::Buy, 0, interval, 2 * lot::<T>(), price::<T>(10));
		fill_book::<T>(Side::Buy, interval, 0, max - 1, price::<T>(1), 1);
		let resting = ZoneBooks::<T>::get((interval, 0, Side::Buy))[0].id;
		let on_hold = <T as Config>::Currency::total_balance_on_hold(&maker);
		let caller = caller::<T>();
		add_device::<T>(&caller, 0, u32::MAX, 999_999);
		let id = pallet::NextOrderId::<T>::get();

		#[extrinsic_call]
		place_order(RawOrigin::Signed(caller.clone()), Side::Sell, 0, interval, lot::<T>(), price::<T>(5));

		assert_kept::<T>(interval, Side::Buy, &maker, resting, on_hold, id);
		Ok(())
	}

	/// An incoming buy of one lot in zone 0 (with a grid fee into the zone, so it reserves one
	/// and is released its price improvement) taking one lot of a two-lot ask of another
	/// seller, which stays open with nothing of its collateral released, in zone 0's full ask
	/// book, filled completely.
	#[benchmark]
	fn place_order_buy_kept() -> Result<(), BenchmarkError> {
		let interval = open_interval::<T>();
		let max = T::MaxOrdersPerBook::get();
		Pallet::<T>::do_set_zone_pair(0, 0, Some(ZonePair { fee_per_kwh: 1, capacity_wh: 0 }))?;
		let maker = seller::<T>(200_000, 0);
		place::<T>(&maker, Side::Sell, 0, interval, 2 * lot::<T>(), price::<T>(1));
		fill_book::<T>(Side::Sell, interval, 0, max - 1, price::<T>(50), 3);
		let resting = ZoneBooks::<T>::get((interval, 0, Side::Sell))[0].id;
		let on_hold = <T as Config>::Currency::total_balance_on_hold(&maker);
		let caller = caller::<T>();
		let id = pallet::NextOrderId::<T>::get();

		#[extrinsic_call]
		place_order(RawOrigin::Signed(caller.clone()), Side::Buy, 0, interval, lot::<T>(), price::<T>(5));

		assert_kept::<T>(interval, Side::Sell, &maker, resting, on_hold, id);
		Ok(())
	}

	/// A remainder resting in a full book: the book's worst order evicted (withdrawn: its hold
	/// and deposit released, its device's slot updated), the remainder inserted, its owner's
	/// open orders extended, the deposit held, the order stored.
	#[benchmark]
	fn rest_order() -> Result<(), BenchmarkError> {
		let interval = open_interval::<T>();
		let max = T::MaxOrdersPerBook::get();
		fill_book::<T>(Side::Sell, interval, 0, max, price::<T>(50), 2);
		let worst = ZoneBooks::<T>::get((interval, 0, Side::Sell)).last().map(|r| r.id).unwrap();
		let caller = caller::<T>();
		let device = add_device::<T>(&caller, 0, u32::MAX, 999_999);
		let id = pallet::NextOrderId::<T>::get();
		pallet::NextOrderId::<T>::put(id + 1);
		let mut order = Order {
			owner: caller.clone(),
			side: Side::Sell,
			zone: 0,
			interval,
			device: Some(device),
			price: price::<T>(5),
			quantity_wh: lot::<T>(),
			remaining_wh: lot::<T>(),
			max_fee: 0,
			held: 0,
			deposit: 0,
		};
		let result;

		#[block]
		{
			result = Pallet::<T>::rest(id, &mut order);
		}

		assert!(result.is_ok());
		let asks = ZoneBooks::<T>::get((interval, 0, Side::Sell));
		assert_eq!(asks.len() as u32, max, "a full book evicted one order for it");
		assert_eq!(asks[0].id, id);
		assert!(Orders::<T>::get(worst).is_none(), "the worst order was evicted");
		assert!(Orders::<T>::get(id).is_some());
		Ok(())
	}

	/// The books of `z` other zones an order can trade with: each zone pair and capacity record
	/// read, each full book read, merged, and written back (as when a fill touched it), the
	/// capacity record updated. Zone 0's own book is empty (it is part of `place_order`).
	#[benchmark]
	fn zone_books(
		z: Linear<1, { <T as pallet_energy_data::Config>::MaxZones::get() - 1 }>,
	) -> Result<(), BenchmarkError> {
		let interval = open_interval::<T>();
		let max = T::MaxOrdersPerBook::get();
		for y in 1..=z {
			let y = y as ZoneId;
			Pallet::<T>::do_set_zone_pair(0, y, Some(ZonePair { fee_per_kwh: 1, capacity_wh: u64::MAX / 2 }))?;
			fill_book::<T>(Side::Buy, interval, y, max, price::<T>(1), 1);
			pallet::CapacityUsed::<T>::insert(interval, (0, y), lot::<T>());
		}
		let (merged, origin, found);

		#[block]
		{
			// The route list grows with the zones linked (part of the slope).
			let pairs = pallet::RoutesFrom::<T>::get(0);
			let (mut m, o, routes, n) = Pallet::<T>::reachable_books(interval, Side::Sell, 0, &pairs);
			// One lot taken from the first order of every zone, so every book changes.
			let mut touched = Vec::new();
			for (entry, (zone, at)) in m.iter_mut().zip(o.iter()) {
				if *at == 0 && routes.contains_key(&(0, *zone)) {
					entry.remaining_wh = 0;
					touched.push(*zone);
					pallet::CapacityUsed::<T>::mutate(interval, (0, *zone), |u| *u += lot::<T>());
				}
			}
			Pallet::<T>::write_back_books(interval, Side::Buy, &touched, &m, &o)?;
			(merged, origin, found) = (m, o, n);
		}

		assert_eq!(found, z + 1, "every other zone's pair found, and the own zone");
		assert_eq!(merged.len() as u32, z * max, "z full books read and merged");
		let zones: BTreeSet<_> = origin.iter().map(|(zone, _)| *zone).collect();
		assert_eq!(zones.len() as u32, z);
		for y in 1..=z {
			assert_eq!(
				ZoneBooks::<T>::get((interval, y as ZoneId, Side::Buy)).len() as u32,
				max - 1,
				"every book written back without its first order"
			);
		}
		Ok(())
	}

	/// Not charged by itself: `place_order`'s worst case in one piece, to check that the sum
	/// the call is charged covers it (`runtime/tests/config_sanity.rs`): `MaxFillsPerOrder`
	/// fills of distinct buyers spread round-robin over every zone's full bid book (zone 0 and
	/// `MaxZones − 1` zones linked to it with capacity), then a rest evicting from a full ask
	/// book.
	#[benchmark]
	fn place_order_spread() -> Result<(), BenchmarkError> {
		let f = T::MaxFillsPerOrder::get().min(T::MaxTakerTradesPerInterval::get());
		let z = <T as pallet_energy_data::Config>::MaxZones::get();
		let interval = open_interval::<T>();
		let max = T::MaxOrdersPerBook::get();
		for y in 1..z {
			Pallet::<T>::do_set_zone_pair(0, y as ZoneId, Some(ZonePair { fee_per_kwh: 1, capacity_wh: u64::MAX }))?;
		}
		let mut crossing = alloc::vec![0u32; z as usize];
		for k in 0..f {
			let y = k % z;
			place::<T>(&funded::<T>("taker", k), Side::Buy, y as ZoneId, interval, lot::<T>(), price::<T>(10));
			crossing[y as usize] += 1;
		}
		for y in 0..z {
			fill_book::<T>(Side::Buy, interval, y as ZoneId, max - crossing[y as usize], price::<T>(1), 1);
		}
		fill_book::<T>(Side::Sell, interval, 0, max, price::<T>(50), 2);
		let caller = caller::<T>();
		add_device::<T>(&caller, 0, u32::MAX, 999_999);
		let id = pallet::NextOrderId::<T>::get();

		#[extrinsic_call]
		place_order(RawOrigin::Signed(caller.clone()), Side::Sell, 0, interval, lot::<T>() * u64::from(f + 1), price::<T>(5));

		assert_eq!(Pallet::<T>::trade_count(interval), f);
		let zones: BTreeSet<_> = Trades::<T>::iter_prefix_values(interval).map(|t| t.buyer_zone).collect();
		assert_eq!(zones.len() as u32, f.min(z), "fills spread over the zones");
		assert!(Orders::<T>::get(id).is_some(), "the remainder rests");
		assert_eq!(ZoneBooks::<T>::get((interval, 0, Side::Sell)).len() as u32, max, "after an eviction");
		Ok(())
	}

	/// The device scan of a sell: the seller's first `d − 1` devices can't back the order (each
	/// read with its slot, the most expensive way to be skipped), the last one can.
	#[benchmark]
	fn pick_device(
		d: Linear<1, { <T as pallet_energy_data::Config>::MaxDevicesPerAccount::get() }>,
	) -> Result<(), BenchmarkError> {
		let interval = open_interval::<T>();
		let caller = caller::<T>();
		for k in 1..d {
			// 1 W: bound below one lot, so the scan reads the device and its slot and moves on.
			add_device::<T>(&caller, 0, 1, 900_000 + k);
		}
		let device = add_device::<T>(&caller, 0, u32::MAX, 999_999);
		let picked;

		#[block]
		{
			picked = Pallet::<T>::pick_device(&caller, 0, interval, lot::<T>());
		}

		assert_eq!(picked.ok().map(|(id, _, scanned)| (id, scanned)), Some((device, d)), "the last device, after scanning all d");
		Ok(())
	}

	/// Cancels a sell order (hold, deposit and device slot released) from a full book; the
	/// owner has the most open orders.
	#[benchmark]
	fn cancel_order() -> Result<(), BenchmarkError> {
		let interval = open_interval::<T>();
		let max = T::MaxOrdersPerBook::get();
		let caller = caller::<T>();
		let own = T::MaxOpenOrdersPerAccount::get().min(max);
		let per_device = T::MaxOrdersPerDeviceInterval::get();
		let devices = own.div_ceil(per_device).min(<T as pallet_energy_data::Config>::MaxDevicesPerAccount::get());
		for k in 0..devices {
			add_device::<T>(&caller, 0, u32::MAX, 800_000 + k);
		}
		let own = own.min(devices * per_device);
		for k in 0..own {
			let p = if k == 0 { price::<T>(5) } else { price::<T>(9) };
			place::<T>(&caller, Side::Sell, 0, interval, lot::<T>(), p);
		}
		fill_book::<T>(Side::Sell, interval, 0, max - own, price::<T>(9), 3);
		let id = ZoneBooks::<T>::get((interval, 0, Side::Sell))[0].id;
		assert_eq!(ZoneBooks::<T>::get((interval, 0, Side::Sell)).len() as u32, max);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), id);

		assert_eq!(ZoneBooks::<T>::get((interval, 0, Side::Sell)).len() as u32, max - 1);
		assert!(Orders::<T>::get(id).is_none());
		Ok(())
	}

	/// Settles `n` trades of distinct buyers, sellers and devices, each with a payment, a grid
	/// fee, a refund and an imbalance charge.
	#[benchmark]
	fn settle(n: Linear<1, { T::MaxSettledPerCall::get() }>) -> Result<(), BenchmarkError> {
		let interval = trades_sealed::<T>(n);
		let caller = caller::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), interval, n);

		assert_eq!(SettledUpTo::<T>::get(interval), n, "all n trades settled");
		assert!(!Pallet::<T>::has_unsettled(interval));
		Ok(())
	}

	/// Expires `n` open sell orders of distinct sellers (device slots updated, holds and
	/// deposits released) spread over every zone's ask book, after walking `i − 1` intervals
	/// without orders.
	#[benchmark]
	fn on_initialize_expire(
		n: Linear<0, { T::MaxExpiredPerBlock::get() }>,
		i: Linear<1, 10>,
	) -> Result<(), BenchmarkError> {
		let interval = open_interval::<T>();
		let zones = <T as pallet_energy_data::Config>::MaxZones::get();
		let max = T::MaxOrdersPerBook::get();
		let n = n.min(zones * max);
		for k in 0..n {
			let zone = (k % zones) as ZoneId;
			place::<T>(&seller::<T>(700_000 + k, zone), Side::Sell, zone, interval, lot::<T>(), price::<T>(9));
		}
		let gate = T::GateClosureIntervals::get();
		NextToExpire::<T>::put(interval.saturating_sub(i - 1));
		let current = interval - gate;

		#[block]
		{
			Pallet::<T>::expire_orders(current);
		}

		assert!(ZoneBooks::<T>::iter_prefix((interval,)).next().is_none());
		assert!(Orders::<T>::iter().next().is_none());
		Ok(())
	}

	/// Settles `n` trades (distinct accounts and devices) of a sealed interval after walking
	/// `i − 1` sealed intervals without trades.
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

		assert_eq!(SettledUpTo::<T>::get(interval), n, "all n trades settled");
		assert!(!Pallet::<T>::has_unsettled(interval));
		Ok(())
	}

	/// Lowers the fee within a zone whose route lists out and in are full: both lists read,
	/// rewritten and stored, and the lowering recorded.
	#[benchmark]
	fn set_zone_pair() -> Result<(), BenchmarkError> {
		let zones = <T as pallet_energy_data::Config>::MaxZones::get();
		let z = ZoneId::try_from(zones - 1).unwrap_or_default();
		for other in 0..zones {
			let pair = Some(ZonePair { fee_per_kwh: 9, capacity_wh: 10 });
			Pallet::<T>::do_set_zone_pair(other as ZoneId, z, pair)?;
			Pallet::<T>::do_set_zone_pair(z, other as ZoneId, pair)?;
		}

		let origin = <T as Config>::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, z, z, 3, 100);

		assert_eq!(pallet::InZoneFeeLoweredAt::<T>::get(z), Some(0));
		assert_eq!(pallet::RoutesFrom::<T>::get(z).len() as u32, zones);
		assert_eq!(pallet::RoutesInto::<T>::get(z).len() as u32, zones);
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
