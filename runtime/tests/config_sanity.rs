//! Runtime configuration sanity (reliability guide, threat 13: misconfiguration).

#![allow(clippy::arithmetic_side_effects)]

use frame_support::{traits::Get, weights::constants::WEIGHT_REF_TIME_PER_SECOND};
use gridbrain_runtime::{
	configs::RuntimeBlockWeights, Runtime, EXISTENTIAL_DEPOSIT, INTERVAL_BLOCKS,
	MILLISECS_PER_BLOCK, SLOT_DURATION, VERSION,
};
use sp_runtime::traits::Zero;

#[test]
fn existential_deposit_is_positive() {
	assert!(EXISTENTIAL_DEPOSIT > 0);
	let ed: u128 = <Runtime as pallet_balances::Config>::ExistentialDeposit::get();
	assert_eq!(ed, EXISTENTIAL_DEPOSIT);
}

#[test]
fn block_weight_is_a_third_of_the_block_time() {
	let weights = RuntimeBlockWeights::get();
	assert_eq!(weights.max_block.ref_time(), 2 * WEIGHT_REF_TIME_PER_SECOND);
	assert_eq!(MILLISECS_PER_BLOCK, 6_000);
	// Normal transactions can't fill the block: operational/mandatory keep their reserve.
	let normal = weights
		.get(frame_support::dispatch::DispatchClass::Normal)
		.max_total
		.expect("normal class is bounded");
	assert!(normal.ref_time() < weights.max_block.ref_time());
	assert!(!normal.ref_time().is_zero());
}

#[test]
fn aura_slot_matches_block_time() {
	let min_period: u64 = <Runtime as pallet_timestamp::Config>::MinimumPeriod::get();
	assert_eq!(min_period * 2, SLOT_DURATION);
	assert_eq!(SLOT_DURATION, MILLISECS_PER_BLOCK);
}

#[test]
fn interval_is_one_minute_on_dev_networks() {
	assert_eq!(u64::from(INTERVAL_BLOCKS) * MILLISECS_PER_BLOCK, 60_000);
}

#[test]
fn runtime_version_identifies_gridbrain() {
	assert_eq!(VERSION.spec_name, "gridbrain");
	assert!(VERSION.spec_version >= 100);
	assert_eq!(VERSION.system_version, 1, "state version 1 (trie V1) from genesis");
}
