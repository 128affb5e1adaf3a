//! What it costs to block or bleed the market, computed from the runtime's constants and
//! weights. The README's table "What it costs to block the market" shows these figures; this
//! test fails when a constant or a weight changes them, so the table is updated with it.

#![allow(clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used)]

use frame_support::{
	traits::Get,
	weights::{Weight, WeightToFee as _},
};
use gridbrain_runtime::{
	configs::RuntimeBlockWeights, Balance, Runtime, RuntimeCall, EXISTENTIAL_DEPOSIT, UNIT,
};
type M = Runtime;

mod common;

/// A signed `placeOrder` extrinsic is about this long (address, signature, extensions, call).
const PLACE_ORDER_LEN: Balance = 150;

/// The fee of a signed `placeOrder` whose call weighs `weight` (identity fee per picosecond and
/// per byte, multiplier 1, as configured): base weight, extensions and call.
fn fee(weight: Weight) -> Balance {
	let call = RuntimeCall::EnergyMarket(pallet_energy_market::Call::place_order {
		side: pallet_energy_market::Side::Buy,
		zone: 0,
		interval: 0,
		quantity_wh: 0,
		price_per_kwh: 0,
	});
	let weight = common::signed_weight(&call, weight);
	<Runtime as pallet_transaction_payment::Config>::WeightToFee::weight_to_fee(&weight) +
		<Runtime as pallet_transaction_payment::Config>::LengthToFee::weight_to_fee(
			&Weight::from_parts(PLACE_ORDER_LEN as u64, 0),
		)
}

/// GRID with three decimals, rounded up (costs are never understated).
fn grid(x: Balance) -> String {
	let milli = x.div_ceil(UNIT / 1000);
	format!("{}.{:03}", milli / 1000, milli % 1000)
}

struct Costs {
	/// Fill the book of one (interval, zone, side): fees spent, tokens locked, accounts.
	book: (Balance, Balance, u32),
	/// Every book of one interval (all zones, both sides).
	interval_books: (Balance, Balance, u32),
	/// Exhaust an interval's trades: fees, seller collateral at risk, taker accounts.
	trades: (Balance, Balance, u32),
	/// Fill an interval's readings: device deposits locked (and certificates from a registrar).
	readings: Balance,
	/// Keep every normal transaction (orders, readings, transfers) out of one block: the fee of
	/// its normal-class weight, and of its normal-class length (at least: the extrinsics'
	/// weight comes on top).
	block: (Balance, Balance),
}

fn costs() -> Costs {
	let book: u32 = <M as pallet_energy_market::Config>::MaxOrdersPerBook::get();
	let zones: u32 = <M as pallet_energy_data::Config>::MaxZones::get();
	let per_account: u32 = <M as pallet_energy_market::Config>::MaxOpenOrdersPerAccount::get();
	let deposit: Balance = <M as pallet_energy_market::Config>::OrderDeposit::get();
	let min_value: Balance = <M as pallet_energy_market::Config>::MinOrderValue::get();
	let lot: u64 = <M as pallet_energy_market::Config>::TradeLotWh::get();
	let imbalance: Balance = <M as pallet_energy_market::Config>::ImbalancePrice::get();
	let max_trades: u32 = <M as pallet_energy_market::Config>::MaxTradesPerInterval::get();
	let taker: u32 = <M as pallet_energy_market::Config>::MaxTakerTradesPerInterval::get();
	let readings: u32 = <M as pallet_energy_data::Config>::MaxReadingsPerInterval::get();
	let device_deposit: Balance = <M as pallet_energy_data::Config>::DeviceDeposit::get();

	use pallet_energy_market::{Pallet as Market, PlaceWork, Side};
	// A resting buy: no fill, only its own zone's book, no device scan.
	let rest = fee(Market::<Runtime>::place_order_weight(Side::Buy, &PlaceWork { rests: 1, ..Default::default() }));
	// A taking order of one lot: one fill, only its own zone's book (a sell: one device). The
	// attacker takes the cheapest: a lot of a larger resting order that stays open untouched
	// (`kept_maker`) where that is charged less than a fill that closes its maker.
	let one_fill = PlaceWork { fills: 1, devices: 1, ..Default::default() };
	let take = [Side::Sell, Side::Buy]
		.into_iter()
		.flat_map(|side| {
			let devices = if side == Side::Sell { 1 } else { 0 };
			[false, true].map(|kept_maker| {
				fee(Market::<Runtime>::place_order_weight(side, &PlaceWork { kept_maker, devices, ..one_fill }))
			})
		})
		.min()
		.unwrap();
	let accounts = |orders: u32| orders.div_ceil(per_account);
	let fill = |orders: u32| {
		let locked = Balance::from(orders) * (deposit + min_value) +
			Balance::from(accounts(orders)) * EXISTENTIAL_DEPOSIT;
		(Balance::from(orders) * rest, locked, accounts(orders))
	};
	let takers = max_trades.div_ceil(taker);
	let collateral = Balance::from(max_trades) * Balance::from(lot) * imbalance / 1000;
	Costs {
		book: fill(book),
		interval_books: fill(book * zones * 2),
		trades: (
			Balance::from(max_trades) * take +
				Balance::from(takers) * EXISTENTIAL_DEPOSIT,
			collateral,
			takers,
		),
		readings: Balance::from(readings) * device_deposit,
		block: {
			use frame_support::dispatch::DispatchClass;
			let normal = RuntimeBlockWeights::get().get(DispatchClass::Normal).max_total.unwrap();
			let length = *<Runtime as frame_system::Config>::BlockLength::get().max.get(DispatchClass::Normal);
			(
				<Runtime as pallet_transaction_payment::Config>::WeightToFee::weight_to_fee(&normal),
				<Runtime as pallet_transaction_payment::Config>::LengthToFee::weight_to_fee(&Weight::from_parts(
					u64::from(length),
					0,
				)),
			)
		},
	}
}

