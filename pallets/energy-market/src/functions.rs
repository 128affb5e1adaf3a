//! The EnergyMarket pallet's logic (outside the FRAME module so every no-panic lint applies).

use crate::{pallet::*, types::*, WeightInfo};
use alloc::{collections::BTreeMap, vec::Vec};
use frame_support::{
	pallet_prelude::*,
	storage::with_storage_layer,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
};
#[cfg(any(feature = "try-runtime", feature = "std", test))]
use frame_support::traits::fungible::InspectHold;
use gridbrain_clearing::{self as clearing, Incoming, MatchError, Route, TradeTerms};
use pallet_energy_data::{DevicesByOwner, EnergyDataBlocks, Readings};

/// What a `place_order` call did, for its weight refund ([`Pallet::place_order_weight`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PlaceWork {
	/// Fills made.
	pub fills: u32,
	/// The order's only fill left its resting order open with nothing of its hold released
	/// (a small order taking part of a larger one): no maker account, hold or open-order list
	/// touched, so it is charged `place_order_kept` / `place_order_buy_kept` instead of a fill
	/// that closes its maker.
	pub kept_maker: bool,
	/// Zone pairs to other zones found: each is charged a book read and write, though a pair
	/// without a lot of capacity left has its book skipped.
	pub other_books: u32,
	/// Fills against orders of other zones (each charged as one more book: a book entry and a
	/// capacity record updated and written).
	pub cross_zone_fills: u32,
	/// 1 if a remainder rests.
	pub rests: u32,
	/// Devices looked at to back a sell.
	pub devices: u32,
}

/// Zone pair lists by zone, as `RoutesFrom` / `RoutesInto` hold them.
pub(crate) type ZoneRoutes = BTreeMap<ZoneId, Vec<(ZoneId, ZonePair)>>;

impl<T: Config> Pallet<T> {
	fn hold_reason() -> <T as Config>::RuntimeHoldReason {
		HoldReason::Market.into()
	}

	fn release(who: &T::AccountId, amount: Money) -> DispatchResult {
		if amount > 0 {
			<T as Config>::Currency::release(&Self::hold_reason(), who, amount, Precision::Exact)?;
		}
		Ok(())
	}

	fn pay_from_hold(from: &T::AccountId, to: &T::AccountId, amount: Money) -> DispatchResult {
		if amount > 0 {
			<T as Config>::Currency::transfer_on_hold(
				&Self::hold_reason(),
				from,
				to,
				amount,
				Precision::Exact,
				Restriction::Free,
				Fortitude::Polite,
			)?;
		}
		Ok(())
	}

	/// The route energy takes from `from` to `to` in `interval`: within a zone always (fee of
	/// the `(z, z)` pair or 0, unlimited); across zones only over a configured pair.
	pub fn route(interval: IntervalIndex, from: ZoneId, to: ZoneId) -> Option<Route> {
		let pair = ZonePairs::<T>::get(from, to);
		if from == to {
			return Some(Route {
				fee_per_kwh: pair.map_or(0, |p| p.fee_per_kwh),
				available_wh: None,
			});
		}
		let pair = pair?;
		let used = CapacityUsed::<T>::get(interval, (from, to));
		Some(Route {
			fee_per_kwh: pair.fee_per_kwh,
			available_wh: Some(pair.capacity_wh.saturating_sub(used)),
		})
	}

	/// Whether orders for `interval` are still accepted (and cancellable) during `current`.
	fn gate_open(current: IntervalIndex, interval: IntervalIndex) -> bool {
		current.saturating_add(T::GateClosureIntervals::get()) < interval
	}

	/// What `RoutesFrom` and `RoutesInto` hold for `ZonePairs` (each list sorted by zone):
	/// built by the version 3 migration, checked by `try_state`. Reads every pair.
	pub(crate) fn routes_of_zone_pairs() -> (ZoneRoutes, ZoneRoutes) {
		let mut from = ZoneRoutes::new();
		let mut into = ZoneRoutes::new();
		for (f, t, pair) in ZonePairs::<T>::iter() {
			from.entry(f).or_default().push((t, pair));
			into.entry(t).or_default().push((f, pair));
		}
		for list in from.values_mut().chain(into.values_mut()) {
			list.sort_by_key(|(z, _)| *z);
		}
		(from, into)
	}

	/// The highest fee per kWh of `pairs` (0 if none): what a buy reserves over the pairs
	/// into its zone (`RoutesInto[zone]`).
	pub fn highest_fee(pairs: &[(ZoneId, ZonePair)]) -> Money {
		pairs.iter().map(|(_, p)| p.fee_per_kwh).max().unwrap_or(0)
	}

	/// The highest fee per kWh into `zone`: what a buy order in the zone reserves.
	pub fn max_fee_into(zone: ZoneId) -> Money {
		Self::highest_fee(&RoutesInto::<T>::get(zone))
	}

	/// The weight of `place_order` on `side` that did `work`: `fills` fills, `other_books` zone
	/// pairs to other zones found (each charged a full book read and written back),
	/// `cross_zone_fills` of the fills against other zones' orders (each charged as one more
	/// book), `rests` 0 or 1 (a remainder resting, evicting from a full book), and `devices`
	/// devices scanned to back a sell (0 for a buy). The parts are benchmarked apart, so that
	/// none is measured at the others' maximum: the order in its own zone, filled completely
	/// (`place_order(f)` for a sell, whose benchmark scans one device and whose fills each close
	/// a distinct buyer's bid; `place_order_buy(f)` for a buy, whose fills each close a distinct
	/// seller's ask and update its device's slot; at least one fill: an order without fills is
	/// charged as one with a fill; `place_order_kept` / `place_order_buy_kept` when the only
	/// fill kept its maker open with nothing released, `kept_maker`), `rest_order`,
	/// `zone_books(z)` and, for a sell's devices after the first,
	/// `pick_device(d) − pick_device(1)`. `place_order_spread`, the worst case measured in one
	/// piece, checks the sum (`runtime/tests/config_sanity.rs`).
	pub fn place_order_weight(side: Side, work: &PlaceWork) -> Weight {
		let kept = work.kept_maker && work.fills == 1;
		let mut w = match side {
			Side::Sell => if kept {
				<T as Config>::WeightInfo::place_order_kept()
			} else {
				<T as Config>::WeightInfo::place_order(work.fills.max(1))
			}
			.saturating_add(
				<T as Config>::WeightInfo::pick_device(work.devices.max(1))
					.saturating_sub(<T as Config>::WeightInfo::pick_device(1)),
			),
			Side::Buy => if kept {
				<T as Config>::WeightInfo::place_order_buy_kept()
			} else {
				<T as Config>::WeightInfo::place_order_buy(work.fills.max(1))
			},
		};
		if work.rests > 0 {
			w = w.saturating_add(<T as Config>::WeightInfo::rest_order());
		}
		let books = work.other_books.saturating_add(work.cross_zone_fills);
		if books > 0 {
			w = w.saturating_add(<T as Config>::WeightInfo::zone_books(books));
		}
		w
	}

