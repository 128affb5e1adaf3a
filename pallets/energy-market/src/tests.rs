//! Tests of the EnergyMarket pallet. Every test ends with both pallets' `try_state` checks.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate::{mock::*, pallet::*, types::*};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::InspectHold,
};
use pallet_energy_data::DeviceKind;
use sp_runtime::DispatchError;

/// Delivery interval used by most tests (gate: current 0 + 1 < 2).
const I: IntervalIndex = 2;

fn held(who: u64) -> u128 {
	Balances::balance_on_hold(&HoldReason::Market.into(), &who)
}

fn free(who: u64) -> u128 {
	Balances::free_balance(who)
}

fn buy(who: u64, zone: ZoneId, qty: u64, price: u128) -> sp_runtime::DispatchResult {
	EnergyMarket::place_order(RuntimeOrigin::signed(who), Side::Buy, zone, I, qty, price)
		.map(|_| ())
		.map_err(|e| e.error)
}

fn sell(who: u64, zone: ZoneId, qty: u64, price: u128) -> sp_runtime::DispatchResult {
	EnergyMarket::place_order(RuntimeOrigin::signed(who), Side::Sell, zone, I, qty, price)
		.map(|_| ())
		.map_err(|e| e.error)
}

/// What `place_order` did, none of its fills keeping its maker open untouched.
fn work(fills: u32, other_books: u32, cross_zone_fills: u32, rests: u32, devices: u32) -> crate::PlaceWork {
	crate::PlaceWork { fills, kept_maker: false, other_books, cross_zone_fills, rests, devices }
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn assert_last_event(e: Event<Test>) {
	assert_eq!(last_event(), RuntimeEvent::EnergyMarket(e));
}

fn market_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::EnergyMarket(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn trades_executed() -> Vec<(TradeIndex, u64, u128, u128)> {
	market_events()
		.into_iter()
		.filter_map(|e| match e {
			Event::TradeExecuted { trade, quantity_wh, price_per_kwh, fee_per_kwh, .. } =>
				Some((trade, quantity_wh, price_per_kwh, fee_per_kwh)),
			_ => None,
		})
		.collect()
}

/// Σ free + reserved over every account (tokens are never created or destroyed by the market).
fn total_balances() -> u128 {
	frame_system::Account::<Test>::iter().map(|(_, a)| a.data.free + a.data.reserved).sum()
}

// ---------------------------------------------------------------- placement and matching

#[test]
fn buy_rests_and_holds_price_times_quantity() {
	build_and_execute(|| {
		assert_ok!(buy(BOB, 0, 500, 100));
		assert_last_event(Event::OrderPlaced {
			order: 0,
			owner: BOB,
			side: Side::Buy,
			zone: 0,
			interval: I,
			quantity_wh: 500,
			price_per_kwh: 100,
			filled_wh: 0,
			resting_wh: 500,
			held: 50,
			deposit: 0,
		});
		assert_eq!(held(BOB), 50);
		assert_eq!(free(BOB), FUNDS - 50);
		let book = EnergyMarket::order_book(I, 0);
		assert_eq!(book.bids.len(), 1);
		assert!(book.asks.is_empty());
		assert_eq!(EnergyMarket::open_orders(&BOB).len(), 1);
	});
}

#[test]
fn sell_holds_collateral_and_trades_at_the_resting_bid() {
	build_and_execute(|| {
		let dev = device(ALICE, DeviceKind::Producer, 0);
		assert_ok!(buy(BOB, 0, 500, 120)); // holds 60
		assert_ok!(sell(ALICE, 0, 300, 100));
		assert_eq!(trades_executed(), vec![(0, 300, 120, 0)]);
		assert_last_event(Event::OrderPlaced {
			order: 1,
			owner: ALICE,
			side: Side::Sell,
			zone: 0,
			interval: I,
			quantity_wh: 300,
			price_per_kwh: 100,
			filled_wh: 300,
			resting_wh: 0,
			held: 0,
			deposit: 0,
		});
		// Alice: collateral 300 Wh × 300/kWh = 90 moved into the trade.
		assert_eq!(held(ALICE), 90);
		// Bob: escrow 36 in the trade + 200 Wh × 120 = 24 for the rest.
		assert_eq!(held(BOB), 60);
		let trade = Trades::<Test>::get(I, 0).unwrap();
		assert_eq!((trade.buyer, trade.seller, trade.device), (BOB, ALICE, dev));
		assert_eq!((trade.escrow, trade.collateral), (36, 90));
		assert_eq!(Orders::<Test>::get(0).unwrap().remaining_wh, 200);
		assert!(Orders::<Test>::get(1).is_none());
		assert_eq!(DeviceSlots::<Test>::get(I, dev).unwrap().offered_wh, 300);
	});
}

#[test]
fn buy_below_resting_ask_gets_price_improvement_back_at_once() {
	build_and_execute(|| {
		device(ALICE, DeviceKind::Producer, 0);
		assert_ok!(sell(ALICE, 0, 300, 100));
		assert_ok!(buy(BOB, 0, 500, 150)); // holds 75
		assert_eq!(trades_executed(), vec![(0, 300, 100, 0)]);
		// 30 in the trade, 200 Wh × 150 = 30 for the rest, 15 released.
		assert_eq!(held(BOB), 60);
		assert_eq!(free(BOB), FUNDS - 60);
	});
}

#[test]
fn price_time_priority_and_a_fill_limit_that_drops_a_remainder_that_could_still_trade() {
	build_and_execute(|| {
		let sellers = [ALICE, CHARLIE, MANY.start, MANY.start + 1];
		for s in sellers {
			device(s, DeviceKind::Producer, 0);
		}
		assert_ok!(sell(MANY.start, 0, 100, 90)); // order 0
		assert_ok!(sell(ALICE, 0, 100, 80)); // order 1: best price
		assert_ok!(sell(CHARLIE, 0, 100, 90)); // order 2: same price as 0, later
		assert_ok!(sell(MANY.start + 1, 0, 100, 85)); // order 3
		assert_ok!(buy(BOB, 0, 500, 100));
		let fills: Vec<_> = market_events()
			.into_iter()
			.filter_map(|e| match e {
				Event::TradeExecuted { sell_order, price_per_kwh, .. } => Some((sell_order, price_per_kwh)),
				_ => None,
			})
			.collect();
		// MaxFillsPerOrder = 3: 80, 85, then the earlier of the two at 90.
		assert_eq!(fills, vec![(1, 80), (3, 85), (0, 90)]);
		// Order 2 could still fill 100 of the 200 Wh left: resting them would cross the book,
		// so they are released instead.
		assert_last_event(Event::OrderPlaced {
			order: 4,
			owner: BOB,
			side: Side::Buy,
			zone: 0,
			interval: I,
			quantity_wh: 500,
			price_per_kwh: 100,
			filled_wh: 300,
			resting_wh: 0,
			held: 0,
			deposit: 0,
		});
		assert!(Orders::<Test>::get(4).is_none());
		let book = EnergyMarket::order_book(I, 0);
		assert_eq!(book.asks.iter().map(|r| r.id).collect::<Vec<_>>(), vec![2]);
		assert!(book.bids.is_empty());
		// BOB holds the three trades' escrow and nothing else.
		assert_eq!(held(BOB), 8 + 8 + 9);
	});
}

#[test]
fn place_order_is_charged_for_max_fills_and_refunded_to_the_fills_made() {
	use frame_support::dispatch::GetDispatchInfo;
	build_and_execute(|| {
		let call = Call::<Test>::place_order {
			side: Side::Buy,
			zone: 0,
			interval: I,
			quantity_wh: 1000,
			price_per_kwh: 100,
		};
		// MaxFillsPerOrder = 3, the books of MaxZones − 1 = 3 other zones, 3 fills in them, a
		// rest (a buy scans no device).
		assert_eq!(call.get_dispatch_info().call_weight, EnergyMarket::place_order_weight(Side::Buy, &work(3, 3, 3, 1, 0)));
		assert_eq!(call.get_dispatch_info().call_weight, EnergyMarket::place_order_max(Side::Buy, 1000));
		// An order of two lots can make two fills at most, and is charged for two (in the other
		// zones' books too); an order below a lot (rejected) for one.
		let two_lots = Call::<Test>::place_order { side: Side::Sell, zone: 0, interval: I, quantity_wh: 200, price_per_kwh: 100 };
		let max_devices = <<Test as pallet_energy_data::Config>::MaxDevicesPerAccount as frame_support::traits::Get<u32>>::get();
		assert_eq!(
			two_lots.get_dispatch_info().call_weight,
			EnergyMarket::place_order_weight(Side::Sell, &work(2, 3, 2, 1, max_devices))
		);
		assert_eq!(
			EnergyMarket::place_order_max(Side::Sell, 50),
			EnergyMarket::place_order_weight(Side::Sell, &work(1, 3, 1, 1, max_devices))
		);
		// Nothing to match: charged for 0 fills, no other zone's book, no device.
		let info =
			EnergyMarket::place_order(RuntimeOrigin::signed(BOB), Side::Buy, 0, I, 1000, 100).unwrap();
		assert_eq!(info.actual_weight, Some(EnergyMarket::place_order_weight(Side::Buy, &work(0, 0, 0, 1, 0))));
		// Two asks cross the resting bid and a new one: 2 fills.
		device(ALICE, DeviceKind::Producer, 0);
		device(CHARLIE, DeviceKind::Producer, 0);
		assert_ok!(sell(ALICE, 0, 500, 90));
		assert_ok!(buy(DAVE, 0, 200, 100));
		// CHARLIE's second device is the one with room: two devices scanned.
		device(CHARLIE, DeviceKind::Producer, 0);
		pallet_energy_data::Devices::<Test>::mutate(1, |d| d.as_mut().unwrap().capacity_w = 1);
		let info =
			EnergyMarket::place_order(RuntimeOrigin::signed(CHARLIE), Side::Sell, 0, I, 800, 95)
				.unwrap();
		// Two fills (BOB's 500 Wh left, DAVE's 200) from zone 0's bid book; 100 Wh rest.
		assert_eq!(info.actual_weight, Some(EnergyMarket::place_order_weight(Side::Sell, &work(2, 0, 0, 1, 2))));
		// A buy filled completely by CHARLIE's resting 100 Wh does not rest.
		let info =
			EnergyMarket::place_order(RuntimeOrigin::signed(DAVE), Side::Buy, 0, I, 100, 100).unwrap();
		assert_eq!(info.actual_weight, Some(EnergyMarket::place_order_weight(Side::Buy, &work(1, 0, 0, 0, 0))));
		assert_eq!(trades_executed().len(), 4);
		// A pair into zone 0 without capacity: its book is skipped, but the pair and its
		// capacity record were read, so it is charged as another zone's book.
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 0, 0));
		let info =
			EnergyMarket::place_order(RuntimeOrigin::signed(DAVE), Side::Buy, 0, I, 100, 50).unwrap();
		assert_eq!(info.actual_weight, Some(EnergyMarket::place_order_weight(Side::Buy, &work(0, 1, 0, 1, 0))));
	});
}

