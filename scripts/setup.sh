#!/usr/bin/env bash
# Installs gridbrain's build prerequisites and builds the node and the ml-worker (release).
#
#   scripts/setup.sh [--no-build] [--no-js] [--browser]
#
# - Debian/Ubuntu packages: protobuf-compiler, clang, libclang-dev, curl (needs root/sudo;
#   skipped when already installed); with --browser also chromium, for the dashboard's
#   browser test (scripts/dashboard-test.sh; CI passes it);
# - Rust: the wasm32v1-none and wasm32-unknown-unknown targets and rust-src (via rustup);
# - the npm packages of the polkadot.js scripts and of the dashboard (npm ci in
#   scripts/polkadot-js and scripts/dashboard) when Node.js is present;
# - cargo build --release -p gridbrain-node, then -p gridbrain-ml-worker (into $CARGO_TARGET_DIR
#   or ./target).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD=1
JS=1
BROWSER=0
for a in "$@"; do
	case "$a" in
		--no-build) BUILD=0 ;;
		--no-js) JS=0 ;;
		--browser) BROWSER=1 ;;
		-h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown argument: $a" ;;
	esac
done

have_libclang() { ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/*/libclang*.so* >/dev/null 2>&1; }

missing=()
command -v protoc >/dev/null || missing+=(protobuf-compiler)
command -v clang >/dev/null || missing+=(clang)
have_libclang || missing+=(libclang-dev)
command -v curl >/dev/null || missing+=(curl)
[ $BROWSER -eq 0 ] || command -v chromium >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
	if ! command -v apt-get >/dev/null; then
		die "please install: ${missing[*]} (no apt-get on this machine)"
	fi
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	log "installing system packages: ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v rustup >/dev/null || die "rustup is required (https://rustup.rs)"
log "rust toolchain: $(rustc --version)"
rustup target add wasm32v1-none wasm32-unknown-unknown >/dev/null 2>&1 \
	|| die "cannot add the wasm targets with rustup"
rustup component add rust-src >/dev/null 2>&1 || die "cannot add rust-src with rustup"

if [ $JS -eq 1 ]; then
	if command -v npm >/dev/null; then
		log "installing the polkadot.js scripts' and the dashboard's npm packages (npm ci)"
		(cd "$REPO_ROOT/scripts/polkadot-js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
		(cd "$REPO_ROOT/scripts/dashboard" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	else
		log "npm not found: skipping the polkadot.js check dependencies"
	fi
fi

if [ $BUILD -eq 1 ]; then
	log "building gridbrain-node (release) into $TARGET_DIR; a clean build takes ~30-40 min on 2 cores"
	start=$(date +%s)
	(cd "$REPO_ROOT" && cargo_release build -p gridbrain-node)
	log "built $NODE_BIN in $(( $(date +%s) - start ))s"
	# A separate invocation: built together, the two would unify their dependencies' features
	# and the node would be rebuilt.
	start=$(date +%s)
	(cd "$REPO_ROOT" && cargo_release build -p gridbrain-ml-worker)
	log "built $WORKER_BIN in $(( $(date +%s) - start ))s"
fi