	/// What `place_order` on `side` of `quantity_wh` is charged before it runs: every part at
	/// its maximum. Every fill is at least a lot, so an order of `k` lots makes at most `k`
	/// fills: a small order is not charged up front (and a block is not packed as if it were)
	/// for `MaxFillsPerOrder` fills it cannot make. At least one fill is charged, as
	/// [`Self::place_order_weight`] does.
	pub fn place_order_max(side: Side, quantity_wh: u64) -> Weight {
		let lots = quantity_wh.checked_div(T::TradeLotWh::get()).unwrap_or(u64::MAX);
		let fills = T::MaxFillsPerOrder::get().min(u32::try_from(lots).unwrap_or(u32::MAX)).max(1);
		Self::place_order_weight(
			side,
			&PlaceWork {
				fills,
				kept_maker: false,
				other_books: <T as pallet_energy_data::Config>::MaxZones::get().saturating_sub(1),
				cross_zone_fills: fills,
				rests: 1,
				devices: match side {
					Side::Sell => <T as pallet_energy_data::Config>::MaxDevicesPerAccount::get(),
					Side::Buy => 0,
				},
			},
		)
	}

	/// The block hook's work after [`Self::warm_hot_values`]: expiry of orders whose gate
	/// closed, then settlement of sealed intervals.
	pub fn expire_and_settle() -> Weight {
		let current = pallet_energy_data::Pallet::<T>::current_interval();
		Self::expire_orders(current).saturating_add(Self::settle_sealed())
	}

	/// Reads the two values every order uses, `PriceLimits` and `NextOrderId`, at the start of
	/// every block, and charges them there: their reads and one write of `NextOrderId` (however
	/// many orders write it, a value is committed once per block). Both are
	/// `#[pallet::whitelist_storage]`, so the orders' benchmarks do not count them again: after
	/// this read, an order reads them from the block's cache, as the transaction payment has
	/// already read its signer's account (also whitelisted in the benchmarks).
	pub fn warm_hot_values() -> Weight {
		let _ = PriceLimits::<T>::get();
		let _ = NextOrderId::<T>::get();
		T::DbWeight::get().reads_writes(2, 1)
	}

	/// Picks the seller's device in `zone` that can produce and has room for `quantity_wh`
	/// more in `interval`, preferring one whose sells may still take fills
	/// (`taker_trades < MaxTakerTradesPerInterval`; without one, an order that would trade
	/// fails with `TakerTradeLimit`, one that rests does not); also returns the device's slot
	/// for the interval and how many devices it looked at (for the weight).
	pub(crate) fn pick_device(
		who: &T::AccountId,
		zone: ZoneId,
		interval: IntervalIndex,
		quantity_wh: u64,
	) -> Result<(DeviceId, DeviceSlot, u32), Error<T>> {
		let mut any_producer = false;
		let mut any_certified = false;
		let mut any_order_room = false;
		let mut scanned = 0u32;
		let mut without_taker_room = None;
		for id in DevicesByOwner::<T>::get(who) {
			scanned = scanned.saturating_add(1);
			let Some(device) = pallet_energy_data::Devices::<T>::get(id) else { continue };
			if device.zone != zone || !device.kind.can_produce() {
				continue;
			}
			any_producer = true;
			// Only a meter certified for the delivery interval (not expired, not revoked) can
			// back a sale: its readings are what settlement trusts.
			if !device.certified_for(interval) {
				continue;
			}
			any_certified = true;
			let slot = DeviceSlots::<T>::get(interval, id).unwrap_or_default();
			if slot.open_orders >= T::MaxOrdersPerDeviceInterval::get() {
				continue;
			}
			any_order_room = true;
			let bound = pallet_energy_data::Pallet::<T>::physical_bound_wh(device.capacity_w);
			if slot.offered_wh.checked_add(quantity_wh).is_some_and(|o| o <= bound) {
				if slot.taker_trades < T::MaxTakerTradesPerInterval::get() {
					return Ok((id, slot, scanned));
				}
				without_taker_room = without_taker_room.or(Some((id, slot)));
			}
		}
		if let Some((id, slot)) = without_taker_room {
			return Ok((id, slot, scanned));
		}
		Err(match (any_producer, any_certified, any_order_room) {
			(false, _, _) => Error::<T>::NoProducingDevice,
			(true, false, _) => Error::<T>::NoCertifiedDevice,
			(true, true, false) => Error::<T>::TooManyDeviceOrders,
			(true, true, true) => Error::<T>::ExceedsDeviceBound,
		})
	}

	/// The rate per kWh an order's hold is computed at.
	fn hold_rate(side: Side, price: Money, max_fee: Money) -> Option<Money> {
		match side {
			Side::Buy => price.checked_add(max_fee),
			Side::Sell => Some(T::ImbalancePrice::get()),
		}
	}

	fn update_slot(
		interval: IntervalIndex,
		device: DeviceId,
		f: impl FnOnce(&mut DeviceSlot) -> Option<()>,
	) -> Result<(), Error<T>> {
		DeviceSlots::<T>::try_mutate_exists(interval, device, |maybe| {
			let mut slot = maybe.unwrap_or_default();
			f(&mut slot).ok_or(Error::<T>::Overflow)?;
			*maybe = (slot.open_orders > 0 || slot.unsettled_trades > 0 || slot.offered_wh > 0)
				.then_some(slot);
			Ok(())
		})
	}

	/// Removes a finished (filled) or withdrawn order from `Orders`, `OpenOrders` and its
	/// device slot, and releases its deposit (its book entry and hold are the caller's
	/// business). `give_back_wh` Wh are no longer offered (cancelled, evicted or expired; 0
	/// when filled).
	fn close_order(id: OrderId, order: &Order<T::AccountId>, give_back_wh: u64) -> DispatchResult {
		Orders::<T>::remove(id);
		OpenOrders::<T>::mutate(&order.owner, |ids| ids.retain(|o| *o != id));
		if let Some(device) = order.device {
			Self::update_slot(order.interval, device, |s| {
				s.open_orders = s.open_orders.checked_sub(1)?;
				s.offered_wh = s.offered_wh.checked_sub(give_back_wh)?;
				Some(())
			})?;
		}
		Self::release_deposit(&order.owner, order.deposit)
	}

	fn release_deposit(who: &T::AccountId, amount: Money) -> DispatchResult {
		if amount > 0 {
			<T as Config>::Currency::release(
				&HoldReason::OrderDeposit.into(),
				who,
				amount,
				Precision::Exact,
			)?;
		}
		Ok(())
	}

	/// Stores a book, or removes it when empty.
	fn put_book(key: (IntervalIndex, ZoneId, Side), book: BoundedVec<RestingOrder<T::AccountId>, T::MaxOrdersPerBook>) {
		if book.is_empty() {
			ZoneBooks::<T>::remove(key);
		} else {
			ZoneBooks::<T>::insert(key, book);
		}
	}

	/// Takes order `id` out of its book.
	fn remove_from_book(id: OrderId, order: &Order<T::AccountId>) {
		let key = (order.interval, order.zone, order.side);
		let mut book = ZoneBooks::<T>::get(key);
		book.retain(|r| r.id != id);
		Self::put_book(key, book);
	}

	/// Withdraws an open order that is no longer in its book (cancelled, evicted, expired):
	/// closes it and releases its hold and deposit.
	fn withdraw(id: OrderId, order: &Order<T::AccountId>) -> DispatchResult {
		Self::close_order(id, order, order.remaining_wh)?;
		Self::release(&order.owner, order.held)
	}

