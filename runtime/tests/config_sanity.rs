//! Runtime configuration sanity (reliability guide, threat 13: misconfiguration).

// Test code: panicking on a broken expectation is the point.
#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects,
	clippy::assertions_on_constants
)]



use frame_support::{traits::Get, weights::constants::WEIGHT_REF_TIME_PER_SECOND};
use gridbrain_runtime::{
	configs::RuntimeBlockWeights, Runtime, EXISTENTIAL_DEPOSIT, INTERVAL_BLOCKS,
	MILLISECS_PER_BLOCK, SLOT_DURATION, VERSION,
};
use sp_runtime::traits::Zero;

mod common;

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

#[test]
fn energy_data_hooks_fit_in_a_quarter_of_the_block() {
	use pallet_energy_data::{weights::SubstrateWeight, WeightInfo};
	type Cfg = <Runtime as pallet_energy_data::Config>::MaxReadingsPerInterval;
	type W = SubstrateWeight<Runtime>;
	let intervals: u32 = <Runtime as pallet_energy_data::Config>::MaxIntervalsPerBlock::get();
	let pruned: u32 = <Runtime as pallet_energy_data::Config>::MaxPrunedPerBlock::get();
	// Worst case of one block: seal `intervals` full intervals and prune the budget.
	let worst = W::hook_idle()
		.saturating_add(W::seal_interval(Cfg::get()).saturating_mul(u64::from(intervals)))
		.saturating_add(W::prune_interval(pruned))
		.saturating_add(W::prune_interval(0).saturating_mul(u64::from(intervals)));
	let max = RuntimeBlockWeights::get().max_block;
	assert!(
		worst.ref_time() < max.ref_time() / 4,
		"EnergyData hooks may use {} of {} ps per block",
		worst.ref_time(),
		max.ref_time()
	);
}

#[test]
fn a_full_readings_batch_fits_in_a_block() {
	use pallet_energy_data::{weights::SubstrateWeight, WeightInfo};
	let n = <Runtime as pallet_energy_data::Config>::MaxReadingsPerCall::get();
	// What the call is charged up front: all accepted, or one accepted and the rest skipped at
	// the signature check, whichever weighs more.
	let w = pallet_energy_data::Pallet::<Runtime>::readings_weight_max(n);
	assert!(SubstrateWeight::<Runtime>::submit_readings(n).all_lte(w));
	let normal = RuntimeBlockWeights::get()
		.get(frame_support::dispatch::DispatchClass::Normal)
		.max_extrinsic
		.expect("normal extrinsics are bounded");
	assert!(w.all_lte(normal), "a batch of {n} readings ({w:?}) exceeds {normal:?}");
}

#[test]
fn retiring_or_revoking_a_device_with_the_most_open_orders_fits_in_a_block() {
	use pallet_energy_data::{weights::SubstrateWeight, OnDeviceDisabled, WeightInfo};
	// Charged up front: the call and the market cancelling `MaxOpenOrdersPerAccount` orders.
	let hook = <pallet_energy_market::Pallet<Runtime> as OnDeviceDisabled<gridbrain_runtime::AccountId>>::max_weight();
	assert!(hook.ref_time() > 0, "the market's cancellations are charged");
	let normal = RuntimeBlockWeights::get()
		.get(frame_support::dispatch::DispatchClass::Normal)
		.max_extrinsic
		.expect("normal extrinsics are bounded");
	for (name, w) in [
		("retire_device", SubstrateWeight::<Runtime>::retire_device() + hook),
		("revoke_certificate", SubstrateWeight::<Runtime>::revoke_certificate() + hook),
	] {
		assert!(w.all_lte(normal), "{name} ({w:?}) exceeds {normal:?}");
	}
}