/// A one-fill order that leaves its maker open with nothing released is charged
/// `place_order_kept` (the maker's account, hold and open orders untouched); one that closes
/// its maker, releases part of its hold or makes more fills is charged the closing fills.
#[test]
fn a_fill_that_keeps_its_maker_untouched_is_charged_as_kept() {
	build_and_execute(|| {
		device(ALICE, DeviceKind::Producer, 0);
		device(CHARLIE, DeviceKind::Producer, 0);
		assert_ok!(sell(ALICE, 0, 500, 90));
		let collateral = held(ALICE);
		// BOB takes 100 of ALICE's 500 Wh: her ask stays open, her collateral only moves into
		// the trade.
		let w = EnergyMarket::do_place_order(BOB, Side::Buy, 0, I, 100, 100).unwrap();
		assert_eq!(w, crate::PlaceWork { kept_maker: true, ..work(1, 0, 0, 0, 0) });
		assert_eq!(held(ALICE), collateral);
		// DAVE takes the remaining 400 Wh: ALICE's ask closes.
		let w = EnergyMarket::do_place_order(DAVE, Side::Buy, 0, I, 400, 100).unwrap();
		assert_eq!(w, work(1, 0, 0, 0, 0));
		assert!(OpenOrders::<Test>::get(ALICE).is_empty());
		// A bid reserving a fee above the one its trade pays (the highest fee into zone 0 is
		// 10, within zone 0 it is 0) is released the difference at a partial fill: its owner's
		// hold is written, so the fill is not a kept one.
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 10, 1000));
		assert_ok!(buy(BOB, 0, 1000, 100));
		let bob_held = held(BOB);
		let w = EnergyMarket::do_place_order(CHARLIE, Side::Sell, 0, I, 100, 90).unwrap();
		assert_eq!(w, work(1, 0, 0, 0, 1));
		assert!(held(BOB) < bob_held, "BOB's unused fee reserve released");
		// Two fills, the first closing its bid, the second keeping its bid open untouched: not
		// a kept order (zone 2 has no fee).
		device(ALICE, DeviceKind::Producer, 2);
		let (m1, m2) = (MANY.start, MANY.start + 1);
		assert_ok!(buy(m1, 2, 100, 100));
		assert_ok!(buy(m2, 2, 300, 100));
		let w = EnergyMarket::do_place_order(ALICE, Side::Sell, 2, I, 200, 90).unwrap();
		assert_eq!((w.fills, w.kept_maker), (2, false));
		assert_eq!(OpenOrders::<Test>::get(m2).len(), 1);
		assert_eq!(
			EnergyMarket::place_order_weight(Side::Sell, &w),
			EnergyMarket::place_order_weight(Side::Sell, &crate::PlaceWork { kept_maker: false, ..w })
		);
	});
}

#[test]
fn cross_zone_trade_pays_fee_within_capacity() {
	build_and_execute(|| {
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 10, 200));
		device(CHARLIE, DeviceKind::Producer, 1);
		assert_ok!(sell(CHARLIE, 1, 300, 100));
		// Buy in zone 0 reserves the highest fee into zone 0 (10): ⌊300 × 117 / 1000⌋ = 35.
		let info =
			EnergyMarket::place_order(RuntimeOrigin::signed(BOB), Side::Buy, 0, I, 300, 107).unwrap();
		assert_eq!(trades_executed(), vec![(0, 200, 100, 10)]);
		// Charged for one fill, the pair 1 → 0 found and the fill in zone 1's book.
		// CHARLIE's ask stays open (100 Wh) with nothing of its collateral released.
		let kept = crate::PlaceWork { kept_maker: true, ..work(1, 1, 1, 1, 0) };
		assert_eq!(info.actual_weight, Some(EnergyMarket::place_order_weight(Side::Buy, &kept)));
		assert_ne!(
			info.actual_weight,
			Some(EnergyMarket::place_order_weight(Side::Buy, &crate::PlaceWork { cross_zone_fills: 0, ..kept }))
		);
		assert_eq!(CapacityUsed::<Test>::get(I, (1, 0)), 200);
		// ⌊200 × 110 / 1000⌋ = 22 in the trade at the ask's price, ⌊100 × 117 / 1000⌋ = 11 kept
		// for the other 100 Wh; price improvement and rounding (2) are released.
		assert_eq!(held(BOB), 33);
		assert_eq!(free(BOB), FUNDS - 33);
		// Capacity is used up: Dave's buy does not match the remaining 100 Wh.
		assert_ok!(buy(DAVE, 0, 100, 100));
		assert_eq!(trades_executed().len(), 1);
		assert_eq!(EnergyMarket::interval_stats(I).stats.cross_zone_wh, 200);
	});
}

#[test]
fn no_route_no_trade_and_fee_above_budget_is_skipped() {
	build_and_execute(|| {
		device(CHARLIE, DeviceKind::Producer, 1);
		assert_ok!(sell(CHARLIE, 1, 300, 100));
		assert_ok!(buy(BOB, 0, 300, 200)); // no 1 → 0 pair
		assert!(trades_executed().is_empty());
		// Bob reserved 0 fee; a pair now costing 5 is beyond his budget.
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 5, 1000));
		assert_ok!(sell(CHARLIE, 1, 100, 100));
		assert!(trades_executed().is_empty());
		// A new buy reserves 5 and trades.
		assert_ok!(buy(DAVE, 0, 100, 200));
		assert_eq!(trades_executed(), vec![(0, 100, 100, 5)]);
	});
}

#[test]
fn sell_offers_are_bounded_per_device_and_split_across_devices() {
	build_and_execute(|| {
		let d0 = device(ALICE, DeviceKind::Producer, 0);
		let d1 = device(ALICE, DeviceKind::Prosumer, 0);
		assert_ok!(sell(ALICE, 0, 800, 100));
		assert_ok!(sell(ALICE, 0, 800, 100)); // d0 has 200 left: goes to d1
		assert_eq!(Orders::<Test>::get(0).unwrap().device, Some(d0));
		assert_eq!(Orders::<Test>::get(1).unwrap().device, Some(d1));
		assert_noop!(sell(ALICE, 0, 300, 100), Error::<Test>::ExceedsDeviceBound);
		assert_ok!(sell(ALICE, 0, 200, 100));
		assert_eq!(Orders::<Test>::get(2).unwrap().device, Some(d0));
	});
}

// ---------------------------------------------------------------- errors

#[test]
fn zero_quantity_is_rejected() {
	build_and_execute(|| {
		assert_noop!(buy(BOB, 0, 0, 100), Error::<Test>::ZeroQuantity);
	});
}

#[test]
fn zero_price_is_rejected() {
	build_and_execute(|| {
		assert_noop!(buy(BOB, 0, 10, 0), Error::<Test>::ZeroPrice);
	});
}

#[test]
fn price_below_floor_is_rejected() {
	build_and_execute(|| {
		assert_ok!(EnergyMarket::set_price_band(RuntimeOrigin::root(), 50, 500));
		assert_noop!(buy(BOB, 0, 10, 49), Error::<Test>::PriceBelowFloor);
	});
}

#[test]
fn price_above_cap_is_rejected() {
	build_and_execute(|| {
		assert_noop!(buy(BOB, 0, 10, 10_001), Error::<Test>::PriceAboveCap);
	});
}

#[test]
fn invalid_zone_is_rejected() {
	build_and_execute(|| {
		assert_noop!(buy(BOB, 4, 100, 100), Error::<Test>::InvalidZone);
	});
}

#[test]
fn orders_after_gate_closure_are_rejected() {
	build_and_execute(|| {
		assert_noop!(
			EnergyMarket::place_order(RuntimeOrigin::signed(BOB), Side::Buy, 0, 1, 100, 100),
			Error::<Test>::GateClosed
		);
	});
}

#[test]
fn orders_too_far_ahead_are_rejected() {
	build_and_execute(|| {
		assert_noop!(
			EnergyMarket::place_order(RuntimeOrigin::signed(BOB), Side::Buy, 0, 11, 100, 100),
			Error::<Test>::TooFarAhead
		);
	});
}

#[test]
fn sell_without_producing_device_is_rejected() {
	build_and_execute(|| {
		device(ALICE, DeviceKind::Consumer, 0);
		device(ALICE, DeviceKind::Producer, 1);
		assert_noop!(sell(ALICE, 0, 100, 100), Error::<Test>::NoProducingDevice);
	});
}

#[test]
fn sell_above_physical_bound_is_rejected() {
	build_and_execute(|| {
		device(ALICE, DeviceKind::Producer, 0);
		assert_noop!(sell(ALICE, 0, BOUND_WH + LOT, 100), Error::<Test>::ExceedsDeviceBound);
	});
}

#[test]
fn too_many_orders_per_device_interval_are_rejected() {
	build_and_execute(|| {
		device(ALICE, DeviceKind::Producer, 0);
		for p in [100, 101, 102] {
			assert_ok!(sell(ALICE, 0, 100, p));
		}
		assert_noop!(sell(ALICE, 0, 100, 103), Error::<Test>::TooManyDeviceOrders);
	});
}

#[test]
fn too_many_open_orders_are_rejected() {
	build_and_execute(|| {
		for i in 0..6 {
			assert_ok!(EnergyMarket::place_order(
				RuntimeOrigin::signed(BOB),
				Side::Buy,
				0,
				I + (i % 3),
				100,
				100
			));
		}
		assert_noop!(buy(BOB, 0, 100, 100), Error::<Test>::TooManyOpenOrders);
	});
}

#[test]
fn full_book_rejects_an_order_not_better_than_its_worst() {
	build_and_execute(|| {
		for a in MANY.take(8) {
			assert_ok!(buy(a, 0, 100, 100));
		}
		// Equal to the worst bid: time priority keeps the resting order.
		assert_noop!(buy(BOB, 0, 100, 100), Error::<Test>::BookFull);
	});
}

#[test]
fn insufficient_funds_are_rejected() {
	build_and_execute(|| {
		// 10 kWh × 100 = 1000 > 150.
		assert_noop!(buy(POOR, 0, 10_000, 100), Error::<Test>::InsufficientFunds);
	});
}

#[test]
fn self_trade_is_rejected() {
	build_and_execute(|| {
		device(ALICE, DeviceKind::Prosumer, 0);
		assert_ok!(sell(ALICE, 0, 100, 90));
		assert_noop!(buy(ALICE, 0, 100, 95), Error::<Test>::WouldSelfTrade);
		// Not crossing: fine.
		assert_ok!(buy(ALICE, 0, 100, 80));
	});
}

