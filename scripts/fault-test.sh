#!/usr/bin/env bash
# Fault test of a 4-validator local testnet (the `local` spec's alice, bob, charlie, dave), each
# with its gridbrain-ml-worker:
#
#   1. all four run: every node finalizes and they agree; sudo sets federated-learning phases of
#      3/4/3/3 blocks and the four workers adopt a first global model;
#   2. dave's node stops: blocks and finality go on (3 of 4 > 2/3), and a federated round still
#      finalizes (3 of 4 workers reach the quorum);
#   3. dave restarts from his database: he catches up with the others' finalized head, and his
#      worker (which kept retrying the connection) resumes and adopts the latest global model;
#   4. charlie and dave stop: blocks go on but finality stalls (2 of 4 < 2/3), and the two
#      remaining nodes agree on the finalized head (no fork is finalized);
#   5. both restart: finality resumes and all four agree again.
#
#   scripts/fault-test.sh [--base-dir DIR] [--phase-timeout SECONDS]
#
# Ports: p2p 30433+i, RPC 10044+i, workers 30833+i (so it can run beside scripts/local-testnet.sh). Logs and
# databases go to DIR (default: a temporary directory, removed on success). Exits non-zero on the
# first failed expectation, printing the nodes' heights.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE_DIR=""
PHASE_TIMEOUT=180
while [ $# -gt 0 ]; do
	case "$1" in
		--base-dir) BASE_DIR=${2:?--base-dir needs a value}; shift 2 ;;
		--phase-timeout) PHASE_TIMEOUT=${2:?--phase-timeout needs a value}; shift 2 ;;
		-h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown argument: $1" ;;
	esac
done
require_node_bin
require_worker_bin
KEEP=1
[ -n "$BASE_DIR" ] || { BASE_DIR=$(mktemp -d); KEEP=0; }
rm -rf "$BASE_DIR/fault"
DIR="$BASE_DIR/fault"
mkdir -p "$DIR/logs"

