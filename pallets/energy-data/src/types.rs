//! Types of the EnergyData pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::ed25519;

/// Index of an accounting interval: `block_number / IntervalBlocks`.
pub type IntervalIndex = u32;
/// Identifier of a registered device; assigned sequentially, never reused.
pub type DeviceId = u64;
/// Identifier of a grid zone (`0 .. MaxZones`).
pub type ZoneId = u16;
/// A 32-byte hash (Merkle roots).
pub type Hash32 = [u8; 32];

/// What a device does on the grid.
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
pub enum DeviceKind {
	/// Only produces (PV array, wind turbine): readings must have `consumed_wh == 0`.
	Producer,
	/// Only consumes (household load): readings must have `produced_wh == 0`.
	Consumer,
	/// Produces and consumes behind one meter.
	Prosumer,
	/// A battery: discharging counts as production, charging as consumption.
	Storage,
}

impl DeviceKind {
	/// Whether readings of this device may report production.
	pub fn can_produce(self) -> bool {
		!matches!(self, DeviceKind::Consumer)
	}
	/// Whether readings of this device may report consumption.
	pub fn can_consume(self) -> bool {
		!matches!(self, DeviceKind::Producer)
	}
}

/// A registered device and its meter.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Device<AccountId, Balance> {
	/// The account that registered the device and holds its deposit.
	pub owner: AccountId,
	/// What the device does.
	pub kind: DeviceKind,
	/// Nameplate power in W: bounds each reading to `capacity_w × interval length`.
	pub capacity_w: u32,
	/// Grid zone the device is connected in.
	pub zone: ZoneId,
	/// The meter's ed25519 public key: readings must be signed with it.
	pub meter_key: ed25519::Public,
	/// Deposit held from `owner` while the device is registered.
	pub deposit: Balance,
	/// Interval in which the device was registered.
	pub registered_in: IntervalIndex,
}

/// One meter reading as submitted: the values and the meter's signature over
/// [`reading_payload`](crate::Pallet::reading_payload).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct SignedReading {
	/// The device the reading is for.
	pub device: DeviceId,
	/// The interval the reading covers (it must have ended).
	pub interval: IntervalIndex,
	/// Energy produced (fed into the grid) during the interval, in Wh.
	pub produced_wh: u64,
	/// Energy consumed (taken from the grid) during the interval, in Wh.
	pub consumed_wh: u64,
	/// The meter's ed25519 signature over the domain-separated payload.
	pub signature: ed25519::Signature,
}

/// A stored reading (the signature is verified on submission and not kept).
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub struct MeterValues {
	/// Zone of the device when the reading was accepted.
	pub zone: ZoneId,
	/// Energy produced, in Wh.
	pub produced_wh: u64,
	/// Energy consumed, in Wh.
	pub consumed_wh: u64,
}

/// Totals of one zone in one interval.
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
	Default,
)]
pub struct ZoneTotals {
	/// The zone.
	pub zone: ZoneId,
	/// Readings from devices of this zone.
	pub reading_count: u32,
	/// Σ produced Wh.
	pub produced_wh: u64,
	/// Σ consumed Wh.
	pub consumed_wh: u64,
}

/// Upper bound on zones kept in a data block (the pallet's `MaxZones` must not exceed it).
pub const MAX_ZONES_BOUND: u32 = 256;

/// The sealed summary of one interval's readings.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct EnergyDataBlock {
	/// The interval.
	pub interval: IntervalIndex,
	/// Number of readings sealed.
	pub reading_count: u32,
	/// Σ produced Wh over all readings.
	pub total_produced_wh: u64,
	/// Σ consumed Wh over all readings.
	pub total_consumed_wh: u64,
	/// Totals per zone that had readings, ascending by zone.
	pub per_zone: BoundedVec<ZoneTotals, ConstU32<MAX_ZONES_BOUND>>,
	/// Merkle root (see `gridbrain-merkle`) over the readings' leaves ascending by device id;
	/// a leaf is the SCALE encoding of [`ReadingLeaf`].
	pub readings_root: Hash32,
}

/// The leaf committed to in `readings_root` for one reading.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ReadingLeaf {
	/// The interval.
	pub interval: IntervalIndex,
	/// The device.
	pub device: DeviceId,
	/// The device's zone.
	pub zone: ZoneId,
	/// Energy produced, in Wh.
	pub produced_wh: u64,
	/// Energy consumed, in Wh.
	pub consumed_wh: u64,
}

/// A reading with its Merkle proof against the sealed block's `readings_root`.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ReadingProof {
	/// The leaf (the reading).
	pub leaf: ReadingLeaf,
	/// The proof; verify with `gridbrain_merkle::verify(root, &leaf.encode(), &proof)`.
	pub proof: gridbrain_merkle::Proof,
}
