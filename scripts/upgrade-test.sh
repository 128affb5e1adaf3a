#!/usr/bin/env bash
# Forkless runtime upgrade rehearsal: the previous runtime release -> this tree's runtime, on a
# live 4-validator testnet with ml-workers and the demo load.
#
#   scripts/upgrade-test.sh [--from GIT_REF] [--base-dir DIR] [--timeout SECONDS] [--no-try-runtime]
#
# 1. Builds this tree's node and worker (release); the node's runtime wasm is the upgrade.
# 2. Builds the runtime of GIT_REF in a git worktree (same cargo target directory, so only the
#    workspace crates compile again). Default GIT_REF: the parent of the commit that set this
#    tree's spec_version, i.e. the runtime a live chain runs before this release.
# 3. Writes a `local` chain spec whose genesis state the OLD runtime builds (its wasm replaces
#    the code before the spec is made raw), so the chain starts at the old storage versions.
# 4. Starts scripts/local-testnet.sh 4 --with-workers --demo from that spec (DIR, default a
#    temporary directory; logs in DIR/testnet/logs); the demo starts at profile hour 3989 (a
#    June dawn) so that its PV offers last about eight intervals, past the upgrade.
# 5. Runs scripts/polkadot-js/upgrade.mjs: waits for a trade and a finalized federated round on
#    the old runtime, submits sudo(system.setCode(new wasm)), then checks that every node runs
#    the new spec_version, blocks keep being finalized, the migrated storage decodes, the runtime
#    APIs answer, a trade matched on the old runtime settles on the new one, new trades execute
#    and federated rounds keep finalizing.
# 6. try-runtime: the state exported just before the upgrade goes through this runtime's
#    migrations with their pre/post-upgrade checks and every pallet's try_state
#    (runtime/tests/try_runtime_upgrade.rs, built with --features try-runtime: a separate build
#    of the runtime's dependencies, about 10 minutes the first time). --no-try-runtime skips it.
#
# Not in CI (about 15 minutes on 2 cores once built; see README "Forkless runtime upgrades" for
# the measured run). Exit status 0 when every check passed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
FROM=""
BASE_DIR=""
TIMEOUT=1200
TRY_RUNTIME=1
while [ $# -gt 0 ]; do
	case "$1" in
		-h|--help) usage 0 ;;
		--from) FROM=${2:?--from needs a git ref}; shift 2 ;;
		--base-dir) BASE_DIR=${2:?--base-dir needs a directory}; shift 2 ;;
		--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
		--no-try-runtime) TRY_RUNTIME=0; shift ;;
		*) printf 'unknown argument: %s\n\n' "$1" >&2; usage 2 ;;
	esac
done
[ -n "$BASE_DIR" ] || BASE_DIR=$(mktemp -d)
mkdir -p "$BASE_DIR"
BASE_DIR=$(realpath "$BASE_DIR")
export CARGO_TARGET_DIR="$TARGET_DIR"

SPEC=$(grep -oE 'spec_version: [0-9]+' runtime/src/lib.rs | grep -oE '[0-9]+')
if [ -z "$FROM" ]; then
	introduced=$(git log -1 --format=%H -G"spec_version: $SPEC," -- runtime/src/lib.rs)
	[ -n "$introduced" ] || die "cannot find the commit that set spec_version $SPEC (pass --from)"
	FROM="$introduced^"
fi
FROM_COMMIT=$(git rev-parse --verify "$FROM^{commit}") || die "unknown git ref $FROM"
FROM_SPEC=$(git show "$FROM_COMMIT:runtime/src/lib.rs" | grep -oE 'spec_version: [0-9]+' | grep -oE '[0-9]+')
[ "$FROM_SPEC" -lt "$SPEC" ] || die "$FROM has spec_version $FROM_SPEC, not lower than this tree's $SPEC"
log "upgrade rehearsal: runtime $FROM_SPEC (${FROM_COMMIT:0:10}) -> $SPEC (this tree); work dir $BASE_DIR"

log "building this tree's node and worker (release)"
cargo_release build -p gridbrain-node
cargo_release build -p gridbrain-ml-worker
NEW_WASM="$BASE_DIR/runtime-$SPEC.compact.compressed.wasm"
WBUILD="$TARGET_DIR/release/wbuild/gridbrain-runtime/gridbrain_runtime.compact.compressed.wasm"
cp "$WBUILD" "$NEW_WASM"

OLD_WASM="$BASE_DIR/runtime-$FROM_SPEC.compact.compressed.wasm"
# A released runtime never changes: its wasm is built once per commit and kept.
CACHED="$TARGET_DIR/upgrade-rehearsal/runtime-$FROM_COMMIT.compact.compressed.wasm"
if [ -f "$CACHED" ]; then
	log "runtime $FROM_SPEC of ${FROM_COMMIT:0:10}: built before ($CACHED)"
