//! Runtime API of the EnergyMarket pallet.

// `decl_runtime_apis!` repeats the generic's bound on every method.
#![allow(clippy::multiple_bound_locations)]

use crate::types::*;
use alloc::vec::Vec;
use codec::Codec;

sp_api::decl_runtime_apis! {
	/// Queries of the energy market.
	pub trait EnergyMarketApi<AccountId: Codec> {
		/// The open orders of a delivery interval in one zone, best first.
		fn order_book(interval: IntervalIndex, zone: ZoneId) -> OrderBookView<AccountId>;
		/// The open orders of an account.
		fn open_orders(who: AccountId) -> Vec<(OrderId, Order<AccountId>)>;
		/// The unsettled trades of an interval in which the account buys or sells.
		fn account_trades(who: AccountId, interval: IntervalIndex) -> Vec<(TradeIndex, Trade<AccountId>)>;
		/// Volume, VWAP, settled trades and delivered energy, best bid/ask and spread.
		fn interval_stats(interval: IntervalIndex) -> IntervalStatsView;
	}
}