#[test]
fn cancel_unknown_order_is_rejected() {
	build_and_execute(|| {
		assert_noop!(
			EnergyMarket::cancel_order(RuntimeOrigin::signed(BOB), 7),
			Error::<Test>::OrderNotFound
		);
	});
}

#[test]
fn cancel_by_non_owner_is_rejected() {
	build_and_execute(|| {
		assert_ok!(buy(BOB, 0, 100, 100));
		assert_noop!(
			EnergyMarket::cancel_order(RuntimeOrigin::signed(DAVE), 0),
			Error::<Test>::NotOrderOwner
		);
	});
}

#[test]
fn cancel_is_refused_once_the_gate_has_closed_but_before_expiry() {
	build_and_execute(|| {
		assert_ok!(EnergyMarket::place_order(RuntimeOrigin::signed(BOB), Side::Buy, 0, 3, 100, 100));
		// Simulate a block in interval 2 whose hooks have not run (the expiry hook is bounded
		// and may lag behind gate closure).
		System::set_block_number(20);
		assert_noop!(
			EnergyMarket::cancel_order(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::GateClosed
		);
	});
}

#[test]
fn settle_before_sealing_is_rejected() {
	build_and_execute(|| {
		assert_noop!(
			EnergyMarket::settle(RuntimeOrigin::signed(BOB), I, 5),
			Error::<Test>::NotSealed
		);
	});
}

#[test]
fn settle_without_trades_is_rejected() {
	build_and_execute(|| {
		run_to_interval(sealed_at(I));
		assert_noop!(
			EnergyMarket::settle(RuntimeOrigin::signed(BOB), I, 5),
			Error::<Test>::NothingToSettle
		);
	});
}

#[test]
fn settle_batch_bounds_are_enforced() {
	build_and_execute(|| {
		assert_noop!(
			EnergyMarket::settle(RuntimeOrigin::signed(BOB), I, 0),
			Error::<Test>::InvalidSettleBatch
		);
		assert_noop!(
			EnergyMarket::settle(RuntimeOrigin::signed(BOB), I, 11),
			Error::<Test>::InvalidSettleBatch
		);
	});
}

#[test]
fn admin_calls_need_the_admin_origin_and_valid_arguments() {
	build_and_execute(|| {
		assert_noop!(
			EnergyMarket::set_zone_pair(RuntimeOrigin::signed(ALICE), 0, 1, 1, 1),
			DispatchError::BadOrigin
		);
		assert_noop!(
			EnergyMarket::remove_zone_pair(RuntimeOrigin::signed(ALICE), 0, 1),
			DispatchError::BadOrigin
		);
		assert_noop!(
			EnergyMarket::set_price_band(RuntimeOrigin::signed(ALICE), 1, 2),
			DispatchError::BadOrigin
		);
		assert_noop!(
			EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 4, 1, 1),
			Error::<Test>::InvalidZone
		);
	});
}

#[test]
fn invalid_price_band_is_rejected() {
	build_and_execute(|| {
		assert_noop!(
			EnergyMarket::set_price_band(RuntimeOrigin::root(), 0, 10),
			Error::<Test>::InvalidPriceBand
		);
		assert_noop!(
			EnergyMarket::set_price_band(RuntimeOrigin::root(), 11, 10),
			Error::<Test>::InvalidPriceBand
		);
	});
}

#[test]
fn admin_sets_and_removes_zone_pairs() {
	build_and_execute(|| {
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 7, 500));
		assert_last_event(Event::ZonePairSet { from: 1, to: 0, fee_per_kwh: 7, capacity_wh: 500 });
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 2, 0, 4, 500));
		assert_eq!(EnergyMarket::max_fee_into(0), 7);
		assert_ok!(EnergyMarket::remove_zone_pair(RuntimeOrigin::root(), 1, 0));
		assert_last_event(Event::ZonePairRemoved { from: 1, to: 0 });
		assert_eq!(EnergyMarket::max_fee_into(0), 4);
		assert_ok!(EnergyMarket::set_price_band(RuntimeOrigin::root(), 5, 50));
		assert_last_event(Event::PriceBandSet { floor: 5, cap: 50 });
	});
}

// ---------------------------------------------------------------- cancel and expiry

#[test]
fn cancel_releases_hold_and_device_offer() {
	build_and_execute(|| {
		let dev = device(ALICE, DeviceKind::Producer, 0);
		assert_ok!(sell(ALICE, 0, 400, 100));
		assert_eq!(held(ALICE), 120);
		assert_ok!(EnergyMarket::cancel_order(RuntimeOrigin::signed(ALICE), 0));
		assert_last_event(Event::OrderCancelled { order: 0, owner: ALICE, remaining_wh: 400, released: 120 });
		assert_eq!(held(ALICE), 0);
		assert!(DeviceSlots::<Test>::get(I, dev).is_none());
		assert!(EnergyMarket::order_book(I, 0).asks.is_empty());
		// The full bound is available again.
		assert_ok!(sell(ALICE, 0, BOUND_WH, 100));
	});
}

#[test]
fn unfilled_orders_expire_at_gate_closure_in_bounded_batches() {
	build_and_execute(|| {
		for a in MANY.take(6) {
			assert_ok!(buy(a, 0, 100, 100));
		}
		run_to_block(9);
		assert_eq!(held(MANY.start), 10);
		// Interval 1 starts: gate of interval 2 closes; 4 expire in this block, 2 in the next.
		run_to_interval(1);
		let expired = |ev: &[Event<Test>]| {
			ev.iter().filter(|e| matches!(e, Event::OrderExpired { .. })).count()
		};
		assert_eq!(expired(&market_events()), 4);
		// Intervals 0 and 1 (empty) are done; interval 2 is in progress.
		assert_eq!(NextToExpire::<Test>::get(), 2);
		run_to_block(11);
		// (run_to_block keeps the events of earlier blocks.)
		assert_eq!(expired(&market_events()), 6);
		assert!(matches!(last_event(), RuntimeEvent::EnergyMarket(Event::OrderExpired { released: 10, .. })));
		assert_eq!(NextToExpire::<Test>::get(), 3);
		for a in MANY.take(6) {
			assert_eq!(held(a), 0);
			assert_eq!(free(a), FUNDS);
		}
		assert!(Orders::<Test>::iter().next().is_none());
	});
}

#[test]
fn capacity_records_are_cleared_after_expiry_even_when_the_budget_runs_out() {
	build_and_execute(|| {
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 0, 1000));
		device(CHARLIE, DeviceKind::Producer, 1);
		assert_ok!(sell(CHARLIE, 1, 500, 100));
		assert_ok!(buy(BOB, 0, 200, 100)); // trades 200 cross-zone; 300 Wh of the ask rest
		for a in MANY.take(3) {
			assert_ok!(buy(a, 0, 100, 50)); // rest: 4 open orders = MaxExpiredPerBlock
		}
		assert_eq!(CapacityUsed::<Test>::get(I, (1, 0)), 200);
		run_to_interval(1);
		// The budget went to the 4 orders: the interval is not finished yet.
		assert_eq!(NextToExpire::<Test>::get(), I);
		assert_eq!(CapacityUsed::<Test>::get(I, (1, 0)), 200);
		run_to_block(11);
		assert_eq!(NextToExpire::<Test>::get(), I + 1);
		assert_eq!(CapacityUsed::<Test>::iter().count(), 0);
	});
}

// ---------------------------------------------------------------- settlement

/// Alice (device 0, zone 0) sells 300 Wh at 100; Bob buys 300 at 120 → one trade at 100.
fn one_trade() -> u64 {
	let dev = device(ALICE, DeviceKind::Producer, 0);
	assert_ok!(sell(ALICE, 0, 300, 100));
	assert_ok!(buy(BOB, 0, 300, 120));
	assert_eq!(trades_executed(), vec![(0, 300, 100, 0)]);
	dev
}

#[test]
fn full_delivery_pays_the_seller() {
	build_and_execute(|| {
		let dev = one_trade();
		let total = total_balances();
		let issuance = Balances::total_issuance();
		run_to_interval(I + 1);
		reading(dev, I, 300);
		run_to_interval(sealed_at(I));
		assert!(market_events().contains(&Event::TradeSettled {
			interval: I,
			trade: 0,
			buyer: BOB,
			seller: ALICE,
			delivered_wh: 300,
			undelivered_wh: 0,
			paid_to_seller: 30,
			grid_fee: 0,
			buyer_refund: 0,
			imbalance_charge: 0,
		}));
		assert_last_event(Event::IntervalSettled { interval: I, trades: 1 });
		assert_eq!(free(BOB), FUNDS - 30);
		assert_eq!(free(ALICE), FUNDS - DEPOSIT + 30);
		assert_eq!((held(ALICE), held(BOB)), (0, 0));
		assert_eq!(total_balances(), total);
		assert_eq!(Balances::total_issuance(), issuance);
		assert!(Trades::<Test>::get(I, 0).is_none());
		let stats = EnergyMarket::interval_stats(I);
		assert_eq!((stats.stats.settled_trades, stats.stats.delivered_wh, stats.vwap), (1, 300, Some(100)));
		assert_noop!(
			EnergyMarket::settle(RuntimeOrigin::signed(BOB), I, 5),
			Error::<Test>::AlreadySettled
		);
	});
}

#[test]
fn partial_delivery_refunds_the_buyer_and_charges_imbalance() {
	build_and_execute(|| {
		let dev = one_trade();
		run_to_interval(I + 1);
		reading(dev, I, 100);
		run_to_interval(sealed_at(I));
		assert!(market_events().contains(&Event::TradeSettled {
			interval: I,
			trade: 0,
			buyer: BOB,
			seller: ALICE,
			delivered_wh: 100,
			undelivered_wh: 200,
			paid_to_seller: 10,
			grid_fee: 0,
			buyer_refund: 20,
			imbalance_charge: 60,
		}));
		assert_eq!(free(BOB), FUNDS - 10);
		assert_eq!(free(ALICE), FUNDS - DEPOSIT + 10 - 60);
		assert_eq!(free(OPERATOR), 1 + 60);
	});
}

#[test]
fn a_missing_reading_counts_as_zero_delivery() {
	build_and_execute(|| {
		one_trade();
		run_to_interval(sealed_at(I));
		assert!(market_events().iter().any(|e| matches!(
			e,
			Event::TradeSettled { delivered_wh: 0, undelivered_wh: 300, buyer_refund: 30, imbalance_charge: 90, .. }
		)));
		assert_eq!(free(BOB), FUNDS);
		assert_eq!(free(OPERATOR), 1 + 90);
	});
}

