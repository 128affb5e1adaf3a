#!/usr/bin/env bash
# gridbrain's test command: everything CI runs, in order.
#
#   scripts/test.sh
#
#  1. unit and property tests of the pallets and maths crates (debug build, overflow checks
#     on, no wasm needed) with the pallets' benchmark test suites, in one build (the pallets
#     with runtime-benchmarks: one feature variant of the dependency graph, not two);
#  2. clippy with the no-panic lints (unwrap/expect/indexing/arithmetic denied in runtime code);
#  3. the release build of gridbrain-node;
#  4. the runtime's tests (genesis presets, configuration, chain-spec lock) and the node's
#     end-to-end tests (dev-node smoke test, 3-validator finality, chain-spec consistency), in
#     release mode so they reuse the node build; the runtime fuzzer's tests, then a seeded,
#     time-boxed fuzzing campaign of the whole runtime (runtime/fuzz, FUZZ_SECONDS, default 120);
#     the ml-worker's tests and release build;
#  5. the polkadot.js check (beside the fuzzing campaign) and the end-to-end polkadot.js
#     scenario, each against a dev node;
#     the dashboard's browser test (headless Chromium, dev node + demo load), run beside the
#     scenario;
#  6. scripts/testnet-break-test.sh, run beside the fuzzing campaign: scripts/local-testnet.sh 4
#     keeps running when bob is stopped (--stop), restarts him (--restart) and he catches up;
#  7. scripts/fault-test.sh: 4 validators, one stopped and restarted, then two;
#  8. scripts/fl-integration.sh: 4 validators + 4 ml-workers finalize federated rounds, one of
#     them with its blocks stuffed by an outsider, then one worker runs six attacks in four rounds
#     (wrong layout, withholding, withholding from one worker, forged-update flood, oversized
#     requests, sign flip).
# Needs scripts/setup.sh to have run once. Prints "stages: N passed, M failed" at the end.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

# Crates whose tests need neither the node nor the runtime (pallets, maths, dispatch).
# The ml-worker is built against the runtime's types, so it is tested in release (below), where
# the runtime is already built; the model crate (candle) goes with it, so that candle is not
# compiled in debug as well.
LIBS=(--workspace --exclude gridbrain-node --exclude gridbrain-runtime --exclude gridbrain-ml-worker
	--exclude gridbrain-model --exclude gridbrain-runtime-fuzz)
# The pallets' benchmark test suites run with their unit tests: the pallets are built with
# runtime-benchmarks (the node's release build and clippy compile them without it).
BENCHED=pallet-energy-data/runtime-benchmarks,pallet-energy-market/runtime-benchmarks,pallet-federated-learning/runtime-benchmarks,pallet-dispatch/runtime-benchmarks

passed=0
failed=0
failed_names=()
# Tests that mostly wait (for blocks, intervals, finality) run beside another stage: started with
# `background NAME COMMAND...`, their stage is `wait_background NAME`, which prints their log.
declare -A BG_PID BG_LOG
background() {
	local name=$1
	shift
	BG_LOG[$name]=$(mktemp)
	"$@" > "${BG_LOG[$name]}" 2>&1 &
	BG_PID[$name]=$!
}
wait_background() {
	local rc=0
	[ -n "${BG_PID[$1]:-}" ] || { echo "$1 was not started"; return 1; }
	wait "${BG_PID[$1]}" || rc=$?
	cat "${BG_LOG[$1]}"
	return $rc
}

# A fuzzing campaign with a fixed seed and time box (the binary is built by the runtime tests'
# cargo invocation); a finding fails it and leaves the input in $FUZZ_FINDINGS (replay:
# gridbrain-runtime-fuzz --replay FILE --trace). The testnet break test (four validators, mostly
# idle between 6-second blocks) and the polkadot.js check (a dev node, a few transactions) run
# beside the campaign (one core); they use other ports, and start once the binaries are built.
fuzz_runtime() {
	# A no-op when the tests built it; the same features as the node's build either way.
	cargo_release build -p gridbrain-node -p gridbrain-runtime-fuzz || return 1
	background testnet scripts/testnet-break-test.sh
	background check scripts/polkadot-js-check.sh
	"$TARGET_DIR/release/gridbrain-runtime-fuzz" --seed 1 --seconds "${FUZZ_SECONDS:-120}" \
		--findings "${FUZZ_FINDINGS:-$REPO_ROOT/fuzz-findings}"
}

stage() {
	local name=$1
	shift
	log "=== stage: $name"
	local start=$(date +%s)
	if "$@"; then
		passed=$((passed + 1))
		log "=== ok: $name ($(( $(date +%s) - start ))s)"
		return 0
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		log "=== FAILED: $name ($(( $(date +%s) - start ))s)"
		return 1
	fi
}

stage "pallet and maths unit tests, with the pallets' benchmark test suites" \
	env SKIP_WASM_BUILD=1 cargo test "${LIBS[@]}" --features "$BENCHED"
if stage "build node (release)" cargo_release build -p gridbrain-node; then
	stage "clippy (no-panic lints)" cargo_release clippy --workspace --exclude gridbrain-node --all-targets -- -D warnings
	# The fuzzer is built and tested in the same cargo invocation as the runtime and the node:
	# alone, cargo would resolve other features for the runtime's dependencies and compile them
	# all again.
	stage "runtime tests, node end-to-end tests, runtime fuzzer tests" cargo_release test \
		-p gridbrain-runtime -p gridbrain-node -p gridbrain-runtime-fuzz -- --test-threads 1
	stage "runtime fuzzer: seed 1 for ${FUZZ_SECONDS:-120} s (beside the testnet break test and the polkadot.js check)" fuzz_runtime
	stage "local testnet (4 validators: --stop bob, others go on, --restart bob, catches up; beside the fuzzer)" \
		wait_background testnet
	stage "polkadot.js check (beside the fuzzer)" wait_background check
	# Separate cargo invocations: building the worker together with the node would unify their
	# dependencies' features and rebuild the node.
	stage "ml-worker tests (release, with the test-only adversaries)" cargo_release test -p gridbrain-ml-worker -p gridbrain-model --features gridbrain-ml-worker/adversary
	stage "build ml-worker (release)" cargo_release build -p gridbrain-ml-worker
	# The dashboard's browser test runs beside the scenario: both spend most of their time
	# waiting for intervals to be sealed and settled on their own dev nodes (other ports).
	# (Their shared npm packages are installed first, not by both at once.)
	js_deps
	background dashboard scripts/dashboard-test.sh
	stage "polkadot.js end-to-end scenario" scripts/polkadot-js-scenario.sh
	stage "dashboard in headless Chromium (dev node + demo load, beside the scenario)" wait_background dashboard
	stage "fault test (4 validators: 1 down, restart, 2 down, restart)" scripts/fault-test.sh
	stage "federated learning under attack: 4 validators + 4 workers, block stuffing, then 6 attacks in 4 rounds by one worker" scripts/fl-integration.sh
else
	log "the node did not build: skipping the stages that need it"
fi

[ $failed -eq 0 ] || log "failed stages: ${failed_names[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
