#!/usr/bin/env bash
# Federated-learning integration test: 3 validators (alice, bob, charlie of the `local` spec)
# with one ml-worker each, on loopback.
#
#   1. sudo sets short phases (commit 4, reveal 4, attest 3, aggregate 3 blocks) before any
#      worker starts (a reveal phase of 4 spans a slot of every authority, so a worker's own node can include
#      its reveal even when the transaction reaches the other authors late; with 3 blocks a
#      reveal was once left out that way, and the round went on without that update);
#   2. the three workers register, train on their seasonal shards, commit, reveal, exchange
#      signed updates over libp2p and submit aggregates; each must adopt >= 3 finalized global
#      models, all workers the same ones, with the held-out cost gap of the third below the
#      first's;
#   3. charlie's worker is restarted from its checkpoints as a test-only adversary that reveals
#      its update but never serves it (`--adversary withhold`, cargo feature `adversary`, built
#      here): the first round it trains for finalizes without its update, with the same model
#      on every worker; charlie gets an `Unavailable` strike, alice and bob none;
#   4. charlie's worker is stopped and restarted from its checkpoint directory with
#      `--sign-flip 20` (a Byzantine worker): rounds still finalize, the trimmed mean leaves its
#      coordinates out, and after 2 more rounds the held-out MSE of the global model stays within
#      1.5x of the last honest round's (FedAvg would not: see `simulate --sign-flip`).
#
#   scripts/fl-integration.sh [--base-dir DIR] [--timeout SECONDS]
#
# Ports: node p2p 30533+i, RPC 10144+i; worker p2p 30633+i. Logs, databases, worker checkpoints
# and each worker's history.csv / rounds.png go to DIR (default: a temporary directory, kept on
# failure). Prints each worker's per-round table at the end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE_DIR=""
TIMEOUT=600
while [ $# -gt 0 ]; do
	case "$1" in
		--base-dir) BASE_DIR=${2:?--base-dir needs a value}; shift 2 ;;
		--timeout) TIMEOUT=${2:?--timeout needs a value}; shift 2 ;;
		-h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown argument: $1" ;;
	esac
done
require_node_bin
require_worker_bin
[ -n "$BASE_DIR" ] || BASE_DIR=$(mktemp -d)
DIR="$BASE_DIR/fl"
rm -rf "$DIR"
mkdir -p "$DIR/logs"