	/// Withdraws order `id` during a storage migration (its book entry is already gone).
	pub(crate) fn withdraw_for_migration(id: OrderId) {
		if let Some(order) = Orders::<T>::get(id) {
			if let Err(e) = Self::withdraw(id, &order) {
				log::error!(target: LOG_TARGET, "withdrawing order {id} in the migration: {e:?}");
			}
			Self::deposit_event(Event::OrderCancelled {
				order: id,
				owner: order.owner,
				remaining_wh: order.remaining_wh,
				released: order.held,
			});
		}
	}

	/// Checks an order's terms that don't depend on storage other than the price band.
	fn check_terms(zone: ZoneId, quantity_wh: u64, price: Money) -> DispatchResult {
		ensure!(quantity_wh > 0, Error::<T>::ZeroQuantity);
		ensure!(price > 0, Error::<T>::ZeroPrice);
		let band = PriceLimits::<T>::get();
		ensure!(price >= band.floor, Error::<T>::PriceBelowFloor);
		ensure!(price <= band.cap, Error::<T>::PriceAboveCap);
		ensure!(
			u32::from(zone) < <T as pallet_energy_data::Config>::MaxZones::get(),
			Error::<T>::InvalidZone
		);
		ensure!(
			quantity_wh.checked_rem(T::TradeLotWh::get()) == Some(0),
			Error::<T>::NotWholeLots
		);
		ensure!(quantity_wh >= T::MinOrderWh::get(), Error::<T>::BelowMinimumQuantity);
		let value = clearing::value_of(quantity_wh, price).ok_or(Error::<T>::Overflow)?;
		ensure!(value >= T::MinOrderValue::get(), Error::<T>::BelowMinimumValue);
		Ok(())
	}

	/// The opposite side's books an order of `side` in `zone` can trade with: its own zone's
	/// and those of zones linked to it by a zone pair with at least a lot of capacity left (in
	/// the direction energy flows), merged in priority order. Returns the merged book, where
	/// each entry came from, the routes by (seller zone, buyer zone), and how many zone pairs
	/// were found (each read with its capacity record; the weight charges a book read for each).
	#[allow(clippy::type_complexity)]
	pub(crate) fn reachable_books(
		interval: IntervalIndex,
		side: Side,
		zone: ZoneId,
		pairs: &[(ZoneId, ZonePair)],
	) -> (
		Vec<RestingOrder<T::AccountId>>,
		Vec<(ZoneId, usize)>,
		BTreeMap<(ZoneId, ZoneId), Route>,
		u32,
	) {
		let lot = T::TradeLotWh::get();
		let mut routes = BTreeMap::new();
		let mut entries: Vec<(RestingOrder<T::AccountId>, (ZoneId, usize))> = Vec::new();
		// Within the zone: always reachable, unlimited, at the `(zone, zone)` fee if one is set.
		let own_fee = pairs.iter().find(|(other, _)| *other == zone).map_or(0, |(_, p)| p.fee_per_kwh);
		routes.insert((zone, zone), Route { fee_per_kwh: own_fee, available_wh: None });
		let book = ZoneBooks::<T>::get((interval, zone, side.opposite()));
		entries.extend(book.into_iter().enumerate().map(|(i, r)| (r, (zone, i))));
		let mut found = 1u32;
		for (other, pair) in pairs.iter().filter(|(other, _)| *other != zone) {
			let (from, to) = match side {
				Side::Buy => (*other, zone),
				Side::Sell => (zone, *other),
			};
			found = found.saturating_add(1);
			let used = CapacityUsed::<T>::get(interval, (from, to));
			let available = pair.capacity_wh.saturating_sub(used);
			if available < lot {
				continue;
			}
			routes.insert((from, to), Route { fee_per_kwh: pair.fee_per_kwh, available_wh: Some(available) });
			let book = ZoneBooks::<T>::get((interval, *other, side.opposite()));
			entries.extend(book.into_iter().enumerate().map(|(i, r)| (r, (*other, i))));
		}
		// Priority order of the opposite side: best price, then earliest.
		match side.opposite() {
			Side::Buy => entries.sort_by(|a, b| b.0.price.cmp(&a.0.price).then(a.0.id.cmp(&b.0.id))),
			Side::Sell => entries.sort_by(|a, b| a.0.price.cmp(&b.0.price).then(a.0.id.cmp(&b.0.id))),
		}
		let (merged, origin) = entries.into_iter().unzip();
		(merged, origin, routes, found)
	}

	/// Writes back the `side` books of the `touched` zones from the merged book that
	/// [`Self::reachable_books`] built (with the fills' remaining quantities), dropping filled
	/// orders; a book left empty is removed. `origin[i]` is where `merged[i]` came from.
	pub(crate) fn write_back_books(
		interval: IntervalIndex,
		side: Side,
		touched: &[ZoneId],
		merged: &[RestingOrder<T::AccountId>],
		origin: &[(ZoneId, usize)],
	) -> DispatchResult {
		for &zone in touched {
			// The zone's entries in their book's order (the merge kept each book's order, but
			// the position recorded at read time is the authority).
			let mut entries: Vec<(usize, &RestingOrder<T::AccountId>)> = merged
				.iter()
				.zip(origin.iter())
				.filter(|(r, (from, _))| *from == zone && r.remaining_wh > 0)
				.map(|(r, (_, at))| (*at, r))
				.collect();
			entries.sort_by_key(|(at, _)| *at);
			let book: BoundedVec<_, T::MaxOrdersPerBook> =
				BoundedVec::try_from(entries.into_iter().map(|(_, r)| r.clone()).collect::<Vec<_>>())
					.map_err(|_| Error::<T>::Inconsistent)?;
			Self::put_book((interval, zone, side), book);
		}
		Ok(())
	}

