#!/usr/bin/env bash
# Throughput benchmarks against balance transfers on a fresh dev node (one run, one node).
#
#   scripts/bench-readings.sh [bench-readings.mjs options, e.g. --devices 2000 --batches 100,500]
#   scripts/bench-market.sh   [bench-market.mjs options, e.g. --orders 10000 --settle-calls 19]
#
# Starts `gridbrain-node --dev --tmp` with a large transaction pool, runs
# scripts/polkadot-js/bench-<name>.mjs against it and stops the node.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_node_bin
JS_DIR="$REPO_ROOT/scripts/polkadot-js"
[ -d "$JS_DIR/node_modules/@polkadot/api" ] || (cd "$JS_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

DIR=$(mktemp -d)
PORT=${GRIDBRAIN_RPC_PORT:-19955}
# BENCH_NODE_LOG=FILE keeps the node's log (block production times, extrinsics per block).
trap 'stop_pids ${BENCH_PID:-}; [ -z "${BENCH_NODE_LOG:-}" ] || cp "$DIR/node.log" "$BENCH_NODE_LOG"; rm -rf "$DIR"' EXIT
start_bench_node "$NODE_BIN" "$PORT" "$DIR/node.log" --tmp
log "dev node up on ws://127.0.0.1:$PORT ($(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB)"
name=$(basename "$0" .sh)
node "$JS_DIR/$name.mjs" --ws "ws://127.0.0.1:$PORT" "$@"
