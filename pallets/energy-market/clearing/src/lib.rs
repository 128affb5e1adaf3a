//! # gridbrain-clearing
//!
//! The arithmetic of the gridbrain energy market, without FRAME so it can be property-tested and
//! shared with off-chain code (the demo driver, the ml-worker, explorers):
//!
//! - [`match_incoming`]: continuous double auction with **price–time priority** across grid
//!   zones, grid fees and inter-zone capacity; trades happen at the **resting** order's price;
//! - [`insertion_index`]: where an order rests in its side's book;
//! - [`split_hold`]: how an order's escrow is divided on a fill (into the trade, released, kept);
//! - [`settle`]: how a trade's escrow and collateral are paid out against metered delivery.
//!
//! ## Units
//!
//! Energy in Wh (`u64`), money in the token's smallest unit (`u128`), prices per kWh. The value of
//! `q` Wh at `p` per kWh is `⌊q·p / 1000⌋` ([`value_of`]). Every function uses checked
//! arithmetic and returns `None`/an error instead of overflowing; there are no floats.
//!
//! ## Escrow model
//!
//! A buy order of `Q` Wh at limit `L` that reserved at most `F` per kWh of grid fee holds
//! `value_of(Q, L + F)`. A sell order holds collateral `value_of(Q, I)` at the imbalance price `I`
//! (what the seller owes if it delivers nothing). Because `⌊a⌋ + ⌊b⌋ ≤ ⌊a + b⌋`, a fill of `q`
//! can move `value_of(q, price + fee)` (resp. `value_of(q, I)`) into the trade and keep
//! `value_of(Q − q, rate)` for the rest, never needing more than was held: the difference
//! (price improvement, rounding) is released at fill time.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
#[cfg(feature = "scale")]
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
#[cfg(feature = "scale")]
use scale_info::TypeInfo;

/// Money in the token's smallest unit.
pub type Money = u128;
/// Energy in Wh.
pub type Wh = u64;
/// A grid zone.
pub type Zone = u16;
/// An order id (assigned in placement order, so lower id = earlier).
pub type OrderId = u64;

/// Wh per kWh.
pub const WH_PER_KWH: u128 = 1000;

/// Side of an order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "scale", derive(Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo))]
pub enum Side {
	/// Buys energy (a consumer); holds the price and the grid fee.
	Buy,
	/// Sells energy (a producer); holds imbalance collateral.
	Sell,
}

impl Side {
	/// The other side.
	pub fn opposite(self) -> Side {
		match self {
			Side::Buy => Side::Sell,
			Side::Sell => Side::Buy,
		}
	}
}

/// `⌊qty_wh · price_per_kwh / 1000⌋`, or `None` on overflow.
pub fn value_of(qty_wh: Wh, price_per_kwh: Money) -> Option<Money> {
	u128::from(qty_wh).checked_mul(price_per_kwh)?.checked_div(WH_PER_KWH)
}

/// An order resting in a book. Books are kept in priority order: buys by price descending, sells
/// by price ascending, then by id ascending (time).
#[derive(Clone, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "scale", derive(Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo))]
pub struct RestingOrder<AccountId> {
	/// The order.
	pub id: OrderId,
	/// Who placed it.
	pub owner: AccountId,
	/// The zone it delivers in (sell) or takes delivery in (buy).
	pub zone: Zone,
	/// Limit price per kWh.
	pub price: Money,
	/// Wh not yet filled.
	pub remaining_wh: Wh,
	/// Buys: the most grid fee per kWh the order reserved; sells: 0.
	pub max_fee: Money,
}

/// An order being placed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Incoming<AccountId> {
	/// Who places it.
	pub owner: AccountId,
	/// Buy or sell.
	pub side: Side,
	/// Its zone.
	pub zone: Zone,
	/// Limit price per kWh.
	pub price: Money,
	/// Wh wanted or offered.
	pub quantity_wh: Wh,
	/// Buys: the most grid fee per kWh it reserved; sells: ignored.
	pub max_fee: Money,
}

/// How energy can flow from a seller's zone to a buyer's zone.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Route {
	/// Grid fee per kWh the buyer pays (to the grid operator).
	pub fee_per_kwh: Money,
	/// Wh still available on the path in this interval; `None` = unlimited (within a zone).
	pub available_wh: Option<Wh>,
}