	pub(crate) fn do_place_order(
		who: T::AccountId,
		side: Side,
		zone: ZoneId,
		interval: IntervalIndex,
		quantity_wh: u64,
		price: Money,
	) -> Result<PlaceWork, DispatchError> {
		Self::check_terms(zone, quantity_wh, price)?;
		let current = pallet_energy_data::Pallet::<T>::current_interval();
		ensure!(Self::gate_open(current, interval), Error::<T>::GateClosed);
		ensure!(
			interval <= current.saturating_add(T::MaxIntervalsAhead::get()),
			Error::<T>::TooFarAhead
		);
		// `MaxOpenOrdersPerAccount` binds when a remainder rests (`rest`): an order that fills
		// completely opens nothing, and is not made to read the account's open orders.

		// Fills taken so far in the interval: a sell's by its device (in the slot it reads and
		// writes anyway), a buy's by its account.
		let (device, devices, taken) = match side {
			Side::Sell => {
				let (d, slot, scanned) = Self::pick_device(&who, zone, interval, quantity_wh)?;
				(Some(d), scanned, slot.taker_trades)
			},
			Side::Buy => (None, 0, TakerTrades::<T>::get(interval, &who)),
		};
		// One read for every pair the order can use (the index of `ZonePairs`); a buy reserves
		// the highest fee into its zone.
		let pairs = match side {
			Side::Sell => RoutesFrom::<T>::get(zone),
			Side::Buy => RoutesInto::<T>::get(zone),
		};
		let max_fee = match side {
			Side::Buy => Self::highest_fee(&pairs),
			Side::Sell => 0,
		};
		let rate = Self::hold_rate(side, price, max_fee).ok_or(Error::<T>::Overflow)?;
		let held = clearing::value_of(quantity_wh, rate).ok_or(Error::<T>::Overflow)?;
		if held > 0 {
			<T as Config>::Currency::hold(&Self::hold_reason(), &who, held)
				.map_err(|_| Error::<T>::InsufficientFunds)?;
		}

		let id = NextOrderId::<T>::get();
		NextOrderId::<T>::put(id.checked_add(1).ok_or(Error::<T>::Overflow)?);
		let mut order = Order {
			owner: who.clone(),
			side,
			zone,
			interval,
			device,
			price,
			quantity_wh,
			remaining_wh: quantity_wh,
			max_fee,
			held,
			deposit: 0,
		};

		// Match against the other side's reachable books.
		let (mut merged, origin, routes, books) = Self::reachable_books(interval, side, zone, &pairs);
		// The interval's statistics count its trades (the next trade's index).
		let mut stats = Stats::<T>::get(interval).unwrap_or_default();
		let trade_count = stats.trades;
		let interval_room = T::MaxTradesPerInterval::get().saturating_sub(trade_count);
		let taker_room = T::MaxTakerTradesPerInterval::get().saturating_sub(taken);
		let incoming = Incoming { owner: who.clone(), side, zone, price, quantity_wh, max_fee };
		let outcome = clearing::match_in_lots(
			&incoming,
			&merged,
			T::MaxFillsPerOrder::get().min(interval_room).min(taker_room),
			T::TradeLotWh::get(),
			|from, to| routes.get(&(from, to)).copied(),
		)
		.map_err(|e| match e {
			MatchError::SelfTrade { .. } => Error::<T>::WouldSelfTrade,
		})?;
		if outcome.truncated && outcome.fills.is_empty() {
			// Only a trade limit can stop matching before the first fill.
			return Err(if taker_room == 0 {
				Error::<T>::TakerTradeLimit
			} else {
				Error::<T>::IntervalTradeLimit
			}
			.into());
		}

		let imbalance_price = T::ImbalancePrice::get();
		let mut next_trade = trade_count;
		let mut cross_zone_fills = 0u32;
		// Whether a fill closed its resting order or released part of its hold (the maker's
		// account, hold and open-order list written).
		let mut maker_touched = false;
		for fill in &outcome.fills {
			let mut resting = Orders::<T>::get(fill.resting_id).ok_or(Error::<T>::Inconsistent)?;
			let terms = TradeTerms::new(fill.quantity_wh, fill.price, fill.fee_per_kwh, imbalance_price)
				.ok_or(Error::<T>::Overflow)?;
			let (buy, sell) = match side {
				Side::Buy => (&mut order, &mut resting),
				Side::Sell => (&mut resting, &mut order),
			};
			let buy_id = if side == Side::Buy { id } else { fill.resting_id };
			let sell_id = if side == Side::Sell { id } else { fill.resting_id };
			for (o, amount) in [(&mut *buy, terms.escrow), (&mut *sell, terms.collateral)] {
				let remaining =
					o.remaining_wh.checked_sub(fill.quantity_wh).ok_or(Error::<T>::Inconsistent)?;
				let o_rate = Self::hold_rate(o.side, o.price, o.max_fee).ok_or(Error::<T>::Overflow)?;
				let split = clearing::split_hold(o.held, amount, remaining, o_rate)
					.ok_or(Error::<T>::Inconsistent)?;
				Self::release(&o.owner, split.release)?;
				if o.side != side && split.release > 0 {
					maker_touched = true;
				}
				o.held = split.keep;
				o.remaining_wh = remaining;
			}
			let device = sell.device.ok_or(Error::<T>::Inconsistent)?;
			let trade = Trade {
				buyer: buy.owner.clone(),
				seller: sell.owner.clone(),
				buy_order: buy_id,
				sell_order: sell_id,
				device,
				seller_zone: fill.seller_zone,
				buyer_zone: fill.buyer_zone,
				quantity_wh: fill.quantity_wh,
				price: fill.price,
				fee_per_kwh: fill.fee_per_kwh,
				escrow: terms.escrow,
				collateral: terms.collateral,
			};
			Self::update_slot(interval, device, |s| {
				s.unsettled_trades = s.unsettled_trades.checked_add(1)?;
				Some(())
			})?;
			if fill.seller_zone != fill.buyer_zone {
				cross_zone_fills = cross_zone_fills.saturating_add(1);
				CapacityUsed::<T>::try_mutate(interval, (fill.seller_zone, fill.buyer_zone), |u| {
					*u = u.checked_add(fill.quantity_wh).ok_or(Error::<T>::Overflow)?;
					Ok::<_, Error<T>>(())
				})?;
				stats.cross_zone_wh =
					stats.cross_zone_wh.checked_add(fill.quantity_wh).ok_or(Error::<T>::Overflow)?;
			}
			stats.trades = stats.trades.checked_add(1).ok_or(Error::<T>::Overflow)?;
			stats.volume_wh = stats.volume_wh.checked_add(fill.quantity_wh).ok_or(Error::<T>::Overflow)?;
			stats.weighted_price_sum = u128::from(fill.quantity_wh)
				.checked_mul(fill.price)
				.and_then(|v| stats.weighted_price_sum.checked_add(v))
				.ok_or(Error::<T>::Overflow)?;

			// The resting order: filled → closed (deposit released); otherwise updated.
			if resting.remaining_wh == 0 {
				maker_touched = true;
				Self::close_order(fill.resting_id, &resting, 0)?;
			} else {
				Orders::<T>::insert(fill.resting_id, &resting);
			}
			if let Some(entry) = merged.get_mut(fill.book_index) {
				entry.remaining_wh = resting.remaining_wh;
			}

			Trades::<T>::insert(interval, next_trade, &trade);
			Self::deposit_event(Event::TradeExecuted {
				interval,
				trade: next_trade,
				buy_order: buy_id,
				sell_order: sell_id,
				buyer: trade.buyer,
				seller: trade.seller,
				quantity_wh: fill.quantity_wh,
				price_per_kwh: fill.price,
				fee_per_kwh: fill.fee_per_kwh,
				seller_zone: fill.seller_zone,
				buyer_zone: fill.buyer_zone,
			});
			next_trade = next_trade.checked_add(1).ok_or(Error::<T>::Overflow)?;
		}
		let fills = u32::try_from(outcome.fills.len()).map_err(|_| Error::<T>::Overflow)?;
		if fills > 0 {
			// Write back the books the fills touched, without their filled orders.
			let mut touched: Vec<ZoneId> = Vec::new();
			for fill in &outcome.fills {
				if let Some((z, _)) = origin.get(fill.book_index) {
					if !touched.contains(z) {
						touched.push(*z);
					}
				}
			}
			Self::write_back_books(interval, side.opposite(), &touched, &merged, &origin)?;
			if side == Side::Buy {
				TakerTrades::<T>::insert(interval, &who, taken.saturating_add(fills));
			}
			Stats::<T>::insert(interval, stats);
		}

		// A remainder that could still trade (a fill limit stopped matching) does not rest:
		// the book is never left crossed.
		if outcome.truncated && order.remaining_wh > 0 {
			Self::release(&who, order.held)?;
			order.held = 0;
			order.remaining_wh = 0;
		}
		let filled_wh = quantity_wh.saturating_sub(outcome.remaining_wh);
		let rests = order.remaining_wh > 0;
		// The incoming order: Wh filled or resting count towards its device's bound.
		if let Some(device) = device {
			Self::update_slot(interval, device, |s| {
				s.offered_wh = s.offered_wh.checked_add(filled_wh)?.checked_add(order.remaining_wh)?;
				s.taker_trades = s.taker_trades.checked_add(fills)?;
				if rests {
					s.open_orders = s.open_orders.checked_add(1)?;
				}
				Some(())
			})?;
		}
		if rests {
			Self::rest(id, &mut order)?;
		} else if order.held > 0 {
			// Fully filled: `split_hold` left nothing to keep.
			return Err(Error::<T>::Inconsistent.into());
		}
		Self::deposit_event(Event::OrderPlaced {
			order: id,
			owner: who,
			side,
			zone,
			interval,
			quantity_wh,
			price_per_kwh: price,
			filled_wh,
			resting_wh: order.remaining_wh,
			held: order.held,
			deposit: order.deposit,
		});
		Ok(PlaceWork {
			fills,
			kept_maker: fills == 1 && !maker_touched,
			other_books: books.saturating_sub(1),
			cross_zone_fills,
			rests: u32::from(rests),
			devices,
		})
	}