#[test]
fn production_is_allocated_to_trades_in_execution_order_and_fees_go_to_the_operator() {
	build_and_execute(|| {
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 0, 10, 0));
		let dev = device(ALICE, DeviceKind::Producer, 0);
		assert_ok!(sell(ALICE, 0, 600, 100));
		assert_ok!(buy(BOB, 0, 300, 100)); // trade 0
		assert_ok!(buy(DAVE, 0, 300, 100)); // trade 1
		run_to_interval(I + 1);
		reading(dev, I, 400);
		run_to_interval(sealed_at(I));
		let settled: Vec<_> = market_events()
			.into_iter()
			.filter_map(|e| match e {
				Event::TradeSettled { trade, delivered_wh, grid_fee, .. } => Some((trade, delivered_wh, grid_fee)),
				_ => None,
			})
			.collect();
		assert_eq!(settled, vec![(0, 300, 3), (1, 100, 1)]);
		assert_eq!(free(OPERATOR), 1 + 3 + 1 + 60);
		assert!(DeviceSlots::<Test>::get(I, dev).is_none());
	});
}

#[test]
fn settle_call_finishes_what_the_hook_left_and_never_settles_twice() {
	build_and_execute(|| {
		let dev = device(ALICE, DeviceKind::Producer, 0);
		assert_ok!(sell(ALICE, 0, 500, 100));
		for b in MANY.take(5) {
			assert_ok!(buy(b, 0, 100, 100));
		}
		assert_eq!(Stats::<Test>::get(I).unwrap().trades, 5);
		run_to_interval(I + 1);
		reading(dev, I, 500);
		run_to_interval(sealed_at(I));
		// The hook settled MaxSettledPerBlock = 3.
		assert_eq!(SettledUpTo::<Test>::get(I), 3);
		assert_ok!(EnergyMarket::settle(RuntimeOrigin::signed(CHARLIE), I, 10));
		assert_last_event(Event::IntervalSettled { interval: I, trades: 5 });
		assert_eq!(SettledUpTo::<Test>::get(I), 5, "the settled prefix stays, as the statistics do");
		assert!(!EnergyMarket::has_unsettled(I));
		let settled = market_events().iter().filter(|e| matches!(e, Event::TradeSettled { .. })).count();
		assert_eq!(settled, 5);
		run_to_block(u64::from(sealed_at(I)) * 10 + 3);
		let settled = market_events().iter().filter(|e| matches!(e, Event::TradeSettled { .. })).count();
		assert_eq!(settled, 5);
		assert_eq!(free(ALICE), FUNDS - DEPOSIT + 50);
		assert!(NextToSettle::<Test>::get() > I);
	});
}

#[test]
fn a_trade_that_cannot_be_paid_out_is_voided_without_blocking_the_others() {
	build_and_execute(|| {
		let dev = device(ALICE, DeviceKind::Producer, 0);
		assert_ok!(sell(ALICE, 0, 600, 100));
		assert_ok!(buy(BOB, 0, 300, 100)); // trade 0
		assert_ok!(buy(DAVE, 0, 300, 100)); // trade 1
		// Corrupt trade 0 so its payout exceeds its escrow (storage corruption is the only
		// way to get there): settlement must void it, release both holds and go on.
		Trades::<Test>::mutate(I, 0, |t| t.as_mut().unwrap().price = 1_000);
		run_to_interval(I + 1);
		reading(dev, I, 600);
		run_to_interval(sealed_at(I));
		let events = market_events();
		assert!(events.contains(&Event::TradeVoided {
			interval: I,
			trade: 0,
			error: Error::<Test>::Overflow.into(),
		}));
		assert!(events.iter().any(|e| matches!(e, Event::TradeSettled { trade: 1, delivered_wh: 300, .. })));
		// Bob got his escrow back; Dave paid for delivered energy.
		assert_eq!((held(BOB), free(BOB)), (0, FUNDS));
		assert_eq!(free(DAVE), FUNDS - 30);
		assert_eq!(held(ALICE), 0);
	});
}

// ---------------------------------------------------------------- queries

#[test]
fn queries_show_book_orders_trades_and_spread() {
	build_and_execute(|| {
		device(ALICE, DeviceKind::Producer, 0);
		device(CHARLIE, DeviceKind::Producer, 1);
		assert_ok!(sell(ALICE, 0, 300, 110));
		assert_ok!(sell(CHARLIE, 1, 300, 120));
		assert_ok!(buy(BOB, 0, 100, 115)); // trades 100 @110
		assert_ok!(buy(DAVE, 0, 100, 100)); // rests
		let book = EnergyMarket::order_book(I, 0);
		assert_eq!(book.asks.iter().map(|r| (r.id, r.remaining_wh)).collect::<Vec<_>>(), vec![(0, 200)]);
		assert_eq!(book.bids.iter().map(|r| r.id).collect::<Vec<_>>(), vec![3]);
		assert_eq!(EnergyMarket::order_book(I, 1).asks.len(), 1);
		let stats = EnergyMarket::interval_stats(I);
		assert_eq!((stats.best_bid, stats.best_ask, stats.spread), (Some(100), Some(110), Some(10)));
		assert_eq!((stats.stats.trades, stats.stats.volume_wh, stats.vwap), (1, 100, Some(110)));
		assert_eq!(EnergyMarket::account_trades(&BOB, I).len(), 1);
		assert_eq!(EnergyMarket::account_trades(&ALICE, I).len(), 1);
		assert!(EnergyMarket::account_trades(&DAVE, I).is_empty());
		assert_eq!(EnergyMarket::open_orders(&ALICE).len(), 1);
	});
}

// ---------------------------------------------------------------- properties

mod properties {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Op {
		Place { who: usize, sell: bool, zone: u16, ahead: u32, qty: u64, price: u128 },
		Cancel { who: usize, nth: usize },
		Advance { blocks: u64 },
		Settle { back: u32, max: u32 },
		Register { who: usize, zone: u16 },
		Retire { who: usize },
	}

	fn op() -> impl Strategy<Value = Op> {
		// Mostly whole lots; some dust (not whole lots) and prices too low for the minimum
		// value, which must be rejected without a trace.
		let qty = prop_oneof![6 => (1u64..4).prop_map(|l| l * LOT), 1 => 1u64..700];
		prop_oneof![
			10 => (0usize..6, any::<bool>(), 0u16..2, 2u32..4, qty, 30u128..130)
				.prop_map(|(who, sell, zone, ahead, qty, price)| Op::Place { who, sell, zone, ahead, qty, price }),
			1 => (0usize..6, 0usize..4).prop_map(|(who, nth)| Op::Cancel { who, nth }),
			2 => (1u64..15).prop_map(|blocks| Op::Advance { blocks }),
			1 => (3u32..6, 1u32..10).prop_map(|(back, max)| Op::Settle { back, max }),
			1 => (0usize..6, 0u16..2).prop_map(|(who, zone)| Op::Register { who, zone }),
			1 => (0usize..6).prop_map(|who| Op::Retire { who }),
		]
	}

	/// No bid and ask of an interval rest crossed where they could trade: a route from the
	/// ask's zone to the bid's zone with at least a lot of capacity left and a fee within what
	/// the bid reserved.
	fn assert_no_tradable_cross() {
		let books: Vec<_> = ZoneBooks::<Test>::iter().collect();
		for ((i, bid_zone, side), bids) in &books {
			if *side != Side::Buy {
				continue;
			}
			for ((j, ask_zone, other), asks) in &books {
				if j != i || *other != Side::Sell {
					continue;
				}
				let Some(route) = EnergyMarket::route(*i, *ask_zone, *bid_zone) else { continue };
				if route.available_wh.is_some_and(|a| a < LOT) {
					continue;
				}
				for bid in bids.iter().filter(|b| route.fee_per_kwh <= b.max_fee) {
					for ask in asks.iter() {
						assert!(
							ask.price > bid.price,
							"bid {} and ask {} rest crossed in interval {i}",
							bid.id,
							ask.id
						);
					}
				}
			}
		}
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(48))]

		/// Random place/cancel/seal/settle sequences: invariants hold after every step, total
		/// issuance and Σ balances never change, every executed trade settles exactly once.
		#[test]
		fn market_conserves_tokens_and_settles_each_trade_once(ops in prop::collection::vec(op(), 1..90), produce in prop::collection::vec(0u64..1200, 12)) {
			new_test_ext().execute_with(|| {
				// Small books and trade limits, so that evictions and both limits happen.
				OrderDeposit::set(3);
				MaxOrdersPerBook::set(3);
				TakerLimit::set(2);
				MaxTradesPerInterval::set(6);
				assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 1, 3, 400));
				assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 2, 400));
				let accounts: Vec<u64> = MANY.take(6).collect();
				let mut devices = vec![];
				for (i, a) in accounts.iter().enumerate() {
					devices.push(device(*a, DeviceKind::Prosumer, (i % 2) as u16));
				}
				let issuance = Balances::total_issuance();
				let total = total_balances();
				for op in ops {
					let current = EnergyData::current_interval();
					match op {
						Op::Place { who, sell, zone, ahead, qty, price } => {
							let side = if sell { Side::Sell } else { Side::Buy };
							let dust = qty % LOT != 0 || qty * price as u64 / 1000 < MIN_VALUE as u64;
							let result = EnergyMarket::place_order(RuntimeOrigin::signed(accounts[who]), side, zone, current + ahead, qty, price);
							if dust {
								prop_assert!(result.is_err(), "a dust order was accepted");
							}
							// What the order did never weighs more than it was charged up front.
							if let Ok(info) = result {
								let charged = EnergyMarket::place_order_max(side, qty);
								prop_assert!(info.actual_weight.is_some_and(|w| w.all_lte(charged)), "refund above the charge");
							}
						},
						Op::Register { who, zone } => {
							if pallet_energy_data::DevicesByOwner::<Test>::get(accounts[who]).len() < 3 {
								devices.push(device(accounts[who], DeviceKind::Prosumer, zone));
							}
						},
						Op::Retire { who } => {
							if let Some(d) = pallet_energy_data::DevicesByOwner::<Test>::get(accounts[who]).first() {
								let d = *d;
								let open_before: Vec<OrderId> = EnergyMarket::open_orders(&accounts[who])
									.into_iter()
									.filter(|(_, o)| o.device == Some(d))
									.map(|(id, _)| id)
									.collect();
								assert_ok!(EnergyData::retire_device(RuntimeOrigin::signed(accounts[who]), d));
								// Its open sell orders went with it.
								for id in open_before {
									prop_assert!(Orders::<Test>::get(id).is_none());
								}
							}
						},
						Op::Cancel { who, nth } => {
							if let Some((id, _)) = EnergyMarket::open_orders(&accounts[who]).get(nth) {
								let _ = EnergyMarket::cancel_order(RuntimeOrigin::signed(accounts[who]), *id);
							}
						},
						Op::Advance { blocks } => {
							let now = System::block_number();
							let before = EnergyData::current_interval();
							run_to_block(now + blocks);
							// Meters report for intervals that just ended (some devices stay silent).
							let after = EnergyData::current_interval();
							for ended in before..after {
								for (k, d) in devices.iter().enumerate() {
									let p = produce[(k + ended as usize) % produce.len()];
									if p > 0 && ended > 0 && pallet_energy_data::Readings::<Test>::get(ended, d).is_none() {
										let _ = EnergyData::submit_readings(RuntimeOrigin::signed(BOB), vec![{
											let payload = EnergyData::reading_payload(*d, ended, p.min(BOUND_WH), 0);
											pallet_energy_data::SignedReading { device: *d, interval: ended, produced_wh: p.min(BOUND_WH), consumed_wh: 0, signature: sp_core::Pair::sign(&meter(*d), &payload) }
										}]);
									}
								}
							}
						},
						Op::Settle { back, max } => {
							let _ = EnergyMarket::settle(RuntimeOrigin::signed(BOB), current.saturating_sub(back), max);
						},
					}
					check_invariants();
					assert_no_tradable_cross();
					prop_assert_eq!(Balances::total_issuance(), issuance);
					prop_assert_eq!(total_balances(), total);
				}
				// Let everything expire, seal and settle.
				let end = EnergyData::current_interval() + 20;
				run_to_interval(end);
				check_invariants();
				prop_assert_eq!(Balances::total_issuance(), issuance);
				prop_assert_eq!(total_balances(), total);
				let mut executed: Vec<(u32, u32)> = vec![];
				let mut settled: Vec<(u32, u32)> = vec![];
				for e in market_events() {
					match e {
						Event::TradeExecuted { interval, trade, .. } => executed.push((interval, trade)),
						Event::TradeSettled { interval, trade, .. } => settled.push((interval, trade)),
						Event::TradeVoided { .. } => prop_assert!(false, "no trade is voided here"),
						_ => {},
					}
				}
				settled.sort_unstable();
				let len = settled.len();
				settled.dedup();
				prop_assert_eq!(len, settled.len(), "a trade settled twice");
				executed.sort_unstable();
				prop_assert_eq!(executed, settled);
				for a in &accounts {
					prop_assert_eq!(held(*a), 0);
				}
				prop_assert!(Orders::<Test>::iter().next().is_none());
				prop_assert!(Trades::<Test>::iter().next().is_none());
				prop_assert!(DeviceSlots::<Test>::iter().next().is_none());
				Ok(())
			})?;
		}
	}
}

