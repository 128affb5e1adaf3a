//! libFuzzer target: one input = one run of the runtime fuzzer's harness from genesis.
//! A broken invariant panics, which libFuzzer reports as a crash with the input saved.
#![no_main]

use std::sync::{Mutex, OnceLock};

use gridbrain_runtime_fuzz::{genesis_storage, run, Actors, Genesis, Limits, Stats};
use libfuzzer_sys::fuzz_target;

static GENESIS: OnceLock<Genesis> = OnceLock::new();
static ACTORS: OnceLock<Mutex<Actors>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
	let genesis = GENESIS.get_or_init(genesis_storage);
	let mut actors = ACTORS.get_or_init(|| Mutex::new(Actors::new())).lock().unwrap();
	let mut stats = Stats::default();
	if let Err(finding) = run(genesis, &mut actors, data, Limits::default(), &mut stats) {
		panic!("{finding}");
	}
});
