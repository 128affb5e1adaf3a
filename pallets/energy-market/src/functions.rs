//! The EnergyMarket pallet's logic (outside the FRAME module so every no-panic lint applies).

use crate::{pallet::*, types::*, WeightInfo};
use alloc::{collections::BTreeMap, vec::Vec};
use frame_support::{
	pallet_prelude::*,
	storage::with_storage_layer,
	traits::{
		fungible::{InspectHold, MutateHold},
		tokens::{Fortitude, Precision, Restriction},
	},
};
use gridbrain_clearing::{self as clearing, Incoming, MatchError, Route, TradeTerms};
use pallet_energy_data::{DevicesByOwner, EnergyDataBlocks, Readings};

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

	/// Picks the seller's device in `zone` that can produce and has room for `quantity_wh`
	/// more in `interval`.
	fn pick_device(
		who: &T::AccountId,
		zone: ZoneId,
		interval: IntervalIndex,
		quantity_wh: u64,
	) -> Result<DeviceId, Error<T>> {
		let mut any_producer = false;
		let mut any_certified = false;
		let mut any_order_room = false;
		for id in DevicesByOwner::<T>::get(who) {
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
				return Ok(id);
			}
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
	/// device slot (its book entry is the caller's business). `give_back_wh` Wh are no longer
	/// offered (cancelled or expired; 0 when filled).
	fn close_order(id: OrderId, order: &Order<T::AccountId>, give_back_wh: u64) -> Result<(), Error<T>> {
		Orders::<T>::remove(id);
		OpenOrders::<T>::mutate(&order.owner, |ids| ids.retain(|o| *o != id));
		if let Some(device) = order.device {
			Self::update_slot(order.interval, device, |s| {
				s.open_orders = s.open_orders.checked_sub(1)?;
				s.offered_wh = s.offered_wh.checked_sub(give_back_wh)?;
				Some(())
			})?;
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
	) -> Result<(u32, u32, u32), DispatchError> {
		ensure!(quantity_wh > 0, Error::<T>::ZeroQuantity);
		ensure!(price > 0, Error::<T>::ZeroPrice);
		let band = PriceLimits::<T>::get();
		ensure!(price >= band.floor, Error::<T>::PriceBelowFloor);
		ensure!(price <= band.cap, Error::<T>::PriceAboveCap);
		ensure!(
			u32::from(zone) < <T as pallet_energy_data::Config>::MaxZones::get(),
			Error::<T>::InvalidZone
		);
		let current = pallet_energy_data::Pallet::<T>::current_interval();
		ensure!(Self::gate_open(current, interval), Error::<T>::GateClosed);
		ensure!(
			interval <= current.saturating_add(T::MaxIntervalsAhead::get()),
			Error::<T>::TooFarAhead
		);
		ensure!(
			(OpenOrders::<T>::decode_len(&who).unwrap_or(0) as u32) < T::MaxOpenOrdersPerAccount::get(),
			Error::<T>::TooManyOpenOrders
		);

		let device = match side {
			Side::Sell => Some(Self::pick_device(&who, zone, interval, quantity_wh)?),
			Side::Buy => None,
		};
		let max_fee = match side {
			Side::Buy => MaxFeeInto::<T>::get(zone),
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
		};

		// Match against the other side.
		let mut book = Books::<T>::get(interval, side.opposite());
		let trade_count = TradeCount::<T>::get(interval);
		let trade_room = T::MaxTradesPerInterval::get().saturating_sub(trade_count);
		let incoming = Incoming { owner: who.clone(), side, zone, price, quantity_wh, max_fee };
		let mut routes = BTreeMap::new();
		let outcome = clearing::match_incoming(
			&incoming,
			&book,
			T::MaxFillsPerOrder::get().min(trade_room),
			// One storage lookup per zone pair, however many resting orders share it.
			|from, to| {
				*routes.entry((from, to)).or_insert_with(|| Self::route(interval, from, to))
			},
		)
		.map_err(|e| match e {
			MatchError::SelfTrade { .. } => Error::<T>::WouldSelfTrade,
		})?;

		let imbalance_price = T::ImbalancePrice::get();
		let mut stats = Stats::<T>::get(interval).unwrap_or_default();
		let mut next_trade = trade_count;
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

			// The resting order: filled → closed; otherwise updated.
			if resting.remaining_wh == 0 {
				Self::close_order(fill.resting_id, &resting, 0)?;
			} else {
				Orders::<T>::insert(fill.resting_id, &resting);
			}
			if let Some(entry) = book.get_mut(fill.book_index) {
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
		if !outcome.fills.is_empty() {
			book.retain(|r| r.remaining_wh > 0);
			Books::<T>::insert(interval, side.opposite(), book);
			TradeCount::<T>::insert(interval, next_trade);
			Stats::<T>::insert(interval, stats);
		}

		// The incoming order: offered Wh count towards its device's bound whether filled or not.
		if let Some(device) = device {
			let rests = order.remaining_wh > 0;
			Self::update_slot(interval, device, |s| {
				s.offered_wh = s.offered_wh.checked_add(quantity_wh)?;
				if rests {
					s.open_orders = s.open_orders.checked_add(1)?;
				}
				Some(())
			})?;
		}
		if order.remaining_wh > 0 {
			Books::<T>::try_mutate(interval, side, |own| {
				let at = clearing::insertion_index(own, side, price);
				own.try_insert(
					at,
					RestingOrder {
						id,
						owner: who.clone(),
						zone,
						price,
						remaining_wh: order.remaining_wh,
						max_fee,
					},
				)
				.map_err(|_| Error::<T>::BookFull)
			})?;
			OpenOrders::<T>::try_mutate(&who, |ids| {
				ids.try_push(id).map_err(|_| Error::<T>::TooManyOpenOrders)
			})?;
			Orders::<T>::insert(id, &order);
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
			filled_wh: quantity_wh.saturating_sub(order.remaining_wh),
			resting_wh: order.remaining_wh,
			held: order.held,
		});
		Ok((
			u32::try_from(outcome.fills.len()).unwrap_or(u32::MAX),
			u32::try_from(routes.len()).unwrap_or(u32::MAX),
			u32::from(order.remaining_wh > 0),
		))
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
			Books::<T>::mutate(order.interval, order.side, |book| book.retain(|r| r.id != id));
			if let Err(e) = Self::close_order(id, &order, order.remaining_wh)
				.map_err(DispatchError::from)
				.and_then(|()| Self::release(owner, order.held))
			{
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
		Books::<T>::mutate(order.interval, order.side, |book| book.retain(|r| r.id != id));
		Self::close_order(id, &order, order.remaining_wh)?;
		Self::release(&who, order.held)?;
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
			for side in [Side::Buy, Side::Sell] {
				let mut book = Books::<T>::get(interval, side);
				if book.is_empty() {
					continue;
				}
				while budget > 0 {
					let Some(entry) = book.pop() else { break };
					budget = budget.saturating_sub(1);
					expired = expired.saturating_add(1);
					Self::expire_one(entry.id);
				}
				if book.is_empty() {
					Books::<T>::remove(interval, side);
				} else {
					Books::<T>::insert(interval, side, book);
					done = false;
				}
			}
			if done {
				if budget == 0 {
					// The capacity records are cleared next block, before moving on.
					done = false;
				} else {
					let res = CapacityUsed::<T>::clear_prefix(interval, budget, None);
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
		if let Err(e) = Self::close_order(id, &order, order.remaining_wh)
			.map_err(DispatchError::from)
			.and_then(|()| Self::release(&order.owner, order.held))
		{
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
			if TradeCount::<T>::contains_key(interval) {
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
		if !TradeCount::<T>::contains_key(interval) {
			let traded = Stats::<T>::get(interval).is_some_and(|s| s.trades > 0);
			return Err(if traded { Error::<T>::AlreadySettled } else { Error::<T>::NothingToSettle }.into());
		}
		Ok(Self::settle_trades(interval, max))
	}

	/// Settles up to `max` unsettled trades of sealed `interval` in execution order; returns how
	/// many. When the last one is done, the interval's counters are removed.
	fn settle_trades(interval: IntervalIndex, max: u32) -> u32 {
		let count = TradeCount::<T>::get(interval);
		if count == 0 {
			return 0;
		}
		let from = SettledUpTo::<T>::get(interval);
		let to = from.saturating_add(max).min(count);
		for index in from..to {
			Self::settle_one(interval, index);
		}
		if to >= count {
			TradeCount::<T>::remove(interval);
			SettledUpTo::<T>::remove(interval);
			Self::deposit_event(Event::IntervalSettled { interval, trades: count });
		} else {
			SettledUpTo::<T>::insert(interval, to);
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
		// Highest fee of any pair into `to` (at most `MaxZones` reads).
		let max_fee = (0..zones)
			.filter_map(|f| ZonePairs::<T>::get(ZoneId::try_from(f).ok()?, to))
			.map(|p| p.fee_per_kwh)
			.max()
			.unwrap_or(0);
		MaxFeeInto::<T>::insert(to, max_fee);
		Ok(())
	}

	// ---- queries (runtime API) ----

	/// The open orders of `interval` in `zone`, best first.
	pub fn order_book(interval: IntervalIndex, zone: ZoneId) -> OrderBookView<T::AccountId> {
		let of = |side| -> Vec<RestingOrder<T::AccountId>> {
			Books::<T>::get(interval, side).into_iter().filter(|r| r.zone == zone).collect()
		};
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
		let best_bid = Books::<T>::get(interval, Side::Buy).first().map(|r| r.price);
		let best_ask = Books::<T>::get(interval, Side::Sell).first().map(|r| r.price);
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
		let reason = Self::hold_reason();
		let mut expected: BTreeMap<T::AccountId, Money> = BTreeMap::new();
		let add = |m: &mut BTreeMap<T::AccountId, Money>, who: &T::AccountId, v: Money| {
			let e = m.entry(who.clone()).or_default();
			*e = e.saturating_add(v);
		};
		let mut slots: BTreeMap<(IntervalIndex, DeviceId), (u32, u32, u64)> = BTreeMap::new();
		let mut per_owner: BTreeMap<T::AccountId, Vec<OrderId>> = BTreeMap::new();
		for (id, o) in Orders::<T>::iter() {
			add(&mut expected, &o.owner, o.held);
			per_owner.entry(o.owner.clone()).or_default().push(id);
			let rate = Self::hold_rate(o.side, o.price, o.max_fee).ok_or("rate overflow")?;
			ensure!(clearing::value_of(o.remaining_wh, rate) == Some(o.held), "order held != formula");
			ensure!(o.remaining_wh > 0 && o.remaining_wh <= o.quantity_wh, "order remaining");
			let in_book = Books::<T>::get(o.interval, o.side)
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
		for (interval, side, book) in Books::<T>::iter() {
			ensure!(clearing::is_priority_ordered(&book, side), "book out of priority order");
			for r in &book {
				let o = Orders::<T>::get(r.id).ok_or("book entry without order")?;
				ensure!(o.interval == interval && o.side == side, "book entry in the wrong book");
			}
		}
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
				index >= SettledUpTo::<T>::get(interval) && index < TradeCount::<T>::get(interval),
				"trade outside the unsettled range"
			);
			let e = slots.entry((interval, t.device)).or_default();
			e.1 = e.1.saturating_add(1);
			e.2 = e.2.saturating_add(t.quantity_wh);
		}
		for (interval, count) in TradeCount::<T>::iter() {
			let from = SettledUpTo::<T>::get(interval);
			ensure!(from < count, "finished interval not cleaned up");
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

		for who in frame_system::Account::<T>::iter_keys() {
			let held = <T as Config>::Currency::balance_on_hold(&reason, &who);
			let want = expected.remove(&who).unwrap_or_default();
			ensure!(held == want, "held balance != open orders + unsettled trades");
		}
		ensure!(expected.is_empty(), "holds expected on accounts that don't exist");
		Ok(())
	}
}

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::energy-market";