#[test]
fn energy_market_hooks_fit_in_a_quarter_of_the_block() {
	use pallet_energy_market::{weights::SubstrateWeight, WeightInfo};
	type W = SubstrateWeight<Runtime>;
	type C = Runtime;
	let expire = <C as pallet_energy_market::Config>::MaxExpiredPerBlock::get();
	let settle = <C as pallet_energy_market::Config>::MaxSettledPerBlock::get();
	// Worst case: a full expiry budget and a full settlement budget, each walking as many
	// intervals as its budget allows.
	let worst = W::on_initialize_expire(expire, expire.saturating_add(1))
		.saturating_add(W::on_initialize_settle(settle, settle.saturating_add(1)));
	let max = RuntimeBlockWeights::get().max_block;
	assert!(
		worst.ref_time() < max.ref_time() / 4,
		"EnergyMarket hooks may use {} of {} ps per block",
		worst.ref_time(),
		max.ref_time()
	);
}

#[test]
fn energy_market_calls_fit_in_a_block() {
	use pallet_energy_market::{weights::SubstrateWeight, WeightInfo};
	type W = SubstrateWeight<Runtime>;
	let n = <Runtime as pallet_energy_market::Config>::MaxSettledPerCall::get();
	let normal = RuntimeBlockWeights::get()
		.get(frame_support::dispatch::DispatchClass::Normal)
		.max_extrinsic
		.expect("normal extrinsics are bounded");
	use pallet_energy_market::Side;
	type Market = pallet_energy_market::Pallet<Runtime>;
	for (name, w) in [
		("place_order(sell, max fills, all zones, all devices)", Market::place_order_max(Side::Sell, u64::MAX)),
		("place_order(buy, max fills, all zones)", Market::place_order_max(Side::Buy, u64::MAX)),
		("settle(max)", W::settle(n)),
	] {
		assert!(w.all_lte(normal), "{name} ({w:?}) exceeds {normal:?}");
	}
}

#[test]
fn an_interval_full_of_trades_can_be_settled_within_one_interval() {
	use pallet_energy_market::{weights::SubstrateWeight, WeightInfo};
	type W = SubstrateWeight<Runtime>;
	type C = Runtime;
	let max_trades: u32 = <C as pallet_energy_market::Config>::MaxTradesPerInterval::get();
	let hook: u32 = <C as pallet_energy_market::Config>::MaxSettledPerBlock::get();
	let per_call: u32 = <C as pallet_energy_market::Config>::MaxSettledPerCall::get();
	// Normal-class weight left in a block for permissionless `settle(interval, max)` calls.
	let normal = RuntimeBlockWeights::get()
		.get(frame_support::dispatch::DispatchClass::Normal)
		.max_total
		.expect("the normal class is bounded");
	let calls_per_block = normal.ref_time() / W::settle(per_call).ref_time();
	let hook_only = u64::from(INTERVAL_BLOCKS) * u64::from(hook);
	let with_calls = u64::from(INTERVAL_BLOCKS) * (u64::from(hook) + calls_per_block * u64::from(per_call));
	// The hook alone settles `hook_only` trades per interval; with the calls anyone may make
	// (as `scripts/bench-market.sh` does) a full interval settles within one interval, so a
	// backlog can't grow while the market is full. (Readings are kept until settled anyway.)
	assert!(
		with_calls >= u64::from(max_trades),
		"{max_trades} trades per interval, but hook ({hook_only}) + {calls_per_block} calls per block settle only {with_calls}"
	);
}

#[test]
fn federated_learning_hook_fits_in_a_tenth_of_the_block() {
	use pallet_federated_learning::{weights::SubstrateWeight, WeightInfo};
	type W = SubstrateWeight<Runtime>;
	let n = <Runtime as pallet_federated_learning::Config>::MaxWorkers::get();
	// Worst block: a round fails (closing it strikes every participant) and the next opens
	// (snapshotting every worker and pruning the oldest round).
	let worst = W::advance_phase().saturating_add(W::close_round(n)).saturating_add(W::open_round(n));
	let max = RuntimeBlockWeights::get().max_block;
	assert!(
		worst.ref_time() < max.ref_time() / 10,
		"FederatedLearning's hook may use {} of {} ps per block",
		worst.ref_time(),
		max.ref_time()
	);
}

