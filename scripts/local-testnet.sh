#!/usr/bin/env bash
# Start a local gridbrain testnet of N validators (1-4) on loopback, from the `local` chain spec.
#
#   scripts/local-testnet.sh N [--with-workers] [--demo] [--base-dir DIR] [--until-finalized H]
#                              [--timeout SECONDS] [--chain-spec FILE] [--demo-hour H]
#   scripts/local-testnet.sh --stop NAME [--base-dir DIR]      (from another terminal)
#   scripts/local-testnet.sh --restart NAME [--base-dir DIR]   (from another terminal)
#
# Validators are alice, bob, charlie, dave (the `local` spec's Aura + GRANDPA authorities).
# GRANDPA needs more than 2/3 of the 4 authorities online, so finality needs N >= 3.
#
# Node i (0-based) listens on p2p port 30333+i, RPC (HTTP + WebSocket) 9944+i and Prometheus
# 9615+i. Logs and databases go to DIR (default ./testnet-data, wiped at start).
# The script waits until every node's finalized height is >= H (default 3) and all nodes have the
# same block hash at that height, prints the endpoints, then keeps running until Ctrl-C, which
# stops everything cleanly. With --until-finalized H it exits 0 as soon as that is reached (CI).
#
# --chain-spec FILE: start from this chain spec instead of the built-in `local` one (it must have
#   the `local` preset's authorities; scripts/upgrade-test.sh starts from the previous runtime).
# --with-workers: sudo shortens the federated-learning phases to 4/4/3/3 blocks, then one
#   gridbrain-ml-worker per validator (libp2p port 30733+i, shard i of N, data in
#   DIR/<name>-worker: key, checkpoints, models, history.csv, rounds.png; log in
#   DIR/logs/<name>-worker.log) trains the dispatch model in federated rounds.
# --demo: scripts/polkadot-js/demo.mjs feeds signed meter readings and buy/sell orders from the
#   shipped real profiles, interval after interval, and prints trades, sealed data blocks,
#   settlements and FL rounds (log: DIR/logs/demo.log, also shown on the terminal), and the
#   dashboard (scripts/dashboard.sh) is served on http://127.0.0.1:8080/
#   ($GRIDBRAIN_DASHBOARD_PORT) for alice's node. --demo-hour H: the profile hour (of 2016) of
#   the chain's current interval when the demo starts, one hour per interval (default 3994, a
#   June morning; scripts/upgrade-test.sh starts earlier so that daylight lasts past the upgrade).
#
# A testnet you can break: once the network is up, a node that exits (crash, kill, --stop) is
# reported with the end of its log and the others keep running. `--stop NAME` stops one node
# cleanly (SIGINT) to rehearse a failover; `--restart NAME` starts it again with the same
# command line, database and node key (DIR/NAME.start.sh), waits until its RPC answers and
# prints its best and finalized height; the running script notices and monitors it again.
# Ctrl-C on the running script stops every node, restarted ones included.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

N=""
BASE_DIR="$REPO_ROOT/testnet-data"
TARGET_FINALIZED=3
EXIT_WHEN_FINALIZED=0
TIMEOUT=300
WITH_WORKERS=0
DEMO=0
DEMO_HOUR=3994
CONTROL=""
CONTROL_NAME=""
CHAIN=local
DASHBOARD_PORT=${GRIDBRAIN_DASHBOARD_PORT:-8080}
while [ $# -gt 0 ]; do
	case "$1" in
		-h|--help) usage 0 ;;
		--base-dir) BASE_DIR=${2:?--base-dir needs a value}; shift 2 ;;
		--until-finalized) TARGET_FINALIZED=${2:?--until-finalized needs a value}; EXIT_WHEN_FINALIZED=1; shift 2 ;;
		--timeout) TIMEOUT=${2:?--timeout needs a value}; shift 2 ;;
		--with-workers) WITH_WORKERS=1; shift ;;
		--chain-spec) [ -f "${2:-}" ] || die "no chain spec file '${2:-}'"; CHAIN=$(realpath "$2"); shift 2 ;;
		--demo) DEMO=1; shift ;;
		--demo-hour) DEMO_HOUR=${2:?--demo-hour needs an hour}; shift 2
			[[ $DEMO_HOUR =~ ^[0-9]+$ ]] || die "--demo-hour needs a whole hour of the year, not '$DEMO_HOUR'" ;;
		--stop|--restart) CONTROL=${1#--}; CONTROL_NAME=${2:?$1 needs a node name}; shift 2 ;;
		[0-9]*) N=$1; shift ;;
		*) printf 'unknown argument: %s\n\n' "$1" >&2; usage 2 ;;
	esac