NAMES=(alice bob charlie)
SURIS=(//Alice //Bob //Charlie)
NODE_PIDS=()
WORKER_PIDS=("" "" "")
rpc_port() { echo $((10144 + $1)); }

cleanup() {
	local rc=$?
	trap - INT TERM EXIT
	local live=()
	for p in "${WORKER_PIDS[@]}" "${NODE_PIDS[@]}"; do [ -n "$p" ] && live+=("$p"); done
	[ ${#live[@]} -eq 0 ] || stop_pids "${live[@]}"
	log "logs and worker data: $DIR"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for i in 0 1 2; do
	"$NODE_BIN" key generate-node-key --file "$DIR/${NAMES[$i]}.node-key" \
		2> "$DIR/${NAMES[$i]}.peer-id" >/dev/null || die "cannot generate a node key"
done
BOOT="/ip4/127.0.0.1/tcp/30533/p2p/$(tr -d '[:space:]' < "$DIR/alice.peer-id")"
for i in 0 1 2; do
	name=${NAMES[$i]}
	args=(--chain local --"$name" --validator --base-path "$DIR/$name"
		--port $((30533 + i)) --rpc-port "$(rpc_port "$i")" --no-prometheus --no-telemetry --no-mdns
		--name "fl-$name" --node-key-file "$DIR/$name.node-key")
	[ "$i" -eq 0 ] || args+=(--bootnodes "$BOOT")
	"$NODE_BIN" "${args[@]}" > "$DIR/logs/$name.log" 2>&1 &
	NODE_PIDS+=($!)
done
log "started 3 validators; waiting for block #2"
for _ in $(seq 1 60); do
	b=$(best_number "$(rpc_port 2)")
	[ "${b:-0}" -ge 2 ] && break
	sleep 2
done
[ "${b:-0}" -ge 2 ] || die "no block #2 after 120 s; see $DIR/logs"

run_js_on_dev_node fl-phases.mjs 0 --ws "ws://127.0.0.1:$(rpc_port 0)" --commit 4 --reveal 4 --attest 3 --aggregate 3 \
	|| die "could not set the phase lengths"

start_worker() {
	local i=$1
	shift
	start_ml_worker "$i" 3 "$(rpc_port "$i")" 30633 "${SURIS[$i]}" "$DIR/${NAMES[$i]}-worker" \
		"$DIR/logs/${NAMES[$i]}-worker.log" --hours-step 2 --plot "$DIR/${NAMES[$i]}-worker/rounds.png" "$@"
	WORKER_PIDS[$i]=$WORKER_PID
	log "started ${NAMES[$i]}'s worker (pid $WORKER_PID, log $DIR/logs/${NAMES[$i]}-worker.log) $*"
}

# rows WORKER -> finalized rounds in its history.csv.
rows() {
	local f="$DIR/${NAMES[$1]}-worker/history.csv"
	if [ -f "$f" ]; then echo $(($(wc -l < "$f") - 1)); else echo 0; fi
}
# field WORKER ROW COLUMN -> a value of history.csv (ROW 1-based, COLUMN by name).
field() {
	awk -F, -v row="$2" -v col="$3" 'NR == 1 { for (k = 1; k <= NF; k++) if ($k == col) c = k; next }
		NR - 1 == row { print $c }' "$DIR/${NAMES[$1]}-worker/history.csv"
}

wait_rounds() {
	local want=$1 start now
	start=$(date +%s)
	while true; do
		local done=1 status=""
		for i in 0 1 2; do
			kill -0 "${WORKER_PIDS[$i]}" 2>/dev/null || { tail -20 "$DIR/logs/${NAMES[$i]}-worker.log"; die "${NAMES[$i]}'s worker exited"; }
			status+=" ${NAMES[$i]}=$(rows "$i")"
			[ "$(rows "$i")" -ge "$want" ] || done=0
		done
		log "global models adopted:$status (want $want); finalized #$(finalized_number "$(rpc_port 0)")"
		[ $done -eq 1 ] && return 0
		now=$(date +%s)
		[ $((now - start)) -lt "$TIMEOUT" ] || die "fewer than $want rounds finalized within ${TIMEOUT}s"
		sleep 10
	done
}

# same_models ROW: every worker's ROW-th adopted model has the same version and held-out MSE
# (the same parameters: evaluation is deterministic on the CPU).
same_models() {
	local ref
	ref="$(field 0 "$1" version) $(field 0 "$1" test_mse)"
	for i in 1 2; do
		[ "$(field "$i" "$1" version) $(field "$i" "$1" test_mse)" = "$ref" ] \
			|| die "workers disagree on model $1: alice '$ref', ${NAMES[$i]} '$(field "$i" "$1" version) $(field "$i" "$1" test_mse)'"
	done
	log "all workers adopted the same model $1 (version and held-out MSE: $ref)"
}

# The test-only adversarial worker (cargo feature `adversary`, never in the release binary) is
# built while the honest rounds run, into its own file; the release binary is put back after.
# The workers run from a copy of the release binary, made before the build replaces it.
mkdir -p "$DIR/bin"
cp "$WORKER_BIN" "$DIR/bin/gridbrain-ml-worker"
WORKER_BIN="$DIR/bin/gridbrain-ml-worker"
(
	cargo_release build -p gridbrain-ml-worker --features adversary \
		&& cp "$TARGET_DIR/release/gridbrain-ml-worker" "$DIR/bin/gridbrain-ml-worker-adversary" \
		&& cargo_release build -p gridbrain-ml-worker
) > "$DIR/logs/adversary-build.log" 2>&1 &
ADVERSARY_BUILD=$!
for i in 0 1 2; do start_worker "$i"; done
wait_rounds 3
same_models 3
gap1=$(field 0 1 mean_gap)
gap3=$(field 0 3 mean_gap)
mse3=$(field 0 3 test_mse)
awk -v a="$gap1" -v b="$gap3" 'BEGIN { exit !(b < a) }' \
	|| die "held-out mean gap did not decrease: round 1 $gap1, round 3 $gap3"
log "held-out mean gap: first model $gap1, third $gap3 (decreasing)"

# strikes NAME -> the strikes of that validator's worker on chain.
strikes() {
	local addr
	addr=$(grep -o '5[1-9A-HJ-NP-Za-km-z]\{47\}' "$DIR/logs/$1-worker.log" | head -1)
	node "$REPO_ROOT/scripts/polkadot-js/fl-strikes.mjs" --ws "ws://127.0.0.1:$(rpc_port 0)" \
		| awk -v a="$addr" '$1 == "strikes" && $2 == a { print $3 }'
}

# The withholding attack: charlie's worker restarted from its checkpoints as a test-only
# adversary (cargo feature `adversary`, built here into its own binary) that reveals its update
# but never publishes or serves it. Rounds must keep finalizing without charlie's update,
# charlie must get an `Unavailable` strike, alice and bob none.
wait "$ADVERSARY_BUILD" || { tail -20 "$DIR/logs/adversary-build.log"; die "the adversarial worker did not build"; }
log "restarting charlie's worker as an adversary: --adversary withhold"
stop_pids "${WORKER_PIDS[2]}"
WORKER_PIDS[2]=""
HONEST_BIN=$WORKER_BIN
WORKER_BIN="$DIR/bin/gridbrain-ml-worker-adversary"
start_worker 2 --adversary withhold
WORKER_BIN=$HONEST_BIN
# The first round whose update the adversarial process withheld (the round in progress at the
# restart may have been published by the honest process), then until it is finalized.
adv_round=""
for _ in $(seq 1 150); do
	adv_round=$(grep -oE 'round [0-9]+: withholding update' "$DIR/logs/charlie-worker.log" | head -1 | grep -oE '[0-9]+' || true)
	[ -n "$adv_round" ] && break
	sleep 2
done
[ -n "$adv_round" ] || die "charlie's adversarial worker withheld nothing within 300 s"
log "charlie withholds its update from round $adv_round on"
# last_round WORKER -> the round of the last model in its history.csv (-1 if none).
last_round() { awk -F, 'NR > 1 { r = $1 } END { print (r == "" ? -1 : r) }' "$DIR/${NAMES[$1]}-worker/history.csv" 2>/dev/null || echo -1; }
start=$(date +%s)
while [ "$(last_round 0)" -lt "$adv_round" ] || [ "$(last_round 1)" -lt "$adv_round" ]; do
	[ $(($(date +%s) - start)) -lt "$TIMEOUT" ] || die "round $adv_round did not finalize within ${TIMEOUT}s with a withholding worker"
	sleep 5
done
n=$(rows 0)
wait_rounds "$n"
same_models "$n"
c=$(strikes charlie); a=$(strikes alice); b=$(strikes bob)
log "round $adv_round finalized without charlie's update: strikes charlie=${c:-?} alice=${a:-?} bob=${b:-?}"
[ "${c:-0}" -ge 1 ] || die "charlie withheld its update and was not struck (strikes: ${c:-none})"
[ "${a:-x}" = 0 ] && [ "${b:-x}" = 0 ] || die "an honest worker was struck: alice=${a:-?} bob=${b:-?}"

# Charlie's strikes are cleared (sudo) so that a late withheld round cannot exclude it from
# the sign-flip rounds.
addr=$(grep -o '5[1-9A-HJ-NP-Za-km-z]\{47\}' "$DIR/logs/charlie-worker.log" | head -1)
node "$REPO_ROOT/scripts/polkadot-js/fl-strikes.mjs" --ws "ws://127.0.0.1:$(rpc_port 0)" --reset "$addr" > /dev/null \
	|| die "could not reset charlie's strikes"

log "restarting charlie's worker as a Byzantine worker (--sign-flip 20), from its checkpoints"
stop_pids "${WORKER_PIDS[2]}"
WORKER_PIDS[2]=""
start_worker 2 --sign-flip 20
honest=$(rows 0)
wait_rounds $((honest + 2))
n=$((honest + 2))
same_models "$n"
mse_last=$(field 0 "$n" test_mse)
grep -q "sign-flipped" "$DIR/logs/charlie-worker.log" || die "charlie's worker did not send a sign-flipped update"
awk -v a="$mse3" -v b="$mse_last" 'BEGIN { exit !(b <= 1.5 * a) }' \
	|| die "with a sign-flipped worker the held-out MSE went from $mse3 to $mse_last (> 1.5x)"
log "with a sign-flipped worker: held-out MSE $mse_last after $n rounds (honest round 3: $mse3)"

for i in 0 1 2; do
	echo "--- ${NAMES[$i]}'s worker: $DIR/${NAMES[$i]}-worker/history.csv"
	column -s, -t < "$DIR/${NAMES[$i]}-worker/history.csv"
done
log "federated learning integration test passed"
