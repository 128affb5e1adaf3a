#!/usr/bin/env bash
# Measures the database read/write weights on this machine (ParityDB) and writes
# runtime/src/db_weights.rs, which the runtime uses as `frame_system::Config::DbWeight`.
#
#   scripts/benchmark-storage.sh [--no-build]
#
# 1. builds gridbrain-node with runtime-benchmarks (as scripts/benchmark-pallets.sh does;
#    --no-build uses the existing build: the measurement does not depend on the runtime's code);
# 2. runs it as a dev node with a database in a temporary directory and populates the state with
#    scripts/polkadot-js/bench-readings.mjs (10k devices, 40k readings, 20k transfers);
# 3. stops it and runs `benchmark storage` over that state: every key is read, and written in
#    batches of 10,000 (about one block of readings), and the averages are doubled (`--mul 2`)
#    to leave room for a larger state.
# Takes about 8 minutes after the build. The chain's state here is small (~60k keys); an
# operator should re-run the benchmark on a copy of a production database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
js_deps

BENCH_TARGET_DIR="${BENCH_TARGET_DIR:-$TARGET_DIR-bench}"
BENCH_NODE="$BENCH_TARGET_DIR/release/gridbrain-node"
if [ "${1:-}" != "--no-build" ]; then
	export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
	log "building gridbrain-node with runtime-benchmarks into $BENCH_TARGET_DIR"
	(cd "$REPO_ROOT" && CARGO_TARGET_DIR="$BENCH_TARGET_DIR" cargo_release build -p gridbrain-node --features runtime-benchmarks)
fi
[ -x "$BENCH_NODE" ] || die "no benchmark build at $BENCH_NODE (run without --no-build)"

DIR=$(mktemp -d)
PORT=${GRIDBRAIN_RPC_PORT:-19999}
BENCH_PID=""
trap 'stop_pids ${BENCH_PID:-}; rm -rf "$DIR"' EXIT
start_bench_node "$BENCH_NODE" "$PORT" "$DIR/node.log" --base-path "$DIR/db"
log "populating the state (bench-readings.mjs)"
node "$REPO_ROOT/scripts/polkadot-js/bench-readings.mjs" --ws "ws://127.0.0.1:$PORT" | tail -4
stop_pids "$BENCH_PID"
BENCH_PID=""

log "benchmark storage"
(cd "$REPO_ROOT" && "$BENCH_NODE" benchmark storage --dev --base-path "$DIR/db" --state-version 1 \
	--batch-size 10000 --mul 2 --template-path scripts/storage-weight-template.hbs \
	--weight-path runtime/src/db_weights.rs 2>&1 | grep -v " INFO \|^$" || true)
[ -s "$REPO_ROOT/runtime/src/db_weights.rs" ] || die "no runtime/src/db_weights.rs written"
grep -E "^\s+(read|write):" "$REPO_ROOT/runtime/src/db_weights.rs"
log "wrote runtime/src/db_weights.rs; rebuild the runtime (its metadata changes: bump spec_version)"
