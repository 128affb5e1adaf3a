#!/usr/bin/env bash
# Writes the raw chain spec of a built-in chain (default: local) to share with other machines.
#
#   scripts/chain-spec.sh [dev|local] [OUTPUT]     (default OUTPUT: chain-spec/<chain>-raw.json)
#
# Nodes on other machines join with `gridbrain-node --chain OUTPUT ...` and --bootnodes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CHAIN=${1:-local}
OUT=${2:-$REPO_ROOT/chain-spec/$CHAIN-raw.json}
require_node_bin
"$NODE_BIN" build-spec --chain "$CHAIN" --raw --disable-default-bootnode 2>/dev/null > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "wrote $OUT ($(wc -c < "$OUT") bytes)"