// ---------------------------------------------------------------- certified meters

#[test]
fn revocation_cancels_open_sell_orders_and_releases_their_holds() {
	build_and_execute(|| {
		let dev = one_trade();
		// A second offer of the same device rests (nobody bids at 150).
		assert_ok!(sell(ALICE, 0, 200, 150));
		assert_eq!(held(ALICE), 90 + 60);
		let total = total_balances();
		assert_ok!(EnergyData::revoke_certificate(
			RuntimeOrigin::signed(REGISTRAR_ACCOUNT),
			REGISTRAR,
			dev
		));
		assert!(market_events().contains(&Event::OrderCancelled {
			order: 2,
			owner: ALICE,
			remaining_wh: 200,
			released: 60,
		}));
		// The executed trade's collateral stays held; the cancelled order's is released.
		assert_eq!(held(ALICE), 90);
		assert!(Orders::<Test>::get(2).is_none());
		assert!(ZoneBooks::<Test>::get((I, 0, Side::Sell)).is_empty());
		assert_eq!(total_balances(), total);
		// The revoked meter backs no new sale.
		assert_noop!(sell(ALICE, 0, 100, 100), Error::<Test>::NoCertifiedDevice);
		// Its reading of the delivery interval is rejected, so the trade settles undelivered.
		run_to_interval(I + 1);
		let r = signed_reading(dev, I, 300, 0);
		assert!(EnergyData::submit_readings(RuntimeOrigin::signed(BOB), vec![r]).is_err());
		run_to_interval(sealed_at(I));
		assert!(market_events().iter().any(|e| matches!(
			e,
			Event::TradeSettled { delivered_wh: 0, undelivered_wh: 300, imbalance_charge: 90, .. }
		)));
	});
}

#[test]
fn trades_settle_on_what_the_meter_reported_before_revocation() {
	build_and_execute(|| {
		let dev = one_trade();
		run_to_interval(I + 1);
		reading(dev, I, 300);
		// Revoked from interval I + 1: the reading of I stands.
		assert_ok!(EnergyData::revoke_certificate(RuntimeOrigin::root(), REGISTRAR, dev));
		run_to_interval(sealed_at(I));
		assert!(market_events().iter().any(|e| matches!(
			e,
			Event::TradeSettled { delivered_wh: 300, undelivered_wh: 0, paid_to_seller: 30, .. }
		)));
	});
}

#[test]
fn retirement_cancels_the_devices_open_sell_orders() {
	build_and_execute(|| {
		let a = device(ALICE, DeviceKind::Producer, 0);
		let b = device(ALICE, DeviceKind::Producer, 0);
		assert_ok!(sell(ALICE, 0, 900, 150)); // device a
		assert_ok!(sell(ALICE, 0, 900, 150)); // a is full: device b
		assert_eq!(Orders::<Test>::get(1).and_then(|o| o.device), Some(b));
		assert_ok!(EnergyData::retire_device(RuntimeOrigin::signed(ALICE), a));
		assert!(Orders::<Test>::get(0).is_none());
		assert!(Orders::<Test>::get(1).is_some());
		assert_eq!(held(ALICE), 270);
		assert!(market_events().contains(&Event::OrderCancelled {
			order: 0,
			owner: ALICE,
			remaining_wh: 900,
			released: 270,
		}));
	});
}

#[test]
fn a_certificate_expiring_before_delivery_backs_no_sale() {
	build_and_execute(|| {
		device_valid_until(ALICE, DeviceKind::Producer, 0, I - 1);
		assert_noop!(sell(ALICE, 0, 100, 100), Error::<Test>::NoCertifiedDevice);
	});
}

#[test]
fn uncertified_devices_cannot_sell() {
	build_and_execute(|| {
		let dev = device(ALICE, DeviceKind::Producer, 0);
		// As a device registered before certificates (migrated with no certificate) is.
		pallet_energy_data::Devices::<Test>::mutate(dev, |d| {
			if let Some(d) = d {
				d.certificate = None;
			}
		});
		pallet_energy_data::Certificates::<Test>::remove(REGISTRAR, dev);
		assert_noop!(sell(ALICE, 0, 100, 100), Error::<Test>::NoCertifiedDevice);
	});
}

#[test]
fn prosumers_settle_on_net_export() {
	build_and_execute(|| {
		let dev = device(ALICE, DeviceKind::Prosumer, 0);
		assert_ok!(sell(ALICE, 0, 300, 100));
		assert_ok!(buy(BOB, 0, 300, 120));
		run_to_interval(I + 1);
		// 500 Wh produced, 300 Wh consumed behind the meter: 200 Wh exported.
		net_reading(dev, I, 500, 300);
		run_to_interval(sealed_at(I));
		assert!(market_events().contains(&Event::TradeSettled {
			interval: I,
			trade: 0,
			buyer: BOB,
			seller: ALICE,
			delivered_wh: 200,
			undelivered_wh: 100,
			paid_to_seller: 20,
			grid_fee: 0,
			buyer_refund: 10,
			imbalance_charge: 30,
		}));
	});
}

#[test]
fn storage_that_charges_more_than_it_discharges_delivers_nothing() {
	build_and_execute(|| {
		let dev = device(ALICE, DeviceKind::Storage, 0);
		assert_ok!(sell(ALICE, 0, 300, 100));
		assert_ok!(buy(BOB, 0, 300, 120));
		run_to_interval(I + 1);
		net_reading(dev, I, 300, 400);
		run_to_interval(sealed_at(I));
		assert!(market_events().iter().any(|e| matches!(
			e,
			Event::TradeSettled { delivered_wh: 0, undelivered_wh: 300, imbalance_charge: 90, .. }
		)));
	});
}

// ---------------------------------------------------------------- blocking and bleeding the market

fn deposit_held(who: u64) -> u128 {
	Balances::balance_on_hold(&HoldReason::OrderDeposit.into(), &who)
}

#[test]
fn dust_quantities_are_rejected() {
	build_and_execute(|| {
		// Not a whole number of 100 Wh lots.
		assert_noop!(buy(BOB, 0, 150, 100), Error::<Test>::NotWholeLots);
		assert_noop!(buy(BOB, 0, 1, 10_000), Error::<Test>::NotWholeLots);
	});
}

#[test]
fn orders_below_the_minimum_quantity_are_rejected() {
	build_and_execute(|| {
		MinOrderWh::set(2 * LOT);
		assert_noop!(buy(BOB, 0, LOT, 1_000), Error::<Test>::BelowMinimumQuantity);
		assert_ok!(buy(BOB, 0, 2 * LOT, 1_000));
	});
}

#[test]
fn orders_worth_less_than_the_minimum_value_are_rejected() {
	build_and_execute(|| {
		// ⌊100 × 40 / 1000⌋ = 4 < 5: it would hold almost nothing and block a book slot.
		assert_noop!(buy(BOB, 0, 100, 40), Error::<Test>::BelowMinimumValue);
		device(ALICE, DeviceKind::Producer, 0);
		assert_noop!(sell(ALICE, 0, 100, 49), Error::<Test>::BelowMinimumValue);
		assert_ok!(buy(BOB, 0, 100, 50));
	});
}

#[test]
fn a_resting_order_holds_a_deposit_released_when_it_fills_is_cancelled_or_expires() {
	build_and_execute(|| {
		OrderDeposit::set(7);
		assert_ok!(buy(BOB, 0, 200, 100));
		assert!(market_events().iter().any(|e| matches!(e, Event::OrderPlaced { order: 0, deposit: 7, .. })));
		assert_eq!((deposit_held(BOB), held(BOB)), (7, 20));
		// Filled by a sell that does not rest: the seller pays no deposit, BOB gets his back.
		device(ALICE, DeviceKind::Producer, 0);
		assert_ok!(sell(ALICE, 0, 200, 100));
		assert_eq!((deposit_held(BOB), deposit_held(ALICE)), (0, 0));
		// Cancelled.
		assert_ok!(buy(DAVE, 0, 100, 100));
		assert_eq!(deposit_held(DAVE), 7);
		assert_ok!(EnergyMarket::cancel_order(RuntimeOrigin::signed(DAVE), 2));
		assert_eq!((deposit_held(DAVE), free(DAVE)), (0, FUNDS));
		// Expired.
		assert_ok!(buy(CHARLIE, 0, 100, 100));
		assert_eq!(deposit_held(CHARLIE), 7);
		run_to_interval(I - 1);
		assert_eq!((deposit_held(CHARLIE), free(CHARLIE)), (0, FUNDS));
	});
}