#[test]
fn cost_to_block_the_market_matches_the_readme_table() {
	let c = costs();
	let row = |name: &str, (spent, locked, accounts): (Balance, Balance, u32)| {
		format!("{name}: {} spent, {} locked, {accounts} accounts", grid(spent), grid(locked))
	};
	let table = [
		row("book", c.book),
		row("interval books", c.interval_books),
		format!("trades: {} spent, {} at risk, {} takers", grid(c.trades.0), grid(c.trades.1), c.trades.2),
		format!("readings: {} locked", grid(c.readings)),
		format!(
			"block space: {} by weight, {} by length per block; {} per interval of {} blocks",
			grid(c.block.0),
			grid(c.block.1),
			grid(c.block.0.min(c.block.1) * Balance::from(gridbrain_runtime::INTERVAL_BLOCKS)),
			gridbrain_runtime::INTERVAL_BLOCKS
		),
	];
	for line in &table {
		println!("{line}");
	}
	assert_eq!(table, README_TABLE, "update the README's table (and this test) to the new figures");
}

/// The figures of the README table, in the order of its rows.
const README_TABLE: [&str; 5] = [
	"book: 0.173 spent, 12.930 locked, 2 accounts",
	"interval books: 5.535 spent, 413.760 locked, 64 accounts",
	"trades: 13.187 spent, 1000.000 at risk, 157 takers",
	"readings: 100000.000 locked",
	"block space: 1.500 by weight, 1.967 by length per block; 15.000 per interval of 10 blocks",
];

/// Fills are limited per taker, an account's buys or a device's sells (runtime 116): no pair
/// of accounts can exhaust an interval's trades, even holding the most devices each (two
/// accounts and their 128 devices are 130 takers; 157 are needed). Three accounts could, with
/// 154 certified devices between them: 1,540 GRID of device deposits.
#[test]
fn no_pair_of_accounts_can_exhaust_an_interval_even_with_the_most_devices() {
	let max_trades: u32 = <M as pallet_energy_market::Config>::MaxTradesPerInterval::get();
	let taker: u32 = <M as pallet_energy_market::Config>::MaxTakerTradesPerInterval::get();
	let devices: u32 = <M as pallet_energy_data::Config>::MaxDevicesPerAccount::get();
	let device_deposit: Balance = <M as pallet_energy_data::Config>::DeviceDeposit::get();
	let takers = max_trades.div_ceil(taker);
	let takers_of = |accounts: u32| accounts * (1 + devices);
	assert!(takers_of(2) < takers, "two accounts with {devices} devices each reach {takers} takers");
	assert!(takers_of(3) >= takers);
	let devices_for_three = takers - 3;
	assert_eq!((takers, devices_for_three), (157, 154));
	assert_eq!(grid(Balance::from(devices_for_three) * device_deposit), "1540.000");
}
