#!/usr/bin/env bash
# Federated-learning integration test under attack: 4 validators (alice, bob, charlie, dave of
# the `local` spec) with one ml-worker each, on loopback. Dave's worker turns adversarial.
#
#   1. sudo sets short phases (commit 4, reveal 4, attest 3, aggregate 3 blocks) before any
#      worker starts (a reveal phase of 4 spans a slot of every authority, so a worker's own
#      node can include its reveal even when the transaction reaches the other authors late);
#   2. the validators register their workers at once (scripts/polkadot-js/fl-bind.mjs, with
#      the peer ids and keys of `gridbrain-ml-worker identity`), so all four take part from
#      round 0; bob's worker signs with an account of its own that bob bound with
#      setWorkerAccount (it never holds bob's secret). The workers train on their seasonal
#      shards, commit, reveal, exchange signed updates over libp2p, attest what they hold and
#      submit aggregates; each must adopt 2 finalized global models, all workers the same ones;
#   3. **block stuffing** during the second round (an outsider, not a worker): eve and ferdie
#      keep the pool full of 1.2 MB remarks from the round's opening to the end of its reveal
#      phase, filling the normal-class length of every block (scripts/polkadot-js/fl-stuff.mjs);
#      the round must finalize with every reveal on chain;
#   4. dave's worker is a test-only adversary (cargo feature `adversary`, built here before the
#      nodes start, never in the release binary) that behaves in rounds 0 and 1, then, from
#      round 2, runs one set of attacks per round: `wrong-layout` (a correctly signed update with an
#      extra tensor), `withhold` (revealed, never served), `withhold-from-one` (revealed, never
#      gossiped, served on request to every peer but one honest worker: enough holders for it
#      to be available, one honest worker without it: the old vote-splitting attack), then
#      `sign-flip+flood+oversize` in one round: a Byzantine update scaled by 20, gossip and
#      answers full of updates forged under the other workers' names (the old cache-overwrite
#      attack) and 1 MiB requests, 32 per peer and block (the network attacks leave the update
#      alone, so they share a round);
#   5. every attack round must finalize, with the same model on every honest worker; dave must
#      be struck (`Unavailable`) for the wrong layout and the withheld update; the update
#      withheld from one worker must be available and nobody struck (or, if too few honest
#      workers fetched it in time, dave struck `Unavailable`); alice, bob and
#      charlie are never struck; the flood must have been rejected and the oversized requests
#      refused by the honest workers; after the sign-flip round the held-out MSE must stay
#      within 1.5x of the last honest round's (FedAvg would not: see `simulate --sign-flip`),
#      and the held-out cost gap of the last model must be below the first's.
#
# Prints a table per attack (rounds finalized / attempted, strikes of the attacker and of the
# honest workers, what the honest workers refused) and each worker's per-round table.
#
#   scripts/fl-integration.sh [--base-dir DIR] [--timeout SECONDS]
#
# Ports: node p2p 30533+i, RPC 10144+i; worker p2p 30633+i. Logs, databases, worker checkpoints
# and each worker's history.csv / rounds.png go to DIR (default: a temporary directory, kept on
# failure).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE_DIR=""
TIMEOUT=600
while [ $# -gt 0 ]; do
	case "$1" in
		--base-dir) BASE_DIR=${2:?--base-dir needs a value}; shift 2 ;;
		--timeout) TIMEOUT=${2:?--timeout needs a value}; shift 2 ;;
		-h|--help) sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown argument: $1" ;;
	esac
done
require_node_bin
require_worker_bin
[ -n "$BASE_DIR" ] || BASE_DIR=$(mktemp -d)
DIR="$BASE_DIR/fl"
rm -rf "$DIR"
mkdir -p "$DIR/logs"

# The test-only adversarial worker (cargo feature `adversary`, never in the release binary) is
# built first, into its own file, and the release binary put back (in CI both builds are cached
# from the worker's test stage). The workers run from copies.
mkdir -p "$DIR/bin"
log "building the test-only adversarial worker (feature adversary)"
cargo_release build -p gridbrain-ml-worker --features adversary > "$DIR/logs/adversary-build.log" 2>&1 \
	&& cp "$TARGET_DIR/release/gridbrain-ml-worker" "$DIR/bin/gridbrain-ml-worker-adversary" \
	&& cargo_release build -p gridbrain-ml-worker >> "$DIR/logs/adversary-build.log" 2>&1 \
	|| { tail -20 "$DIR/logs/adversary-build.log"; die "the adversarial worker did not build"; }