#[test]
fn federated_learning_calls_fit_in_a_block_and_workers_fit_the_authorities() {
	use pallet_federated_learning::{weights::SubstrateWeight, WeightInfo};
	type W = SubstrateWeight<Runtime>;
	type C = Runtime;
	let n = <C as pallet_federated_learning::Config>::MaxWorkers::get();
	// Every validator can register a worker.
	assert!(n >= <C as pallet_aura::Config>::MaxAuthorities::get());
	let normal = RuntimeBlockWeights::get()
		.get(frame_support::dispatch::DispatchClass::Normal)
		.max_extrinsic
		.expect("normal extrinsics are bounded");
	for (name, w) in [
		("submit_aggregate(max) finalizing", W::submit_aggregate(n).saturating_add(W::submit_aggregate_finalize(n))),
		("register_worker", W::register_worker()),
		("reveal_update", W::reveal_update()),
	] {
		assert!(w.all_lte(normal), "{name} ({w:?}) exceeds {normal:?}");
	}
	// The default rule trims a third: one bad update among three is dropped.
	let rule = <C as pallet_federated_learning::Config>::DefaultRule::get();
	assert!(rule.validate().is_ok());
	assert_eq!(rule.trimmed_per_side(3), 1);
	assert_eq!(rule.trimmed_per_side(4), 1);
}

/// `place_order` is charged as parts benchmarked apart (`place_order(f)` or
/// `place_order_buy(f)`, `rest_order`, `zone_books(z)`, `pick_device(d)`); its worst case measured in one piece
/// (`place_order_spread`: every fill in another zone's full book, a rest with eviction) must
/// not cost more than the sum charged for it.
#[test]
fn place_order_charge_covers_its_worst_case_measured_in_one_piece() {
	use pallet_energy_market::{weights::SubstrateWeight, WeightInfo};
	let fills = <Runtime as pallet_energy_market::Config>::MaxFillsPerOrder::get();
	let zones: u32 = <Runtime as pallet_energy_data::Config>::MaxZones::get();
	// 16 fills over 16 zones: 15 of them in other zones' books.
	let charged = pallet_energy_market::Pallet::<Runtime>::place_order_weight(
		pallet_energy_market::Side::Sell,
		&pallet_energy_market::PlaceWork {
			fills,
			kept_maker: false,
			other_books: zones - 1,
			cross_zone_fills: fills - fills.div_ceil(zones),
			rests: 1,
			devices: 1,
		},
	);
	let measured = SubstrateWeight::<Runtime>::place_order_spread();
	assert!(
		measured.ref_time() <= charged.ref_time(),
		"worst case measured {} ps > charged {} ps",
		measured.ref_time(),
		charged.ref_time()
	);
}

#[test]
fn the_extrinsic_base_weight_is_measured_net_of_the_transaction_extensions() {
	use frame_support::{dispatch::DispatchClass, weights::constants::WEIGHT_REF_TIME_PER_MICROS};
	use gridbrain_runtime::weights::{extensions_execution, extrinsic_weights::ExtrinsicBaseWeight};
	let measured = ExtrinsicBaseWeight::get();
	let base = RuntimeBlockWeights::get().get(DispatchClass::Normal).base_extrinsic;
	println!(
		"extrinsic base: measured {} µs, extensions' execution {} µs, charged {} µs",
		measured.ref_time() / WEIGHT_REF_TIME_PER_MICROS,
		extensions_execution().ref_time() / WEIGHT_REF_TIME_PER_MICROS,
		base.ref_time() / WEIGHT_REF_TIME_PER_MICROS
	);
	assert_eq!(base, measured.saturating_sub(extensions_execution()));
	// What remains holds at least an sr25519 signature check: tens of µs on any machine. A
	// base of ~0 would mean the extensions' weights and the overhead figure disagree.
	assert!(base.ref_time() >= 20 * WEIGHT_REF_TIME_PER_MICROS, "base {base:?}");
}

