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
/// Identifier of a registrar (a metering operator that certifies meters).
pub type RegistrarId = u32;
/// Serial number of a meter certificate, unique per registrar and never reused.
pub type CertificateSerial = u64;

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

/// A metering operator: its account may revoke the certificates it issued, and its ed25519
/// certificate key signs meter certificates off chain.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Registrar<AccountId> {
	/// The registrar's account (revokes its certificates).
	pub account: AccountId,
	/// The key its certificates are signed with.
	pub key: ed25519::Public,
}

/// A meter certificate: what a registrar vouches for about one meter. The registrar signs
/// [`certificate_payload`](crate::Pallet::certificate_payload) off chain; the owner submits the
/// certificate with `register_device`, and the device's kind, capacity and zone come from it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct MeterCertificate<AccountId> {
	/// The issuing registrar.
	pub registrar: RegistrarId,
	/// Serial number, unique per registrar (a serial registers at most one device, ever).
	pub serial: CertificateSerial,
	/// The meter's ed25519 key: readings must be signed with it.
	pub meter_key: ed25519::Public,
	/// The only account that may register the device.
	pub owner: AccountId,
	/// What the device does.
	pub kind: DeviceKind,
	/// Nameplate power in W.
	pub capacity_w: u32,
	/// Grid zone the meter is installed in.
	pub zone: ZoneId,
	/// The last interval the certificate covers: readings of later intervals are rejected.
	pub valid_until: IntervalIndex,
}

/// The certificate a device was registered with (kept with the device).
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub struct CertificateRef {
	/// The issuing registrar.
	pub registrar: RegistrarId,
	/// The certificate's serial.
	pub serial: CertificateSerial,
	/// The last interval the certificate covers.
	pub valid_until: IntervalIndex,
}

/// What the chain knows about a certificate serial: the device it registered (if any) and
/// whether it was revoked. Kept forever so a serial is never reused.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CertificateStatus {
	/// The device registered with this certificate.
	pub device: Option<DeviceId>,
	/// Revoked from this interval on (readings of this and later intervals are rejected).
	pub revoked_from: Option<IntervalIndex>,
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
	/// Interval in which the device was registered: readings of earlier intervals are rejected.
	pub registered_in: IntervalIndex,
	/// The meter certificate; `None` only for devices registered before certificates existed
	/// (storage version 1), which may still report readings but may not sell.
	pub certificate: Option<CertificateRef>,
	/// Revoked from this interval on: readings of this and later intervals are rejected.
	pub revoked_from: Option<IntervalIndex>,
}

impl<AccountId, Balance> Device<AccountId, Balance> {
	/// Why a reading of `interval` from this device is not acceptable on certificate grounds
	/// (`None`: it is). Uncertified (pre-certificate) devices pass.
	pub fn certificate_rejects(&self, interval: IntervalIndex) -> Option<ReadingRejection> {
		if self.revoked_from.is_some_and(|r| interval >= r) {
			return Some(ReadingRejection::CertificateRevoked);
		}
		match self.certificate {
			Some(c) if interval > c.valid_until => Some(ReadingRejection::CertificateExpired),
			_ => None,
		}
	}

	/// Whether the device may sell energy delivered in `interval`: it has a certificate that
	/// covers the interval and is not revoked by then.
	pub fn certified_for(&self, interval: IntervalIndex) -> bool {
		self.certificate.is_some() && self.certificate_rejects(interval).is_none()
	}
}

/// Why `submit_readings` skipped a reading (each has the pallet error of the same name).
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
	PartialOrd,
	Ord,
	Debug,
)]
pub enum ReadingRejection {
	/// No device with this id was ever registered.
	UnknownDevice,
	/// The device was retired.
	DeviceRetired,
	/// The interval began before the device was registered.
	BeforeRegistration,
	/// The interval has not ended yet.
	IntervalNotEnded,
	/// The interval's submission window has closed.
	SubmissionWindowClosed,
	/// Another reading with different values is stored (or earlier in the batch) for this
	/// device and interval. Identical copies are skipped silently.
	DuplicateReading,
	/// A value exceeds the device's physical bound.
	ExceedsPhysicalBound,
	/// Production reported for a consumer-only device.
	ProductionOnConsumer,
	/// Consumption reported for a producer-only device.
	ConsumptionOnProducer,
	/// The interval is after the certificate's validity end.
	CertificateExpired,
	/// The certificate was revoked from this interval or earlier.
	CertificateRevoked,
	/// The meter's signature does not verify.
	BadSignature,
	/// The interval already holds `MaxReadingsPerInterval` readings.
	IntervalFull,
}

/// Number of [`ReadingRejection`] variants (bounds the per-reason counts of an event).
pub const REJECTION_KINDS: u32 = 13;

/// A reading `submit_readings` skipped: its index in the batch and why.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug,
)]
pub struct SkippedReading {
	/// Index of the reading in the submitted batch.
	pub index: u32,
	/// Why it was skipped.
	pub reason: ReadingRejection,
}

/// How many readings of a batch were skipped for one reason.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug,
)]
pub struct RejectionCount {
	/// The reason.
	pub reason: ReadingRejection,
	/// Readings skipped for it.
	pub count: u32,
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