#[test]
fn a_resting_order_needs_funds_for_its_deposit() {
	build_and_execute(|| {
		// POOR has 150: ⌊1000 × 140 / 1000⌋ = 140 held leaves 10, of which the existential
		// deposit (1) must stay free.
		OrderDeposit::set(10);
		assert_noop!(buy(POOR, 0, 1000, 140), Error::<Test>::InsufficientFunds);
		OrderDeposit::set(9);
		assert_ok!(buy(POOR, 0, 1000, 140));
	});
}

#[test]
fn a_full_book_evicts_its_worst_order_for_a_better_one() {
	build_and_execute(|| {
		OrderDeposit::set(7);
		let accounts: Vec<u64> = MANY.take(8).collect();
		for (k, a) in accounts.iter().enumerate() {
			assert_ok!(buy(*a, 0, 100, 100 + k as u128));
		}
		// The worst bid is the first one, at 100; a bid at 101 is not better than... it is:
		// 101 > 100 evicts order 0 (hold 10 and deposit 7 back to its owner).
		let total = total_balances();
		assert_ok!(buy(BOB, 0, 100, 101));
		assert!(market_events().contains(&Event::OrderEvicted {
			order: 0,
			owner: accounts[0],
			by: 8,
			remaining_wh: 100,
			released: 10,
		}));
		assert_eq!((held(accounts[0]), deposit_held(accounts[0]), free(accounts[0])), (0, 0, FUNDS));
		assert!(Orders::<Test>::get(0).is_none());
		assert!(EnergyMarket::open_orders(&accounts[0]).is_empty());
		let book = ZoneBooks::<Test>::get((I, 0, Side::Buy));
		assert_eq!(book.len(), 8);
		assert_eq!(book.last().map(|r| (r.id, r.price)), Some((8, 101)));
		assert_eq!(total_balances(), total);
		// Another zone's book is separate: it is empty.
		assert_ok!(buy(DAVE, 1, 100, 50));
	});
}

#[test]
fn an_evicted_sell_gives_its_device_offer_back() {
	build_and_execute(|| {
		let sellers: Vec<u64> = MANY.take(8).collect();
		let mut devices = vec![];
		for (k, s) in sellers.iter().enumerate() {
			devices.push(device(*s, DeviceKind::Producer, 0));
			assert_ok!(sell(*s, 0, 300, 200 - k as u128));
		}
		// The worst ask is the first one, at 200: an ask at 150 evicts it.
		device(ALICE, DeviceKind::Producer, 0);
		assert_ok!(sell(ALICE, 0, 100, 150));
		assert!(market_events().iter().any(|e| matches!(e, Event::OrderEvicted { order: 0, by: 8, .. })));
		assert!(DeviceSlots::<Test>::get(I, devices[0]).is_none());
		assert_eq!(held(sellers[0]), 0);
	});
}

#[test]
fn one_device_cannot_take_more_than_its_trade_limit_in_an_interval() {
	build_and_execute(|| {
		let dev = device(ALICE, DeviceKind::Producer, 0);
		device(CHARLIE, DeviceKind::Producer, 0);
		// Wash trading: BOB rests a big bid, ALICE sells into it one lot at a time.
		assert_ok!(buy(BOB, 0, 2_000, 100));
		for _ in 0..MAX_TAKER_TRADES {
			assert_ok!(sell(ALICE, 0, 100, 100));
		}
		// A sell's fills count against its device, in the slot it writes anyway.
		assert_eq!(DeviceSlots::<Test>::get(I, dev).map(|s| s.taker_trades), Some(MAX_TAKER_TRADES));
		assert!(!TakerTrades::<Test>::contains_key(I, ALICE), "a sell writes no account record");
		assert_noop!(sell(ALICE, 0, 100, 100), Error::<Test>::TakerTradeLimit);
		// She may still rest an order that does not cross, and others may still take BOB's bid.
		assert_ok!(sell(ALICE, 0, 100, 150));
		assert_ok!(sell(CHARLIE, 0, 100, 100));
		assert_eq!(trades_executed().len(), MAX_TAKER_TRADES as usize + 1);
		// The limit is per interval: the next one starts from nothing.
		assert_ok!(EnergyMarket::place_order(RuntimeOrigin::signed(BOB), Side::Buy, 0, I + 1, 100, 100));
		assert_ok!(EnergyMarket::place_order(RuntimeOrigin::signed(ALICE), Side::Sell, 0, I + 1, 100, 100));
		assert_eq!(DeviceSlots::<Test>::get(I + 1, dev).map(|s| s.taker_trades), Some(1));
	});
}

#[test]
fn one_account_cannot_buy_more_than_its_trade_limit_in_an_interval() {
	build_and_execute(|| {
		device(BOB, DeviceKind::Producer, 0);
		// BOB rests a big ask, ALICE buys from it one lot at a time.
		assert_ok!(sell(BOB, 0, 1_000, 100));
		for _ in 0..MAX_TAKER_TRADES {
			assert_ok!(buy(ALICE, 0, 100, 100));
		}
		assert_eq!(TakerTrades::<Test>::get(I, ALICE), MAX_TAKER_TRADES);
		assert_noop!(buy(ALICE, 0, 100, 100), Error::<Test>::TakerTradeLimit);
		// Fills against her resting orders are not hers to count: CHARLIE takes her bid.
		assert_ok!(buy(ALICE, 0, 100, 50));
		device(CHARLIE, DeviceKind::Producer, 0);
		assert_ok!(sell(CHARLIE, 0, 100, 50));
		assert_eq!(TakerTrades::<Test>::get(I, ALICE), MAX_TAKER_TRADES);
		// The records go when the interval's orders expire.
		run_to_interval(I);
		assert_eq!(TakerTrades::<Test>::iter_prefix(I).count(), 0);
	});
}

#[test]
fn a_seller_at_one_devices_limit_sells_from_another_and_each_taker_has_its_own_limit() {
	build_and_execute(|| {
		let first = device(ALICE, DeviceKind::Producer, 0);
		let second = device(ALICE, DeviceKind::Producer, 0);
		device(BOB, DeviceKind::Producer, 0);
		assert_ok!(buy(BOB, 0, 2_000, 100));
		for _ in 0..MAX_TAKER_TRADES {
			assert_ok!(sell(ALICE, 0, 100, 100));
		}
		// The first device is at its limit: the next sell is backed by the second.
		assert_ok!(sell(ALICE, 0, 100, 100));
		let slot = |d| DeviceSlots::<Test>::get(I, d).map(|s| (s.taker_trades, s.unsettled_trades));
		assert_eq!(slot(first), Some((MAX_TAKER_TRADES, MAX_TAKER_TRADES)));
		assert_eq!(slot(second), Some((1, 1)));
		assert_eq!(Trades::<Test>::get(I, MAX_TAKER_TRADES).map(|t| t.device), Some(second));
		for _ in 1..MAX_TAKER_TRADES {
			assert_ok!(sell(ALICE, 0, 100, 100));
		}
		assert_noop!(sell(ALICE, 0, 100, 100), Error::<Test>::TakerTradeLimit);
		// An order that rests is still backed (by the first device with room to offer).
		assert_ok!(sell(ALICE, 0, 100, 150));
		assert_eq!(Orders::<Test>::get(NextOrderId::<Test>::get() - 1).and_then(|o| o.device), Some(first));
		// Her buys have their own limit, per account: every taker, a device for its sells or an
		// account for its buys, takes at most `MaxTakerTradesPerInterval` fills, so exhausting
		// an interval takes `MaxTradesPerInterval / MaxTakerTradesPerInterval` of them, and the
		// cheapest are accounts (a device needs a certificate and a deposit).
		assert_ok!(sell(BOB, 0, 1_000, 120));
		for _ in 0..MAX_TAKER_TRADES {
			assert_ok!(buy(ALICE, 0, 100, 120));
		}
		assert_noop!(buy(ALICE, 0, 100, 120), Error::<Test>::TakerTradeLimit);
		assert_eq!(trades_executed().len(), 3 * MAX_TAKER_TRADES as usize);
	});
}

#[test]
fn a_taker_at_its_limit_fills_what_it_may_and_releases_the_rest() {
	build_and_execute(|| {
		let dev = device(ALICE, DeviceKind::Producer, 0);
		// BOB's bid takes ALICE's first five sells; then three bids of one lot each.
		assert_ok!(buy(BOB, 0, 500, 100));
		for a in MANY.take(3) {
			assert_ok!(buy(a, 0, 100, 100));
		}
		for _ in 0..MAX_TAKER_TRADES - 1 {
			assert_ok!(sell(ALICE, 0, 100, 100));
		}
		// One trade left: it fills one lot, and the rest could still trade, so it is released
		// instead of resting in a crossed book.
		assert_ok!(sell(ALICE, 0, 300, 100));
		assert!(market_events().iter().any(|e| matches!(
			e,
			Event::OrderPlaced { filled_wh: 100, resting_wh: 0, quantity_wh: 300, .. }
		)));
		assert_eq!(DeviceSlots::<Test>::get(I, dev).map(|s| s.taker_trades), Some(MAX_TAKER_TRADES));
	});
}

#[test]
fn a_full_interval_rejects_orders_that_would_trade() {
	build_and_execute(|| {
		// MaxTradesPerInterval = 20 from four takers of 5 fills each.
		assert_ok!(buy(BOB, 0, 1_000, 100));
		assert_ok!(buy(DAVE, 0, 1_500, 100));
		let takers: Vec<u64> = MANY.take(4).collect();
		for t in &takers {
			device(*t, DeviceKind::Producer, 0);
			for _ in 0..5 {
				assert_ok!(sell(*t, 0, 100, 100));
			}
		}
		assert_eq!(Stats::<Test>::get(I).unwrap().trades, 20);
		device(ALICE, DeviceKind::Producer, 0);
		assert_noop!(sell(ALICE, 0, 100, 100), Error::<Test>::IntervalTradeLimit);
		// Orders that don't cross still rest; another interval is unaffected.
		assert_ok!(sell(ALICE, 0, 100, 120));
		assert_ok!(EnergyMarket::place_order(RuntimeOrigin::signed(BOB), Side::Buy, 0, I + 1, 100, 100));
		// The full interval settles end to end within one interval after sealing, by the hook
		// alone (3 trades per block, 10 blocks per interval).
		run_to_interval(I + 1);
		let devices: Vec<_> = takers
			.iter()
			.map(|t| pallet_energy_data::DevicesByOwner::<Test>::get(t)[0])
			.collect();
		for d in devices {
			reading(d, I, 500);
		}
		run_to_interval(sealed_at(I) + 1);
		let settled = market_events().iter().filter(|e| matches!(e, Event::TradeSettled { .. })).count();
		assert_eq!(settled, 20);
		assert!(market_events().contains(&Event::IntervalSettled { interval: I, trades: 20 }));
	});
}

