#!/usr/bin/env bash
# Regenerates the weights of gridbrain's pallets on this machine.
#
#   scripts/benchmark-pallets.sh [PALLET...]     (default: all gridbrain pallets)
#   scripts/benchmark-pallets.sh frame           (FRAME's pallets and the base weights)
#
# `frame` regenerates runtime/src/weights/: frame_system, its transaction extensions,
# pallet_balances, pallet_timestamp, pallet_sudo and pallet_transaction_payment (FRAME's own
# weight template), and the block and extrinsic base weights (`benchmark overhead`, a block of
# `System::remark`s), so that every weight a fee or a block limit depends on is measured on the
# same machine as gridbrain's pallets.
#
# Builds gridbrain-node with `--features runtime-benchmarks` into its own target dir
# ($BENCH_TARGET_DIR, default: the normal target dir + "-bench", so the normal build is left
# alone; ~25 min the first time on 2 cores), runs `benchmark pallet` for each pallet on the dev chain and writes
# pallets/<name>/src/weights.rs from scripts/frame-weight-template.hbs.
# STEPS and REPEAT (default 50 and 20) can be lowered for a quick run: STEPS=10 REPEAT=5.
# ANALYSIS picks how the weight formula is fitted (`--output-analysis`: min-squares, the
# default, median-slopes or max). `benchmark pallet` varies one component at a time with the
# others at their maximum, so a benchmark whose components interact gets a large intercept
# that small calls pay: that is why EnergyMarket's place_order is benchmarked as separate
# parts (place_order(f) for a sell, place_order_buy(f), rest_order, zone_books(z),
# pick_device(d)), with
# place_order_spread measuring the worst case in one piece for runtime/tests/config_sanity.rs.
# On a noisy 2-vCPU VM single coefficients moved by up to 2.5x between runs of REPEAT=10.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PALLETS=("$@")
[ ${#PALLETS[@]} -gt 0 ] || PALLETS=(energy-data energy-market federated-learning dispatch)
STEPS=${STEPS:-50}
REPEAT=${REPEAT:-20}
ANALYSIS=${ANALYSIS:-min-squares}

BENCH_TARGET_DIR="${BENCH_TARGET_DIR:-$TARGET_DIR-bench}"
# frame-benchmarking-cli depends on a test runtime (for `benchmark storage` access tests) whose
# wasm build can't resolve its package in this workspace's metadata (the CLI is an optional
# dependency of the node); `benchmark pallet` does not need it.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
log "building gridbrain-node with runtime-benchmarks into $BENCH_TARGET_DIR"
(cd "$REPO_ROOT" && CARGO_TARGET_DIR="$BENCH_TARGET_DIR" cargo_release build -p gridbrain-node --features runtime-benchmarks)
NODE_BIN="$BENCH_TARGET_DIR/release/gridbrain-node"
if [ "${PALLETS[*]}" = frame ]; then
	out="$REPO_ROOT/runtime/src/weights"
	for crate in frame_system frame_system_extensions pallet_balances pallet_timestamp pallet_sudo \
		pallet_transaction_payment; do
		log "benchmarking $crate (steps $STEPS, repeat $REPEAT) -> $out/$crate.rs"
		"$NODE_BIN" benchmark pallet --chain dev --pallet "$crate" --extrinsic '*' \
			--steps "$STEPS" --repeat "$REPEAT" --wasm-execution compiled \
			--heap-pages 4096 --output-analysis "$ANALYSIS" --output "$out/$crate.rs"
	done
	log "benchmarking the block and extrinsic base weights -> $out/{block,extrinsic}_weights.rs"
	"$NODE_BIN" benchmark overhead --chain dev --weight-path "$out" --warmup 5 --repeat "$REPEAT"
	# The runtime reaches these types through frame_support (no direct sp-weights dependency).
	sed -i 's/use sp_core::parameter_types;/use frame_support::parameter_types;/; s/sp_weights::/frame_support::weights::/g' \
		"$out/block_weights.rs" "$out/extrinsic_weights.rs"
	log "done; review the diff of runtime/src/weights and commit it"
	exit 0
fi
for p in "${PALLETS[@]}"; do
	crate="pallet_${p//-/_}"
	out="$REPO_ROOT/pallets/$p/src/weights.rs"
	log "benchmarking $crate (steps $STEPS, repeat $REPEAT) -> $out"
	"$NODE_BIN" benchmark pallet --chain dev --pallet "$crate" --extrinsic '*' \
		--steps "$STEPS" --repeat "$REPEAT" --wasm-execution compiled \
		--heap-pages 4096 --output-analysis "$ANALYSIS" \
		--template "$REPO_ROOT/scripts/frame-weight-template.hbs" --output "$out"
done
log "done; review the diff of pallets/*/src/weights.rs and commit it"