#[test]
fn dispatch_hook_and_calls_fit_and_participants_cover_the_workers() {
	use pallet_dispatch::{weights::SubstrateWeight, WeightInfo};
	type W = SubstrateWeight<Runtime>;
	type C = Runtime;
	// Every FL worker can be a participant, and the history is at least the readings' window.
	let participants: u32 = <C as pallet_dispatch::Config>::MaxParticipants::get();
	let workers: u32 = <C as pallet_federated_learning::Config>::MaxWorkers::get();
	assert!(participants >= workers);
	let accounted_per_block: u32 = <C as pallet_dispatch::Config>::MaxAccountedPerBlock::get();
	let sealed_per_block: u32 = <C as pallet_energy_data::Config>::MaxIntervalsPerBlock::get();
	assert!(accounted_per_block >= sealed_per_block, "accounting must keep up with sealing");
	// Worst hook block: every open interval expires short of its quorum (at most
	// `max_open_plans` plans) and two sealed intervals are accounted for.
	let horizon: u32 = <C as pallet_dispatch::Config>::SubmissionHorizon::get();
	let per_interval = pallet_dispatch::Pallet::<C>::max_open_plans() / horizon;
	let accounted: u32 = <C as pallet_dispatch::Config>::MaxAccountedPerBlock::get();
	let worst = W::expire_plans(per_interval)
		.saturating_mul(horizon.into())
		.saturating_add(W::account_interval().saturating_mul(accounted.into()));
	let max = RuntimeBlockWeights::get().max_block;
	assert!(
		worst.ref_time() < max.ref_time() / 10,
		"Dispatch's hook may use {} of {} ps per block",
		worst.ref_time(),
		max.ref_time()
	);
	let normal = RuntimeBlockWeights::get()
		.get(frame_support::dispatch::DispatchClass::Normal)
		.max_extrinsic
		.expect("normal extrinsics are bounded");
	let quorum = pallet_dispatch::Pallet::<C>::max_quorum();
	for (name, w) in [
		("submit_plan_agree(max quorum)", W::submit_plan_agree(quorum)),
		("submit_plan", W::submit_plan()),
		("set_grid_map(max open plans)", W::set_grid_map(pallet_dispatch::Pallet::<C>::max_open_plans())),
	] {
		assert!(w.all_lte(normal), "{name} ({w:?}) exceeds {normal:?}");
	}
	// The genesis map's set-point vector fits.
	let max_generators: u32 = <C as pallet_dispatch::Config>::MaxGenerators::get();
	assert!(gridbrain_runtime::genesis_config_presets::DEV_GRID_GENERATORS <= max_generators);
}

