//! try-runtime checks of this runtime's upgrade on the state of a live chain.
//!
//! `scripts/upgrade-test.sh` exports the state of a populated testnet running the previous
//! runtime release (every top-level key and value at the block before the upgrade, as JSON
//! `{"0xkey": "0xvalue", …}`), then runs
//!
//! ```text
//! GRIDBRAIN_STATE=FILE cargo test --release -p gridbrain-runtime --features try-runtime \
//!     --test try_runtime_upgrade -- --ignored
//! ```
//!
//! which runs this runtime's migrations on that state with every `pre_upgrade`/`post_upgrade`
//! check, then the `try_state` checks of every pallet, then the migrations again to prove they
//! are idempotent (the pallets' storage versions make the second run a no-op).
#![cfg(feature = "try-runtime")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use frame_support::traits::{GetStorageVersion, StorageVersion};
use frame_try_runtime::UpgradeCheckSelect;
use gridbrain_runtime::{EnergyData, EnergyMarket, Executive, FederatedLearning, Runtime};

fn exported_state() -> sp_core::storage::Storage {
	let path = std::env::var("GRIDBRAIN_STATE")
		.expect("GRIDBRAIN_STATE names a state exported by scripts/upgrade-test.sh");
	let json: serde_json::Map<String, serde_json::Value> =
		serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
			.expect("the state is a JSON object of hex keys and values");
	let hex = |s: &str| sp_core::bytes::from_hex(s).unwrap_or_else(|e| panic!("bad hex {s}: {e:?}"));
	let top = json
		.iter()
		.map(|(k, v)| (hex(k), hex(v.as_str().expect("values are hex strings"))))
		.collect();
	sp_core::storage::Storage { top, children_default: Default::default() }
}

#[test]
#[ignore = "needs GRIDBRAIN_STATE from scripts/upgrade-test.sh"]
fn the_upgrade_passes_its_try_runtime_checks_on_a_live_chain_s_state() {
	let mut ext = sp_io::TestExternalities::new(exported_state());
	ext.execute_with(|| {
		let on_chain = |v: StorageVersion| format!("{v:?}");
		println!(
			"on chain before: EnergyData {}, EnergyMarket {}, FederatedLearning {}; {} accounts",
			on_chain(EnergyData::on_chain_storage_version()),
			on_chain(EnergyMarket::on_chain_storage_version()),
			on_chain(FederatedLearning::on_chain_storage_version()),
			frame_system::Account::<Runtime>::iter_keys().count(),
		);
		let weight = Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.unwrap_or_else(|e| panic!("the upgrade's checks failed: {e:?}"));
		println!("migrations and checks passed; upgrade weight {weight:?}");
		assert_eq!(EnergyData::on_chain_storage_version(), EnergyData::in_code_storage_version());
		assert_eq!(EnergyMarket::on_chain_storage_version(), EnergyMarket::in_code_storage_version());
		assert_eq!(
			FederatedLearning::on_chain_storage_version(),
			FederatedLearning::in_code_storage_version()
		);
		// A second run finds nothing to migrate and every check still passes.
		Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.unwrap_or_else(|e| panic!("the second run of the migrations failed: {e:?}"));
	});
}
