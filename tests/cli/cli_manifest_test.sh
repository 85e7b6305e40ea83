#!/usr/bin/env bash
# The manifest commands end to end: init -> release (kernel/ and a temporary library) -> sign ->
# snapshot -> verify -> verify behind another run's trust-state lock -> lock examples/hello -> --locked -> one byte changed in a source -> the
# error names the library and the file. Then `manifest dev` twice (the second publishes nothing).
# Usage: cli_manifest_test.sh CAIRN SOURCE_DIR
set -euo pipefail
cairn=$1
source_dir=$(readlink -f "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cli-manifest.XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
unset CAIRN_MANIFEST
fail() { echo "FAIL: $*" >&2; exit 1; }

cd "$work"
"$cairn" key generate --ed25519 root.key >/dev/null
"$cairn" key generate --ed25519 maintainer.key >/dev/null
"$cairn" manifest init --root-key root.key.pub --maintainer-key maintainer.key.pub --threshold 1 --out repo >/dev/null

# A checkout of its own: kernel/ copied from the source tree, an extra library, and the app.
mkdir -p checkout/extra/src checkout/app
cp -r "$source_dir/kernel" checkout/kernel
rm -rf checkout/kernel/tenders checkout/kernel/net  # only the kernel library itself
cat >checkout/extra/library.json <<'JSON'
{"name": "extra", "version": "1.0.0", "license": "MIT", "depends": {"kernel": "^0.1"}, "sources": ["src/*.cc"]}
JSON
echo 'int extra() { return 1; }' >checkout/extra/src/extra.cc
cp "$source_dir/examples/hello/unikernel.json" checkout/app/
python3 - checkout/app/unikernel.json <<'PY'
import json, sys
path = sys.argv[1]
app = json.load(open(path))
app["requires"]["extra"] = "^1"
json.dump(app, open(path, "w"))
PY

"$cairn" manifest release checkout/kernel --repo repo >/dev/null
"$cairn" manifest release checkout/extra --repo repo >/dev/null
"$cairn" manifest sign --key root.key repo/root.json >/dev/null
"$cairn" manifest sign --key maintainer.key repo/libraries/kernel/0.1.0.json repo/libraries/extra/1.0.0.json >/dev/null
"$cairn" manifest snapshot --repo repo --key root.key >/dev/null

# Verify pins the root on first use, and needs no --root afterwards.
"$cairn" manifest verify repo >out 2>&1 && fail "verify without a pinned root succeeded"
grep -q "pass --root" out || fail "no advice to pass --root: $(cat out)"
"$cairn" manifest verify repo --root repo/root.json >out
grep -q "kernel .*0.1.0" out || fail "verify does not list kernel: $(cat out)"
"$cairn" --json manifest verify repo | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [l["name"] for l in d["libraries"]] == ["extra","kernel"], d'

# Another cairn updating the same trust state holds its lock (played here by flock(1)): verify
# says it waits, waits, and then succeeds.
state_dirs=("$XDG_STATE_HOME"/cairn/manifests/*/state.json)
state_dir=$(dirname "${state_dirs[0]}")
flock "$state_dir/lock" sh -c 'touch held; sleep 1; touch released' &
holder=$!
while [ ! -e held ]; do sleep 0.01; done
"$cairn" manifest verify repo >out 2>err || fail "verify behind a held lock failed: $(cat err)"
grep -q "waiting for another cairn to finish updating trust state for sha256:" err || fail "no notice of the wait: $(cat err)"
test -e released || fail "verify finished while the lock was still held"
wait "$holder"

# Lock, then --locked with the sources checked.
"$cairn" lock checkout/app --manifest repo --sources checkout >out
grep -q "added kernel 0.1.0" out || fail "lock did not report kernel: $(cat out)"
test -f checkout/app/cairn.lock || fail "no cairn.lock"
"$cairn" lock checkout/app --manifest repo --sources checkout --locked >/dev/null

# One byte changed in an in-repo source: refused, naming the library and the file.
sed -i 's/return 1/return 2/' checkout/extra/src/extra.cc
if "$cairn" lock checkout/app --manifest repo --sources checkout --locked 2>err; then fail "tampered source accepted"; fi
grep -q "library 'extra' 1.0.0: src/extra.cc differs from the signed entry" err || fail "unclear error: $(cat err)"

# A changed description makes --locked refuse.
sed -i 's/"memory_mib": 2/"memory_mib": 4/' checkout/app/unikernel.json
if "$cairn" lock checkout/app --manifest repo --locked 2>err; then fail "changed description accepted"; fi
grep -q "unikernel.json changed" err || fail "unclear error: $(cat err)"

# The development manifest: made on first use, unchanged on a second run.
"$cairn" --json manifest dev --checkout checkout >dev1
"$cairn" --json manifest dev --checkout checkout >dev2
python3 - dev1 dev2 <<'PY'
import json, sys
first, second = (json.load(open(p)) for p in sys.argv[1:])
assert sorted(first["libraries"]) == ["extra 1.0.0", "kernel 0.1.0"], first
assert first["snapshot_version"] == 1 and second["snapshot_version"] == 1 and not second["changed"], (first, second)
PY
test "$(stat -c %a "$XDG_STATE_HOME/cairn/dev-key")" = 600 || fail "dev key is not mode 0600"
echo 'int more;' >checkout/extra/src/more.cc
"$cairn" --json manifest dev --checkout checkout | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["snapshot_version"] == 2 and d["changed"], d'
"$cairn" manifest verify "$XDG_STATE_HOME/cairn/dev-manifest" | grep -q "development manifest" || fail "dev manifest not marked"
# A new development key recreates the manifest from version 1: a new root, so a new trust state,
# and the location now resolves to it without --root.
rm "$XDG_STATE_HOME/cairn/dev-key" "$XDG_STATE_HOME/cairn/dev-key.pub"
"$cairn" --json manifest dev --checkout checkout | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["snapshot_version"] == 1 and d["changed"], d'
"$cairn" lock checkout/app --manifest "$XDG_STATE_HOME/cairn/dev-manifest" --sources checkout >out 2>&1 ||
  fail "lock against the recreated development manifest failed: $(cat out)"
echo "cli manifest test passed"