#[test]
fn fills_across_zones_use_capacity_in_whole_lots() {
	build_and_execute(|| {
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 0, 250));
		device(CHARLIE, DeviceKind::Producer, 1);
		assert_ok!(sell(CHARLIE, 1, 500, 100));
		assert_ok!(buy(BOB, 0, 500, 100));
		// 250 Wh of capacity carry two lots; the 50 Wh left carry none.
		assert_eq!(trades_executed(), vec![(0, 200, 100, 0)]);
		assert_ok!(buy(DAVE, 0, 100, 100));
		assert_eq!(trades_executed().len(), 1);
	});
}

// ---------------------------------------------------------------- migration v1 -> v2

#[test]
fn migration_v1_to_v2_splits_books_by_zone_and_withdraws_orders_over_the_bound() {
	use crate::migrations::v2::{Books as BooksV1, MigrateV1ToV2, OrderV1};
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	build_and_execute(|| {
		// Eight bids in zone 0 (a full version-2 book), one ask and one bid in zone 1.
		let accounts: Vec<u64> = MANY.take(8).collect();
		for (k, a) in accounts.iter().enumerate() {
			assert_ok!(buy(*a, 0, 100, 60 + k as u128));
		}
		device(CHARLIE, DeviceKind::Producer, 1);
		assert_ok!(sell(CHARLIE, 1, 300, 120));
		assert_ok!(buy(BOB, 1, 200, 55));
		let bob_order = 9;
		// Turn it into version-1 storage: orders without deposit, one book per (interval,
		// side) for all zones. BOB's bid is moved to zone 0, the ninth (and worst) there.
		for (id, order) in Orders::<Test>::iter().collect::<Vec<_>>() {
			let zone = if id == bob_order { 0 } else { order.zone };
			let old = OrderV1 {
				owner: order.owner,
				side: order.side,
				zone,
				interval: order.interval,
				device: order.device,
				price: order.price,
				quantity_wh: order.quantity_wh,
				remaining_wh: order.remaining_wh,
				max_fee: order.max_fee,
				held: order.held,
			};
			frame_support::storage::unhashed::put_raw(&Orders::<Test>::hashed_key_for(id), &old.encode());
		}
		for side in [Side::Buy, Side::Sell] {
			let mut all: Vec<RestingOrder<u64>> = vec![];
			for zone in 0..2 {
				all.extend(ZoneBooks::<Test>::take((I, zone, side)).into_inner());
			}
			for r in &mut all {
				if r.id == bob_order {
					r.zone = 0;
				}
			}
			all.sort_by(|a, b| match side {
				Side::Buy => b.price.cmp(&a.price).then(a.id.cmp(&b.id)),
				Side::Sell => a.price.cmp(&b.price).then(a.id.cmp(&b.id)),
			});
			BooksV1::<Test>::insert(I, side, all);
		}
		StorageVersion::new(1).put::<EnergyMarket>();
		let bob_held = held(BOB);
		assert_eq!(bob_held, 11);
		let total = total_balances();

		#[cfg(feature = "try-runtime")]
		let state = <MigrateV1ToV2<Test> as OnRuntimeUpgrade>::pre_upgrade().unwrap();
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		#[cfg(feature = "try-runtime")]
		<MigrateV1ToV2<Test> as OnRuntimeUpgrade>::post_upgrade(state).unwrap();

		assert_eq!(EnergyMarket::on_chain_storage_version(), 2);
		assert!(BooksV1::<Test>::iter().next().is_none());
		let ids = |zone, side| -> Vec<OrderId> {
			ZoneBooks::<Test>::get((I, zone, side)).iter().map(|r| r.id).collect()
		};
		assert_eq!(ids(0, Side::Buy), vec![7, 6, 5, 4, 3, 2, 1, 0]);
		assert_eq!(ids(1, Side::Sell), vec![8]);
		assert!(ids(1, Side::Buy).is_empty());
		// BOB's bid did not fit: withdrawn, its hold released.
		assert!(Orders::<Test>::get(bob_order).is_none());
		assert_eq!(held(BOB), 0);
		assert!(market_events().contains(&Event::OrderCancelled {
			order: bob_order,
			owner: BOB,
			remaining_wh: 200,
			released: bob_held,
		}));
		assert!(Orders::<Test>::iter().all(|(_, o)| o.deposit == 0));
		assert_eq!(total_balances(), total);
		// Running it again does nothing (version 2 already).
		let before = ZoneBooks::<Test>::iter().count();
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(ZoneBooks::<Test>::iter().count(), before);
	});
}

// ---------------------------------------------------------------- zone pair index, migration v2 -> v3

#[test]
fn the_route_indexes_follow_zone_pairs_as_they_are_set_changed_and_removed() {
	build_and_execute(|| {
		let pair = |fee, cap| ZonePair { fee_per_kwh: fee, capacity_wh: cap };
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 2, 0, 9, 500));
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 4, 300));
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 0, 1, 0));
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 1, 3, 100));
		// Sorted by the other zone, the (z, z) pair included.
		assert_eq!(RoutesInto::<Test>::get(0).into_inner(), vec![(0, pair(1, 0)), (1, pair(4, 300)), (2, pair(9, 500))]);
		assert_eq!(RoutesFrom::<Test>::get(0).into_inner(), vec![(0, pair(1, 0)), (1, pair(3, 100))]);
		assert_eq!(RoutesFrom::<Test>::get(2).into_inner(), vec![(0, pair(9, 500))]);
		assert_eq!(EnergyMarket::max_fee_into(0), 9);
		// Changed in place.
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 12, 50));
		assert_eq!(RoutesInto::<Test>::get(0).into_inner()[1], (1, pair(12, 50)));
		assert_eq!(RoutesFrom::<Test>::get(1).into_inner(), vec![(0, pair(12, 50))]);
		assert_eq!(EnergyMarket::max_fee_into(0), 12);
		// Removed: an emptied list leaves no entry.
		assert_ok!(EnergyMarket::remove_zone_pair(RuntimeOrigin::root(), 1, 0));
		assert!(!RoutesFrom::<Test>::contains_key(1));
		assert_eq!(EnergyMarket::max_fee_into(0), 9);
		assert_ok!(EnergyMarket::remove_zone_pair(RuntimeOrigin::root(), 0, 1));
		assert!(!RoutesInto::<Test>::contains_key(1));
		assert_eq!(EnergyMarket::max_fee_into(1), 0);
		assert_ok!(EnergyMarket::check_routes());
		// An index that disagrees with the pairs is caught.
		RoutesFrom::<Test>::insert(3, frame_support::BoundedVec::truncate_from(vec![(0, pair(1, 1))]));
		assert!(EnergyMarket::check_routes().is_err());
		RoutesFrom::<Test>::remove(3);
	});
}

#[test]
fn an_order_trades_over_the_indexed_routes_only() {
	build_and_execute(|| {
		device(CHARLIE, DeviceKind::Producer, 1);
		device(DAVE, DeviceKind::Producer, 2);
		assert_ok!(sell(CHARLIE, 1, 100, 80));
		assert_ok!(sell(DAVE, 2, 100, 70));
		// No pair into zone 0: nothing crosses, the bid rests.
		assert_ok!(buy(BOB, 0, 100, 100));
		assert!(trades_executed().is_empty());
		assert_ok!(EnergyMarket::cancel_order(RuntimeOrigin::signed(BOB), 2));
		// 1 → 0 indexed: the bid takes zone 1's ask (zone 2's cheaper one stays out of reach).
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 10, 1_000));
		assert_ok!(buy(BOB, 0, 100, 100));
		assert_eq!(trades_executed(), vec![(0, 100, 80, 10)]);
		// Removing the pair takes the route away again.
		assert_ok!(EnergyMarket::remove_zone_pair(RuntimeOrigin::root(), 1, 0));
		assert_ok!(buy(BOB, 0, 100, 100));
		assert_eq!(trades_executed().len(), 1);
	});
}

#[test]
fn an_account_at_its_open_order_limit_can_take_but_not_rest() {
	build_and_execute(|| {
		for i in 0..6 {
			assert_ok!(EnergyMarket::place_order(RuntimeOrigin::signed(BOB), Side::Buy, 0, I + (i % 3), 100, 90));
		}
		device(CHARLIE, DeviceKind::Producer, 0);
		assert_ok!(sell(CHARLIE, 0, 200, 95));
		// A bid filled completely opens nothing: accepted.
		assert_ok!(buy(BOB, 0, 100, 100));
		assert_eq!(trades_executed().len(), 1);
		// One that would leave a remainder fails, and its fill is rolled back (dispatched as
		// an extrinsic is, in its own storage layer).
		use sp_runtime::traits::Dispatchable;
		let call = RuntimeCall::EnergyMarket(Call::place_order {
			side: Side::Buy,
			zone: 0,
			interval: I,
			quantity_wh: 200,
			price_per_kwh: 100,
		});
		assert_noop!(
			call.dispatch(RuntimeOrigin::signed(BOB)).map_err(|e| e.error),
			Error::<Test>::TooManyOpenOrders
		);
	});
}

#[test]
fn migration_v2_to_v3_indexes_the_zone_pairs() {
	use crate::migrations::v3::{MaxFeeInto as MaxFeeIntoV2, MigrateV2ToV3};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	build_and_execute(|| {
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 10, 200));
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 1, 5, 100));
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 2, 2, 7, 0));
		let from: Vec<_> = RoutesFrom::<Test>::iter().collect();
		let into: Vec<_> = RoutesInto::<Test>::iter().collect();
		// Version 2 storage: the pairs without their index, and `MaxFeeInto` as version 2
		// kept it (a zero entry included).
		let _ = RoutesFrom::<Test>::clear(u32::MAX, None);
		let _ = RoutesInto::<Test>::clear(u32::MAX, None);
		for (zone, fee) in [(0, 10), (1, 5), (2, 7), (3, 0)] {
			MaxFeeIntoV2::<Test>::insert(zone, fee);
		}
		StorageVersion::new(2).put::<EnergyMarket>();
		assert!(EnergyMarket::check_routes().is_err());

		#[cfg(feature = "try-runtime")]
		let state = <MigrateV2ToV3<Test> as OnRuntimeUpgrade>::pre_upgrade().unwrap();
		MigrateV2ToV3::<Test>::on_runtime_upgrade();
		#[cfg(feature = "try-runtime")]
		<MigrateV2ToV3<Test> as OnRuntimeUpgrade>::post_upgrade(state).unwrap();

		assert_eq!(EnergyMarket::on_chain_storage_version(), 3);
		let mut from_after: Vec<_> = RoutesFrom::<Test>::iter().collect();
		let mut into_after: Vec<_> = RoutesInto::<Test>::iter().collect();
		let (mut from, mut into) = (from, into);
		for v in [&mut from, &mut into, &mut from_after, &mut into_after] {
			v.sort_by_key(|(z, _)| *z);
		}
		assert_eq!((from_after, into_after), (from, into));
		assert_eq!(MaxFeeIntoV2::<Test>::iter().count(), 0, "version 2's MaxFeeInto removed");
		assert_eq!(EnergyMarket::max_fee_into(0), 10);
		assert_ok!(EnergyMarket::check_routes());
		// Running it again does nothing (version 3 already).
		RoutesFrom::<Test>::remove(0);
		MigrateV2ToV3::<Test>::on_runtime_upgrade();
		assert!(!RoutesFrom::<Test>::contains_key(0));
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 1, 5, 100));
	});
}

