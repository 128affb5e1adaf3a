#!/usr/bin/env bash
# Builds the gridbrain dashboard and serves it on loopback.
#
#   scripts/dashboard.sh [--ws ws://127.0.0.1:9944] [--port 8080]
#
# The page (scripts/dashboard/, a static single-page app built by esbuild) talks to the node at
# --ws with @polkadot/api from the browser; nothing else is fetched. Open the printed address;
# `?ws=ws://HOST:PORT` in the address points the page at another node. Ctrl-C stops it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WS=ws://127.0.0.1:9944
PORT=8080
while [ $# -gt 0 ]; do
	case "$1" in
		-h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		--ws) WS=${2:?--ws needs a URL}; shift 2 ;;
		--port) PORT=${2:?--port needs a number}; shift 2 ;;
		*) die "unknown argument: $1 (see --help)" ;;
	esac
done
[[ "$PORT" =~ ^[0-9]+$ ]] || die "--port needs a number"
dashboard_build
exec node "$REPO_ROOT/scripts/dashboard/serve.mjs" --ws "$WS" --port "$PORT"
