//! Mock runtime for the FederatedLearning pallet's tests: System, Balances, FederatedLearning.

#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate::{self as pallet_federated_learning, AggregationRule, ValidatorSet};
use core::cell::RefCell;
use frame_support::{derive_impl, parameter_types, traits::ConstU128};
use frame_system::EnsureRoot;
use sp_core::{ed25519, Pair};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		FederatedLearning: pallet_federated_learning,
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

/// Deposit per worker.
pub const DEPOSIT: u128 = 500;

thread_local! {
	/// The validator accounts of the mock.
	pub static VALIDATORS: RefCell<Vec<u64>> = RefCell::new((1..=6).collect());
}

/// Validators: accounts in [`VALIDATORS`].
pub struct MockValidators;
impl ValidatorSet<u64> for MockValidators {
	fn is_validator(who: &u64) -> bool {
		VALIDATORS.with(|v| v.borrow().contains(who))
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn add_validator(who: &u64) {
		VALIDATORS.with(|v| v.borrow_mut().push(*who));
	}
}

/// Removes `who` from the validator set.
pub fn remove_validator(who: u64) {
	VALIDATORS.with(|v| v.borrow_mut().retain(|a| *a != who));
}

parameter_types! {
	pub const Rule: AggregationRule = AggregationRule::TrimmedMean { trim_ppm: 200_000 };
}

#[derive_impl(pallet_federated_learning::config_preludes::TestDefaultConfig)]
impl pallet_federated_learning::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Validators = MockValidators;
	type AdminOrigin = EnsureRoot<u64>;
	type WorkerDeposit = ConstU128<DEPOSIT>;
	type DefaultRule = Rule;
}

/// Validators with funds.
pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
pub const CHARLIE: u64 = 3;
pub const DAVE: u64 = 4;
pub const EVE: u64 = 5;
/// A validator with less than the deposit.
pub const POOR: u64 = 6;
/// Not a validator.
pub const OUTSIDER: u64 = 7;

/// Starting balance of the funded accounts.
pub const FUNDS: u128 = 1_000_000;

/// The worker key of account `who`.
pub fn worker_key(who: u64) -> ed25519::Public {
	ed25519::Pair::from_seed(&[who as u8; 32]).public()
}

/// A peer id for account `who` (any non-empty bytes).
pub fn peer_id(who: u64) -> crate::PeerIdOf<Test> {
	vec![0x00, 0x24, who as u8].try_into().unwrap()
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	VALIDATORS.with(|v| *v.borrow_mut() = (1..=6).collect());
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let balances = vec![
		(ALICE, FUNDS),
		(BOB, FUNDS),
		(CHARLIE, FUNDS),
		(DAVE, FUNDS),
		(EVE, FUNDS),
		(POOR, 100),
		(OUTSIDER, FUNDS),
	];
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut t)
		.unwrap();
	let mut ext: sp_io::TestExternalities = t.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `f` in a fresh test externality and checks the invariants afterwards.
pub fn build_and_execute(f: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		f();
		FederatedLearning::do_try_state().expect("FederatedLearning invariants hold");
	});
}

/// Advances to block `n`, running every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}