	/// Puts the remainder of order `id` into its book, evicting the book's worst order if the
	/// book is full and `order` is priced better; holds the order deposit.
	pub(crate) fn rest(id: OrderId, order: &mut Order<T::AccountId>) -> DispatchResult {
		let key = (order.interval, order.zone, order.side);
		let mut book = ZoneBooks::<T>::get(key);
		if book.is_full() {
			let worst = book.last().ok_or(Error::<T>::Inconsistent)?;
			let better = match order.side {
				Side::Buy => order.price > worst.price,
				Side::Sell => order.price < worst.price,
			};
			ensure!(better, Error::<T>::BookFull);
			let evicted = book.pop().ok_or(Error::<T>::Inconsistent)?;
			let victim = Orders::<T>::get(evicted.id).ok_or(Error::<T>::Inconsistent)?;
			Self::withdraw(evicted.id, &victim)?;
			Self::deposit_event(Event::OrderEvicted {
				order: evicted.id,
				owner: victim.owner,
				by: id,
				remaining_wh: victim.remaining_wh,
				released: victim.held,
			});
		}
		let at = clearing::insertion_index(&book, order.side, order.price);
		book.try_insert(
			at,
			RestingOrder {
				id,
				owner: order.owner.clone(),
				zone: order.zone,
				price: order.price,
				remaining_wh: order.remaining_wh,
				max_fee: order.max_fee,
			},
		)
		.map_err(|_| Error::<T>::BookFull)?;
		ZoneBooks::<T>::insert(key, book);
		OpenOrders::<T>::try_mutate(&order.owner, |ids| {
			ids.try_push(id).map_err(|_| Error::<T>::TooManyOpenOrders)
		})?;
		let deposit = T::OrderDeposit::get();
		if deposit > 0 {
			<T as Config>::Currency::hold(&HoldReason::OrderDeposit.into(), &order.owner, deposit)
				.map_err(|_| Error::<T>::InsufficientFunds)?;
		}
		order.deposit = deposit;
		Orders::<T>::insert(id, &*order);
		Ok(())
	}

	/// The weight of cancelling `n` orders of a disabled device: `n` order cancellations (each
	/// rewrites its book, order, device slot and hold, as `cancel_order` does) and the scan of
	/// the owner's open orders.
	pub(crate) fn device_cancel_weight(n: u32) -> Weight {
		let per_order = <T as Config>::WeightInfo::cancel_order();
		let scan = T::DbWeight::get().reads(u64::from(T::MaxOpenOrdersPerAccount::get()).saturating_add(1));
		per_order.saturating_mul(u64::from(n)).saturating_add(scan)
	}

	/// Cancels every open sell order backed by `device` of `owner` (it was retired or its
	/// certificate revoked) and releases their holds; returns how many were cancelled.
	pub(crate) fn cancel_device_orders(device: DeviceId, owner: &T::AccountId) -> u32 {
		let mut cancelled = 0u32;
		for id in OpenOrders::<T>::get(owner) {
			let Some(order) = Orders::<T>::get(id) else { continue };
			if order.side != Side::Sell || order.device != Some(device) {
				continue;
			}
			Self::remove_from_book(id, &order);
			if let Err(e) = Self::withdraw(id, &order) {
				log::error!(target: LOG_TARGET, "cancelling order {id} of device {device}: {e:?}");
			}
			cancelled = cancelled.saturating_add(1);
			Self::deposit_event(Event::OrderCancelled {
				order: id,
				owner: owner.clone(),
				remaining_wh: order.remaining_wh,
				released: order.held,
			});
		}
		cancelled
	}

	pub(crate) fn do_cancel_order(who: T::AccountId, id: OrderId) -> DispatchResult {
		let order = Orders::<T>::get(id).ok_or(Error::<T>::OrderNotFound)?;
		ensure!(order.owner == who, Error::<T>::NotOrderOwner);
		let current = pallet_energy_data::Pallet::<T>::current_interval();
		ensure!(Self::gate_open(current, order.interval), Error::<T>::GateClosed);
		Self::remove_from_book(id, &order);
		Self::withdraw(id, &order)?;
		Self::deposit_event(Event::OrderCancelled {
			order: id,
			owner: who,
			remaining_wh: order.remaining_wh,
			released: order.held,
		});
		Ok(())
	}

	/// Expires the open orders of intervals whose gate has closed, oldest first, at most
	/// `MaxExpiredPerBlock` orders (and cleared capacity records) per block.
	pub(crate) fn expire_orders(current: IntervalIndex) -> Weight {
		let mut budget = T::MaxExpiredPerBlock::get();
		let mut expired = 0u32;
		let mut intervals = 0u32;
		let mut interval = NextToExpire::<T>::get();
		// Each pass either finishes an interval or spends the budget; at most `budget + 1`
		// passes.
		while !Self::gate_open(current, interval) && intervals <= budget {
			intervals = intervals.saturating_add(1);
			let mut done = true;
			// The interval's books, one at a time (each read once per block).
			while budget > 0 {
				let Some((zone, side)) = ZoneBooks::<T>::iter_key_prefix((interval,)).next() else {
					break;
				};
				let key = (interval, zone, side);
				let mut book = ZoneBooks::<T>::get(key);
				while budget > 0 {
					let Some(entry) = book.pop() else { break };
					budget = budget.saturating_sub(1);
					expired = expired.saturating_add(1);
					Self::expire_one(entry.id);
				}
				if book.is_empty() {
					ZoneBooks::<T>::remove(key);
				} else {
					ZoneBooks::<T>::insert(key, book);
					done = false;
				}
			}
			if done {
				if budget == 0 {
					// Books may be left, and the capacity and trade-limit records are cleared
					// next block, before moving on.
					done = false;
				} else {
					let res = CapacityUsed::<T>::clear_prefix(interval, budget, None);
					budget = budget.saturating_sub(res.backend);
					expired = expired.saturating_add(res.backend);
					done = res.maybe_cursor.is_none();
				}
			}
			if done {
				if budget == 0 {
					done = false;
				} else {
					let res = TakerTrades::<T>::clear_prefix(interval, budget, None);
					budget = budget.saturating_sub(res.backend);
					expired = expired.saturating_add(res.backend);
					done = res.maybe_cursor.is_none();
				}
			}
			if !done {
				break;
			}
			interval = interval.saturating_add(1);
			NextToExpire::<T>::put(interval);
		}
		<T as Config>::WeightInfo::on_initialize_expire(expired, intervals)
	}

