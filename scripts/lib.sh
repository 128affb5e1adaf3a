# Shared helpers for gridbrain scripts (sourced, not executed).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"
# The node binary: $GRIDBRAIN_NODE, else the release build of this checkout.
NODE_BIN="${GRIDBRAIN_NODE:-$TARGET_DIR/release/gridbrain-node}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The worker binary: $GRIDBRAIN_WORKER, else the release build of this checkout.
WORKER_BIN="${GRIDBRAIN_WORKER:-$TARGET_DIR/release/gridbrain-ml-worker}"
require_worker_bin() {
	[ -x "$WORKER_BIN" ] || die "no worker binary at $WORKER_BIN: run 'cargo build --release -p gridbrain-ml-worker' (or set GRIDBRAIN_WORKER)"
}

require_node_bin() {
	[ -x "$NODE_BIN" ] || die "no node binary at $NODE_BIN: run scripts/setup.sh first (or set GRIDBRAIN_NODE)"
}

# rpc PORT METHOD [PARAMS-JSON] -> prints the raw JSON-RPC response (empty on connection error).
rpc() {
	local port=$1 method=$2 params=${3:-[]}
	curl -s --max-time 5 -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$method\",\"params\":$params}" \
		"http://127.0.0.1:$port" 2>/dev/null || true
}

# json_field NAME < JSON -> first string value of "NAME":"..." in the input.
json_field() { { grep -o "\"$1\":\"[^\"]*\"" || true; } | head -n1 | sed 's/.*:"\(.*\)"/\1/'; }

# finalized_number PORT -> decimal number of the node's finalized head (empty if unreachable).
finalized_number() {
	local port=$1 hash hex
	hash=$(rpc "$port" chain_getFinalizedHead | json_field result)
	[ -n "$hash" ] || return 0
	hex=$(rpc "$port" chain_getHeader "[\"$hash\"]" | json_field number)
	if [ -n "$hex" ]; then printf '%d\n' "$hex"; fi
}

# best_number PORT -> decimal number of the node's best block (empty if unreachable).
best_number() {
	local hex
	hex=$(rpc "$1" chain_getHeader | json_field number)
	if [ -n "$hex" ]; then printf '%d\n' "$hex"; fi
}

# block_hash PORT NUMBER -> hash of the block at NUMBER on the node's best chain.
block_hash() { rpc "$1" chain_getBlockHash "[$2]" | json_field result; }

# stop_pids PID... : SIGINT, wait up to 30 s, then SIGKILL what is left.
stop_pids() {
	local pid waited=0
	for pid in "$@"; do kill -INT "$pid" 2>/dev/null || true; done
	while [ $waited -lt 30 ]; do
		local alive=0
		for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && return 0
		sleep 1
		waited=$((waited + 1))
	done
	for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
	log "some nodes did not stop within 30 s and were killed"
}

# cargo_release SUBCOMMAND ARGS... : `cargo SUBCOMMAND --release ARGS...`, linking with mold when it is installed
# (GRIDBRAIN_NO_MOLD=1 disables it). `mold -run` does not change cargo's fingerprints, so
# builds with and without it share the target directory.
cargo_release() {
	if command -v mold >/dev/null && [ -z "${GRIDBRAIN_NO_MOLD:-}" ]; then
		mold -run cargo "$1" --release "${@:2}"
	else
		cargo "$1" --release "${@:2}"
	fi
}

# run_js_on_dev_node SCRIPT.mjs DEFAULT_PORT [--ws URL] [ARGS...]: installs the pinned
# @polkadot/api packages if needed, then runs `node scripts/polkadot-js/SCRIPT.mjs --ws URL ARGS...` against URL or,
# without --ws, against a throw-away `--dev --tmp` node on DEFAULT_PORT, stopped on exit (also
# on Ctrl-C or failure).
DEV_NODE_PID=""
DEV_NODE_DIR=""
stop_dev_node() {
	[ -z "$DEV_NODE_PID" ] || stop_pids "$DEV_NODE_PID"
	[ -z "$DEV_NODE_DIR" ] || rm -rf "$DEV_NODE_DIR"
	DEV_NODE_PID=""
	DEV_NODE_DIR=""
}
# js_deps: Node.js and the pinned @polkadot/api packages of scripts/polkadot-js (npm ci once).
js_deps() {
	npm_ci_once "$REPO_ROOT/scripts/polkadot-js" @polkadot/api
}