done
NAMES=(alice bob charlie dave)
SURIS=(//Alice //Bob //Charlie //Dave)

# node_pid NAME: the pid of NAME's node (from DIR/NAME.pid), empty if it is not running.
node_pid() {
	local pid
	pid=$(cat "$BASE_DIR/$1.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

# start_node NAME I: starts NAME's node in the background from DIR/NAME.start.sh (log appended).
start_node() {
	local name=$1 i=$2 pid=""
	rm -f "$BASE_DIR/$name.pid"
	# setsid: a node restarted from another terminal outlives that command. The start script
	# writes its pid, then execs the node (same pid).
	setsid "$BASE_DIR/$name.start.sh" >> "$BASE_DIR/logs/$name.log" 2>&1 < /dev/null &
	for _ in $(seq 1 50); do
		pid=$(cat "$BASE_DIR/$name.pid" 2>/dev/null || true)
		[ -z "$pid" ] || break
		sleep 0.1
	done
	[ -n "$pid" ] || die "$name did not start (see $BASE_DIR/logs/$name.log)"
	log "started $name (pid $pid, rpc ws://127.0.0.1:$((9944 + i)), log $BASE_DIR/logs/$name.log)"
}

if [ -n "$CONTROL" ]; then
	index=-1
	for i in "${!NAMES[@]}"; do [ "${NAMES[$i]}" != "$CONTROL_NAME" ] || index=$i; done
	[ $index -ge 0 ] || die "unknown node '$CONTROL_NAME' (one of: ${NAMES[*]})"
	[ -x "$BASE_DIR/$CONTROL_NAME.start.sh" ] \
		|| die "no testnet node $CONTROL_NAME in $BASE_DIR (start the testnet first, or pass its --base-dir)"
	pid=$(node_pid "$CONTROL_NAME")
	if [ "$CONTROL" = stop ]; then
		[ -n "$pid" ] || die "$CONTROL_NAME is not running"
		log "stopping $CONTROL_NAME (pid $pid)"
		stop_pids "$pid"
		log "$CONTROL_NAME stopped; restart it with: $0 --restart $CONTROL_NAME --base-dir $BASE_DIR"
		exit 0
	fi
	[ -z "$pid" ] || die "$CONTROL_NAME is already running (pid $pid)"
	echo "--- restarted at $(date -u +%FT%TZ) ---" >> "$BASE_DIR/logs/$CONTROL_NAME.log"
	start_node "$CONTROL_NAME" "$index"
	port=$((9944 + index))
	for _ in $(seq 1 60); do
		[ -n "$(node_pid "$CONTROL_NAME")" ] || die "$CONTROL_NAME exited again; see $BASE_DIR/logs/$CONTROL_NAME.log"
		[ -z "$(best_number $port)" ] || break
		sleep 1
	done
	best=$(best_number $port) || true
	[ -n "$best" ] || die "$CONTROL_NAME's RPC did not answer within 60 s; see $BASE_DIR/logs/$CONTROL_NAME.log"
	log "$CONTROL_NAME is back: best #$best, finalized #$(finalized_number $port); it syncs from its peers"
	exit 0
fi

[ -n "$N" ] || usage 2
[[ "$N" =~ ^[1-4]$ ]] || die "N must be 1-4 (the local spec has 4 authorities), got '$N'"
[[ "$TARGET_FINALIZED" =~ ^[0-9]+$ ]] || die "--until-finalized needs a number"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout needs a number of seconds"
require_node_bin
[ $WITH_WORKERS -eq 0 ] || require_worker_bin
[ "$N" -ge 3 ] || log "warning: with $N of 4 validators GRANDPA cannot finalize (needs 3); blocks are still authored"

PIDS=()
HELPERS=()
TAIL_PID=""
cleanup() {
	trap - INT TERM EXIT
	[ -z "$TAIL_PID" ] || kill "$TAIL_PID" 2>/dev/null || true
	if [ ${#HELPERS[@]} -gt 0 ]; then
		log "stopping the demo driver and workers"
		stop_pids "${HELPERS[@]}"
	fi
	local running=() name pid
	for name in "${NAMES[@]}"; do
		pid=$(node_pid "$name")
		[ -z "$pid" ] || running+=("$pid")
	done
	if [ ${#running[@]} -gt 0 ]; then
		log "stopping ${#running[@]} node(s)"
		stop_pids "${running[@]}"
	fi
	log "logs: $BASE_DIR/logs"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for port in $(seq 30333 $((30333 + N - 1))) $(seq 9944 $((9944 + N - 1))) $(seq 9615 $((9615 + N - 1))); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		die "port $port is already in use (another testnet running?)"
	fi
done

rm -rf "$BASE_DIR"
mkdir -p "$BASE_DIR/logs"
log "node: $NODE_BIN ($("$NODE_BIN" --version))"

# Each validator gets a persistent node key; alice's peer id makes her the bootnode.
for i in $(seq 0 $((N - 1))); do
	name=${NAMES[$i]}
	"$NODE_BIN" key generate-node-key --file "$BASE_DIR/$name.node-key" \
		2> "$BASE_DIR/$name.peer-id" >/dev/null || die "cannot generate a node key for $name"
done
BOOT_PEER=$(tr -d '[:space:]' < "$BASE_DIR/alice.peer-id")
BOOTNODE="/ip4/127.0.0.1/tcp/30333/p2p/$BOOT_PEER"

for i in $(seq 0 $((N - 1))); do
	name=${NAMES[$i]}
	args=(
		--chain "$CHAIN" --"$name" --validator
		--base-path "$BASE_DIR/$name"
		--port $((30333 + i)) --rpc-port $((9944 + i)) --prometheus-port $((9615 + i))
		--rpc-cors all --no-telemetry --no-mdns
		--name "gridbrain-$name" --node-key-file "$BASE_DIR/$name.node-key"
	)
	[ "$i" -eq 0 ] || args+=(--bootnodes "$BOOTNODE")
	# The exact command line, kept so that `--restart NAME` starts the same node again.
	{ echo '#!/usr/bin/env bash'; printf 'echo $$ > %q\n' "$BASE_DIR/$name.pid"
	  printf 'exec %q' "$NODE_BIN"; printf ' %q' "${args[@]}"; echo; } \
		> "$BASE_DIR/$name.start.sh"
	chmod +x "$BASE_DIR/$name.start.sh"
	start_node "$name" "$i"
	PIDS+=("$(cat "$BASE_DIR/$name.pid")")
done

log "waiting for finalized height >= $TARGET_FINALIZED on all $N node(s) (timeout ${TIMEOUT}s)"
start=$(date +%s)
reached=0
while true; do
	now=$(date +%s)
	status="" min_fin=""
	for i in $(seq 0 $((N - 1))); do
		kill -0 "${PIDS[$i]}" 2>/dev/null || die "${NAMES[$i]} exited; see $BASE_DIR/logs/${NAMES[$i]}.log"
		best=$(best_number $((9944 + i))); fin=$(finalized_number $((9944 + i)))
		status+=" ${NAMES[$i]}=#${best:-?}/#${fin:-?}"
		if [ -z "$fin" ]; then min_fin=-1; elif [ -z "$min_fin" ] || [ "$fin" -lt "$min_fin" ]; then min_fin=$fin; fi
	done
	log "best/finalized:$status"
	if [ "${min_fin:--1}" -ge "$TARGET_FINALIZED" ]; then
		ref=$(block_hash 9944 "$min_fin")
		agree=1
		for i in $(seq 1 $((N - 1))); do
			[ "$(block_hash $((9944 + i)) "$min_fin")" = "$ref" ] || agree=0
		done
		if [ $agree -eq 1 ] && [ -n "$ref" ]; then
			log "all $N node(s) finalized #$min_fin with hash $ref"
			reached=1
			break
		fi
		log "nodes disagree on block #$min_fin; waiting"
	fi
	[ $((now - start)) -lt "$TIMEOUT" ] || break
	sleep 3
done

if [ $reached -eq 0 ]; then
	[ $EXIT_WHEN_FINALIZED -eq 1 ] && die "finalized height $TARGET_FINALIZED not reached within ${TIMEOUT}s"
	log "finality not reached within ${TIMEOUT}s (need >= 3 validators); nodes keep running"
fi
[ $EXIT_WHEN_FINALIZED -eq 1 ] && exit 0

if [ $WITH_WORKERS -eq 1 ]; then
	run_js_on_dev_node fl-phases.mjs 0 --ws ws://127.0.0.1:9944 --commit 4 --reveal 4 --attest 3 --aggregate 3 \
		|| die "could not set the federated-learning phase lengths"
	for i in $(seq 0 $((N - 1))); do
		name=${NAMES[$i]}
		start_ml_worker "$i" "$N" $((9944 + i)) 30733 "${SURIS[$i]}" "$BASE_DIR/$name-worker" \
			"$BASE_DIR/logs/$name-worker.log" --plot "$BASE_DIR/$name-worker/rounds.png"
		HELPERS+=("$WORKER_PID")
		log "started $name's ml-worker (pid $WORKER_PID, log $BASE_DIR/logs/$name-worker.log)"
	done
fi
if [ $DEMO -eq 1 ]; then
	js_deps
	# The log exists before `tail` opens it (the driver's redirection may come later).
	: > "$BASE_DIR/logs/demo.log"
	(cd "$REPO_ROOT/scripts/polkadot-js" && exec node demo.mjs --ws ws://127.0.0.1:9944 --hour "$DEMO_HOUR") > "$BASE_DIR/logs/demo.log" 2>&1 &
	HELPERS+=($!)
	tail -n +1 -f "$BASE_DIR/logs/demo.log" &
	TAIL_PID=$!
	log "started the demo driver (log $BASE_DIR/logs/demo.log)"
	# The dashboard, served on loopback ($GRIDBRAIN_DASHBOARD_PORT, default 8080).
	if (exec 3<>"/dev/tcp/127.0.0.1/$DASHBOARD_PORT") 2>/dev/null; then
		log "port $DASHBOARD_PORT is in use: no dashboard (run scripts/dashboard.sh --port P yourself)"
		DASHBOARD_PORT=""
	else
		dashboard_build > "$BASE_DIR/logs/dashboard.log" 2>&1
		node "$REPO_ROOT/scripts/dashboard/serve.mjs" --ws ws://127.0.0.1:9944 --port "$DASHBOARD_PORT" \
			>> "$BASE_DIR/logs/dashboard.log" 2>&1 &
		HELPERS+=($!)
	fi
fi

echo
echo "gridbrain local testnet is running:"
for i in $(seq 0 $((N - 1))); do
	echo "  ${NAMES[$i]}: ws://127.0.0.1:$((9944 + i))  (metrics http://127.0.0.1:$((9615 + i))/metrics)"
done
echo "  polkadot.js apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944"
[ $DEMO -eq 0 ] || [ -z "$DASHBOARD_PORT" ] || echo "  dashboard: http://127.0.0.1:$DASHBOARD_PORT/  (market, energy, settlement, federated learning, trader panel)"
echo "  logs: $BASE_DIR/logs    stop: Ctrl-C"
[ $WITH_WORKERS -eq 0 ] || echo "  ml-workers: rounds in $BASE_DIR/logs/<name>-worker.log, per-round metrics in $BASE_DIR/<name>-worker/history.csv"
echo "  break it: $0 --stop NAME --base-dir $BASE_DIR   then   $0 --restart NAME --base-dir $BASE_DIR"
last_round=""
DOWN=()
while true; do
	# A node that exits is reported once; the others keep running until Ctrl-C.
	for i in $(seq 0 $((N - 1))); do
		name=${NAMES[$i]}
		pid=$(node_pid "$name")
		if [ -n "$pid" ]; then
			if [ "${DOWN[$i]:-0}" = 1 ]; then
				log "$name is running again (pid $pid)"
				DOWN[$i]=0
			fi
		elif [ "${DOWN[$i]:-0}" = 0 ]; then
			DOWN[$i]=1
			log "$name exited; the other nodes keep running. The end of its log:"
			tail -n 3 "$BASE_DIR/logs/$name.log" | sed 's/^/    /'
			log "restart it with: $0 --restart $name --base-dir $BASE_DIR"
		fi
	done
	if [ $WITH_WORKERS -eq 1 ]; then
		line=$(grep -h "finalized: global model" "$BASE_DIR/logs/alice-worker.log" 2>/dev/null | tail -n1 || true)
		if [ -n "$line" ] && [ "$line" != "$last_round" ]; then
			log "alice's worker: $line"
			last_round=$line
		fi
	fi
	sleep 5
done
