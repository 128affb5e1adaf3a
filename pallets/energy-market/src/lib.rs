//! # EnergyMarket pallet
//!
//! Peer-to-peer energy trading: a continuous double auction per delivery interval across grid
//! zones, escrow with balance holds, and settlement against the metered delivery that the
//! EnergyData pallet seals.
//!
//! ## Pallet API
//!
//! Calls (polkadot.js names): [`placeOrder`](Pallet::place_order),
//! [`cancelOrder`](Pallet::cancel_order), [`settle`](Pallet::settle); admin
//! ([`Config::AdminOrigin`], sudo on dev/local): [`setZonePair`](Pallet::set_zone_pair),
//! [`removeZonePair`](Pallet::remove_zone_pair), [`setPriceBand`](Pallet::set_price_band).
//! Runtime API: [`runtime_api::EnergyMarketApi`] (order book, open orders, trades, statistics).
//!
//! ## Overview
//!
//! An order is for one future **delivery interval** (see EnergyData) and one **zone**, at a limit
//! price per kWh, for a whole number of `TradeLotWh` (at least `MinOrderWh`, worth at least
//! `MinOrderValue` at its price: no dust). Orders are accepted until **gate closure**: interval `i` takes orders while the
//! current interval `c` satisfies `c + GateClosureIntervals < i`. When `i − GateClosureIntervals`
//! begins, `i`'s open orders **expire** and their holds are released (by `on_initialize`, at most
//! `MaxExpiredPerBlock` per block).
//!
//! **Books.** One per (interval, zone, side), at most `MaxOrdersPerBook` orders. A remainder that
//! rests holds `OrderDeposit` until it leaves the book. A full book takes an order priced
//! strictly better than its worst order, which is **evicted** (`OrderEvicted`; hold and deposit
//! released); otherwise `BookFull`. Filling books to keep others out therefore means quoting
//! the best prices, which others can trade against.
//!
//! **Matching** happens at placement (see `gridbrain-clearing`): price–time priority; a trade
//! executes at the resting order's price; partial fills in whole lots; at most
//! `MaxFillsPerOrder` fills per call, `MaxTakerTradesPerInterval` fills taken per interval by
//! the incoming orders of one account (buys) or of one device (sells: the device backing them),
//! and `MaxTradesPerInterval` trades per interval. An incoming buy
//! takes the lowest *landed* price first (ask + grid fee of the zone pair) over the asks of its
//! zone and of the zones with a pair into it (an incoming sell: the bids of its zone and of the
//! zones it has a pair to). Energy can flow from zone `a` to zone `b ≠ a` only over a configured
//! [`ZonePair`] with at least a lot of capacity left for the interval; within a zone it is
//! unlimited and costs the `(z, z)` fee if one is set (0 otherwise). An order that would cross an
//! order of its own owner is rejected (`WouldSelfTrade`). If a limit stops matching while the
//! order could still trade, its remainder is released instead of resting, so no book is left
//! crossed where a trade is allowed; if it stops matching before the first fill, the call fails
//! (`TakerTradeLimit`, `IntervalTradeLimit`).
//!
//! **Escrow.** A buy holds `value_of(qty, price + max_fee)` where `max_fee` is the highest grid
//! fee into its zone at placement (a later fee rise above it makes that route ineligible for
//! the order). A sell holds imbalance collateral `value_of(qty, ImbalancePrice)` and needs a
//! device of the seller in the zone that can produce, with a meter certificate covering the
//! delivery interval (EnergyData); the Wh offered per device and interval never exceed its
//! physical bound (`capacity × interval length`). When a device is retired or its certificate
//! revoked, EnergyData calls [`pallet_energy_data::OnDeviceDisabled`] and the market cancels the
//! device's open sell orders in the same call, releasing their holds. On a fill, the trade's share
//! moves from the order to the trade (still held) and price improvement is released at once.
//! `value_of(q, p) = ⌊q·p / 1000⌋` (Wh × per-kWh price).
//!
//! **Settlement.** Once EnergyData has sealed interval `i`, its trades settle in execution order:
//! the device's metered net export (produced − consumed in the interval: net metering for
//! prosumers and storage; no reading = 0) is allocated to its trades first come first served; delivered energy is paid from the buyer's escrow at the trade price (plus the grid fee
//! to the operator); for undelivered energy the buyer is refunded and the seller's collateral pays
//! `ImbalancePrice` per kWh to the grid operator; the rest is released. `on_initialize` settles
//! up to `MaxSettledPerBlock` trades per block and anyone may call `settle(interval, max)` to
//! speed it up. A trade is settled exactly once (trades `< SettledUpTo[i]` are settled and
//! removed). If paying out a trade fails (e.g. the grid operator account can't receive), the
//! trade is **voided**: both holds are released, `TradeVoided` is emitted, and settlement goes on.
//!
//! Tokens are only moved between accounts or released, never created or destroyed.
//!
//! ## Low Level / Implementation Details
//!
//! - `ZoneBooks[(interval, zone, side)]`: a bounded vector of [`RestingOrder`]s in priority order
//!   (`MaxOrdersPerBook`); matching reads the books of the zones it can trade with (at most
//!   `MaxZones`) and merges them. Empty books are removed.
//! - `TakerTrades[(interval, account)]`: fills taken by the account's buys; cleared with the
//!   interval's expiry. A sell's fills are counted in its device's slot (`taker_trades`), which
//!   the sell reads and writes anyway.
//! - `Orders[id]`: open orders; `OpenOrders[account]`: their ids (`MaxOpenOrdersPerAccount`).
//! - `Trades[(interval, index)]`: unsettled trades; `Stats[i].trades` counts the interval's
//!   trades and `SettledUpTo[i]` the settled ones (both kept once all are settled).
//! - `DeviceSlots[(interval, device)]`: offered Wh, open orders, unsettled trades, allocated
//!   production, fills taken by the device's sells; removed once the device has neither open
//!   orders nor unsettled trades.
//! - `ZonePairs[(from, to)]`: grid terms; `RoutesFrom[from]` and `RoutesInto[to]` index them
//!   (one read per order instead of one per zone); a buy reserves the highest fee in
//!   `RoutesInto[zone]`.
//! - `CapacityUsed[(interval, (from, to))]`: inter-zone Wh used; cleared when the interval's
//!   orders expire.
//!
//! ### Invariants (checked by `try_state`)
//!
//! - Every account's held balance for [`HoldReason::Market`] equals Σ held of its open orders +
//!   Σ escrow of its unsettled buys + Σ collateral of its unsettled sells; each order's `held`
//!   equals the formula for its remaining quantity; each trade's escrow and collateral match
//!   its terms.
//! - Books hold exactly the open orders of their interval, zone and side, in priority order, with
//!   the orders' remaining quantities; `OpenOrders` lists exactly each owner's open orders.
//! - Every account's held balance for [`HoldReason::OrderDeposit`] equals Σ deposit of its
//!   open orders.
//! - Within a zone, a best bid and best ask never cross unless the zone's own fee rose above
//!   what the bid reserved; no account (buys) or device (sells) took more than
//!   `MaxTakerTradesPerInterval` fills, and each record counts at least the unsettled trades
//!   its taker took (accounts while the gate is open: their records go with the expiry).
//! - Trades exist exactly for indices `SettledUpTo[i] .. Stats[i].trades`.
//! - An interval with unsettled trades is at or after `NextToSettle`, and its raw readings are
//!   not pruned (EnergyData keeps them while [`pallet_energy_data::ReadingsInUse`] says so).
//! - Device slots count their open orders and unsettled trades, and offered Wh cover them.
//! - `RoutesFrom` and `RoutesInto` are exactly what `ZonePairs` implies.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod functions;
pub mod migrations;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use functions::PlaceWork;
pub use types::*;
pub use weights::WeightInfo;

