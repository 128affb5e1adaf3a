#!/usr/bin/env bash
# Starts a throw-away dev node and runs the end-to-end polkadot.js scenario
# (scripts/polkadot-js/scenario.mjs) against it: devices, readings (valid, replayed, forged, over
# capacity), crossing orders in two zones, sealing, a Merkle proof verified in JavaScript,
# settlement (balances, holds, events), runtime APIs and the federated-learning round.
# Takes about 6.5 minutes (an interval must end, its readings window close, then it is sealed).
#
#   scripts/polkadot-js-scenario.sh [--ws ws://HOST:PORT]   (with --ws: use that running dev node)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WS=""
[ "${1:-}" = "--ws" ] && WS=${2:?--ws needs a URL}
JS_DIR="$REPO_ROOT/scripts/polkadot-js"
command -v node >/dev/null || die "Node.js is required for the polkadot.js scenario"
[ -d "$JS_DIR/node_modules/@polkadot/api" ] \
	|| (cd "$JS_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
	|| die "npm ci failed in $JS_DIR"

PID=""
DIR=""
cleanup() {
	[ -n "$PID" ] && stop_pids "$PID"
	[ -n "$DIR" ] && rm -rf "$DIR"
	return 0
}
trap cleanup EXIT

if [ -z "$WS" ]; then
	require_node_bin
	DIR=$(mktemp -d)
	PORT=${GRIDBRAIN_RPC_PORT:-19966}
	"$NODE_BIN" --dev --tmp --rpc-port "$PORT" --port 0 --no-prometheus --no-telemetry \
		> "$DIR/node.log" 2>&1 &
	PID=$!
	WS="ws://127.0.0.1:$PORT"
	for _ in $(seq 1 60); do
		[ -n "$(rpc "$PORT" system_health)" ] && break
		kill -0 "$PID" 2>/dev/null || { tail -20 "$DIR/node.log"; die "dev node exited"; }
		sleep 1
	done
	log "dev node up at $WS"
fi
(cd "$JS_DIR" && node scenario.mjs --ws "$WS")
