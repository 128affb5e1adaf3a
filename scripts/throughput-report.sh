#!/usr/bin/env bash
# Throughput report: every workload on ONE fresh dev node, in one go, each against balance
# transfers measured in the same run.
#
#   scripts/throughput-report.sh [--skip-fl]
#
#   1. readings:  scripts/polkadot-js/bench-readings.mjs (transfers/s, readings/s in batches of
#                 100 and 500);
#   2. market:    scripts/polkadot-js/bench-market.mjs (transfers/s, orders/s with matching,
#                 blocks to settle 10,000 trades);
#   3. federated: Alice's gridbrain-ml-worker (the dev chain's only validator) runs two rounds
#                 with the runtime's default phases; reported: seconds and blocks from the
#                 round opening to its global model being finalized on chain.
# Prints a summary with the machine it ran on. Takes about 15 minutes; run it on an otherwise
# idle machine (the figures are the node's, not the script's).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SKIP_FL=0
[ "${1:-}" = "--skip-fl" ] && SKIP_FL=1
require_node_bin
[ $SKIP_FL -eq 1 ] || require_worker_bin
js_deps
JS_DIR="$REPO_ROOT/scripts/polkadot-js"

DIR=$(mktemp -d)
PORT=${GRIDBRAIN_RPC_PORT:-19977}
trap 'stop_pids ${WORKER_PID:-} ${BENCH_PID:-}; rm -rf "$DIR"' EXIT
trap 'exit 130' INT TERM
start_bench_node "$NODE_BIN" "$PORT" "$DIR/node.log" --tmp
WS="ws://127.0.0.1:$PORT"
log "dev node up on $WS"

log "=== 1/3 readings"
node "$JS_DIR/bench-readings.mjs" --ws "$WS" | tee "$DIR/readings.txt"
log "=== 2/3 market"
node "$JS_DIR/bench-market.mjs" --ws "$WS" | tee "$DIR/market.txt"

fl_line="federated round latency: skipped (--skip-fl)"
if [ $SKIP_FL -eq 0 ]; then
	log "=== 3/3 federated learning (2 rounds with the default phases)"
	GRIDBRAIN_WORKER_SURI=//Alice "$WORKER_BIN" run --node "$WS" --base-path "$DIR/worker" --listen /ip4/127.0.0.1/tcp/0 \
		--shard 0 --shards 3 --rounds 2 > "$DIR/worker.log" 2>&1 &
	WORKER_PID=$!
	wait "$WORKER_PID" || { tail -30 "$DIR/worker.log"; die "the worker failed"; }
	grep "finalized: global model" "$DIR/worker.log"
	# Chain-side latency: blocks from a round's opening to its global model's finalization.
	fl=$(cd "$JS_DIR" && node -e '
		const { ApiPromise, WsProvider } = require("@polkadot/api");
		(async () => {
			const api = await ApiPromise.create({ provider: new WsProvider(process.argv[1]), noInitWarn: true });
			const g = (await api.call.federatedLearningApi.globalModel()).unwrap();
			const r = (await api.call.federatedLearningApi.round(g.round)).unwrap();
			const p = await api.query.federatedLearning.phases();
			console.log(`${g.finalizedAt.toNumber() - r.openedAt.toNumber()} ${p.commit}/${p.reveal}/${p.aggregate}`);
			process.exit(0);
		})();' "$WS")
	secs=$(awk -F, 'NR > 1 && $9 != "" { s = $9 } END { print s }' "$DIR/worker/history.csv")
	fl_line="federated round latency: ${fl%% *} blocks from opening to finalized global model (phases ${fl#* } blocks); ${secs:-?} s to the worker adopting it at finality"
fi

echo
echo "=== throughput report ($(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, node $("$NODE_BIN" --version))"
sed -n '/^result/,$p' "$DIR/readings.txt" | tail -n +2
sed -n '/^result/,$p' "$DIR/market.txt" | tail -n +2
echo "  $fl_line"
