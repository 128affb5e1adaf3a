//! The fuzzer's own checks: its invariants catch what they claim to catch, and a short seeded
//! campaign reaches the deep states (trades, sealing, settlement, finalized rounds).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use frame_support::BoundedVec;
use gridbrain_runtime::Runtime;
use gridbrain_runtime_fuzz::{check_state, genesis_storage, run_catching, Actors, InputSource, Limits, Stats};
use pallet_energy_market::Side;

#[test]
fn check_state_flags_issuance_that_no_account_holds() {
	sp_io::TestExternalities::new(genesis_storage()).execute_with(|| {
		assert_eq!(check_state(), Ok(()));
		pallet_balances::TotalIssuance::<Runtime>::mutate(|i| *i += 1);
		let e = check_state().unwrap_err();
		assert!(e.contains("total issuance"), "{e}");
	});
}

#[test]
fn check_state_runs_the_pallets_try_state() {
	sp_io::TestExternalities::new(genesis_storage()).execute_with(|| {
		pallet_energy_market::ZoneBooks::<Runtime>::insert((5, 0, Side::Buy), BoundedVec::default());
		let e = check_state().unwrap_err();
		assert!(e.contains("EnergyMarket try_state") && e.contains("empty book"), "{e}");
	});
}

#[test]
fn a_short_seeded_campaign_reaches_trades_settlement_and_finalized_rounds() {
	let genesis = genesis_storage();
	let mut actors = Actors::new();
	let mut stats = Stats::default();
	let mut source = InputSource::new(7);
	for _ in 0..40 {
		let data = source.next_input(2048, 8192);
		if let Err(f) = run_catching(&genesis, &mut actors, &data, Limits::default(), &mut stats) {
			panic!("finding on seed 7: {f}");
		}
	}
	let ok = |call: &str| stats.calls.get(call).map_or(0, |s| s.ok);
	let events = |e: &str| stats.events.get(e).copied().unwrap_or(0);
	for call in [
		"EnergyData.register_device",
		"EnergyData.submit_readings",
		"EnergyMarket.place_order",
		"EnergyMarket.cancel_order",
		"FederatedLearning.register_worker",
		"FederatedLearning.commit_update",
		"FederatedLearning.reveal_update",
		"Balances.transfer_allow_death",
	] {
		assert!(ok(call) > 0, "{call} never succeeded: {:?}", stats.calls.get(call));
	}
	let root_ok = stats.calls.iter().filter(|(name, s)| name.starts_with("Sudo.sudo > ") && s.ok > 0).count();
	assert!(root_ok >= 3, "fewer than 3 kinds of root calls succeeded: {:?}", stats.calls.keys());
	for event in [
		"EnergyMarket.TradeExecuted",
		"EnergyData.EnergyDataBlockSealed",
		"EnergyMarket.TradeSettled",
		"FederatedLearning.RoundOpened",
	] {
		assert!(events(event) > 0, "no {event} in 40 inputs: {:?}", stats.events);
	}
}
