#!/usr/bin/env bash
# The dashboard's browser test: headless Chromium (Debian's package, driven by playwright-core)
# against a dev node running the demo load. See scripts/dashboard/test/browser-test.mjs for
# what it checks.
#
#   scripts/dashboard-test.sh [--screenshots DIR]   (default: a temporary directory)
#
# Needs the release node (scripts/setup.sh) and Chromium (`apt-get install chromium`, or
# CHROMIUM=/path/to/chrome). Takes about 8 minutes: the first sealed and settled intervals
# come 3-5 minutes after the demo starts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_node_bin
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] || die "Chromium is required: apt-get install -y chromium (or set CHROMIUM)"
js_deps
dashboard_build
exec node "$REPO_ROOT/scripts/dashboard/test/browser-test.mjs" --node "$NODE_BIN" --chromium "$CHROMIUM" "$@"
