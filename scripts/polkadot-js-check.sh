#!/usr/bin/env bash
# Starts a throw-away dev node and runs the polkadot.js check (scripts/polkadot-js/check.mjs)
# against it: metadata, pallet indices, a balance transfer that lands in a finalized block.
#
#   scripts/polkadot-js-check.sh [--ws ws://HOST:PORT]   (with --ws: use that running node instead)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WS=""
[ "${1:-}" = "--ws" ] && WS=${2:?--ws needs a URL}
JS_DIR="$REPO_ROOT/scripts/polkadot-js"
command -v node >/dev/null || die "Node.js is required for the polkadot.js check"
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
	PORT=${GRIDBRAIN_RPC_PORT:-19944}
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

node "$JS_DIR/check.mjs" --ws "$WS"