else
	log "building runtime $FROM_SPEC from ${FROM_COMMIT:0:10} in a worktree"
	OLD_SRC="$BASE_DIR/old-src"
	git worktree remove --force "$OLD_SRC" 2>/dev/null || true
	git worktree add --detach "$OLD_SRC" "$FROM_COMMIT" >/dev/null
	(cd "$OLD_SRC" && cargo_release build -p gridbrain-runtime)
	mkdir -p "$(dirname "$CACHED")"
	cp "$WBUILD" "$CACHED"
	git worktree remove --force "$OLD_SRC"
	# Cargo names workspace crates' artifacts by their path relative to the workspace root and
	# judges them fresh by file times: the old sources just compiled are newer than this tree's,
	# so without this the next build of this tree would link the old crates.
	git ls-files -z '*.rs' '*Cargo.toml' | xargs -0 touch
fi
cp "$CACHED" "$OLD_WASM"
cmp -s "$OLD_WASM" "$NEW_WASM" && die "the old and new runtimes are the same wasm"
log "old runtime $(wc -c < "$OLD_WASM") bytes, new runtime $(wc -c < "$NEW_WASM") bytes"

log "chain spec whose genesis the old runtime builds"
"$NODE_BIN" build-spec --chain local --disable-default-bootnode 2>/dev/null > "$BASE_DIR/local-plain.json"
python3 - "$BASE_DIR/local-plain.json" "$OLD_WASM" "$BASE_DIR/local-old-plain.json" <<'EOF'
import json, sys
spec = json.load(open(sys.argv[1]))
genesis = spec["genesis"]["runtimeGenesis"]
genesis["code"] = "0x" + open(sys.argv[2], "rb").read().hex()
json.dump(spec, open(sys.argv[3], "w"))
EOF
"$NODE_BIN" build-spec --chain "$BASE_DIR/local-old-plain.json" --raw --disable-default-bootnode 2>/dev/null \
	> "$BASE_DIR/local-old-raw.json"

log "starting 4 validators, workers and the demo load on runtime $FROM_SPEC"
TESTNET_LOG="$BASE_DIR/testnet.log"
GRIDBRAIN_DASHBOARD_PORT=${GRIDBRAIN_DASHBOARD_PORT:-8097} scripts/local-testnet.sh 4 \
	--chain-spec "$BASE_DIR/local-old-raw.json" --with-workers --demo --demo-hour 3989 \
	--base-dir "$BASE_DIR/testnet" --timeout 300 > "$TESTNET_LOG" 2>&1 &
TESTNET_PID=$!
stop_testnet() {
	trap - EXIT INT TERM
	if kill -0 "$TESTNET_PID" 2>/dev/null; then
		kill -TERM "$TESTNET_PID" 2>/dev/null || true
		wait "$TESTNET_PID" 2>/dev/null || true
	fi
	log "testnet logs: $BASE_DIR/testnet/logs (testnet script: $TESTNET_LOG)"
}
trap stop_testnet EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 400); do
	grep -q "local testnet is running" "$TESTNET_LOG" && break
	kill -0 "$TESTNET_PID" 2>/dev/null || { tail -n 20 "$TESTNET_LOG"; die "the testnet did not start"; }
	sleep 1
done
grep -q "local testnet is running" "$TESTNET_LOG" || die "the testnet did not start within 400 s"
log "testnet up; the upgrade checks follow"
js_deps
set +e
(cd scripts/polkadot-js && node upgrade.mjs --wasm "$NEW_WASM" --timeout "$TIMEOUT" \
	--nodes 9944,9945,9946,9947 --state-out "$BASE_DIR/state-before-upgrade.json") 2>&1 | tee "$BASE_DIR/upgrade.log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || { tail -n 30 "$TESTNET_LOG"; die "upgrade rehearsal failed (see $BASE_DIR/upgrade.log)"; }
log "upgrade rehearsal passed (figures in $BASE_DIR/upgrade.log)"
stop_testnet
if [ $TRY_RUNTIME -eq 1 ]; then
	log "try-runtime: this runtime's migrations and checks on the exported state of runtime $FROM_SPEC"
	set +e
	GRIDBRAIN_STATE="$BASE_DIR/state-before-upgrade.json" SKIP_WASM_BUILD=1 cargo_release test \
		-p gridbrain-runtime --features try-runtime --test try_runtime_upgrade -- --ignored --nocapture \
		2>&1 | tee "$BASE_DIR/try-runtime.log"
	status=${PIPESTATUS[0]}
	set -e
	[ "$status" -eq 0 ] || die "the try-runtime checks failed (see $BASE_DIR/try-runtime.log)"
	log "try-runtime checks passed"
fi