cp "$WORKER_BIN" "$DIR/bin/gridbrain-ml-worker"
WORKER_BIN="$DIR/bin/gridbrain-ml-worker"

NAMES=(alice bob charlie dave)
# Bob's worker signs with an account of its own, bound by Bob (setWorkerAccount): Bob's secret
# never reaches it. The others sign with their validators' accounts.
SURIS=(//Alice //Bob//worker //Charlie //Dave)
N=${#NAMES[@]}
HONEST=(0 1 2)
ADV=3
NODE_PIDS=()
WORKER_PIDS=("" "" "" "")
STUFF_PID=""
rpc_port() { echo $((10144 + $1)); }

cleanup() {
	local rc=$?
	trap - INT TERM EXIT
	local live=()
	for p in "${WORKER_PIDS[@]}" "${NODE_PIDS[@]}" "$STUFF_PID"; do [ -n "$p" ] && live+=("$p"); done
	[ ${#live[@]} -eq 0 ] || stop_pids "${live[@]}"
	log "logs and worker data: $DIR"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for i in $(seq 0 $((N - 1))); do
	"$NODE_BIN" key generate-node-key --file "$DIR/${NAMES[$i]}.node-key" \
		2> "$DIR/${NAMES[$i]}.peer-id" >/dev/null || die "cannot generate a node key"
done
BOOT="/ip4/127.0.0.1/tcp/30533/p2p/$(tr -d '[:space:]' < "$DIR/alice.peer-id")"
for i in $(seq 0 $((N - 1))); do
	name=${NAMES[$i]}
	args=(--chain local --"$name" --validator --base-path "$DIR/$name"
		--port $((30533 + i)) --rpc-port "$(rpc_port "$i")" --no-prometheus --no-telemetry --no-mdns
		--name "fl-$name" --node-key-file "$DIR/$name.node-key")
	[ "$i" -eq 0 ] || args+=(--bootnodes "$BOOT")
	"$NODE_BIN" "${args[@]}" > "$DIR/logs/$name.log" 2>&1 &
	NODE_PIDS+=($!)
done
log "started $N validators; waiting for block #2"
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
	start_ml_worker "$i" "$N" "$(rpc_port "$i")" 30633 "${SURIS[$i]}" "$DIR/${NAMES[$i]}-worker" \
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
		for i in "${HONEST[@]}"; do
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

# same_models ROW: every honest worker's ROW-th adopted model has the same version and held-out
# MSE (the same parameters: evaluation is deterministic on the CPU).
same_models() {
	local ref
	ref="$(field 0 "$1" version) $(field 0 "$1" test_mse)"
	for i in 1 2; do
		[ "$(field "$i" "$1" version) $(field "$i" "$1" test_mse)" = "$ref" ] \
			|| die "workers disagree on model $1: alice '$ref', ${NAMES[$i]} '$(field "$i" "$1" version) $(field "$i" "$1" test_mse)'"
	done
	log "all workers adopted the same model $1 (version and held-out MSE: $ref)"
}

# The validators register their workers (identity: peer id and key) all at once, before the
# first round opens, so that every worker takes part from round 0; bob also binds his worker's
# own account. (A worker registers itself when it starts otherwise.)
BIND_PIDS=()
VALIDATOR_SURIS=(//Alice //Bob //Charlie //Dave)
BOB_WORKER_ACCOUNT=$("$NODE_BIN" key inspect --output-type json "${SURIS[1]}" | jq -r .ss58Address)
for i in $(seq 0 $((N - 1))); do
	id=$("$WORKER_BIN" identity --base-path "$DIR/${NAMES[$i]}-worker" | tail -1)
	extra=()
	[ "$i" != 1 ] || extra=(--account "$BOB_WORKER_ACCOUNT" --fund 100)
	(cd "$REPO_ROOT/scripts/polkadot-js" && node fl-bind.mjs --ws "ws://127.0.0.1:$(rpc_port "$i")" \
		--validator "${VALIDATOR_SURIS[$i]}" --peer-id "$(jq -r .peerIdHex <<< "$id")" \
		--worker-key "$(jq -r .workerKey <<< "$id")" "${extra[@]}") > "$DIR/logs/${NAMES[$i]}-bind.log" 2>&1 &
	BIND_PIDS+=($!)
done
for i in $(seq 0 $((N - 1))); do
	wait "${BIND_PIDS[$i]}" || { cat "$DIR/logs/${NAMES[$i]}-bind.log"; die "${NAMES[$i]} could not register the worker"; }
done
BOB_ACCOUNT=$(tail -1 "$DIR/logs/bob-bind.log" | jq -r .validator)
log "the validators registered their workers; bob bound his worker's account $BOB_WORKER_ACCOUNT"
# Dave's worker is the adversary from the start: it behaves in rounds 0 and 1, then runs one set
# of attacks per round from round 2. The network attacks (flood, oversize) leave the update
# alone, so they share the sign-flip round (four attack rounds, not six).
ATTACKS=(wrong-layout withhold withhold-from-one sign-flip+flood+oversize)
first=2
last=$((first + ${#ATTACKS[@]} - 1))
for i in $(seq 0 $((N - 1))); do
	if [ "$i" = 1 ]; then
		start_worker "$i" --validator "$BOB_ACCOUNT"
	elif [ "$i" = "$ADV" ]; then
		HONEST_BIN=$WORKER_BIN
		WORKER_BIN="$DIR/bin/gridbrain-ml-worker-adversary"
		start_worker "$i" --adversary "$(IFS=,; echo "${ATTACKS[*]}")" --attacks-from-round "$first"
		WORKER_BIN=$HONEST_BIN
	else
		start_worker "$i"
	fi
done
log "dave's worker attacks rounds $first to $last: ${ATTACKS[*]}"

# Block stuffing by an outsider during the second round (round 1).
STUFF_LOG="$DIR/logs/stuffing.log"
(cd "$REPO_ROOT/scripts/polkadot-js" && node fl-stuff.mjs --ws "ws://127.0.0.1:$(rpc_port 1)" --round 1) > "$STUFF_LOG" 2>&1 &
STUFF_PID=$!
wait_rounds 2
same_models 2
wait "$STUFF_PID" || { tail -20 "$STUFF_LOG"; die "the block-stuffing script failed"; }
STUFF_PID=""
STUFFED=$(grep '^{' "$STUFF_LOG" | tail -1)
[ -n "$STUFFED" ] || { tail -20 "$STUFF_LOG"; die "the block-stuffing script reported nothing"; }
mean_fill=$(jq -r .meanFill <<< "$STUFFED")
awk -v f="$mean_fill" 'BEGIN { exit !(f >= 0.75) }' \
	|| { tail -20 "$STUFF_LOG"; die "the stuffing filled only $mean_fill of the normal-class length: the attack did not happen"; }
log "block stuffing of round 1: $STUFFED"

# account NAME -> the ss58 account of that validator's worker (from its log).
account() { grep -o '5[1-9A-HJ-NP-Za-km-z]\{47\}' "$DIR/logs/$1-worker.log" | head -1; }

# Had the stuffed round cost dave a strike (a reveal that missed its phase), three attacks could
# exclude him before the last: his strikes are cleared (sudo) while the first attack round runs,
# before any of its strikes is recorded (the table counts each round's strikes from its events).
node "$REPO_ROOT/scripts/polkadot-js/fl-strikes.mjs" --ws "ws://127.0.0.1:$(rpc_port 0)" --reset "$(account dave)" > /dev/null \
	|| die "could not reset dave's strikes"
grep -q "round $first: adversary WrongLayout" "$DIR/logs/dave-worker.log" \
	|| die "dave's worker did not start its attacks at round $first: $(grep 'adversary' "$DIR/logs/dave-worker.log" | head -3)"
# last_round WORKER -> the round of the last model in its history.csv (-1 if none).
last_round() { awk -F, 'NR > 1 { r = $1 } END { print (r == "" ? -1 : r) }' "$DIR/${NAMES[$1]}-worker/history.csv" 2>/dev/null || echo -1; }
start=$(date +%s)
while true; do
	done=1
	for i in "${HONEST[@]}"; do
		kill -0 "${WORKER_PIDS[$i]}" 2>/dev/null || { tail -20 "$DIR/logs/${NAMES[$i]}-worker.log"; die "${NAMES[$i]}'s worker exited"; }
		[ "$(last_round "$i")" -ge "$last" ] || done=0
	done
	[ $done -eq 1 ] && break
	log "attack rounds: models adopted up to round alice=$(last_round 0) bob=$(last_round 1) charlie=$(last_round 2) (want $last); finalized #$(finalized_number "$(rpc_port 0)")"
	[ $(($(date +%s) - start)) -lt $((TIMEOUT * 2)) ] || die "round $last did not finalize within $((TIMEOUT * 2))s under attack"
	sleep 10
done
n=$(rows 0)
same_models "$n"
# Let the last round's late events land before reading them.
sleep 6

# The chain's record of every round, one JSON line each.
REPORT="$DIR/rounds.jsonl"
(cd "$REPO_ROOT/scripts/polkadot-js" && node fl-report.mjs --ws "ws://127.0.0.1:$(rpc_port 0)") > "$REPORT" \
	|| die "could not read the rounds' events"
ADV_ACCOUNT=$(account dave)
HONEST_ACCOUNTS=$(for i in "${HONEST[@]}"; do account "${NAMES[$i]}"; done | paste -sd, -)
[ -n "$ADV_ACCOUNT" ] && [ -n "$HONEST_ACCOUNTS" ] || die "cannot read the workers' accounts from their logs"
# round_json R -> that round's JSON line.
round_json() { jq -c --argjson r "$1" 'select(.round == $r)' "$REPORT"; }
# reasons_of R ACCOUNTS -> the reasons of the strikes recorded in round R for any of the
# comma-separated ACCOUNTS, space-separated; strikes_of R ACCOUNTS -> how many.
reasons_of() { round_json "$1" | jq -r --arg a "$2" '[.strikes[] | select(.worker as $w | ($a | split(",")) | index($w)) | .reason] | join(" ")'; }
strikes_of() { reasons_of "$1" "$2" | wc -w; }
# rejected R -> forged updates of round R the honest workers rejected (sum of their logs).
rejected() {
	local total=0 i k
	for i in "${HONEST[@]}"; do
		for k in $(grep -oE "round $1: rejected [0-9]+ update" "$DIR/logs/${NAMES[$i]}-worker.log" | grep -oE '[0-9]+ update' | grep -oE '[0-9]+'); do
			total=$((total + k))
		done
	done
	echo "$total"
}
# refused -> inbound requests the honest workers refused (sum of the last power of two each
# logged: a lower bound).
refused() {
	local total=0 i k
	for i in "${HONEST[@]}"; do
		k=$(grep -oE 'p2p: refused [0-9]+ inbound request' "$DIR/logs/${NAMES[$i]}-worker.log" | grep -oE '[0-9]+' | tail -1)
		total=$((total + ${k:-0}))
	done
	echo "$total"
}

honest_struck=0
TABLE="$DIR/attacks.md"
{
	echo "| attack | round | finalized / attempted | updates available / revealed | strikes of the attacker | strikes of honest workers | refused by honest workers |"
	echo "|---|---|---|---|---|---|---|"
} > "$TABLE"
row() { # row NAME ROUND REFUSED
	local j fin avail adv hon
	j=$(round_json "$2")
	[ -n "$j" ] || die "no record of round $2 on chain"
	fin=$([ "$(jq -r .outcome <<< "$j")" = finalized ] && echo "1 / 1" || echo "0 / 1 ($(jq -r .outcome <<< "$j"))")
	avail="$(jq -r .available <<< "$j") / $(jq -r .revealed <<< "$j")"
	adv=$(strikes_of "$2" "$ADV_ACCOUNT"); [ "$adv" = 0 ] || adv="$adv ($(reasons_of "$2" "$ADV_ACCOUNT"))"
	hon=$(strikes_of "$2" "$HONEST_ACCOUNTS")
	echo "| $1 | $2 | $fin | $avail | $adv | $hon | $3 |" >> "$TABLE"
}
# Every round from the first on: the honest ones too (no strike for anyone honest, ever).
maxr=$(jq -s 'map(.round) | max' "$REPORT")
for r in $(seq 0 "$maxr"); do
	[ -n "$(round_json "$r")" ] || continue
	h=$(strikes_of "$r" "$HONEST_ACCOUNTS")
	honest_struck=$((honest_struck + h))
	if [ "$r" -lt "$first" ] || [ "$r" -gt "$last" ]; then
		if [ "$r" = 1 ]; then row "block stuffing (eve, ferdie: $(jq -r '.meanFill * 100 | floor' <<< "$STUFFED") % of normal-class length)" "$r" "-"
		elif [ "$r" -lt "$first" ]; then row "none" "$r" "-"; fi
	fi
done
row "wrong layout" "$first" "$(rejected "$first") wrong-layout copies"
row "withholding" "$((first + 1))" "-"
row "withholding from one honest worker" "$((first + 2))" "- ($(round_json $((first + 2)) | jq -r .votes) aggregate votes)"
row "sign flip x20 + cache-overwrite flood + oversized requests" "$((first + 3))" \
	"$(rejected $((first + 3))) forged updates, at least $(refused) requests"
echo
cat "$TABLE"
echo

# The checks.
[ "$honest_struck" -eq 0 ] || die "an honest worker was struck ($honest_struck strikes): see $REPORT"
for r in $(seq 1 "$last"); do
	[ "$(round_json "$r" | jq -r .outcome)" = finalized ] || [ "$r" -lt "$first" -a "$r" -ne 1 ] \
		|| die "round $r did not finalize: $(round_json "$r")"
done
[ "$(round_json 1 | jq -r .revealed)" = "$(round_json 1 | jq -r .committed)" ] && [ "$(round_json 1 | jq -r .revealed)" -ge 3 ] \
	|| die "with stuffed blocks not every committed update was revealed: $(round_json 1)"
for r in "$first" $((first + 1)); do
	[ "$(reasons_of "$r" "$ADV_ACCOUNT")" = Unavailable ] || die "dave was not struck Unavailable in round $r: $(round_json "$r")"
done
# Withheld from one honest worker: available (the others serve it to the one left out) with
# nobody struck, or, if too few fetched it in time, not available and dave struck for it.
r=$((first + 2))
grep -q "round $r: serving update .* to every peer but" "$DIR/logs/dave-worker.log" || die "dave did not withhold its round $r update from one worker"
if [ "$(round_json "$r" | jq -r '.available == .revealed')" = true ]; then
	[ "$(strikes_of "$r" "$ADV_ACCOUNT")" = 0 ] || die "dave's available update earned it a strike in round $r: $(round_json "$r")"
else
	[ "$(reasons_of "$r" "$ADV_ACCOUNT")" = Unavailable ] || die "round $r left dave's update out without striking dave: $(round_json "$r")"
fi
[ "$(rejected $((first + 3)))" -gt 0 ] || die "no forged update was rejected: the flood did not reach the honest workers"
[ "$(refused)" -gt 0 ] || die "no oversized request was refused: the attack did not reach the honest workers"
grep -q "round $((first + 3)): adversary SignFlip+Flood+Oversize" "$DIR/logs/dave-worker.log" || die "dave did not send a sign-flipped update"
mse_honest=$(field 0 2 test_mse)
mse_last=$(field 0 "$n" test_mse)
awk -v a="$mse_honest" -v b="$mse_last" 'BEGIN { exit !(b <= 1.5 * a) }' \
	|| die "after a sign-flipped update the held-out MSE went from $mse_honest to $mse_last (> 1.5x)"
log "after the attacks: held-out MSE $mse_last (second honest model: $mse_honest)"
gap1=$(field 0 1 mean_gap)
gap_last=$(field 0 "$n" mean_gap)
awk -v a="$gap1" -v b="$gap_last" 'BEGIN { exit !(b < a) }' \
	|| die "held-out mean gap did not decrease through the attacks: first model $gap1, last $gap_last"
log "held-out mean gap: first model $gap1, last (after the attacks) $gap_last"

for i in $(seq 0 $((N - 1))); do
	echo "--- ${NAMES[$i]}'s worker: $DIR/${NAMES[$i]}-worker/history.csv"
	column -s, -t < "$DIR/${NAMES[$i]}-worker/history.csv"
done
log "federated learning integration test under attack passed: $TABLE"
