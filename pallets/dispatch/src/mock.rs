//! Mock runtime for the Dispatch pallet's tests: System, Balances, EnergyData, Dispatch.
//!
//! Participants and the global model's version are thread-local values the tests set; energy
//! data reaches the sealing of EnergyData through its `Readings` storage (what
//! `submit_readings` stores), so sealing and accounting run their real code.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate::{self as pallet_dispatch, Participants};
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32},
};
use frame_system::EnsureRoot;
use pallet_energy_data::{DeviceId, IntervalIndex, MeterValues, ZoneId};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		EnergyData: pallet_energy_data,
		Dispatch: pallet_dispatch,
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

#[derive_impl(pallet_energy_data::config_preludes::TestDefaultConfig)]
impl pallet_energy_data::Config for Test {
	type AdminOrigin = EnsureRoot<u64>;
	type OnDeviceDisabled = ();
	type ReadingsInUse = ();
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DeviceDeposit = ConstU128<100>;
}

thread_local! {
	/// The participants (any order; the pallet sorts).
	pub static PARTICIPANTS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
	/// Worker account → validator.
	pub static ACTS_FOR: RefCell<Vec<(u64, u64)>> = const { RefCell::new(Vec::new()) };
	/// The latest finalized model version.
	pub static MODEL_VERSION: RefCell<Option<u64>> = const { RefCell::new(None) };
}

/// Participants from [`PARTICIPANTS`], worker accounts from [`ACTS_FOR`].
pub struct MockParticipants;
impl Participants<u64> for MockParticipants {
	fn participants() -> Vec<u64> {
		PARTICIPANTS.with(|p| p.borrow().clone())
	}
	fn principal(signer: u64) -> u64 {
		ACTS_FOR
			.with(|a| {
				a.borrow()
					.iter()
					.find(|(w, _)| *w == signer)
					.map(|(_, v)| *v)
			})
			.unwrap_or(signer)
	}
	fn model_version() -> Option<u64> {
		MODEL_VERSION.with(|m| *m.borrow())
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn add_participant(who: &u64) {
		PARTICIPANTS.with(|p| p.borrow_mut().push(*who));
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn set_model_version(version: u64) {
		MODEL_VERSION.with(|m| *m.borrow_mut() = Some(version));
	}
}

parameter_types! {
	pub const MaxParticipants: u32 = 8;
}

impl pallet_dispatch::Config for Test {
	type Participants = MockParticipants;
	type AdminOrigin = EnsureRoot<u64>;
	type MaxParticipants = MaxParticipants;
	type MaxGenerators = ConstU32<6>;
	type SubmissionHorizon = ConstU32<2>;
	type HistoryDepth = ConstU32<3>;
	type MaxAccountedPerBlock = ConstU32<2>;
	type WeightInfo = ();
}

/// Participants 1..=4 (quorum 3), worker account 14 of validator 4.
pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
pub const CHARLIE: u64 = 3;
pub const DAVE: u64 = 4;
pub const DAVE_WORKER: u64 = 14;
/// Not a participant.
pub const OUTSIDER: u64 = 7;

/// Blocks per interval in the mock (EnergyData's test default).
pub const INTERVAL_BLOCKS: u64 = 10;

/// Zones 0 and 2 mapped; 3 generators.
pub fn test_map() -> crate::GridMapOf<Test> {
	crate::GridMap {
		case: b"ieee14".to_vec().try_into().unwrap(),
		generators: 3,
		zones: vec![
			crate::ZoneBus {
				zone: 0,
				bus: 4,
				scale: 1,
			},
			crate::ZoneBus {
				zone: 2,
				bus: 9,
				scale: 1_000,
			},
		]
		.try_into()
		.unwrap(),
	}
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	PARTICIPANTS.with(|p| *p.borrow_mut() = vec![DAVE, BOB, ALICE, CHARLIE]);
	ACTS_FOR.with(|a| *a.borrow_mut() = vec![(DAVE_WORKER, DAVE)]);
	MODEL_VERSION.with(|m| *m.borrow_mut() = Some(5));
	let mut t = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.unwrap();
	pallet_dispatch::GenesisConfig::<Test> {
		case: b"ieee14".to_vec(),
		generators: 3,
		zones: vec![(0, 4, 1), (2, 9, 1_000)],
		_config: Default::default(),
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext: sp_io::TestExternalities = t.into();
	ext.execute_with(|| run_to_block(1));
	ext
}

/// Runs `f` in a fresh test externality and checks the invariants afterwards.
pub fn build_and_execute<R>(f: impl FnOnce() -> R) -> R {
	new_test_ext().execute_with(|| {
		let r = f();
		Dispatch::do_try_state().expect("Dispatch invariants hold");
		r
	})
}

/// Advances to block `n`, running every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// Advances to the first block of interval `i`.
pub fn run_to_interval(i: IntervalIndex) {
	run_to_block(u64::from(i) * INTERVAL_BLOCKS);
}

/// Stores a reading of `device` in `zone` for `interval`, as `submit_readings` would.
pub fn reading(
	interval: IntervalIndex,
	device: DeviceId,
	zone: ZoneId,
	produced_wh: u64,
	consumed_wh: u64,
) {
	pallet_energy_data::Readings::<Test>::insert(
		interval,
		device,
		MeterValues {
			zone,
			produced_wh,
			consumed_wh,
		},
	);
	pallet_energy_data::ReadingCount::<Test>::mutate(interval, |c| *c += 1);
}

/// The benchmarks' externality: the genesis map, no participants and no model yet.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let mut ext = new_test_ext();
	PARTICIPANTS.with(|p| p.borrow_mut().clear());
	MODEL_VERSION.with(|m| *m.borrow_mut() = None);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
