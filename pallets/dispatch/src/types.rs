//! Types of the Dispatch pallet.

// The SCALE derives repeat the generics' bounds in where clauses.
#![allow(clippy::multiple_bound_locations)]

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::ConstU32, traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound,
	PartialEqNoBound,
};
use pallet_energy_data::{IntervalIndex, ZoneId};
use scale_info::TypeInfo;

/// Longest grid case name (`pglib_opf_case1354_pegase` is 25 bytes).
pub const MAX_CASE_NAME: u32 = 64;
/// Upper bound on [`crate::Config::SubmissionHorizon`]: intervals that can have open plans.
pub const MAX_HORIZON: u32 = 16;

/// Where a market zone's metered energy enters the grid case.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct ZoneBus {
	/// The market zone (as in the energy data blocks).
	pub zone: ZoneId,
	/// The bus of the grid case, by its number in the case file (MATPOWER `BUS_I`).
	pub bus: u32,
	/// Watts at the bus per metered watt (≥ 1): a zone's meters sample the load of many
	/// customers behind the bus. The zone's consumption adds load at the bus, its production
	/// (producers, prosumers, storage discharging) is a renewable injection there.
	pub scale: u32,
}

/// The table from market zones to the buses of the grid case the workers dispatch.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxZones))]
pub struct GridMap<MaxZones: Get<u32>> {
	/// The grid case's name (e.g. `ieee14`, `pglib_opf_case300_ieee`).
	pub case: BoundedVec<u8, ConstU32<MAX_CASE_NAME>>,
	/// Length of a plan's set-point vector: the case's dispatchable generators in the workers'
	/// order (conventional generators of the case, then the renewables).
	pub generators: u32,
	/// Mapped zones ascending by zone; a plan forecasts one value per entry, in this order.
	pub zones: BoundedVec<ZoneBus, MaxZones>,
}

/// A participant's plan for one interval, or the agreed one.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxZones, MaxGenerators))]
pub struct Plan<MaxZones: Get<u32>, MaxGenerators: Get<u32>> {
	/// Forecast net load per mapped zone, kW at its bus (consumption − production, scaled).
	pub forecast_kw: BoundedVec<i64, MaxZones>,
	/// Generator set-points, kW, in the grid map's generator order (after the line-safe
	/// repair, on the participant's side).
	pub setpoints_kw: BoundedVec<i64, MaxGenerators>,
}

/// One participant's submitted plan.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxZones, MaxGenerators))]
pub struct Submission<MaxZones: Get<u32>, MaxGenerators: Get<u32>> {
	/// Version of the finalized global model that computed it.
	pub model_version: u64,
	/// The plan.
	pub plan: Plan<MaxZones, MaxGenerators>,
}

/// An interval with plans but no agreement yet.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxParticipants))]
pub struct PendingPlans<
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxParticipants: Get<u32>,
> {
	/// Who may submit for this interval, sorted: the participants when its first plan came.
	pub participants: BoundedVec<AccountId, MaxParticipants>,
	/// Plans submitted so far.
	pub submitted: u32,
}

/// The dispatch the chain agreed for an interval.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxZones, MaxGenerators))]
pub struct AgreedDispatch<
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxZones: Get<u32>,
	MaxGenerators: Get<u32>,
> {
	/// Coordinate-wise (lower) median of the submitted plans.
	pub plan: Plan<MaxZones, MaxGenerators>,
	/// Oldest and newest global model version among the plans.
	pub model_versions: (u64, u64),
	/// Plans the median was taken over.
	pub submitters: u32,
	/// Participants of the interval.
	pub participants: u32,
	/// The zones of the grid map the plan was made for (its forecast's order).
	pub zones: BoundedVec<ZoneBus, MaxZones>,
	/// Block where the quorum was reached.
	pub agreed_at: BlockNumber,
}

/// The realised imbalance of an agreed dispatch, once its interval's data block is sealed.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxZones))]
pub struct ImbalanceRecord<MaxZones: Get<u32>> {
	/// Metered net load per mapped zone, kW at its bus (0 for a zone without readings).
	pub actual_kw: BoundedVec<i64, MaxZones>,
	/// Per mapped zone, metered − forecast, kW.
	pub per_zone_kw: BoundedVec<i64, MaxZones>,
	/// Σ (metered − forecast), kW: what the generators' plan missed in total.
	pub net_kw: i64,
	/// Σ |metered − forecast|, kW: the redispatch the plan needed zone by zone.
	pub absolute_kw: u64,
	/// Readings in the sealed block (an interval without readings measures nothing).
	pub reading_count: u32,
}

/// Why the admin's grid map was refused (a field of [`crate::Error::InvalidGridMap`]).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	frame_support::PalletError,
)]
pub enum GridMapProblem {
	/// The case name is empty.
	EmptyCaseName,
	/// `generators` is 0 or above `MaxGenerators`.
	Generators,
	/// No zone is mapped.
	NoZones,
	/// Zones are not strictly ascending (unsorted or repeated).
	ZonesNotSorted,
	/// A zone is not below the EnergyData pallet's `MaxZones`.
	UnknownZone,
	/// A zone's scale is 0.
	ZeroScale,
}

/// An interval's plans and their outcome, for the runtime API.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct PendingView<AccountId> {
	/// The interval.
	pub interval: IntervalIndex,
	/// Who may submit.
	pub participants: alloc::vec::Vec<AccountId>,
	/// Who submitted.
	pub submitted: alloc::vec::Vec<AccountId>,
	/// Plans needed for the quorum.
	pub needed: u32,
}
