#!/usr/bin/env bash
# Starts a throw-away dev node and runs the end-to-end polkadot.js scenario
# (scripts/polkadot-js/scenario.mjs) against it: meter certificates (issued by the dev registrar;
# a self-signed and a front-run registration rejected), readings (valid, replayed, forged, over
# capacity, a partly skipped batch), crossing orders in two zones, sealing, a Merkle proof
# verified in JavaScript, settlement (balances, holds, events), a revocation cancelling an open
# sell order, runtime APIs and the federated-learning round.
# Takes about 6.5 minutes (an interval must end, its readings window close, then it is sealed).
#
#   scripts/polkadot-js-scenario.sh [--ws ws://HOST:PORT]   (with --ws: use that running dev node)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_js_on_dev_node scenario.mjs "${GRIDBRAIN_RPC_PORT:-19966}" "$@"
