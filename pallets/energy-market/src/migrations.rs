//! Storage migrations of the EnergyMarket pallet.

/// Version 1 → 2: one book per (interval, zone, side) instead of per (interval, side), and
/// orders carry their storage deposit.
///
/// - Every `Books[(interval, side)]` entry is split by zone into
///   `ZoneBooks[(interval, zone, side)]`, keeping priority order (a subsequence of a
///   priority-ordered book is priority-ordered); the old entries are removed. A zone that held
///   more than the new per-book bound keeps its best `MaxOrdersPerBook` orders, and the others
///   are withdrawn as if cancelled (holds released, `OrderCancelled` emitted): with version 1's
///   bound of 256 orders per interval and side for all zones and version 2's 128 per zone this
///   only happens when more than 128 orders of one side rested in a single zone.
/// - Orders get `deposit: 0`: they were placed without one, and nothing is taken from their
///   owners after the fact.
///
/// One read and one write per order and per book, in one block. Books hold at most
/// `MaxIntervalsAhead × 2 × 256` orders; the chains this runs on hold a few hundred, far within
/// a block (10,000 orders ≈ 10,000 × (read + write) ≈ 0.25 s of the 2 s block budget with
/// RocksDB weights). A larger chain would need a multi-block migration.
pub mod v2 {
	use crate::{
		pallet::{Config, Orders, Pallet, ZoneBooks},
		types::*,
	};
	use alloc::{collections::BTreeMap, vec::Vec};
	use codec::{Decode, Encode, MaxEncodedLen};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, storage_alias,
		traits::UncheckedOnRuntimeUpgrade,
	};
	use scale_info::TypeInfo;

	/// An open order as stored in version 1 (no deposit).
	#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
	pub struct OrderV1<AccountId> {
		/// Who placed it.
		pub owner: AccountId,
		/// Buy or sell.
		pub side: Side,
		/// Zone.
		pub zone: ZoneId,
		/// Delivery interval.
		pub interval: IntervalIndex,
		/// Sells: the backing device.
		pub device: Option<DeviceId>,
		/// Limit price per kWh.
		pub price: Money,
		/// Wh ordered.
		pub quantity_wh: u64,
		/// Wh not filled yet.
		pub remaining_wh: u64,
		/// Buys: fee budget per kWh.
		pub max_fee: Money,
		/// Held for the remaining quantity.
		pub held: Money,
	}

	impl<A> OrderV1<A> {
		/// The order in version 2's layout, without a deposit.
		pub fn upgraded(self) -> Order<A> {
			Order {
				owner: self.owner,
				side: self.side,
				zone: self.zone,
				interval: self.interval,
				device: self.device,
				price: self.price,
				quantity_wh: self.quantity_wh,
				remaining_wh: self.remaining_wh,
				max_fee: self.max_fee,
				held: self.held,
				deposit: 0,
			}
		}
	}

	/// Version 1's books: all zones of an interval and side in one priority-ordered vector
	/// (bounded by 256 in every runtime that ran version 1).
	#[storage_alias]
	pub type Books<T: Config> = StorageDoubleMap<
		Pallet<T>,
		Twox64Concat,
		IntervalIndex,
		Twox64Concat,
		Side,
		Vec<RestingOrder<<T as frame_system::Config>::AccountId>>,
		ValueQuery,
	>;

	/// The unversioned step (use [`MigrateV1ToV2`]).
	pub struct InnerMigrateV1ToV2<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut orders = 0u64;
			Orders::<T>::translate::<OrderV1<T::AccountId>, _>(|_, old| {
				orders = orders.saturating_add(1);
				Some(old.upgraded())
			});
			// Drain every old book first: the new map lives under another storage prefix, but
			// collecting before writing keeps the iteration independent of the writes.
			#[allow(clippy::type_complexity)]
			let old: Vec<(IntervalIndex, Side, Vec<RestingOrder<T::AccountId>>)> =
				Books::<T>::drain().collect();
			let mut books = 0u64;
			let mut withdrawn = 0u64;
			for (interval, side, book) in old {
				books = books.saturating_add(1);
				let mut by_zone: BTreeMap<ZoneId, Vec<RestingOrder<T::AccountId>>> = BTreeMap::new();
				for entry in book {
					by_zone.entry(entry.zone).or_default().push(entry);
				}
				for (zone, mut entries) in by_zone {
					let keep = (T::MaxOrdersPerBook::get() as usize).min(entries.len());
					for extra in entries.split_off(keep) {
						withdrawn = withdrawn.saturating_add(1);
						Pallet::<T>::withdraw_for_migration(extra.id);
					}
					let bounded = BoundedVec::truncate_from(entries);
					ZoneBooks::<T>::insert((interval, zone, side), bounded);
					books = books.saturating_add(1);
				}
			}
			log::info!(
				target: "runtime::energy-market",
				"storage version 2: {orders} orders given a zero deposit, {books} books split by zone, {withdrawn} orders over the per-zone bound withdrawn"
			);
			let n = orders.saturating_add(books).saturating_add(withdrawn.saturating_mul(4));
			T::DbWeight::get().reads_writes(n, n)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			// Every order must decode as version 1, every book entry must have its order.
			let mut ids = Vec::new();
			for key in Orders::<T>::iter_keys() {
				let raw = frame_support::storage::unhashed::get_raw(&Orders::<T>::hashed_key_for(key))
					.ok_or("order key without a value")?;
				OrderV1::<T::AccountId>::decode(&mut &raw[..])
					.map_err(|_| "an order does not decode as version 1")?;
				ids.push(key);
			}
			let entries: u64 = Books::<T>::iter_values().map(|b| b.len() as u64).sum();
			ensure!(entries == ids.len() as u64, "books and orders differ before the upgrade");
			Ok(ids.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before: Vec<OrderId> =
				Decode::decode(&mut &state[..]).map_err(|_| "pre_upgrade state does not decode")?;
			ensure!(Books::<T>::iter_keys().next().is_none(), "version 1 books left");
			let entries: u64 = ZoneBooks::<T>::iter_values().map(|b| b.len() as u64).sum();
			let after = Orders::<T>::iter_keys().count() as u64;
			ensure!(after == entries, "orders and zone books differ");
			ensure!(after <= before.len() as u64, "orders appeared");
			for (_, order) in Orders::<T>::iter() {
				ensure!(order.deposit == 0, "a migrated order has a deposit");
			}
			ensure!(Pallet::<T>::on_chain_storage_version() == 2, "storage version not set to 2");
			// The route index is version 3's (its migration runs next and checks it).
			Pallet::<T>::check_orders_trades_and_holds()
		}
	}

	/// Migrates EnergyMarket from storage version 1 to 2 (only when on-chain version is 1).
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		InnerMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 2 → 3: `RoutesFrom` and `RoutesInto` index `ZonePairs`, so that an order reads one
/// item for its routes instead of probing all `MaxZones` zones (16 reads on the configured
/// runtime); `MaxFeeInto`, which a buy read besides, is removed (the highest fee into a zone is
/// read from `RoutesInto`).
///
/// One read per zone pair (at most `MaxZones²`, 256) and one write per zone, in one block.
pub mod v3 {
	use crate::{
		pallet::{Config, Pallet, RoutesFrom, RoutesInto},
		types::*,
	};
	#[cfg(feature = "try-runtime")]
	use crate::pallet::ZonePairs;
	#[cfg(feature = "try-runtime")]
	use alloc::{collections::BTreeMap, vec::Vec};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, storage_alias, traits::UncheckedOnRuntimeUpgrade,
	};

	/// Version 2's highest fee per kWh into each zone (derived from `RoutesInto` since 3).
	#[storage_alias]
	pub type MaxFeeInto<T: Config> = StorageMap<Pallet<T>, Twox64Concat, ZoneId, Money, ValueQuery>;

	/// The unversioned step (use [`MigrateV2ToV3`]).
	pub struct InnerMigrateV2ToV3<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV2ToV3<T> {
		fn on_runtime_upgrade() -> Weight {
			let (from, into) = Pallet::<T>::routes_of_zone_pairs();
			let pairs: u64 = from.values().map(|l| l.len() as u64).sum();
			let mut writes = 0u64;
			let mut dropped = 0u64;
			for (index, list) in [(true, from), (false, into)] {
				for (zone, routes) in list {
					// Zones are below `MaxZones` (set_zone_pair checks it): nothing is cut.
					let before = routes.len();
					let bounded = BoundedVec::truncate_from(routes);
					dropped = dropped.saturating_add((before.saturating_sub(bounded.len())) as u64);
					if index {
						RoutesFrom::<T>::insert(zone, bounded);
					} else {
						RoutesInto::<T>::insert(zone, bounded);
					}
					writes = writes.saturating_add(1);
				}
			}
			// At most `MaxZones` entries.
			let fees = MaxFeeInto::<T>::clear(u32::MAX, None).unique;
			if dropped > 0 {
				log::error!(target: "runtime::energy-market", "storage version 3: {dropped} zone pairs beyond MaxZones not indexed");
			}
			log::info!(
				target: "runtime::energy-market",
				"storage version 3: {pairs} zone pairs indexed in {writes} route lists, {fees} MaxFeeInto entries removed"
			);
			T::DbWeight::get().reads_writes(
				pairs.saturating_add(u64::from(fees)),
				writes.saturating_add(u64::from(fees)),
			)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			use codec::Encode;
			ensure!(RoutesFrom::<T>::iter_keys().next().is_none(), "RoutesFrom exists before version 3");
			ensure!(RoutesInto::<T>::iter_keys().next().is_none(), "RoutesInto exists before version 3");
			// Version 2's fee index must agree with the pairs: the new derivation gives the same.
			let mut highest: BTreeMap<ZoneId, Money> = BTreeMap::new();
			for (_, to, pair) in ZonePairs::<T>::iter() {
				let e = highest.entry(to).or_default();
				*e = (*e).max(pair.fee_per_kwh);
			}
			for (zone, fee) in MaxFeeInto::<T>::iter() {
				ensure!(highest.get(&zone).copied().unwrap_or(0) == fee, "version 2 MaxFeeInto differs from the pairs");
			}
			Ok((ZonePairs::<T>::iter_keys().count() as u64, highest.into_iter().collect::<Vec<_>>()).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			use codec::Decode;
			let (pairs, highest): (u64, Vec<(ZoneId, Money)>) =
				Decode::decode(&mut &state[..]).map_err(|_| "pre_upgrade state does not decode")?;
			ensure!(ZonePairs::<T>::iter_keys().count() as u64 == pairs, "zone pairs changed");
			let indexed: u64 = RoutesFrom::<T>::iter_values().map(|l| l.len() as u64).sum();
			ensure!(indexed == pairs, "not every zone pair is in RoutesFrom");
			for (zone, fee) in highest {
				ensure!(Pallet::<T>::max_fee_into(zone) == fee, "a buy would reserve another fee");
			}
			ensure!(MaxFeeInto::<T>::iter_keys().next().is_none(), "MaxFeeInto left");
			ensure!(Pallet::<T>::on_chain_storage_version() == 3, "storage version not set to 3");
			Pallet::<T>::do_try_state()
		}
	}

	/// Migrates EnergyMarket from storage version 2 to 3 (only when on-chain version is 2).
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		InnerMigrateV2ToV3<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 3 → 4: `TradeCount` is gone. Every order with fills wrote it, though the interval's
/// statistics (`Stats[i].trades`, written by the same order) count the same trades; an interval
/// now has unsettled trades while `SettledUpTo[i] < Stats[i].trades`, and `SettledUpTo` stays
/// once all are settled (as `Stats` does).
///
/// - `TradeCount[i]` entries (intervals with unsettled trades) are removed; their
///   `SettledUpTo[i]` (the settled prefix) stays as it is.
/// - Intervals whose trades were all settled (statistics with trades, no `TradeCount`) get
///   `SettledUpTo[i] = Stats[i].trades`, so they do not look unsettled.
///
/// One read per interval with statistics and one write per interval with trades, in one block:
/// a statistics entry exists per delivery interval that saw a trade (a chain running a year of
/// 1-minute intervals with trades in all: 525,600 entries, ≈ 19 s of weight at the measured
/// database weights: more than a block, so such a chain would need a multi-block migration;
/// the chains this runs on hold a few thousand).
pub mod v4 {
	use crate::{
		pallet::{Config, Pallet, SettledUpTo, Stats},
		types::*,
	};
	#[cfg(feature = "try-runtime")]
	use alloc::vec::Vec;
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, storage_alias, traits::UncheckedOnRuntimeUpgrade,
	};

	/// Version 3's count of an interval's trades, present while some are unsettled.
	#[storage_alias]
	pub type TradeCount<T: Config> = StorageMap<Pallet<T>, Twox64Concat, IntervalIndex, TradeIndex, ValueQuery>;

	/// The unversioned step (use [`MigrateV3ToV4`]).
	pub struct InnerMigrateV3ToV4<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV3ToV4<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut reads = 0u64;
			let mut writes = 0u64;
			let mut differ = 0u64;
			for (interval, stats) in Stats::<T>::iter() {
				reads = reads.saturating_add(2);
				if let Ok(count) = TradeCount::<T>::try_get(interval) {
					if count != stats.trades {
						differ = differ.saturating_add(1);
					}
				} else if stats.trades > 0 {
					SettledUpTo::<T>::insert(interval, stats.trades);
					writes = writes.saturating_add(1);
				}
			}
			let removed = TradeCount::<T>::clear(u32::MAX, None).unique;
			if differ > 0 {
				log::error!(target: "runtime::energy-market", "storage version 4: {differ} TradeCount entries differed from Stats");
			}
			log::info!(
				target: "runtime::energy-market",
				"storage version 4: {writes} settled intervals marked, {removed} TradeCount entries removed"
			);
			T::DbWeight::get().reads_writes(reads, writes.saturating_add(u64::from(removed)))
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			use codec::Encode;
			// The unsettled ranges version 3 holds; version 4 must show the same.
			let mut unsettled: Vec<(IntervalIndex, TradeIndex, TradeIndex)> = Vec::new();
			for (interval, count) in TradeCount::<T>::iter() {
				ensure!(
					Stats::<T>::get(interval).is_some_and(|s| s.trades == count),
					"version 3 TradeCount differs from the interval's statistics"
				);
				unsettled.push((interval, SettledUpTo::<T>::get(interval), count));
			}
			unsettled.sort();
			Ok(unsettled.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			use codec::Decode;
			let before: Vec<(IntervalIndex, TradeIndex, TradeIndex)> =
				Decode::decode(&mut &state[..]).map_err(|_| "pre_upgrade state does not decode")?;
			let mut after: Vec<(IntervalIndex, TradeIndex, TradeIndex)> = Stats::<T>::iter()
				.filter(|(i, _)| Pallet::<T>::has_unsettled(*i))
				.map(|(i, s)| (i, SettledUpTo::<T>::get(i), s.trades))
				.collect();
			after.sort();
			ensure!(before == after, "the unsettled trades changed");
			ensure!(TradeCount::<T>::iter_keys().next().is_none(), "TradeCount left");
			ensure!(Pallet::<T>::on_chain_storage_version() == 4, "storage version not set to 4");
			Pallet::<T>::do_try_state()
		}
	}

	/// Migrates EnergyMarket from storage version 3 to 4 (only when on-chain version is 3).
	pub type MigrateV3ToV4<T> = VersionedMigration<
		3,
		4,
		InnerMigrateV3ToV4<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 4 → 5: the fills an incoming sell takes count against the device backing it, in its