	fn expire_one(id: OrderId) {
		let Some(order) = Orders::<T>::get(id) else {
			log::error!(target: LOG_TARGET, "book entry {id} without an order");
			return;
		};
		if let Err(e) = Self::withdraw(id, &order) {
			log::error!(target: LOG_TARGET, "expiring order {id}: {e:?}");
		}
		Self::deposit_event(Event::OrderExpired {
			order: id,
			owner: order.owner,
			remaining_wh: order.remaining_wh,
			released: order.held,
		});
	}

	/// Whether EnergyData has sealed `interval`.
	pub fn is_sealed(interval: IntervalIndex) -> bool {
		EnergyDataBlocks::<T>::contains_key(interval)
	}

	/// The hook's settlement: oldest sealed interval first, at most `MaxSettledPerBlock` trades.
	pub(crate) fn settle_sealed() -> Weight {
		let mut budget = T::MaxSettledPerBlock::get();
		let mut settled = 0u32;
		let mut intervals = 0u32;
		let mut interval = NextToSettle::<T>::get();
		while budget > 0 && intervals <= T::MaxSettledPerBlock::get() && Self::is_sealed(interval) {
			intervals = intervals.saturating_add(1);
			let n = Self::settle_trades(interval, budget);
			settled = settled.saturating_add(n);
			budget = budget.saturating_sub(n);
			if Self::has_unsettled(interval) {
				break;
			}
			interval = interval.saturating_add(1);
			NextToSettle::<T>::put(interval);
		}
		<T as Config>::WeightInfo::on_initialize_settle(settled, intervals)
	}

	pub(crate) fn do_settle_call(interval: IntervalIndex, max: u32) -> Result<u32, DispatchError> {
		ensure!(max > 0 && max <= T::MaxSettledPerCall::get(), Error::<T>::InvalidSettleBatch);
		ensure!(Self::is_sealed(interval), Error::<T>::NotSealed);
		if !Self::has_unsettled(interval) {
			let traded = Self::trade_count(interval) > 0;
			return Err(if traded { Error::<T>::AlreadySettled } else { Error::<T>::NothingToSettle }.into());
		}
		Ok(Self::settle_trades(interval, max))
	}

	/// The number of trades of `interval` (`Stats[i].trades`, 0 without statistics).
	pub(crate) fn trade_count(interval: IntervalIndex) -> TradeIndex {
		Stats::<T>::get(interval).map_or(0, |s| s.trades)
	}

	/// Whether `interval` has trades not settled yet.
	pub fn has_unsettled(interval: IntervalIndex) -> bool {
		SettledUpTo::<T>::get(interval) < Self::trade_count(interval)
	}

	/// Settles up to `max` unsettled trades of sealed `interval` in execution order; returns how
	/// many. `SettledUpTo[i]` records the progress and stays once the last one is done.
	fn settle_trades(interval: IntervalIndex, max: u32) -> u32 {
		let count = Self::trade_count(interval);
		let from = SettledUpTo::<T>::get(interval);
		if from >= count {
			return 0;
		}
		let to = from.saturating_add(max).min(count);
		for index in from..to {
			Self::settle_one(interval, index);
		}
		SettledUpTo::<T>::insert(interval, to);
		if to >= count {
			Self::deposit_event(Event::IntervalSettled { interval, trades: count });
		}
		to.saturating_sub(from)
	}

	fn settle_one(interval: IntervalIndex, index: TradeIndex) {
		let Some(trade) = Trades::<T>::take(interval, index) else {
			log::error!(target: LOG_TARGET, "trade {interval}/{index} missing");
			return;
		};
		// Net metering: a device delivers its net export (produced − consumed) in the interval;
		// for a producer-only meter that is its production (consumption is 0 by rule).
		let produced = Readings::<T>::get(interval, trade.device)
			.map_or(0, |v| v.produced_wh.saturating_sub(v.consumed_wh));
		// The allocation stands even if the payout below fails and the trade is voided: the
		// metered energy went to this trade, later trades of the device don't get it twice.
		let mut delivered = 0;
		let slot = Self::update_slot(interval, trade.device, |s| {
			delivered = clearing::allocate(produced, s.allocated_wh, trade.quantity_wh);
			s.allocated_wh = s.allocated_wh.checked_add(delivered)?;
			s.unsettled_trades = s.unsettled_trades.checked_sub(1)?;
			// Trades settle after gate closure, when no order is open: the slot is done with once
			// its last trade is settled.
			if s.unsettled_trades == 0 && s.open_orders == 0 {
				s.offered_wh = 0;
			}
			Some(())
		});
		if slot.is_err() {
			log::error!(target: LOG_TARGET, "device slot of trade {interval}/{index} inconsistent");
		}
		let terms = TradeTerms {
			quantity_wh: trade.quantity_wh,
			price: trade.price,
			fee_per_kwh: trade.fee_per_kwh,
			escrow: trade.escrow,
			collateral: trade.collateral,
			imbalance_price: T::ImbalancePrice::get(),
		};
		let operator = T::GridOperator::get();
		let paid = with_storage_layer(|| -> Result<clearing::Settlement, DispatchError> {
			let s = clearing::settle(&terms, delivered).ok_or(Error::<T>::Overflow)?;
			Self::pay_from_hold(&trade.buyer, &trade.seller, s.to_seller)?;
			Self::pay_from_hold(&trade.buyer, &operator, s.grid_fee)?;
			Self::release(&trade.buyer, s.buyer_refund)?;
			Self::pay_from_hold(&trade.seller, &operator, s.imbalance_charge)?;
			Self::release(&trade.seller, s.collateral_refund)?;
			Ok(s)
		});
		match paid {
			Ok(s) => {
				Stats::<T>::mutate(interval, |st| {
					let st = st.get_or_insert_with(Default::default);
					st.settled_trades = st.settled_trades.saturating_add(1);
					st.delivered_wh = st.delivered_wh.saturating_add(s.delivered_wh);
				});
				Self::deposit_event(Event::TradeSettled {
					interval,
					trade: index,
					buyer: trade.buyer,
					seller: trade.seller,
					delivered_wh: s.delivered_wh,
					undelivered_wh: s.undelivered_wh,
					paid_to_seller: s.to_seller,
					grid_fee: s.grid_fee,
					buyer_refund: s.buyer_refund,
					imbalance_charge: s.imbalance_charge,
				});
			},
			Err(error) => {
				let released = Self::release(&trade.buyer, trade.escrow)
					.and_then(|()| Self::release(&trade.seller, trade.collateral));
				if let Err(e) = released {
					log::error!(target: LOG_TARGET, "voiding trade {interval}/{index}: {e:?}");
				}
				Self::deposit_event(Event::TradeVoided { interval, trade: index, error });
			},
		}
	}