NAMES=(alice bob charlie dave)
SURIS=(//Alice //Bob //Charlie //Dave)
PIDS=("" "" "" "")
WORKERS=("" "" "" "")
rpc_port() { echo $((10044 + $1)); }

cleanup() {
	trap - INT TERM EXIT
	local live=()
	for p in "${WORKERS[@]}" "${PIDS[@]}"; do [ -n "$p" ] && live+=("$p"); done
	[ ${#live[@]} -eq 0 ] || stop_pids "${live[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for i in 0 1 2 3; do
	"$NODE_BIN" key generate-node-key --file "$DIR/${NAMES[$i]}.node-key" \
		2> "$DIR/${NAMES[$i]}.peer-id" >/dev/null || die "cannot generate a node key"
done
BOOTNODES=()
for i in 0 1 2 3; do
	BOOTNODES+=("/ip4/127.0.0.1/tcp/$((30433 + i))/p2p/$(tr -d '[:space:]' < "$DIR/${NAMES[$i]}.peer-id")")
done

start_node() {
	local i=$1 name=${NAMES[$1]}
	local boots=()
	for j in 0 1 2 3; do [ "$j" -eq "$i" ] || boots+=("${BOOTNODES[$j]}"); done
	"$NODE_BIN" --chain local --"$name" --validator --base-path "$DIR/$name" \
		--port $((30433 + i)) --rpc-port "$(rpc_port "$i")" --no-prometheus --no-telemetry --no-mdns \
		--name "fault-$name" --node-key-file "$DIR/$name.node-key" --bootnodes "${boots[@]}" \
		>> "$DIR/logs/$name.log" 2>&1 &
	PIDS[$i]=$!
	log "started $name (pid ${PIDS[$i]})"
}

stop_node() {
	local i=$1
	stop_pids "${PIDS[$i]}"
	PIDS[$i]=""
	log "stopped ${NAMES[$i]}"
}

running() { for i in 0 1 2 3; do [ -n "${PIDS[$i]}" ] && echo "$i"; done; }

heights() {
	local out=""
	for i in 0 1 2 3; do
		if [ -n "${PIDS[$i]}" ]; then
			out+=" ${NAMES[$i]}=#$(best_number "$(rpc_port "$i")")/#$(finalized_number "$(rpc_port "$i")")"
		else
			out+=" ${NAMES[$i]}=down"
		fi
	done
	echo "$out"
}

# min_finalized: the lowest finalized height among running nodes (-1 if one is unreachable).
min_finalized() {
	local min="" f
	for i in $(running); do
		f=$(finalized_number "$(rpc_port "$i")")
		[ -n "$f" ] || { echo -1; return; }
		if [ -z "$min" ] || [ "$f" -lt "$min" ]; then min=$f; fi
	done
	echo "${min:--1}"
}

# agree H: every running node has the same hash at height H.
agree() {
	local ref="" h
	for i in $(running); do
		h=$(block_hash "$(rpc_port "$i")" "$1")
		[ -n "$h" ] || return 1
		if [ -z "$ref" ]; then ref=$h; elif [ "$h" != "$ref" ]; then return 1; fi
	done
}

# wait_finalized H WHAT: until every running node finalized >= H and they agree at H.
wait_finalized() {
	local target=$1 what=$2 start
	start=$(date +%s)
	while true; do
		local m
		m=$(min_finalized)
		if [ "$m" -ge "$target" ] && agree "$target"; then
			log "ok: $what (finalized >= #$target everywhere, same hash;$(heights))"
			return 0
		fi
		[ $(( $(date +%s) - start )) -lt "$PHASE_TIMEOUT" ] || die "$what: not reached in ${PHASE_TIMEOUT}s;$(heights)"
		sleep 3
	done
}

start_worker() {
	local i=$1
	start_ml_worker "$i" 4 "$(rpc_port "$i")" 30833 "${SURIS[$i]}" "$DIR/${NAMES[$i]}-worker" \
		"$DIR/logs/${NAMES[$i]}-worker.log" --hours-step 3
	WORKERS[$i]=$WORKER_PID
	log "started ${NAMES[$i]}'s worker (pid ${WORKERS[$i]})"
}

# model_version I: the global model version worker I adopted last (0 before the first).
model_version() {
	local f="$DIR/${NAMES[$1]}-worker/global"
	if [ -f "$f" ]; then cut -d' ' -f1 < "$f"; else echo 0; fi
}

# wait_model I V WHAT: until worker I adopted global model version >= V.
wait_model() {
	local i=$1 target=$2 what=$3 start
	start=$(date +%s)
	while [ "$(model_version "$i")" -lt "$target" ]; do
		kill -0 "${WORKERS[$i]}" 2>/dev/null || die "$what: ${NAMES[$i]}'s worker exited; see $DIR/logs/${NAMES[$i]}-worker.log"
		[ $(( $(date +%s) - start )) -lt "$PHASE_TIMEOUT" ] \
			|| die "$what: ${NAMES[$i]}'s worker is at model v$(model_version "$i") after ${PHASE_TIMEOUT}s;$(heights)"
		sleep 3
	done
	log "ok: $what (${NAMES[$i]}'s worker adopted v$(model_version "$i"))"
}

log "node: $NODE_BIN ($("$NODE_BIN" --version))"
for i in 0 1 2 3; do start_node "$i"; done
wait_finalized 3 "phase 1: four validators finalize"
run_js_on_dev_node fl-phases.mjs 0 --ws "ws://127.0.0.1:$(rpc_port 0)" --commit 3 --reveal 4 --attest 3 --aggregate 3 \
	|| die "could not set the phase lengths"
for i in 0 1 2 3; do start_worker "$i"; done
for i in 0 1 2 3; do wait_model "$i" 1 "phase 1: federated round with four workers"; done

dave_at=$(finalized_number "$(rpc_port 3)")
stop_node 3
f=$(finalized_number "$(rpc_port 0)")
v=$(model_version 0)
wait_finalized $((f + 4)) "phase 2: with dave down (he had finalized #$dave_at), blocks and finality go on"
wait_model 0 $((v + 1)) "phase 2: with dave down, a federated round finalizes (after v$v)"

lead=$(finalized_number "$(rpc_port 0)")
start_node 3
wait_finalized $((lead + 2)) "phase 3: dave restarted, caught up from #$dave_at past #$lead"
wait_model 3 "$(model_version 0)" "phase 3: dave's worker resumes and adopts the latest global model"

stop_node 2
stop_node 3
sleep 6
f=$(finalized_number "$(rpc_port 0)")
b=$(best_number "$(rpc_port 0)")
log "phase 4: charlie and dave down at best #$b, finalized #$f; watching 8 slots"
sleep 48
b2=$(best_number "$(rpc_port 0)")
f2=$(min_finalized)
fa=$(finalized_number "$(rpc_port 0)")
fb=$(finalized_number "$(rpc_port 1)")
[ "$b2" -gt "$b" ] || die "phase 4: no new blocks with 2 of 4 validators;$(heights)"
[ "$f2" -le $((f + 1)) ] || die "phase 4: finality went on with 2 of 4 validators (#$f -> #$f2)"
[ "$fa" = "$fb" ] && agree "$fa" || die "phase 4: alice and bob disagree on the finalized head;$(heights)"
log "ok: phase 4: blocks went on (#$b -> #$b2), finality stalled at #$f2, no fork finalized"

start_node 2
start_node 3
wait_finalized $((f2 + 3)) "phase 5: charlie and dave back, finality resumes"
log "fault test passed"
# Stop the nodes and workers before removing their directories: removing them while a node
# still writes its database fails with "Directory not empty" (seen in CI, 2026-12-06).
cleanup
[ "$KEEP" -eq 1 ] || rm -rf "$DIR"