/// One fill of an incoming order against a resting order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Fill {
	/// Index of the resting order in the book slice given to [`match_incoming`].
	pub book_index: usize,
	/// The resting order.
	pub resting_id: OrderId,
	/// Wh traded.
	pub quantity_wh: Wh,
	/// Trade price per kWh (the resting order's price).
	pub price: Money,
	/// Grid fee per kWh of the zone pair.
	pub fee_per_kwh: Money,
	/// Zone the energy comes from.
	pub seller_zone: Zone,
	/// Zone the energy goes to.
	pub buyer_zone: Zone,
}

/// Result of matching an incoming order.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct MatchOutcome {
	/// Fills in execution order.
	pub fills: Vec<Fill>,
	/// Wh of the incoming order left unfilled.
	pub remaining_wh: Wh,
	/// Matching stopped at `max_fills` while an eligible resting order could still have traded
	/// with the remainder: resting that remainder would leave the book crossed.
	pub truncated: bool,
}

/// Why an incoming order can't be matched.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MatchError {
	/// The incoming order would trade with a resting order of the same owner.
	SelfTrade {
		/// The owner's crossing resting order.
		resting_id: OrderId,
	},
}

/// Whether an incoming order of `side` at `price` crosses a resting order at `resting_price`.
pub fn crosses(side: Side, price: Money, resting_price: Money) -> bool {
	match side {
		Side::Buy => resting_price <= price,
		Side::Sell => resting_price >= price,
	}
}

/// Matches `incoming` against `book`, the **opposite** side's resting orders in priority order.
///
/// - A resting order is eligible when its price crosses, a route from the seller's zone to the
///   buyer's zone exists (`route(seller_zone, buyer_zone)`), the route's fee does not exceed what
///   the buy order reserved (`max_fee`) and the route has capacity left.
/// - Priority: an incoming **sell** takes the book's order (highest bid, then earliest); an
///   incoming **buy** takes the lowest *landed* price (ask + grid fee), then the book's order.
/// - Each fill trades `min(incoming left, resting left, route capacity left)` at the resting
///   order's price; capacity used by earlier fills of this call is accounted for.
/// - At most `max_fills` fills; [`MatchOutcome::truncated`] says whether an eligible order was
///   left over (then the remainder must not rest, or the book would be crossed).
///
/// Fails with [`MatchError::SelfTrade`] if any crossing resting order belongs to the incoming
/// order's owner (self-trades are rejected, never executed or skipped, so the book can't become
/// crossed).
pub fn match_incoming<A: PartialEq>(
	incoming: &Incoming<A>,
	book: &[RestingOrder<A>],
	max_fills: u32,
	route: impl FnMut(Zone, Zone) -> Option<Route>,
) -> Result<MatchOutcome, MatchError> {
	match_in_lots(incoming, book, max_fills, 1, route)
}

