#!/usr/bin/env bash
# Test of the testnet you can break: scripts/local-testnet.sh 4 keeps running when a node stops,
# reports it, and brings it back with --restart.
#
#   scripts/testnet-break-test.sh
#
# 1. starts scripts/local-testnet.sh 4 (running mode, as a user would) and waits until it is up;
# 2. `--stop bob`: the script reports bob's exit and keeps the others running; finality goes on
#    with 3 of 4 validators;
# 3. `--restart bob`: bob answers again, the script notices, and bob catches up with the
#    finalized head of the others;
# 4. SIGTERM to the script (Ctrl-C in a terminal) stops every node, the restarted one included.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_node_bin

DIR=$(mktemp -d)
BASE="$DIR/testnet"
LOG="$DIR/local-testnet.log"
"$REPO_ROOT/scripts/local-testnet.sh" 4 --base-dir "$BASE" --timeout 240 > "$LOG" 2>&1 &
MAIN=$!
finish() {
	trap - EXIT INT TERM
	kill -TERM "$MAIN" 2>/dev/null || true
	wait "$MAIN" 2>/dev/null || true
	rm -rf "$DIR"
}
trap finish EXIT
trap 'exit 130' INT TERM
fail() { echo "--- local-testnet.sh output:"; cat "$LOG"; die "$*"; }

# wait_for WHAT SECONDS COMMAND...: polls COMMAND every second.
wait_for() {
	local what=$1 limit=$2 waited=0
	shift 2
	until "$@"; do
		[ $waited -lt "$limit" ] || fail "timed out after ${limit}s waiting for $what"
		kill -0 "$MAIN" 2>/dev/null || fail "local-testnet.sh exited while waiting for $what"
		sleep 1
		waited=$((waited + 1))
	done
	log "ok: $what (${waited}s)"
}
fin() { finalized_number "$1"; }
at_least() { local v; v=$(fin "$1"); [ -n "$v" ] && [ "$v" -ge "$2" ]; }

wait_for "the testnet is up" 300 grep -q "local testnet is running" "$LOG"
"$REPO_ROOT/scripts/local-testnet.sh" --stop bob --base-dir "$BASE" || fail "--stop bob failed"
wait_for "the script reports bob's exit" 30 grep -q "bob exited; the other nodes keep running" "$LOG"
f=$(fin 9944)
wait_for "finality goes on without bob (alice past #$((f + 2)))" 90 at_least 9944 $((f + 2))
for port in 9944 9946 9947; do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || fail "the node on $port is down"
done
"$REPO_ROOT/scripts/local-testnet.sh" --restart bob --base-dir "$BASE" || fail "--restart bob failed"
wait_for "the script notices bob is back" 30 grep -q "bob is running again" "$LOG"
target=$(fin 9944)
wait_for "bob catches up with alice's finalized #$target" 120 at_least 9945 "$target"

PIDS=$(cat "$BASE"/*.pid)
kill -TERM "$MAIN"
wait "$MAIN" 2>/dev/null || true
for pid in $PIDS; do
	! kill -0 "$pid" 2>/dev/null || fail "node pid $pid still runs after Ctrl-C"
done
log "ok: Ctrl-C stopped all 4 nodes, the restarted one included"
