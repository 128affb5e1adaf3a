//! Runtime API of the Dispatch pallet.

// `decl_runtime_apis!` repeats the generics' bounds on every method.
#![allow(clippy::multiple_bound_locations)]

use crate::types::*;
use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use pallet_energy_data::IntervalIndex;
use scale_info::TypeInfo;

/// The grid map as the runtime API returns it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct GridMapView {
	/// The grid case's name (UTF-8).
	pub case: Vec<u8>,
	/// Length of a plan's set-point vector.
	pub generators: u32,
	/// Mapped zones, ascending by zone: a plan's forecast order.
	pub zones: Vec<ZoneBus>,
}

/// The realised imbalance of an agreed dispatch.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct ImbalanceView {
	/// Metered net load per mapped zone, kW at its bus.
	pub actual_kw: Vec<i64>,
	/// Metered − forecast per mapped zone, kW.
	pub per_zone_kw: Vec<i64>,
	/// Σ (metered − forecast), kW.
	pub net_kw: i64,
	/// Σ |metered − forecast|, kW.
	pub absolute_kw: u64,
	/// Readings in the sealed block.
	pub reading_count: u32,
}

/// An interval's agreed dispatch, with its imbalance once the interval is sealed.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct DispatchView<BlockNumber> {
	/// The interval.
	pub interval: IntervalIndex,
	/// Forecast net load per mapped zone (median), kW.
	pub forecast_kw: Vec<i64>,
	/// Generator set-points (median), kW.
	pub setpoints_kw: Vec<i64>,
	/// Oldest and newest global model version among the plans.
	pub model_versions: (u64, u64),
	/// Plans the median was taken over.
	pub submitters: u32,
	/// Participants of the interval.
	pub participants: u32,
	/// The zones the forecast is for.
	pub zones: Vec<ZoneBus>,
	/// Block of the agreement.
	pub agreed_at: BlockNumber,
	/// The realised imbalance, once the interval's data block is sealed.
	pub imbalance: Option<ImbalanceView>,
}

sp_api::decl_runtime_apis! {
	/// Queries of the agreed dispatch.
	pub trait DispatchApi<AccountId: Codec, BlockNumber: Codec> {
		/// The grid map (none: nobody can plan yet).
		fn grid_map() -> Option<GridMapView>;
		/// The agreed dispatch of an interval (upcoming, or one of the last `HistoryDepth`).
		fn dispatch_for(interval: IntervalIndex) -> Option<DispatchView<BlockNumber>>;
		/// An interval's open plans (none when it has none, or is agreed).
		fn pending_plans(interval: IntervalIndex) -> Option<PendingView<AccountId>>;
		/// The agreed dispatches of the latest `count` intervals up to `SubmissionHorizon`
		/// ahead (at most `HistoryDepth + SubmissionHorizon`), ascending.
		fn recent(count: u32) -> Vec<DispatchView<BlockNumber>>;
	}
}