	pub(crate) fn do_set_zone_pair(from: ZoneId, to: ZoneId, pair: Option<ZonePair>) -> DispatchResult {
		let zones = <T as pallet_energy_data::Config>::MaxZones::get();
		ensure!(u32::from(from) < zones && u32::from(to) < zones, Error::<T>::InvalidZone);
		// The indexes first: they are bounded by `MaxZones`, which `from` and `to` are below.
		let set = |list: &mut RouteList<T>, other: ZoneId| -> DispatchResult {
			let at = list.binary_search_by_key(&other, |(z, _)| *z);
			match (at, pair) {
				(Ok(i), Some(p)) => {
					if let Some(entry) = list.get_mut(i) {
						entry.1 = p;
					}
				},
				(Err(i), Some(p)) => list.try_insert(i, (other, p)).map_err(|_| Error::<T>::Inconsistent)?,
				(Ok(i), None) => {
					list.remove(i);
				},
				(Err(_), None) => {},
			}
			Ok(())
		};
		let mut out = RoutesFrom::<T>::get(from);
		if from == to {
			let old_fee = out.iter().find(|(z, _)| *z == to).map_or(0, |(_, p)| p.fee_per_kwh);
			if pair.map_or(0, |p| p.fee_per_kwh) < old_fee {
				InZoneFeeLoweredAt::<T>::insert(from, NextOrderId::<T>::get());
			}
		}
		set(&mut out, to)?;
		let mut into = RoutesInto::<T>::get(to);
		set(&mut into, from)?;
		// Empty entries are removed, not stored.
		if out.is_empty() {
			RoutesFrom::<T>::remove(from);
		} else {
			RoutesFrom::<T>::insert(from, out);
		}
		if into.is_empty() {
			RoutesInto::<T>::remove(to);
		} else {
			RoutesInto::<T>::insert(to, into);
		}
		match pair {
			Some(p) => {
				ZonePairs::<T>::insert(from, to, p);
				Self::deposit_event(Event::ZonePairSet {
					from,
					to,
					fee_per_kwh: p.fee_per_kwh,
					capacity_wh: p.capacity_wh,
				});
			},
			None => {
				ZonePairs::<T>::remove(from, to);
				Self::deposit_event(Event::ZonePairRemoved { from, to });
			},
		}
		Ok(())
	}

	// ---- queries (runtime API) ----

	/// The open orders of `interval` in `zone`, best first.
	pub fn order_book(interval: IntervalIndex, zone: ZoneId) -> OrderBookView<T::AccountId> {
		let of = |side| ZoneBooks::<T>::get((interval, zone, side)).into_inner();
		OrderBookView { bids: of(Side::Buy), asks: of(Side::Sell) }
	}

	/// The open orders of `who`.
	pub fn open_orders(who: &T::AccountId) -> Vec<(OrderId, Order<T::AccountId>)> {
		OpenOrders::<T>::get(who)
			.into_iter()
			.filter_map(|id| Orders::<T>::get(id).map(|o| (id, o)))
			.collect()
	}

	/// The unsettled trades of `interval` in which `who` buys or sells.
	pub fn account_trades(
		who: &T::AccountId,
		interval: IntervalIndex,
	) -> Vec<(TradeIndex, Trade<T::AccountId>)> {
		Trades::<T>::iter_prefix(interval)
			.filter(|(_, t)| t.buyer == *who || t.seller == *who)
			.collect()
	}

	/// Statistics of `interval` (volume, VWAP, best bid/ask and spread of the open book).
	pub fn interval_stats(interval: IntervalIndex) -> IntervalStatsView {
		let stats = Stats::<T>::get(interval).unwrap_or_default();
		let (mut best_bid, mut best_ask) = (None::<Money>, None::<Money>);
		for ((_, side), book) in ZoneBooks::<T>::iter_prefix((interval,)) {
			let Some(best) = book.first().map(|r| r.price) else { continue };
			match side {
				Side::Buy => best_bid = Some(best_bid.map_or(best, |b| b.max(best))),
				Side::Sell => best_ask = Some(best_ask.map_or(best, |a| a.min(best))),
			}
		}
		IntervalStatsView {
			stats,
			vwap: clearing::vwap(stats.weighted_price_sum, u128::from(stats.volume_wh)),
			best_bid,
			best_ask,
			spread: best_ask.zip(best_bid).and_then(|(a, b)| a.checked_sub(b)),
		}
	}