/// Readings of an interval are needed until its trades are settled: intervals before
/// `NextToSettle` have none left (settlement of an interval finishes before the hook moves on).
impl<T: Config> pallet_energy_data::ReadingsInUse for Pallet<T> {
	fn oldest_needed() -> Option<IntervalIndex> {
		Some(NextToSettle::<T>::get())
	}
}

/// When a device is retired or its meter certificate revoked, its open sell orders are
/// cancelled in the same call and their holds released (`OrderCancelled` per order). Charged
/// as `MaxOpenOrdersPerAccount` cancellations up front, refunded to the orders cancelled.
impl<T: Config> pallet_energy_data::OnDeviceDisabled<T::AccountId> for Pallet<T> {
	fn on_device_disabled(device: DeviceId, owner: &T::AccountId) -> frame_support::weights::Weight {
		let cancelled = Self::cancel_device_orders(device, owner);
		Self::device_cancel_weight(cancelled)
	}

	fn max_weight() -> frame_support::weights::Weight {
		use frame_support::traits::Get;
		Self::device_cancel_weight(T::MaxOpenOrdersPerAccount::get())
	}
}

// FRAME's expansion of this module uses `expect` and `unreachable!`; the pallet's logic lives in
// `functions.rs`, where every no-panic lint applies.
#[allow(clippy::expect_used, clippy::unreachable)]
#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;

	pub(crate) const STORAGE_VERSION: StorageVersion = StorageVersion::new(5);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config + pallet_energy_data::Config {
		/// The currency that holds escrow and collateral (balances in the smallest unit).
		type Currency: MutateHold<
				Self::AccountId,
				Reason = <Self as Config>::RuntimeHoldReason,
				Balance = Money,
			> + Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Sets zone pairs and the price band.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Receives grid fees and imbalance charges. The account must exist (fund it at genesis).
		#[pallet::constant]
		type GridOperator: Get<Self::AccountId>;

		/// Price per kWh a seller pays for energy sold but not delivered (and the collateral
		/// rate of sell orders).
		#[pallet::constant]
		type ImbalancePrice: Get<Money>;

		/// Price band until the admin sets one: floor 1, this cap.
		#[pallet::constant]
		type DefaultPriceCap: Get<Money>;

		/// Orders of interval `i` are accepted while `current + GateClosureIntervals < i`.
		#[pallet::constant]
		type GateClosureIntervals: Get<u32>;

		/// Orders may be placed at most this many intervals ahead.
		#[pallet::constant]
		type MaxIntervalsAhead: Get<u32>;

		/// Open orders per book: per delivery interval, zone and side. A full book takes an
		/// order priced better than its worst order, which is evicted.
		#[pallet::constant]
		type MaxOrdersPerBook: Get<u32>;

		/// Order quantities are whole multiples of this many Wh, and so is every trade: the
		/// smallest trade there can be.
		#[pallet::constant]
		type TradeLotWh: Get<u64>;

		/// The smallest order quantity in Wh (a whole number of lots).
		#[pallet::constant]
		type MinOrderWh: Get<u64>;

		/// The smallest order value `value_of(quantity, price)` (at the order's own price).
		#[pallet::constant]
		type MinOrderValue: Get<Money>;

		/// Held from the owner while an order rests in a book (pays for its storage); released
		/// when the order is filled, cancelled, evicted or expires.
		#[pallet::constant]
		type OrderDeposit: Get<Money>;

		/// Fills that the incoming buys of one account, or the incoming sells backed by one
		/// device, may take per delivery interval (trades against resting orders don't count:
		/// someone else's order took them). To exhaust an interval's `MaxTradesPerInterval`
		/// takes at least `MaxTradesPerInterval / MaxTakerTradesPerInterval` takers: accounts,
		/// or certified devices (each with its deposit).
		#[pallet::constant]
		type MaxTakerTradesPerInterval: Get<u32>;

		/// Fills one placement may execute; the rest rests.
		#[pallet::constant]
		type MaxFillsPerOrder: Get<u32>;

		/// Open orders one account may have.
		#[pallet::constant]
		type MaxOpenOrdersPerAccount: Get<u32>;

		/// Open sell orders per device and interval.
		#[pallet::constant]
		type MaxOrdersPerDeviceInterval: Get<u32>;

		/// Trades per delivery interval (matching stops filling when reached).
		#[pallet::constant]
		type MaxTradesPerInterval: Get<u32>;

		/// Orders expired per block at most (with cleared capacity records).
		#[pallet::constant]
		type MaxExpiredPerBlock: Get<u32>;

		/// Trades settled by `on_initialize` per block at most.
		#[pallet::constant]
		type MaxSettledPerBlock: Get<u32>;

		/// `max_trades` of one `settle` call at most.
		#[pallet::constant]
		type MaxSettledPerCall: Get<u32>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// Reasons for which this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// Escrow of buy orders and trades, collateral of sell orders and trades.
		#[codec(index = 0)]
		Market,
		/// The storage deposit of a resting order.
		#[codec(index = 1)]
		OrderDeposit,
	}

	#[pallet::type_value]
	pub fn DefaultPriceBand<T: Config>() -> PriceBand {
		PriceBand { floor: 1, cap: T::DefaultPriceCap::get() }
	}

	/// Accepted order prices per kWh (inclusive). Read by every order and by `on_initialize`
	/// in every block, which charges the read: whitelisted in the benchmarks (see
	/// [`Pallet::warm_hot_values`]).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub type PriceLimits<T: Config> = StorageValue<_, PriceBand, ValueQuery, DefaultPriceBand<T>>;

	/// Grid terms by (seller zone, buyer zone).
	#[pallet::storage]
	pub type ZonePairs<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ZoneId, Twox64Concat, ZoneId, ZonePair>;

	/// A zone's pairs to or from other zones, `(other zone, pair)` sorted by zone: the value of
	/// [`RoutesFrom`] and [`RoutesInto`].
	pub type RouteList<T> = BoundedVec<(ZoneId, ZonePair), <T as pallet_energy_data::Config>::MaxZones>;

	/// The pairs out of each zone, `(to, pair)` sorted by `to` (the `(z, z)` pair included when
	/// set): an index of [`ZonePairs`] kept by `set_zone_pair`, so that a sell reads one item
	/// instead of probing every zone.
	#[pallet::storage]
	pub type RoutesFrom<T: Config> = StorageMap<
		_,
		Twox64Concat,
		ZoneId,
		RouteList<T>,
		ValueQuery,
	>;

	/// The pairs into each zone, `(from, pair)` sorted by `from`: the index a buy reads.
	#[pallet::storage]
	pub type RoutesInto<T: Config> = StorageMap<
		_,
		Twox64Concat,
		ZoneId,
		RouteList<T>,
		ValueQuery,
	>;

	/// By zone: [`NextOrderId`] when the fee within the zone (its `(z, z)` pair) was last
	/// lowered or removed. A change of grid terms trades on nobody's behalf, so a bid and an ask
	/// that rested apart only because of the higher fee stay in the books until one of them is
	/// re-placed: only orders with lower ids than this may cross within the zone (`try_state`).
	#[pallet::storage]
	pub type InZoneFeeLoweredAt<T: Config> = StorageMap<_, Twox64Concat, ZoneId, OrderId>;

	/// Inter-zone Wh used by trades of an interval, by (seller zone, buyer zone).
	#[pallet::storage]
	pub type CapacityUsed<T: Config> =
		StorageDoubleMap<_, Twox64Concat, IntervalIndex, Twox64Concat, (ZoneId, ZoneId), u64, ValueQuery>;

	/// Id the next order gets. Read and written by every order and read by `on_initialize` in
	/// every block, which charges its read and one write (a value written many times in a
	/// block is committed once): whitelisted in the benchmarks (see
	/// [`Pallet::warm_hot_values`]).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub type NextOrderId<T: Config> = StorageValue<_, OrderId, ValueQuery>;

	/// Open orders by id.
	#[pallet::storage]
	pub type Orders<T: Config> = StorageMap<_, Twox64Concat, OrderId, Order<T::AccountId>>;

	/// The open orders of each account.
	#[pallet::storage]
	pub type OpenOrders<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<OrderId, T::MaxOpenOrdersPerAccount>,
		ValueQuery,
	>;

	/// Open orders of an interval, zone and side, in priority order (storage version 2; version
	/// 1 kept one `Books[(interval, side)]` for all zones).
	#[pallet::storage]
	pub type ZoneBooks<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, IntervalIndex>,
			NMapKey<Twox64Concat, ZoneId>,
			NMapKey<Twox64Concat, Side>,
		),
		BoundedVec<RestingOrder<T::AccountId>, T::MaxOrdersPerBook>,
		ValueQuery,
	>;

	/// Fills taken by an account's incoming buy orders per interval (cleared when the
	/// interval's orders expire). Sells count theirs in their device's slot
	/// ([`DeviceSlot::taker_trades`]).
	#[pallet::storage]
	pub type TakerTrades<T: Config> =
		StorageDoubleMap<_, Twox64Concat, IntervalIndex, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Per device and interval: offered Wh, open orders, unsettled trades, allocated production,
	/// fills taken by the device's sells.
	#[pallet::storage]
	pub type DeviceSlots<T: Config> =
		StorageDoubleMap<_, Twox64Concat, IntervalIndex, Twox64Concat, DeviceId, DeviceSlot>;

	/// Unsettled trades by interval and index.
	#[pallet::storage]
	pub type Trades<T: Config> =
		StorageDoubleMap<_, Twox64Concat, IntervalIndex, Twox64Concat, TradeIndex, Trade<T::AccountId>>;

	/// Trades of an interval with a lower index are settled (or voided); the interval's trades
	/// are counted by `Stats[i].trades`, so it has unsettled trades while
	/// `SettledUpTo[i] < Stats[i].trades`. Kept, like `Stats`, once all are settled (storage
	/// version 4; before, a `TradeCount` map that every order with fills wrote was the count).
	#[pallet::storage]
	pub type SettledUpTo<T: Config> = StorageMap<_, Twox64Concat, IntervalIndex, TradeIndex, ValueQuery>;

	/// Statistics per delivery interval.
	#[pallet::storage]
	pub type Stats<T: Config> = StorageMap<_, Twox64Concat, IntervalIndex, IntervalStats>;

	/// The oldest interval whose orders have not all expired.
	#[pallet::storage]
	pub type NextToExpire<T: Config> = StorageValue<_, IntervalIndex, ValueQuery>;

	/// The oldest interval the settlement hook has not finished.
	#[pallet::storage]
	pub type NextToSettle<T: Config> = StorageValue<_, IntervalIndex, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(crate) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An order was placed (after its fills; `resting_wh` of it rests in the book).
		OrderPlaced {
			order: OrderId,
			owner: T::AccountId,
			side: Side,
			zone: ZoneId,
			interval: IntervalIndex,
			quantity_wh: u64,
			price_per_kwh: Money,
			filled_wh: u64,
			resting_wh: u64,
			held: Money,
			deposit: Money,
		},
		/// Two orders traded.
		TradeExecuted {
			interval: IntervalIndex,
			trade: TradeIndex,
			buy_order: OrderId,
			sell_order: OrderId,
			buyer: T::AccountId,
			seller: T::AccountId,
			quantity_wh: u64,
			price_per_kwh: Money,
			fee_per_kwh: Money,
			seller_zone: ZoneId,
			buyer_zone: ZoneId,
		},
		/// An order was cancelled by its owner (or its device was disabled); `released` (hold)
		/// and its deposit went back to it.
		OrderCancelled { order: OrderId, owner: T::AccountId, remaining_wh: u64, released: Money },
		/// A full book took a better-priced order (`by`) and evicted this one, its worst;
		/// `released` (hold) and the deposit went back to the owner.
		OrderEvicted {
			order: OrderId,
			owner: T::AccountId,
			by: OrderId,
			remaining_wh: u64,
			released: Money,
		},
		/// An order expired unfilled (or partly filled) at gate closure.
		OrderExpired { order: OrderId, owner: T::AccountId, remaining_wh: u64, released: Money },
		/// A trade was settled against metered delivery.
		TradeSettled {
			interval: IntervalIndex,
			trade: TradeIndex,
			buyer: T::AccountId,
			seller: T::AccountId,
			delivered_wh: u64,
			undelivered_wh: u64,
			paid_to_seller: Money,
			grid_fee: Money,
			buyer_refund: Money,
			imbalance_charge: Money,
		},
		/// Paying out a trade failed; both holds were released unchanged.
		TradeVoided { interval: IntervalIndex, trade: TradeIndex, error: DispatchError },
		/// Every trade of an interval is settled.
		IntervalSettled { interval: IntervalIndex, trades: TradeIndex },
		/// Grid terms of a zone pair were set.
		ZonePairSet { from: ZoneId, to: ZoneId, fee_per_kwh: Money, capacity_wh: u64 },
		/// A zone pair was removed (no cross-zone trades over it; within a zone: fee 0).
		ZonePairRemoved { from: ZoneId, to: ZoneId },
		/// The accepted price band changed.
		PriceBandSet { floor: Money, cap: Money },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The quantity is 0 Wh.
		ZeroQuantity,
		/// The price is 0.
		ZeroPrice,
		/// The price is below the admin-set floor.
		PriceBelowFloor,
		/// The price is above the admin-set cap.
		PriceAboveCap,
		/// The zone is not below EnergyData's `MaxZones`.
		InvalidZone,
		/// Gate closure for this interval has passed (or the interval is over): orders can't be
		/// placed or cancelled any more.
		GateClosed,
		/// The interval is more than `MaxIntervalsAhead` ahead.
		TooFarAhead,
		/// The seller has no device in this zone that can produce.
		NoProducingDevice,
		/// Every producing device of the seller in this zone would offer more than it can
		/// physically deliver in one interval.
		ExceedsDeviceBound,
		/// The seller's devices in this zone have `MaxOrdersPerDeviceInterval` open orders for
		/// this interval.
		TooManyDeviceOrders,
		/// The remainder would rest, and the account has `MaxOpenOrdersPerAccount` open orders.
		TooManyOpenOrders,
		/// The book of this interval and side holds `MaxOrdersPerBook` orders.
		BookFull,
		/// The free balance does not cover the order's hold.
		InsufficientFunds,
		/// The order would trade with an order of the same account.
		WouldSelfTrade,
		/// No open order has this id (filled, cancelled, expired or never placed).
		OrderNotFound,
		/// Only the order's owner may cancel it.
		NotOrderOwner,
		/// The interval's energy data block is not sealed yet: it can't settle.
		NotSealed,
		/// The interval had no trades.
		NothingToSettle,
		/// Every trade of the interval is already settled.
		AlreadySettled,
		/// `max_trades` must be between 1 and `MaxSettledPerCall`.
		InvalidSettleBatch,
		/// Price floor 0 or above the cap.
		InvalidPriceBand,
		/// An amount overflowed (absurd quantities or prices).
		Overflow,
		/// Storage is inconsistent (never expected; reported instead of panicking).
		Inconsistent,
		/// The seller's producing devices in this zone have no meter certificate covering the
		/// delivery interval (uncertified, expired by then, or revoked).
		NoCertifiedDevice,
		/// The quantity is not a whole number of `TradeLotWh`.
		NotWholeLots,
		/// The quantity is below `MinOrderWh`.
		BelowMinimumQuantity,
		/// The order's value at its own price is below `MinOrderValue`.
		BelowMinimumValue,
		/// The order would trade, but its taker took `MaxTakerTradesPerInterval` fills in this
		/// interval already: the account for a buy, the device picked to back it for a sell.
		TakerTradeLimit,
		/// The order would trade, but the interval has `MaxTradesPerInterval` trades.
		IntervalTradeLimit,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(_now: BlockNumberFor<T>) -> Weight {
			Self::warm_hot_values().saturating_add(Self::expire_and_settle())
		}

		fn integrity_test() {
			assert!(T::MaxOrdersPerBook::get() > 0);
			assert!(T::TradeLotWh::get() > 0);
			assert!(T::MinOrderWh::get() >= T::TradeLotWh::get());
			assert!(T::MinOrderWh::get().checked_rem(T::TradeLotWh::get()) == Some(0));
			assert!(T::MaxTakerTradesPerInterval::get() > 0);
			assert!(T::MaxFillsPerOrder::get() > 0);
			assert!(T::MaxOpenOrdersPerAccount::get() > 0);
			assert!(T::MaxOrdersPerDeviceInterval::get() > 0);
			assert!(T::MaxExpiredPerBlock::get() > 0);
			assert!(T::MaxSettledPerBlock::get() > 0);
			assert!(T::MaxSettledPerCall::get() > 0);
			assert!(T::MaxIntervalsAhead::get() > T::GateClosureIntervals::get());
			assert!(T::DefaultPriceCap::get() > 0);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Place a buy or sell order for a delivery interval and zone; it matches at once.
		///
		/// ## Dispatch Origin
		/// Signed.
		///
		/// ## Details
		/// `quantity_wh` in Wh (a whole number of `TradeLotWh`, at least `MinOrderWh`, worth at
		/// least `MinOrderValue` at its price), `price_per_kwh` the limit price in the token's
		/// smallest unit per kWh. Buys hold `value_of(quantity, price + highest fee into the
		/// zone)`; sells need a certified producing device of the caller in `zone` and hold
		/// `value_of(quantity, ImbalancePrice)`. Crossing orders of the other side (in this zone
		/// and in zones linked to it by a zone pair) trade at their own price, best first, in
		/// whole lots, up to `MaxFillsPerOrder` fills (and the taker's and the interval's
		/// trade limits). The rest rests in the book of `(interval, zone, side)` until filled,
		/// cancelled or expired at gate closure, and holds `OrderDeposit` meanwhile; if the book
		/// is full it evicts the worst order when priced better than it (`OrderEvicted`),
		/// otherwise the call fails with `BookFull`. A remainder that could still trade when a
		/// fill limit stopped matching does not rest (the book is never left crossed): it is
		/// released, and `OrderPlaced` shows `filled_wh + resting_wh < quantity_wh`. An account
		/// with `MaxOpenOrdersPerAccount` open orders can still place orders that fill
		/// completely; one that would rest fails with `TooManyOpenOrders` (its fills undone).
		///
		/// Charged for `min(MaxFillsPerOrder, lots)` fills (every fill is at least a lot) that
		/// each close their maker, `MaxZones` books, a
		/// resting remainder with an eviction and (a sell) a scan of `MaxDevicesPerAccount`
		/// devices, and refunded down to what the call did (a single fill that leaves its maker
		/// open with nothing of its hold released is charged as such: [`PlaceWork`]).
		///
		/// ## Errors
		/// `ZeroQuantity`, `ZeroPrice`, `PriceBelowFloor`, `PriceAboveCap`, `InvalidZone`,
		/// `NotWholeLots`, `BelowMinimumQuantity`, `BelowMinimumValue`, `GateClosed`,
		/// `TooFarAhead`, `TooManyOpenOrders`, `NoProducingDevice`, `NoCertifiedDevice`,
		/// `TooManyDeviceOrders`, `ExceedsDeviceBound`, `InsufficientFunds`, `WouldSelfTrade`,
		/// `TakerTradeLimit`, `IntervalTradeLimit`, `BookFull`, `Overflow`.
		///
		/// ## Events
		/// `TradeExecuted` per fill, `OrderEvicted` if it evicts, then `OrderPlaced`.
		#[pallet::call_index(0)]
		#[pallet::weight(Pallet::<T>::place_order_max(*side, *quantity_wh))]
		pub fn place_order(
			origin: OriginFor<T>,
			side: Side,
			zone: ZoneId,
			interval: IntervalIndex,
			quantity_wh: u64,
			price_per_kwh: Money,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let work = Self::do_place_order(who, side, zone, interval, quantity_wh, price_per_kwh)?;
			Ok(Some(Self::place_order_weight(side, &work)).into())
		}

		/// Cancel an open order before gate closure and release its hold and deposit.
		///
		/// ## Dispatch Origin
		/// Signed: the order's owner.
		///
		/// ## Errors
		/// `OrderNotFound`, `NotOrderOwner`, `GateClosed`.
		///
		/// ## Events
		/// `OrderCancelled`.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::cancel_order())]
		pub fn cancel_order(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_order(who, order)
		}

		/// Settle up to `max_trades` trades of a sealed interval (the hook settles them too;
		/// this call lets anyone speed settlement up).
		///
		/// ## Dispatch Origin
		/// Signed (anyone).
		///
		/// ## Errors
		/// `InvalidSettleBatch`, `NotSealed`, `NothingToSettle`, `AlreadySettled`.
		///
		/// ## Events
		/// `TradeSettled` (or `TradeVoided`) per trade; `IntervalSettled` after the last one.
		#[pallet::call_index(2)]
		#[pallet::weight(<T as Config>::WeightInfo::settle(*max_trades))]
		pub fn settle(
			origin: OriginFor<T>,
			interval: IntervalIndex,
			max_trades: u32,
		) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let settled = Self::do_settle_call(interval, max_trades)?;
			Ok(Some(<T as Config>::WeightInfo::settle(settled)).into())
		}

		/// Set the grid fee and inter-zone capacity of energy flowing from `from` to `to`.
		///
		/// ## Dispatch Origin
		/// `AdminOrigin`.
		///
		/// ## Details
		/// `capacity_wh` is per delivery interval and ignored when `from == to`. Open buy orders
		/// keep the fee budget they reserved: a route whose new fee exceeds it is skipped for
		/// them. Resting orders are not matched by the change: a bid and an ask that a lowered
		/// fee would let trade trade when either is placed again (recorded for `from == to` in
		/// [`InZoneFeeLoweredAt`]).
		///
		/// ## Errors
		/// `InvalidZone`.
		///
		/// ## Events
		/// `ZonePairSet`.
		#[pallet::call_index(3)]
		#[pallet::weight(<T as Config>::WeightInfo::set_zone_pair())]
		pub fn set_zone_pair(
			origin: OriginFor<T>,
			from: ZoneId,
			to: ZoneId,
			fee_per_kwh: Money,
			capacity_wh: u64,
		) -> DispatchResult {
			<T as Config>::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_zone_pair(from, to, Some(ZonePair { fee_per_kwh, capacity_wh }))
		}

		/// Remove the grid terms of a zone pair.
		///
		/// ## Dispatch Origin
		/// `AdminOrigin`.
		///
		/// ## Errors
		/// `InvalidZone`.
		///
		/// ## Events
		/// `ZonePairRemoved`.
		#[pallet::call_index(4)]
		#[pallet::weight(<T as Config>::WeightInfo::set_zone_pair())]
		pub fn remove_zone_pair(origin: OriginFor<T>, from: ZoneId, to: ZoneId) -> DispatchResult {
			<T as Config>::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_zone_pair(from, to, None)
		}

		/// Set the accepted price band (per kWh, inclusive). Open orders are unaffected.
		///
		/// ## Dispatch Origin
		/// `AdminOrigin`.
		///
		/// ## Errors
		/// `InvalidPriceBand`.
		///
		/// ## Events
		/// `PriceBandSet`.
		#[pallet::call_index(5)]
		// `PriceLimits` is whitelisted in the benchmarks (read by every order, charged by the
		// block hook), so the benchmark does not count this call's write: added here.
		#[pallet::weight(<T as Config>::WeightInfo::set_price_band().saturating_add(T::DbWeight::get().writes(1)))]
		pub fn set_price_band(origin: OriginFor<T>, floor: Money, cap: Money) -> DispatchResult {
			<T as Config>::AdminOrigin::ensure_origin(origin)?;
			ensure!(floor > 0 && floor <= cap, Error::<T>::InvalidPriceBand);
			PriceLimits::<T>::put(PriceBand { floor, cap });
			Self::deposit_event(Event::PriceBandSet { floor, cap });
			Ok(())
		}
	}
}