/// Fuzzer finding (runtime fuzzer, seed 1): a bid kept from an ask only by an in-zone fee above
/// its budget crossed the ask once the fee was removed, and `try_state` called the book
/// crossed. A change of grid terms trades on nobody's behalf: the two rest until either is
/// placed again, and the lowering is recorded so that only orders resting before it may cross.
#[test]
fn a_lowered_fee_within_a_zone_matches_no_resting_order_and_a_replaced_order_trades() {
	build_and_execute(|| {
		device(CHARLIE, DeviceKind::Producer, 0);
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 0, 5, 0));
		assert_ok!(buy(BOB, 0, 100, 100)); // order 0: reserves a fee of 5
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 0, 50, 0));
		assert_eq!(InZoneFeeLoweredAt::<Test>::get(0), None, "a raise is no lowering");
		assert_ok!(sell(CHARLIE, 0, 100, 100)); // order 1: fee 50 is beyond Bob's budget
		assert!(trades_executed().is_empty());

		assert_ok!(EnergyMarket::remove_zone_pair(RuntimeOrigin::root(), 0, 0));
		assert_last_event(Event::ZonePairRemoved { from: 0, to: 0 });
		assert_eq!(InZoneFeeLoweredAt::<Test>::get(0), Some(2));
		// Nothing traded: both still rest, crossed, and the invariants hold.
		assert!(trades_executed().is_empty());
		assert_eq!(ZoneBooks::<Test>::get((I, 0, Side::Buy)).len(), 1);
		assert_eq!(ZoneBooks::<Test>::get((I, 0, Side::Sell)).len(), 1);
		check_invariants();
		// Without the record, the same books break the invariant: the check is live.
		InZoneFeeLoweredAt::<Test>::remove(0);
		assert_eq!(EnergyMarket::do_try_state(), Err("book crossed within a zone".into()));
		InZoneFeeLoweredAt::<Test>::insert(0, 2);

		// Charlie re-places his ask: it takes Bob's bid at Bob's price, with no fee.
		assert_ok!(EnergyMarket::cancel_order(RuntimeOrigin::signed(CHARLIE), 1));
		assert_ok!(sell(CHARLIE, 0, 100, 100));
		assert_eq!(trades_executed(), vec![(0, 100, 100, 0)]);
	});
}

#[test]
fn only_a_lower_fee_within_a_zone_is_recorded() {
	build_and_execute(|| {
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 0, 5, 0));
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 0, 5, 900)); // same fee
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 9, 100));
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 1, 0, 1, 100)); // across zones
		assert_ok!(EnergyMarket::remove_zone_pair(RuntimeOrigin::root(), 2, 2)); // never set
		assert_eq!(InZoneFeeLoweredAt::<Test>::iter().count(), 0);
		assert_ok!(buy(BOB, 0, 100, 100));
		assert_ok!(EnergyMarket::set_zone_pair(RuntimeOrigin::root(), 0, 0, 4, 0));
		assert_eq!(InZoneFeeLoweredAt::<Test>::get(0), Some(1));
		assert_last_event(Event::ZonePairSet { from: 0, to: 0, fee_per_kwh: 4, capacity_wh: 0 });
	});
}

#[test]
fn migration_v3_to_v4_drops_trade_count_and_keeps_every_unsettled_trade() {
	use crate::migrations::v4::{MigrateV3ToV4, TradeCount as TradeCountV3};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	build_and_execute(|| {
		let dev = device(ALICE, DeviceKind::Producer, 0);
		let place = |who, side, interval, qty| {
			EnergyMarket::place_order(RuntimeOrigin::signed(who), side, 0, interval, qty, 100).map(|_| ())
		};
		// I: 2 trades, I + 1: 5 trades, I + 2: 1 trade.
		for (interval, n) in [(I, 2u64), (I + 1, 5), (I + 2, 1)] {
			assert_ok!(place(ALICE, Side::Sell, interval, 100 * n));
			for b in MANY.take(n as usize) {
				assert_ok!(place(b, Side::Buy, interval, 100));
			}
		}
		run_to_interval(I + 1);
		reading(dev, I, 200);
		run_to_interval(I + 2);
		reading(dev, I + 1, 500);
		// I settled by the hook at its sealing, then 3 (`MaxSettledPerBlock`) of I + 1's 5.
		run_to_interval(sealed_at(I + 1));
		assert_eq!((SettledUpTo::<Test>::get(I), SettledUpTo::<Test>::get(I + 1)), (2, 3));
		assert!(!EnergyMarket::has_unsettled(I));

		// Version 3's layout: `TradeCount` for the intervals with unsettled trades, no
		// `SettledUpTo` for a finished one.
		TradeCountV3::<Test>::insert(I + 1, 5);
		TradeCountV3::<Test>::insert(I + 2, 1);
		SettledUpTo::<Test>::remove(I);
		StorageVersion::new(3).put::<EnergyMarket>();
		assert!(EnergyMarket::has_unsettled(I), "without the migration a finished interval looks unsettled");

		#[cfg(feature = "try-runtime")]
		let state = <MigrateV3ToV4<Test> as OnRuntimeUpgrade>::pre_upgrade().unwrap();
		MigrateV3ToV4::<Test>::on_runtime_upgrade();
		#[cfg(feature = "try-runtime")]
		<MigrateV3ToV4<Test> as OnRuntimeUpgrade>::post_upgrade(state).unwrap();

		assert_eq!(EnergyMarket::on_chain_storage_version(), 4);
		assert_eq!(TradeCountV3::<Test>::iter().count(), 0, "TradeCount removed");
		assert_eq!(SettledUpTo::<Test>::get(I), 2);
		assert!(!EnergyMarket::has_unsettled(I));
		assert_eq!(SettledUpTo::<Test>::get(I + 1), 3);
		assert!(EnergyMarket::has_unsettled(I + 1) && EnergyMarket::has_unsettled(I + 2));
		assert_noop!(
			EnergyMarket::settle(RuntimeOrigin::signed(CHARLIE), I, 10),
			Error::<Test>::AlreadySettled
		);
		// Settlement goes on where it stopped: I + 1's last 2 trades, then I + 2's.
		assert_ok!(EnergyMarket::settle(RuntimeOrigin::signed(CHARLIE), I + 1, 10));
		assert_last_event(Event::IntervalSettled { interval: I + 1, trades: 5 });
		let settled: Vec<_> = market_events()
			.into_iter()
			.filter_map(|e| match e {
				Event::TradeSettled { interval, trade, .. } => Some((interval, trade)),
				_ => None,
			})
			.collect();
		assert_eq!(settled, vec![(I, 0), (I, 1), (I + 1, 0), (I + 1, 1), (I + 1, 2), (I + 1, 3), (I + 1, 4)]);
		run_to_interval(sealed_at(I + 2));
		assert!(!EnergyMarket::has_unsettled(I + 2));
		// Running it again does nothing (version 4 already).
		SettledUpTo::<Test>::remove(I);
		MigrateV3ToV4::<Test>::on_runtime_upgrade();
		assert!(!SettledUpTo::<Test>::contains_key(I));
		SettledUpTo::<Test>::insert(I, 2);
	});
}

#[test]
fn migration_v4_to_v5_counts_each_devices_taken_fills_in_its_slot() {
	use crate::migrations::v5::{DeviceSlotV4, DeviceSlots as DeviceSlotsV4, MigrateV4ToV5};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	build_and_execute(|| {
		let alice = device(ALICE, DeviceKind::Producer, 0);
		let bob = device(BOB, DeviceKind::Producer, 0);
		// ALICE's sells take 3 fills of CHARLIE's bid; BOB's ask is taken twice by DAVE's buys
		// (fills of a resting order are not its device's to count); ALICE rests one more sell.
		assert_ok!(buy(CHARLIE, 0, 1_000, 100));
		for _ in 0..3 {
			assert_ok!(sell(ALICE, 0, 100, 100));
		}
		assert_ok!(sell(BOB, 0, 500, 120));
		for _ in 0..2 {
			assert_ok!(buy(DAVE, 0, 100, 120));
		}
		assert_ok!(sell(ALICE, 0, 100, 150));

		// Version 4's layout: slots without `taker_trades`.
		let slots: Vec<_> = DeviceSlots::<Test>::iter().collect();
		assert_eq!(slots.len(), 2);
		for (interval, device, s) in slots {
			DeviceSlotsV4::<Test>::insert(interval, device, DeviceSlotV4 {
				offered_wh: s.offered_wh,
				open_orders: s.open_orders,
				unsettled_trades: s.unsettled_trades,
				allocated_wh: s.allocated_wh,
			});
		}
		StorageVersion::new(4).put::<EnergyMarket>();
		assert!(DeviceSlots::<Test>::get(I, alice).is_none(), "version 4's slots do not decode as version 5's");

		#[cfg(feature = "try-runtime")]
		let state = <MigrateV4ToV5<Test> as OnRuntimeUpgrade>::pre_upgrade().unwrap();
		MigrateV4ToV5::<Test>::on_runtime_upgrade();
		#[cfg(feature = "try-runtime")]
		<MigrateV4ToV5<Test> as OnRuntimeUpgrade>::post_upgrade(state).unwrap();

		assert_eq!(EnergyMarket::on_chain_storage_version(), 5);
		assert_eq!(
			DeviceSlots::<Test>::get(I, alice),
			Some(DeviceSlot { offered_wh: 400, open_orders: 1, unsettled_trades: 3, allocated_wh: 0, taker_trades: 3 })
		);
		assert_eq!(
			DeviceSlots::<Test>::get(I, bob),
			Some(DeviceSlot { offered_wh: 500, open_orders: 1, unsettled_trades: 2, allocated_wh: 0, taker_trades: 0 })
		);
		// The migrated count binds: ALICE's device takes the 3 fills left to it, then no more.
		for _ in 0..MAX_TAKER_TRADES - 3 {
			assert_ok!(sell(ALICE, 0, 100, 100));
		}
		assert_noop!(sell(ALICE, 0, 100, 100), Error::<Test>::TakerTradeLimit);
		// Running it again does nothing (version 5 already).
		let before: Vec<_> = DeviceSlots::<Test>::iter().collect();
		MigrateV4ToV5::<Test>::on_runtime_upgrade();
		assert_eq!(DeviceSlots::<Test>::iter().collect::<Vec<_>>(), before);
	});
}