/// A one-lot take of a larger resting order (`kept_maker`: the maker's account, hold and open
/// orders untouched) is charged less than a one-fill order that closes its maker, and both
/// more than a transfer. Prints what each signed extrinsic is charged in all (base weight,
/// transaction extensions, call) and how many fit in a block's normal class: the per-block
/// ratio `scripts/bench-market.sh` measures.
#[test]
fn a_kept_fill_is_charged_less_than_a_closing_one_and_more_than_a_transfer() {
	use frame_support::{
		dispatch::{DispatchClass, GetDispatchInfo},
		weights::{constants::WEIGHT_REF_TIME_PER_NANOS, Weight},
	};
	use gridbrain_runtime::RuntimeCall;
	use pallet_energy_market::{Pallet as Market, PlaceWork, Side};
	let base = RuntimeBlockWeights::get().get(DispatchClass::Normal).base_extrinsic;
	let signed = common::signed_weight;
	let transfer_call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: sp_runtime::MultiAddress::Id([1u8; 32].into()),
		value: 1,
	});
	let transfer = signed(&transfer_call, transfer_call.get_dispatch_info().call_weight);
	let order_call = RuntimeCall::EnergyMarket(pallet_energy_market::Call::place_order {
		side: Side::Sell,
		zone: 0,
		interval: 0,
		quantity_wh: 0,
		price_per_kwh: 0,
	});
	let one_fill = PlaceWork { fills: 1, devices: 1, ..Default::default() };
	let closing = signed(&order_call, Market::<Runtime>::place_order_weight(Side::Sell, &one_fill));
	let kept = signed(
		&order_call,
		Market::<Runtime>::place_order_weight(Side::Sell, &PlaceWork { kept_maker: true, ..one_fill }),
	);
	let normal = RuntimeBlockWeights::get().get(DispatchClass::Normal).max_total.unwrap().ref_time();
	let per_block = |w: Weight| normal / w.ref_time();
	let us = |w: Weight| w.ref_time() / (1_000 * WEIGHT_REF_TIME_PER_NANOS);
	println!(
		"signed extrinsic in all: base {} µs; transfer {} µs ({} per block); one-fill sell closing its maker {} µs ({}); kept {} µs ({}, ratio to transfers {:.3})",
		us(base),
		us(transfer),
		per_block(transfer),
		us(closing),
		per_block(closing),
		us(kept),
		per_block(kept),
		per_block(kept) as f64 / per_block(transfer) as f64,
	);
	assert!(kept.ref_time() < closing.ref_time(), "a kept fill touches fewer items than a closing one");
	assert!(transfer.ref_time() < kept.ref_time());
}

/// Every order reads `PriceLimits` and reads and writes `NextOrderId`. The benchmarks do not
/// count them (`#[pallet::whitelist_storage]`, as they do not count the signer's account,
/// which the transaction payment reads and writes first): the market's block hook reads both
/// in every block and charges their reads and one write there. Removing the hook's charge or
/// whitelisting without it fails here.
#[test]
fn values_every_order_uses_are_whitelisted_and_charged_by_the_block_hook() {
	use frame_support::traits::{Hooks, WhitelistedStorageKeys};
	use gridbrain_runtime::AllPalletsWithSystem;
	use pallet_energy_market::{NextOrderId, Pallet as Market, PriceLimits};
	let keys: Vec<Vec<u8>> =
		AllPalletsWithSystem::whitelisted_storage_keys().into_iter().map(|k| k.key).collect();
	for key in [NextOrderId::<Runtime>::hashed_key(), PriceLimits::<Runtime>::hashed_key()] {
		assert!(keys.contains(&key.to_vec()), "{} not whitelisted", sp_core::hexdisplay::HexDisplay::from(&key));
	}
	let db = <Runtime as frame_system::Config>::DbWeight::get();
	let warm = sp_io::TestExternalities::default().execute_with(Market::<Runtime>::warm_hot_values);
	assert_eq!(warm, db.reads_writes(2, 1));
	let hook = sp_io::TestExternalities::default().execute_with(|| <Market<Runtime> as Hooks<u32>>::on_initialize(1));
	let work = sp_io::TestExternalities::default().execute_with(Market::<Runtime>::expire_and_settle);
	assert_eq!(hook, work.saturating_add(db.reads_writes(2, 1)));
	// The one call that writes `PriceLimits` is charged the write its benchmark no longer counts.
	use frame_support::dispatch::GetDispatchInfo;
	use pallet_energy_market::{weights::SubstrateWeight, WeightInfo};
	let band = gridbrain_runtime::RuntimeCall::EnergyMarket(pallet_energy_market::Call::set_price_band { floor: 1, cap: 2 });
	assert_eq!(
		band.get_dispatch_info().call_weight,
		SubstrateWeight::<Runtime>::set_price_band().saturating_add(db.writes(1))
	);
}