	/// Checks the invariants listed in the crate docs.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		Self::check_orders_trades_and_holds()?;
		Self::check_routes()
	}

	/// The invariants of orders, books, trades, slots and holds (all but the route index).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn check_orders_trades_and_holds() -> Result<(), sp_runtime::TryRuntimeError> {
		let reason = Self::hold_reason();
		let mut expected: BTreeMap<T::AccountId, Money> = BTreeMap::new();
		let add = |m: &mut BTreeMap<T::AccountId, Money>, who: &T::AccountId, v: Money| {
			let e = m.entry(who.clone()).or_default();
			*e = e.saturating_add(v);
		};
		let mut slots: BTreeMap<(IntervalIndex, DeviceId), (u32, u32, u64)> = BTreeMap::new();
		let mut per_owner: BTreeMap<T::AccountId, Vec<OrderId>> = BTreeMap::new();
		let mut deposits: BTreeMap<T::AccountId, Money> = BTreeMap::new();
		for (id, o) in Orders::<T>::iter() {
			add(&mut expected, &o.owner, o.held);
			add(&mut deposits, &o.owner, o.deposit);
			per_owner.entry(o.owner.clone()).or_default().push(id);
			let rate = Self::hold_rate(o.side, o.price, o.max_fee).ok_or("rate overflow")?;
			ensure!(clearing::value_of(o.remaining_wh, rate) == Some(o.held), "order held != formula");
			ensure!(o.remaining_wh > 0 && o.remaining_wh <= o.quantity_wh, "order remaining");
			let in_book = ZoneBooks::<T>::get((o.interval, o.zone, o.side))
				.iter()
				.filter(|r| {
					r.id == id && r.owner == o.owner && r.zone == o.zone && r.price == o.price
						&& r.remaining_wh == o.remaining_wh && r.max_fee == o.max_fee
				})
				.count();
			ensure!(in_book == 1, "open order not in its book exactly once");
			ensure!((o.side == Side::Sell) == o.device.is_some(), "sell orders have a device");
			if let Some(d) = o.device {
				let e = slots.entry((o.interval, d)).or_default();
				e.0 = e.0.saturating_add(1);
				e.2 = e.2.saturating_add(o.remaining_wh);
			}
		}
		for ((interval, zone, side), book) in ZoneBooks::<T>::iter() {
			ensure!(!book.is_empty(), "empty book kept in storage");
			ensure!(clearing::is_priority_ordered(&book, side), "book out of priority order");
			for r in &book {
				let o = Orders::<T>::get(r.id).ok_or("book entry without order")?;
				ensure!(
					o.interval == interval && o.zone == zone && o.side == side,
					"book entry in the wrong book"
				);
			}
			// Within a zone a best bid and a best ask never cross where they could trade (the
			// route within a zone has no capacity limit; only a fee raised after the bid was
			// placed, above what it reserved, keeps them apart), unless both rested before the
			// fee was lowered (a change of grid terms matches nothing).
			if side == Side::Buy {
				let asks = ZoneBooks::<T>::get((interval, zone, Side::Sell));
				if let (Some(bid), Some(ask)) = (book.first(), asks.first()) {
					let fee = ZonePairs::<T>::get(zone, zone).map_or(0, |p| p.fee_per_kwh);
					let rested_before_lowering = InZoneFeeLoweredAt::<T>::get(zone)
						.is_some_and(|at| bid.id.max(ask.id) < at);
					ensure!(
						bid.price < ask.price || fee > bid.max_fee || rested_before_lowering,
						"book crossed within a zone"
					);
				}
			}
		}
		// Fills taken, by taker: a buy's account, a sell's device. Trades leave storage only
		// when settled, after the interval's orders expired, so a record counts at least the
		// unsettled trades its taker took (the taker is the later order, with the higher id).
		// `TakerTrades` is cleared when the interval's orders expire (gate closure): it is
		// compared while the gate is open. A slot lives until its device's last trade settles.
		let current = pallet_energy_data::Pallet::<T>::current_interval();
		let mut account_takes: BTreeMap<(IntervalIndex, T::AccountId), u32> = BTreeMap::new();
		let mut device_takes: BTreeMap<(IntervalIndex, DeviceId), u32> = BTreeMap::new();
		for (interval, _, t) in Trades::<T>::iter() {
			if t.taken_by_sell() {
				let e = device_takes.entry((interval, t.device)).or_default();
				*e = e.saturating_add(1);
			} else if Self::gate_open(current, interval) {
				let e = account_takes.entry((interval, t.buyer)).or_default();
				*e = e.saturating_add(1);
			}
		}
		for (interval, who, taken) in TakerTrades::<T>::iter() {
			ensure!(taken <= T::MaxTakerTradesPerInterval::get(), "taker trade limit exceeded");
			let took = account_takes.remove(&(interval, who)).unwrap_or_default();
			ensure!(taken >= took, "an account took more fills than TakerTrades counts");
		}
		ensure!(account_takes.is_empty(), "fills taken by buys without a TakerTrades record");
		for (interval, device, slot) in DeviceSlots::<T>::iter() {
			ensure!(slot.taker_trades <= T::MaxTakerTradesPerInterval::get(), "device taker limit exceeded");
			let took = device_takes.remove(&(interval, device)).unwrap_or_default();
			ensure!(slot.taker_trades >= took, "a device took more fills than its slot counts");
		}
		ensure!(device_takes.is_empty(), "fills taken by sells without a device slot");
		for (who, ids) in OpenOrders::<T>::iter() {
			let mut listed: Vec<OrderId> = ids.into_inner();
			listed.sort_unstable();
			let mut actual = per_owner.remove(&who).unwrap_or_default();
			actual.sort_unstable();
			ensure!(listed == actual, "OpenOrders differs from Orders");
		}
		ensure!(per_owner.is_empty(), "open orders missing from OpenOrders");

		let imbalance_price = T::ImbalancePrice::get();
		for (interval, index, t) in Trades::<T>::iter() {
			add(&mut expected, &t.buyer, t.escrow);
			add(&mut expected, &t.seller, t.collateral);
			let terms = TradeTerms::new(t.quantity_wh, t.price, t.fee_per_kwh, imbalance_price)
				.ok_or("trade overflow")?;
			ensure!(terms.escrow == t.escrow && terms.collateral == t.collateral, "trade holds");
			ensure!(
				index >= SettledUpTo::<T>::get(interval) && index < Self::trade_count(interval),
				"trade outside the unsettled range"
			);
			let e = slots.entry((interval, t.device)).or_default();
			e.1 = e.1.saturating_add(1);
			e.2 = e.2.saturating_add(t.quantity_wh);
		}
		for (interval, from) in SettledUpTo::<T>::iter() {
			ensure!(from <= Self::trade_count(interval), "settled beyond the interval's trades");
		}
		for (interval, stats) in Stats::<T>::iter() {
			let count = stats.trades;
			let from = SettledUpTo::<T>::get(interval);
			if from >= count {
				continue;
			}
			ensure!(
				Trades::<T>::iter_prefix(interval).count() == count.saturating_sub(from) as usize,
				"unsettled trades missing"
			);
			// Settlement reads the interval's raw readings: they must still be there.
			ensure!(
				interval >= pallet_energy_data::NextToPrune::<T>::get(),
				"readings of an interval with unsettled trades were pruned"
			);
			ensure!(interval >= NextToSettle::<T>::get(), "unsettled trades before NextToSettle");
		}
		for (interval, device, slot) in DeviceSlots::<T>::iter() {
			let (orders, trades, wh) = slots.remove(&(interval, device)).unwrap_or_default();
			ensure!(slot.open_orders == orders, "slot open orders");
			ensure!(slot.unsettled_trades == trades, "slot unsettled trades");
			ensure!(slot.offered_wh >= wh, "slot offered Wh below open + traded");
		}
		ensure!(slots.is_empty(), "orders or trades without a device slot");

		let deposit_reason: <T as Config>::RuntimeHoldReason = HoldReason::OrderDeposit.into();
		for who in frame_system::Account::<T>::iter_keys() {
			let held = <T as Config>::Currency::balance_on_hold(&reason, &who);
			let want = expected.remove(&who).unwrap_or_default();
			ensure!(held == want, "held balance != open orders + unsettled trades");
			let held = <T as Config>::Currency::balance_on_hold(&deposit_reason, &who);
			let want = deposits.remove(&who).unwrap_or_default();
			ensure!(held == want, "held order deposits != deposits of open orders");
		}
		ensure!(expected.is_empty(), "holds expected on accounts that don't exist");
		ensure!(deposits.is_empty(), "deposits expected on accounts that don't exist");
		Ok(())
	}

	/// `RoutesFrom` and `RoutesInto` are exactly the index of `ZonePairs`
	/// (`try_state`, and the version 3 migration's `post_upgrade`).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn check_routes() -> Result<(), sp_runtime::TryRuntimeError> {
		let (mut from, into) = Self::routes_of_zone_pairs();
		for (zone, list) in RoutesFrom::<T>::iter() {
			ensure!(from.remove(&zone).as_deref() == Some(&list[..]), "RoutesFrom differs from ZonePairs");
		}
		ensure!(from.is_empty(), "a zone pair missing from RoutesFrom");
		for (zone, list) in RoutesInto::<T>::iter() {
			ensure!(into.get(&zone).map(|v| &v[..]) == Some(&list[..]), "RoutesInto differs from ZonePairs");
		}
		for zone in into.keys() {
			ensure!(RoutesInto::<T>::contains_key(zone), "a zone pair missing from RoutesInto");
		}
		Ok(())
	}
}

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::energy-market";
