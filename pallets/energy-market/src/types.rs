//! Types of the EnergyMarket pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
pub use gridbrain_clearing::{Money, OrderId, RestingOrder, Side};
pub use pallet_energy_data::{DeviceId, IntervalIndex, ZoneId};
use scale_info::TypeInfo;

/// Index of a trade within its delivery interval (trades of an interval are numbered 0, 1, ...
/// in execution order).
pub type TradeIndex = u32;

/// An open order (removed from storage when filled, cancelled or expired).
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Order<AccountId> {
	/// Who placed it.
	pub owner: AccountId,
	/// Buy or sell.
	pub side: Side,
	/// Zone of delivery (sell) or of consumption (buy).
	pub zone: ZoneId,
	/// Delivery interval.
	pub interval: IntervalIndex,
	/// Sells: the seller's producing device the energy is offered from.
	pub device: Option<DeviceId>,
	/// Limit price per kWh.
	pub price: Money,
	/// Wh ordered.
	pub quantity_wh: u64,
	/// Wh not filled yet.
	pub remaining_wh: u64,
	/// Buys: grid fee per kWh reserved (the highest fee into `zone` at placement); sells: 0.
	pub max_fee: Money,
	/// Held for the remaining quantity: buys `value_of(remaining, price + max_fee)`, sells
	/// `value_of(remaining, ImbalancePrice)`.
	pub held: Money,
	/// Storage deposit held while the order rests (`OrderDeposit` when it was placed; 0 for
	/// orders placed before storage version 2).
	pub deposit: Money,
}

/// An executed trade awaiting settlement.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Trade<AccountId> {
	/// The buying account.
	pub buyer: AccountId,
	/// The selling account.
	pub seller: AccountId,
	/// The buy order.
	pub buy_order: OrderId,
	/// The sell order.
	pub sell_order: OrderId,
	/// The seller's device whose metered production settles this trade.
	pub device: DeviceId,
	/// Zone the energy comes from.
	pub seller_zone: ZoneId,
	/// Zone the energy goes to.
	pub buyer_zone: ZoneId,
	/// Wh traded.
	pub quantity_wh: u64,
	/// Price per kWh (the resting order's price).
	pub price: Money,
	/// Grid fee per kWh (paid by the buyer to the grid operator).
	pub fee_per_kwh: Money,
	/// Held from the buyer: `value_of(quantity, price + fee)`.
	pub escrow: Money,
	/// Held from the seller: `value_of(quantity, ImbalancePrice)`.
	pub collateral: Money,
}

impl<AccountId> Trade<AccountId> {
	/// Whether the sell was the incoming order that took this fill (the later order, with the
	/// higher id): its device counts the fill (`DeviceSlot::taker_trades`); otherwise the
	/// buyer's account does (`TakerTrades`).
	pub fn taken_by_sell(&self) -> bool {
		self.sell_order > self.buy_order
	}
}

/// Grid terms of energy flowing from one zone to another.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug,
)]
pub struct ZonePair {
	/// Grid fee per kWh, paid by the buyer to the grid operator.
	pub fee_per_kwh: Money,
	/// Wh that may flow per delivery interval (ignored within a zone, which is unlimited).
	pub capacity_wh: u64,
}

/// Admin-set bounds on order prices (per kWh, inclusive).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug,
)]
pub struct PriceBand {
	/// Lowest accepted price (≥ 1).
	pub floor: Money,
	/// Highest accepted price.
	pub cap: Money,
}

/// Per device and delivery interval: what was offered and what is still to settle.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct DeviceSlot {
	/// Wh offered in sell orders (open or traded; cancelled and expired Wh are given back).
	pub offered_wh: u64,
	/// Open sell orders of the device for the interval.
	pub open_orders: u32,
	/// Trades of the device for the interval not settled yet.
	pub unsettled_trades: u32,
	/// Metered production already allocated to settled trades.
	pub allocated_wh: u64,
	/// Fills taken by the device's incoming sell orders in the interval, limited by
	/// `MaxTakerTradesPerInterval` (a buy's fills count against its account, `TakerTrades`).
	/// Kept here rather than per account because a sell reads and writes its device's slot
	/// anyway: the limit costs a selling order no storage access of its own.
	pub taker_trades: u32,
}

/// Running statistics of a delivery interval (kept after settlement).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default,
)]
pub struct IntervalStats {
	/// Trades executed.
	pub trades: u32,
	/// Wh traded.
	pub volume_wh: u64,
	/// Σ quantity_wh × price (for the VWAP).
	pub weighted_price_sum: u128,
	/// Wh traded across zones.
	pub cross_zone_wh: u64,
	/// Trades settled.
	pub settled_trades: u32,
	/// Wh delivered according to the meters (settled trades).
	pub delivered_wh: u64,
}

/// The statistics of an interval as the runtime API returns them.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug, Default)]
pub struct IntervalStatsView {
	/// The stored statistics.
	pub stats: IntervalStats,
	/// Volume-weighted average trade price per kWh.
	pub vwap: Option<Money>,
	/// Highest open bid (any zone).
	pub best_bid: Option<Money>,
	/// Lowest open ask (any zone).
	pub best_ask: Option<Money>,
	/// `best_ask − best_bid` when both exist (never negative: the book is never crossed within
	/// a zone; across zones a route may be missing).
	pub spread: Option<Money>,
}

/// The open orders of an interval in one zone, best first.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct OrderBookView<AccountId> {
	/// Buy orders, highest price first.
	pub bids: alloc::vec::Vec<RestingOrder<AccountId>>,
	/// Sell orders, lowest price first.
	pub asks: alloc::vec::Vec<RestingOrder<AccountId>>,
}