/// slot (`DeviceSlot::taker_trades`), which the sell reads and writes anyway; `TakerTrades`
/// counts buys only. A kept one-fill sell no longer reads and writes `TakerTrades`.
///
/// - Every `DeviceSlots` entry gets `taker_trades`: the unsettled trades of the device and
///   interval in which the sell was the incoming order (the later one, with the higher id).
///   While an interval's gate is open, the only time the count is used, none of its trades is
///   settled, so the count is exact there.
/// - `TakerTrades` stays as it is: for the intervals open at the upgrade it still counts the
///   sells an account took, so its buys may take fewer fills there than after the upgrade
///   (tighter, never looser), until those intervals expire.
///
/// One read per unsettled trade and one read and write per slot, in one block: at most
/// `MaxTradesPerInterval` trades per interval with unsettled trades (a few intervals ahead of
/// the chain's time and a few behind it, being settled); the chains this runs on hold a few
/// hundred.
pub mod v5 {
	use crate::{
		pallet::{Config, Pallet, Trades},
		types::*,
	};
	use alloc::collections::BTreeMap;
	#[cfg(feature = "try-runtime")]
	use alloc::vec::Vec;
	use codec::{Decode, Encode, MaxEncodedLen};
	use frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, storage_alias, traits::UncheckedOnRuntimeUpgrade,
	};
	use scale_info::TypeInfo;

	/// A device slot as stored in version 4 (no `taker_trades`).
	#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default)]
	pub struct DeviceSlotV4 {
		/// Wh offered in sell orders.
		pub offered_wh: u64,
		/// Open sell orders.
		pub open_orders: u32,
		/// Trades not settled yet.
		pub unsettled_trades: u32,
		/// Metered production allocated to settled trades.
		pub allocated_wh: u64,
	}

	impl DeviceSlotV4 {
		/// The slot in version 5's layout, with the fills its device's sells took.
		pub fn upgraded(self, taker_trades: u32) -> DeviceSlot {
			DeviceSlot {
				offered_wh: self.offered_wh,
				open_orders: self.open_orders,
				unsettled_trades: self.unsettled_trades,
				allocated_wh: self.allocated_wh,
				taker_trades,
			}
		}
	}

	/// Version 4's device slots.
	#[storage_alias]
	pub type DeviceSlots<T: Config> =
		StorageDoubleMap<Pallet<T>, Twox64Concat, IntervalIndex, Twox64Concat, DeviceId, DeviceSlotV4>;

	/// The unsettled trades each device's sells took, by interval and device; also returns how
	/// many trades it read.
	pub fn taken_by_devices<T: Config>() -> (BTreeMap<(IntervalIndex, DeviceId), u32>, u64) {
		let mut took: BTreeMap<(IntervalIndex, DeviceId), u32> = BTreeMap::new();
		let mut read = 0u64;
		for (interval, _, t) in Trades::<T>::iter() {
			read = read.saturating_add(1);
			if t.taken_by_sell() {
				let e = took.entry((interval, t.device)).or_default();
				*e = e.saturating_add(1);
			}
		}
		(took, read)
	}

	/// The unversioned step (use [`MigrateV4ToV5`]).
	pub struct InnerMigrateV4ToV5<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV4ToV5<T> {
		fn on_runtime_upgrade() -> Weight {
			let (took, trades) = taken_by_devices::<T>();
			let mut slots = 0u64;
			crate::pallet::DeviceSlots::<T>::translate::<DeviceSlotV4, _>(|interval, device, old| {
				slots = slots.saturating_add(1);
				Some(old.upgraded(took.get(&(interval, device)).copied().unwrap_or_default()))
			});
			log::info!(
				target: "runtime::energy-market",
				"storage version 5: {slots} device slots count their sells' fills ({trades} unsettled trades read)"
			);
			T::DbWeight::get().reads_writes(trades.saturating_add(slots), slots)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			use codec::Encode;
			let slots: Vec<((IntervalIndex, DeviceId), DeviceSlotV4)> =
				DeviceSlots::<T>::iter().map(|(i, d, s)| ((i, d), s)).collect();
			// `iter` skips what does not decode: every stored slot must decode as version 4's.
			ensure!(
				slots.len() == DeviceSlots::<T>::iter_keys().count(),
				"a device slot does not decode as version 4's"
			);
			Ok(slots.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			use codec::Decode;
			let before: Vec<((IntervalIndex, DeviceId), DeviceSlotV4)> =
				Decode::decode(&mut &state[..]).map_err(|_| "pre_upgrade state does not decode")?;
			let (took, _) = taken_by_devices::<T>();
			ensure!(
				crate::pallet::DeviceSlots::<T>::iter_keys().count() == before.len(),
				"device slots added or lost"
			);
			for ((interval, device), old) in before {
				let new = crate::pallet::DeviceSlots::<T>::get(interval, device).ok_or("a device slot lost")?;
				let taken = took.get(&(interval, device)).copied().unwrap_or_default();
				ensure!(new == old.upgraded(taken), "a device slot changed or miscounted");
			}
			ensure!(Pallet::<T>::on_chain_storage_version() == 5, "storage version not set to 5");
			Pallet::<T>::do_try_state()
		}
	}

	/// Migrates EnergyMarket from storage version 4 to 5 (only when on-chain version is 4).
	pub type MigrateV4ToV5<T> = VersionedMigration<
		4,
		5,
		InnerMigrateV4ToV5<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
