//! Mock runtime for the EnergyMarket pallet's tests: System, Balances, EnergyData, EnergyMarket.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate::{self as pallet_energy_market};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64},
};
use frame_system::EnsureRoot;
use pallet_energy_data::{DeviceId, DeviceKind, IntervalIndex, SignedReading, ZoneId};
use sp_core::{ed25519, Pair};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		EnergyData: pallet_energy_data,
		EnergyMarket: pallet_energy_market,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type ExistentialDeposit = ConstU128<1>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Deposit per device.
pub const DEPOSIT: u128 = 100;

#[derive_impl(pallet_energy_data::config_preludes::TestDefaultConfig)]
impl pallet_energy_data::Config for Test {
	type AdminOrigin = EnsureRoot<u64>;
	type OnDeviceDisabled = EnergyMarket;
	type ReadingsInUse = EnergyMarket;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DeviceDeposit = ConstU128<DEPOSIT>;
	type RetentionIntervals = ConstU32<50>;
}

/// The grid operator (receives fees and imbalance charges).
pub const OPERATOR: u64 = 99;
/// Imbalance price per kWh.
pub const IMBALANCE: u128 = 300;

pub const LOT: u64 = 100;
pub const MIN_VALUE: u128 = 5;
pub const MAX_TAKER_TRADES: u32 = 6;

parameter_types! {
	pub const Operator: u64 = OPERATOR;
	/// 0 unless a test sets it (most tests look at the market hold alone).
	pub static OrderDeposit: u128 = 0;
	/// One lot unless a test sets it.
	pub static MinOrderWh: u64 = LOT;
	/// Tightened by the model-based test so that full books and trade limits are reached.
	pub static MaxOrdersPerBook: u32 = 8;
	pub static TakerLimit: u32 = MAX_TAKER_TRADES;
	pub static MaxTradesPerInterval: u32 = 20;
}

impl pallet_energy_market::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<u64>;
	type GridOperator = Operator;
	type ImbalancePrice = ConstU128<IMBALANCE>;
	type DefaultPriceCap = ConstU128<10_000>;
	type GateClosureIntervals = ConstU32<1>;
	type MaxIntervalsAhead = ConstU32<10>;
	type MaxOrdersPerBook = MaxOrdersPerBook;
	type TradeLotWh = ConstU64<LOT>;
	type MinOrderWh = MinOrderWh;
	type MinOrderValue = ConstU128<MIN_VALUE>;
	type OrderDeposit = OrderDeposit;
	type MaxTakerTradesPerInterval = TakerLimit;
	type MaxFillsPerOrder = ConstU32<3>;
	type MaxOpenOrdersPerAccount = ConstU32<6>;
	type MaxOrdersPerDeviceInterval = ConstU32<3>;
	type MaxTradesPerInterval = MaxTradesPerInterval;
	type MaxExpiredPerBlock = ConstU32<4>;
	type MaxSettledPerBlock = ConstU32<3>;
	type MaxSettledPerCall = ConstU32<10>;
	type WeightInfo = ();
}

/// A seller with producing devices (see [`new_test_ext`]).
pub const ALICE: u64 = 1;
/// A buyer.
pub const BOB: u64 = 2;
/// A second seller.
pub const CHARLIE: u64 = 3;
/// A second buyer.
pub const DAVE: u64 = 4;
/// Has almost nothing.
pub const POOR: u64 = 5;
/// Funded accounts for tests that need many participants.
pub const MANY: core::ops::Range<u64> = 10..30;

/// Starting balance of the funded accounts.
pub const FUNDS: u128 = 1_000_000;

/// A device with 60 kW: 60_000 W × 60 s / 3600 = 1000 Wh per interval.
pub const CAPACITY_W: u32 = 60_000;
/// [`CAPACITY_W`]'s physical bound per interval.
pub const BOUND_WH: u64 = 1000;

