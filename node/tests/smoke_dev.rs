//! Smoke test: `gridbrain-node --dev --tmp` produces and finalizes blocks, serves RPC and
//! Prometheus metrics, agrees with `export-genesis-state`, and stops cleanly on SIGINT.

mod common;

use std::{process::Command, time::Duration};

use common::{http_get, wait_for, Node, TempDir};
use serde_json::{json, Value};

#[test]
fn dev_node_finalizes_blocks_and_stops_cleanly() {
	let dir = TempDir::new("smoke");
	let mut node = Node::start("dev", &dir.0, &["--dev", "--tmp"]);

	let (finalized, _) = wait_for(Duration::from_secs(120), "finalized block >= 2", || {
		node.assert_running();
		node.finalized().filter(|(n, _)| *n >= 2)
	});
	assert!(finalized >= 2);
	assert!(node.best_number().unwrap() >= finalized);

	// Runtime identity over RPC.
	let version = node.rpc("state_getRuntimeVersion", json!([])).unwrap();
	assert_eq!(version["specName"], "gridbrain");
	let props = node.rpc("system_properties", json!([])).unwrap();
	assert_eq!(props["tokenSymbol"], "GRID");
	assert_eq!(props["tokenDecimals"], 12);

	// The genesis hash the CLI computes offline is the one the node runs.
	let out = Command::new(common::node_bin())
		.args(["export-genesis-state", "--chain", "dev"])
		.output()
		.unwrap();
	assert!(out.status.success(), "export-genesis-state failed: {out:?}");
	let exported: Value = serde_json::from_slice(&out.stdout).unwrap();
	assert_eq!(Some(exported["genesisHash"].as_str().unwrap().to_string()), node.block_hash(0));

	// Prometheus metrics are served.
	let metrics = http_get(node.prometheus_port, "/metrics").expect("metrics endpoint answers");
	assert!(metrics.contains("substrate_block_height"), "block height metric missing");

	let status = node.stop();
	assert!(status.success(), "node exited with {status} after SIGINT; log:\n{}", node.log_tail());
}