/// [`match_incoming`] where every fill is a whole number of `lot_wh` lots (the minimum trade
/// size): route capacity is used in whole lots only. With order quantities in whole lots every
/// fill, trade and remainder is then a whole number of lots. `lot_wh = 0` is read as 1.
pub fn match_in_lots<A: PartialEq>(
	incoming: &Incoming<A>,
	book: &[RestingOrder<A>],
	max_fills: u32,
	lot_wh: Wh,
	mut route: impl FnMut(Zone, Zone) -> Option<Route>,
) -> Result<MatchOutcome, MatchError> {
	let lot = lot_wh.max(1);
	if let Some(own) = book
		.iter()
		.find(|r| r.owner == incoming.owner && crosses(incoming.side, incoming.price, r.price))
	{
		return Err(MatchError::SelfTrade { resting_id: own.id });
	}

	// (landed-price key, book index, route, zones)
	let mut candidates: Vec<(Money, usize, Route, Zone, Zone)> = Vec::new();
	for (index, resting) in book.iter().enumerate() {
		if !crosses(incoming.side, incoming.price, resting.price) {
			continue;
		}
		let (seller_zone, buyer_zone, buyer_max_fee) = match incoming.side {
			Side::Buy => (resting.zone, incoming.zone, incoming.max_fee),
			Side::Sell => (incoming.zone, resting.zone, resting.max_fee),
		};
		let Some(r) = route(seller_zone, buyer_zone) else { continue };
		if r.fee_per_kwh > buyer_max_fee || r.available_wh == Some(0) {
			continue;
		}
		let key = match incoming.side {
			Side::Buy => resting.price.saturating_add(r.fee_per_kwh),
			Side::Sell => 0,
		};
		candidates.push((key, index, r, seller_zone, buyer_zone));
	}
	candidates.sort_by_key(|c| (c.0, c.1));

	let mut remaining = incoming.quantity_wh;
	let mut fills = Vec::new();
	let mut truncated = false;
	// Capacity used per (seller zone, buyer zone) by this call's fills.
	let mut used: Vec<(Zone, Zone, Wh)> = Vec::new();
	for (_, index, r, seller_zone, buyer_zone) in candidates {
		if remaining == 0 {
			break;
		}
		let Some(resting) = book.get(index) else { continue };
		let already = used
			.iter()
			.find(|u| u.0 == seller_zone && u.1 == buyer_zone)
			.map_or(0, |u| u.2);
		let capacity_left = match r.available_wh {
			Some(a) => a.saturating_sub(already),
			None => Wh::MAX,
		};
		let qty = remaining.min(resting.remaining_wh).min(capacity_left);
		// Whole lots only (`lot ≥ 1`, so the remainder is smaller than `qty`).
		let qty = qty.saturating_sub(qty.checked_rem(lot).unwrap_or(0));
		if qty == 0 {
			continue;
		}
		if fills.len() >= max_fills as usize {
			// This order could still trade: the caller must not rest the remainder.
			truncated = true;
			break;
		}
		remaining = remaining.saturating_sub(qty);
		if r.available_wh.is_some() {
			match used.iter_mut().find(|u| u.0 == seller_zone && u.1 == buyer_zone) {
				Some(u) => u.2 = u.2.saturating_add(qty),
				None => used.push((seller_zone, buyer_zone, qty)),
			}
		}
		fills.push(Fill {
			book_index: index,
			resting_id: resting.id,
			quantity_wh: qty,
			price: resting.price,
			fee_per_kwh: r.fee_per_kwh,
			seller_zone,
			buyer_zone,
		});
	}
	Ok(MatchOutcome { fills, remaining_wh: remaining, truncated })
}

/// Where an order of `side` at `price` goes in its own side's `book` (kept in priority order):
/// after every order with an equal or better price (earlier orders keep time priority).
pub fn insertion_index<A>(book: &[RestingOrder<A>], side: Side, price: Money) -> usize {
	match side {
		Side::Buy => book.partition_point(|r| r.price >= price),
		Side::Sell => book.partition_point(|r| r.price <= price),
	}
}

/// Whether `book` is in priority order for `side` (price, then id).
pub fn is_priority_ordered<A>(book: &[RestingOrder<A>], side: Side) -> bool {
	book.windows(2).all(|w| match w {
		[a, b] => match side {
			Side::Buy => a.price > b.price || (a.price == b.price && a.id < b.id),
			Side::Sell => a.price < b.price || (a.price == b.price && a.id < b.id),
		},
		_ => true,
	})
}

/// How an order's hold is divided when `trade_amount` of it moves into a trade.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct HoldSplit {
	/// Moves from the order to the trade (stays held).
	pub to_trade: Money,
	/// Released to the owner now (price improvement and rounding).
	pub release: Money,
	/// Stays with the order for its remaining quantity.
	pub keep: Money,
}

/// Splits an order's `held` amount after a fill: `trade_amount` goes to the trade, the order keeps
/// `value_of(remaining_after_wh, rate)` and the rest is released. `None` if `held` does not cover
/// both (impossible while `held == value_of(remaining_before, rate)` and
/// `trade_amount ≤ value_of(filled, rate)`) or on overflow.
pub fn split_hold(
	held: Money,
	trade_amount: Money,
	remaining_after_wh: Wh,
	rate: Money,
) -> Option<HoldSplit> {
	let keep = value_of(remaining_after_wh, rate)?;
	let release = held.checked_sub(trade_amount)?.checked_sub(keep)?;
	Some(HoldSplit { to_trade: trade_amount, release, keep })
}

