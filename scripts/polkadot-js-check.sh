#!/usr/bin/env bash
# Starts a throw-away dev node and runs the polkadot.js check (scripts/polkadot-js/check.mjs)
# against it: metadata, pallet indices, a balance transfer that lands in a finalized block, a
# federated-learning worker registration and the current round via the runtime API.
#
#   scripts/polkadot-js-check.sh [--ws ws://HOST:PORT]   (with --ws: use that running node instead)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_js_on_dev_node check.mjs "${GRIDBRAIN_RPC_PORT:-19944}" "$@"
