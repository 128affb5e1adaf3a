#!/usr/bin/env bash
# gridbrain's test command: everything CI runs, in order.
#
#   scripts/test.sh
#
#  1. unit and property tests of the runtime, pallets and maths crates (debug build, overflow
#     checks on, SKIP_WASM_BUILD=1 so no wasm is needed);
#  2. clippy on runtime code with the no-panic lints (unwrap/expect/indexing/arithmetic denied);
#  3. the node's end-to-end tests (release): dev-node smoke test, 3-validator finality,
#     chain-spec consistency;
#  4. the polkadot.js check against a dev node;
#  5. scripts/local-testnet.sh 3 until all nodes agree on finalized height >= 3.
# Needs scripts/setup.sh to have run once. Prints "stages: N passed, M failed" at the end.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

# Crates tested without the node (everything but the node binary).
NO_NODE=(--workspace --exclude gridbrain-node)

passed=0
failed=0
failed_names=()
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

stage "unit tests" env SKIP_WASM_BUILD=1 cargo test "${NO_NODE[@]}"
stage "clippy (no-panic lints)" env SKIP_WASM_BUILD=1 cargo clippy "${NO_NODE[@]}" --all-targets -- -D warnings
if stage "build node (release)" cargo_release build -p gridbrain-node; then
	stage "node end-to-end tests" cargo_release test -p gridbrain-node -- --test-threads 1
	stage "polkadot.js check" scripts/polkadot-js-check.sh
	stage "local testnet (3 validators)" scripts/local-testnet.sh 3 --until-finalized 3 \
		--base-dir "$(mktemp -d)/testnet" --timeout 240
else
	log "the node did not build: skipping the stages that run it"
fi

[ $failed -eq 0 ] || log "failed stages: ${failed_names[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