/// What a trade holds and on what terms it settles.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TradeTerms {
	/// Wh traded.
	pub quantity_wh: Wh,
	/// Price per kWh.
	pub price: Money,
	/// Grid fee per kWh.
	pub fee_per_kwh: Money,
	/// Held from the buyer: `value_of(quantity, price + fee)`.
	pub escrow: Money,
	/// Held from the seller: `value_of(quantity, imbalance_price)`.
	pub collateral: Money,
	/// Imbalance price per kWh of undelivered energy.
	pub imbalance_price: Money,
}

impl TradeTerms {
	/// Terms of a fresh trade (escrow and collateral computed), or `None` on overflow.
	pub fn new(quantity_wh: Wh, price: Money, fee_per_kwh: Money, imbalance_price: Money) -> Option<Self> {
		Some(TradeTerms {
			quantity_wh,
			price,
			fee_per_kwh,
			escrow: value_of(quantity_wh, price.checked_add(fee_per_kwh)?)?,
			collateral: value_of(quantity_wh, imbalance_price)?,
			imbalance_price,
		})
	}
}

/// How a trade's escrow and collateral are paid out.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Settlement {
	/// Wh delivered (≤ quantity).
	pub delivered_wh: Wh,
	/// Wh not delivered.
	pub undelivered_wh: Wh,
	/// Buyer's escrow → seller: `value_of(delivered, price)`.
	pub to_seller: Money,
	/// Buyer's escrow → grid operator: `value_of(delivered, fee)`.
	pub grid_fee: Money,
	/// Buyer's escrow → back to the buyer (undelivered energy, rounding).
	pub buyer_refund: Money,
	/// Seller's collateral → grid operator: `value_of(undelivered, imbalance_price)`.
	pub imbalance_charge: Money,
	/// Seller's collateral → back to the seller.
	pub collateral_refund: Money,
}

impl Settlement {
	/// Σ of what leaves the buyer's escrow.
	pub fn escrow_total(&self) -> Option<Money> {
		self.to_seller.checked_add(self.grid_fee)?.checked_add(self.buyer_refund)
	}
	/// Σ of what leaves the seller's collateral.
	pub fn collateral_total(&self) -> Option<Money> {
		self.imbalance_charge.checked_add(self.collateral_refund)
	}
}

/// The share of a device's metered production `produced_wh` that a trade of `quantity_wh` gets
/// when `already_allocated_wh` went to the device's earlier trades (trades are served in the
/// order they were executed).
pub fn allocate(produced_wh: Wh, already_allocated_wh: Wh, quantity_wh: Wh) -> Wh {
	quantity_wh.min(produced_wh.saturating_sub(already_allocated_wh))
}

/// Settles a trade for which `delivered_wh` (capped at its quantity) was delivered. Every unit of
/// `escrow` and `collateral` is accounted for exactly once in the result. `None` on overflow or
/// if `terms` hold less than their own formulas require.
pub fn settle(terms: &TradeTerms, delivered_wh: Wh) -> Option<Settlement> {
	let delivered = delivered_wh.min(terms.quantity_wh);
	let undelivered = terms.quantity_wh.checked_sub(delivered)?;
	let to_seller = value_of(delivered, terms.price)?;
	let grid_fee = value_of(delivered, terms.fee_per_kwh)?;
	let buyer_refund = terms.escrow.checked_sub(to_seller)?.checked_sub(grid_fee)?;
	let imbalance_charge = value_of(undelivered, terms.imbalance_price)?;
	let collateral_refund = terms.collateral.checked_sub(imbalance_charge)?;
	Some(Settlement {
		delivered_wh: delivered,
		undelivered_wh: undelivered,
		to_seller,
		grid_fee,
		buyer_refund,
		imbalance_charge,
		collateral_refund,
	})
}

/// Volume-weighted average price per kWh of trades whose `Σ quantity_wh · price` is
/// `value_sum_milli` over `volume_wh`; `None` without volume.
pub fn vwap(value_sum_milli: u128, volume_wh: u128) -> Option<Money> {
	value_sum_milli.checked_div(volume_wh)
}

#[cfg(test)]
mod tests;
