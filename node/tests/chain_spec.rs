//! The `local` chain spec of this binary matches the committed `chain-spec/local.lock.json`
//! (which `runtime/tests/chain_spec_lock.rs` keeps in step with the runtime), and every
//! built-in spec loads.

mod common;

use std::process::Command;

use serde_json::Value;

fn build_spec(chain: &str) -> Value {
	let out = Command::new(common::node_bin())
		.args(["build-spec", "--chain", chain, "--raw", "--disable-default-bootnode"])
		.output()
		.unwrap();
	assert!(out.status.success(), "build-spec --chain {chain} failed: {out:?}");
	serde_json::from_slice(&out.stdout).expect("raw chain spec is JSON")
}

#[test]
fn raw_local_spec_matches_committed_lock() {
	let lock: Value = serde_json::from_slice(
		&std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../chain-spec/local.lock.json"))
			.expect("chain-spec/local.lock.json exists"),
	)
	.unwrap();
	let spec = build_spec("local");
	assert_eq!(spec["id"], "gridbrain_local");
	let mut top = spec["genesis"]["raw"]["top"].as_object().expect("raw top storage").clone();
	let code = top.remove("0x3a636f6465").expect(":code present in the raw spec");
	assert!(code.as_str().unwrap().len() > 1000, "runtime code is embedded");
	let lock_genesis = lock["genesis"].as_object().unwrap();
	assert_eq!(
		&top, lock_genesis,
		"raw `local` genesis of this binary differs from chain-spec/local.lock.json"
	);
}

#[test]
fn unknown_chain_is_a_clear_error() {
	let out = Command::new(common::node_bin())
		.args(["build-spec", "--chain", "/nonexistent/spec.json"])
		.output()
		.unwrap();
	assert!(!out.status.success());
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(stderr.contains("cannot load chain spec"), "unexpected error text: {stderr}");
}