/// The meter key of device `id` (seed `id + 1`).
pub fn meter(id: DeviceId) -> ed25519::Pair {
	ed25519::Pair::from_seed(&[(id as u8).wrapping_add(1); 32])
}

/// Registers a device of `owner` in `zone`; returns its id.
/// The registrar of the mock genesis and its account.
pub const REGISTRAR: pallet_energy_data::RegistrarId = 0;
pub const REGISTRAR_ACCOUNT: u64 = 98;

/// The registrar's certificate key.
pub fn registrar_key() -> ed25519::Pair {
	ed25519::Pair::from_seed(&[222; 32])
}

/// Registers a device of `owner` with a certificate of `REGISTRAR` (serial = device id, valid
/// for 1,000 intervals).
pub fn device(owner: u64, kind: DeviceKind, zone: ZoneId) -> DeviceId {
	device_valid_until(owner, kind, zone, 1_000)
}

/// Registers a device whose certificate covers intervals up to `valid_until`.
pub fn device_valid_until(
	owner: u64,
	kind: DeviceKind,
	zone: ZoneId,
	valid_until: IntervalIndex,
) -> DeviceId {
	let id = pallet_energy_data::NextDeviceId::<Test>::get();
	let cert = pallet_energy_data::MeterCertificate {
		registrar: REGISTRAR,
		serial: id,
		meter_key: meter(id).public(),
		owner,
		kind,
		capacity_w: CAPACITY_W,
		zone,
		valid_until,
	};
	let sig = registrar_key().sign(&EnergyData::certificate_payload(&cert));
	let pop = meter(id).sign(&EnergyData::possession_payload(&owner, &cert));
	EnergyData::register_device(RuntimeOrigin::signed(owner), cert, sig, pop).unwrap();
	id
}

/// A reading signed by the device's meter.
pub fn signed_reading(
	device: DeviceId,
	interval: IntervalIndex,
	produced_wh: u64,
	consumed_wh: u64,
) -> SignedReading {
	let payload = EnergyData::reading_payload(device, interval, produced_wh, consumed_wh);
	SignedReading { device, interval, produced_wh, consumed_wh, signature: meter(device).sign(&payload) }
}

/// Stores a reading with both values (for prosumers and storage).
pub fn net_reading(device: DeviceId, interval: IntervalIndex, produced_wh: u64, consumed_wh: u64) {
	let r = signed_reading(device, interval, produced_wh, consumed_wh);
	EnergyData::submit_readings(RuntimeOrigin::signed(BOB), vec![r]).unwrap();
}

pub fn reading(device: DeviceId, interval: IntervalIndex, produced_wh: u64) {
	net_reading(device, interval, produced_wh, 0);
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances =
		vec![(ALICE, FUNDS), (BOB, FUNDS), (CHARLIE, FUNDS), (DAVE, FUNDS), (POOR, 150), (OPERATOR, 1)];
	balances.extend(MANY.map(|a| (a, FUNDS)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut t)
		.unwrap();
	pallet_energy_data::GenesisConfig::<Test> {
		registrars: vec![(REGISTRAR, REGISTRAR_ACCOUNT, registrar_key().public().0)],
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext: sp_io::TestExternalities = t.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Checks both pallets' invariants.
pub fn check_invariants() {
	EnergyData::do_try_state().expect("EnergyData invariants hold");
	EnergyMarket::do_try_state().expect("EnergyMarket invariants hold");
}

/// Runs `f` in a fresh test externality and checks the invariants afterwards.
pub fn build_and_execute(f: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		f();
		check_invariants();
	});
}

/// Advances to block `n`, running every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// Advances to the first block of interval `i` (10 blocks per interval).
pub fn run_to_interval(i: IntervalIndex) {
	run_to_block(u64::from(i) * 10);
}

/// Interval `i` is sealed at the first block of `i + SubmissionWindow + 1` (window 2).
pub fn sealed_at(i: IntervalIndex) -> IntervalIndex {
	i + 3
}

