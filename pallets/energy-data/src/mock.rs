//! Mock runtime for the EnergyData pallet's tests.

use crate::{self as pallet_energy_data, types::*};
use frame_support::{derive_impl, traits::ConstU64};
use sp_core::{ed25519, Pair};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		EnergyData: pallet_energy_data,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// Deposit per device in the mock.
pub const DEPOSIT: u64 = 100;

#[derive_impl(pallet_energy_data::config_preludes::TestDefaultConfig)]
impl pallet_energy_data::Config for Test {
	type AdminOrigin = frame_system::EnsureRoot<u64>;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DeviceDeposit = ConstU64<DEPOSIT>;
	type OnDeviceDisabled = RecordDisabled;
	type ReadingsInUse = HeldReadings;
}

thread_local! {
	/// What `HeldReadings` reports as the oldest interval still needed.
	pub static OLDEST_NEEDED: core::cell::Cell<Option<IntervalIndex>> = const { core::cell::Cell::new(None) };
}

/// Stands in for the market's settlement frontier.
pub struct HeldReadings;
impl crate::ReadingsInUse for HeldReadings {
	fn oldest_needed() -> Option<IntervalIndex> {
		OLDEST_NEEDED.with(|o| o.get())
	}
}

thread_local! {
	/// Devices `OnDeviceDisabled` was told about, in order.
	pub static DISABLED: core::cell::RefCell<Vec<(DeviceId, u64)>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Records the devices it is told about (stands in for the market).
pub struct RecordDisabled;
impl crate::OnDeviceDisabled<u64> for RecordDisabled {
	fn on_device_disabled(device: DeviceId, owner: &u64) -> frame_support::weights::Weight {
		DISABLED.with(|d| d.borrow_mut().push((device, *owner)));
		frame_support::weights::Weight::from_parts(1_000, 0)
	}
	fn max_weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(5_000, 0)
	}
}

/// The devices `OnDeviceDisabled` was told about so far.
pub fn disabled() -> Vec<(DeviceId, u64)> {
	DISABLED.with(|d| d.borrow().clone())
}

pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
/// Can't afford a deposit.
pub const POOR: u64 = 3;
/// Accounts 10..20 are funded too, for tests that need many devices.
pub const MANY: core::ops::Range<u64> = 10..20;

/// The registrar of the mock genesis.
pub const REGISTRAR: RegistrarId = 7;
/// Its account.
pub const REGISTRAR_ACCOUNT: u64 = 50;
/// Certificates of the mock are valid up to this interval.
pub const VALID_UNTIL: IntervalIndex = 1_000;

/// The certificate key pair of registrar `REGISTRAR`.
pub fn registrar_key() -> ed25519::Pair {
	ed25519::Pair::from_seed(&[200; 32])
}

/// A certificate of `REGISTRAR` for the meter with seed byte `seed` (serial = seed).
pub fn certificate(
	owner: u64,
	kind: DeviceKind,
	capacity_w: u32,
	zone: ZoneId,
	seed: u8,
) -> MeterCertificate<u64> {
	MeterCertificate {
		registrar: REGISTRAR,
		serial: u64::from(seed),
		meter_key: meter(seed).public(),
		owner,
		kind,
		capacity_w,
		zone,
		valid_until: VALID_UNTIL,
	}
}

/// The registrar's signature on `cert` and the meter's (seed byte `seed`) proof of
/// possession for `cert.owner`.
pub fn sign_certificate(
	cert: &MeterCertificate<u64>,
	seed: u8,
) -> (ed25519::Signature, ed25519::Signature) {
	let by_registrar = registrar_key().sign(&EnergyData::certificate_payload(cert));
	let pop = meter(seed).sign(&EnergyData::possession_payload(&cert.owner, cert));
	(by_registrar, pop)
}

/// The meter key pair with seed byte `seed`.
pub fn meter(seed: u8) -> ed25519::Pair {
	ed25519::Pair::from_seed(&[seed; 32])
}

/// A reading signed by `key` over this chain's payload.
pub fn signed(
	key: &ed25519::Pair,
	device: DeviceId,
	interval: IntervalIndex,
	produced_wh: u64,
	consumed_wh: u64,
) -> SignedReading {
	let payload = EnergyData::reading_payload(device, interval, produced_wh, consumed_wh);
	SignedReading { device, interval, produced_wh, consumed_wh, signature: key.sign(&payload) }
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances = vec![(ALICE, 10_000), (BOB, 10_000), (POOR, 50)];
	balances.extend(MANY.map(|a| (a, 10_000)));
	balances.push((REGISTRAR_ACCOUNT, 10_000));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut t)
		.unwrap();
	pallet_energy_data::GenesisConfig::<Test> {
		registrars: vec![(REGISTRAR, REGISTRAR_ACCOUNT, registrar_key().public().0)],
	}
	.assimilate_storage(&mut t)
	.unwrap();
	DISABLED.with(|d| d.borrow_mut().clear());
	OLDEST_NEEDED.with(|o| o.set(None));
	let mut ext: sp_io::TestExternalities = t.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `f` in a fresh test externality and checks the pallet's invariants afterwards.
pub fn build_and_execute<R>(f: impl FnOnce() -> R) -> R {
	new_test_ext().execute_with(|| {
		let r = f();
		EnergyData::do_try_state().expect("invariants hold after the test");
		r
	})
}

/// Advances to block `n`, running every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// Advances to the first block of interval `i` (10 blocks per interval in the mock).
pub fn run_to_interval(i: u32) {
	run_to_block(u64::from(i) * 10);
}

/// Test externalities with a keystore, for the benchmark test suite (meter keys are generated
/// and used through `sp_io::crypto`).
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let mut ext = new_test_ext();
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext
}