# npm_ci_once DIR PACKAGE...: `npm ci` in DIR unless every PACKAGE is in DIR/node_modules.
npm_ci_once() {
	local dir=$1 p
	shift
	command -v node >/dev/null || die "Node.js is required for the scripts in $dir"
	for p in "$@"; do
		[ -d "$dir/node_modules/$p" ] && continue
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed in $dir"
		return
	done
}

# dashboard_build: installs the dashboard's npm packages (once) and builds it into
# scripts/dashboard/dist (esbuild, ~2 s).
dashboard_build() {
	local dir="$REPO_ROOT/scripts/dashboard"
	npm_ci_once "$dir" @polkadot/api esbuild playwright-core
	(cd "$dir" && node build.mjs) || die "the dashboard did not build"
}

# wait_rpc PORT PID LOG: until the node PID answers RPC on PORT (60 s); dies with LOG's tail if
# it exits first.
wait_rpc() {
	local port=$1 pid=$2 logf=$3
	for _ in $(seq 1 60); do
		[ -n "$(rpc "$port" system_health)" ] && return 0
		kill -0 "$pid" 2>/dev/null || { tail -20 "$logf"; die "the node exited; log: $logf"; }
		sleep 1
	done
	die "the node did not answer RPC on port $port within 60 s; log: $logf"
}

# start_bench_node BIN PORT LOG ARGS...: a dev node for throughput benchmarks (large pool and RPC
# limits) with the database ARGS give (--tmp or --base-path DIR); sets BENCH_PID once it answers.
start_bench_node() {
	local bin=$1 port=$2 logf=$3
	shift 3
	"$bin" --dev "$@" --rpc-port "$port" --port 0 --no-prometheus --no-telemetry \
		--pool-limit 200000 --pool-kbytes 400000 --rpc-max-connections 1000 \
		--rpc-max-request-size 64 --rpc-max-response-size 64 > "$logf" 2>&1 &
	BENCH_PID=$!
	wait_rpc "$port" "$BENCH_PID" "$logf"
}

# start_ml_worker I N RPC_PORT P2P_BASE SURI BASE_PATH LOG [ARGS...]: worker I of N in the
# background (shard I of N) for the node on RPC_PORT, listening on P2P_BASE+I and dialling the
# other workers on P2P_BASE+j; its output is appended to LOG. Sets WORKER_PID.
start_ml_worker() {
	local i=$1 n=$2 rpc_port=$3 p2p=$4 suri=$5 base=$6 logf=$7 peers=() j
	shift 7
	for j in $(seq 0 $((n - 1))); do [ "$j" -eq "$i" ] || peers+=(--peer "/ip4/127.0.0.1/tcp/$((p2p + j))"); done
	# The signing account's secret goes in a private file, never on the command line (where
	# every local user sees it in the process list).
	(umask 077 && mkdir -p "$base" && printf '%s\n' "$suri" > "$base/account.suri")
	"$WORKER_BIN" run --node "ws://127.0.0.1:$rpc_port" --suri-file "$base/account.suri" --base-path "$base" \
		--listen "/ip4/127.0.0.1/tcp/$((p2p + i))" "${peers[@]}" --shard "$i" --shards "$n" "$@" \
		>> "$logf" 2>&1 &
	WORKER_PID=$!
}

run_js_on_dev_node() {
	local script=$1 port=$2 ws="" js_dir="$REPO_ROOT/scripts/polkadot-js"
	shift 2
	if [ "${1:-}" = "--ws" ]; then ws=${2:?--ws needs a URL}; shift 2; fi
	js_deps
	if [ -z "$ws" ]; then
		require_node_bin
		trap stop_dev_node EXIT
		trap 'exit 130' INT TERM
		DEV_NODE_DIR=$(mktemp -d)
		"$NODE_BIN" --dev --tmp --rpc-port "$port" --port 0 --no-prometheus --no-telemetry \
			> "$DEV_NODE_DIR/node.log" 2>&1 &
		DEV_NODE_PID=$!
		ws="ws://127.0.0.1:$port"
		wait_rpc "$port" "$DEV_NODE_PID" "$DEV_NODE_DIR/node.log"
		log "dev node up at $ws"
	fi
	(cd "$js_dir" && node "$script" --ws "$ws" "$@")
}
