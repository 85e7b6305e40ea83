# The setup the consumer's end-to-end tests share (sourced by verify_test.sh and sbom_test.sh):
# a scratch folder removed on exit with every server started, a skip when bubblewrap cannot make
# the sandbox `cairn build` needs, keys and a signed manifest of the in-repo libraries, builds of
# the examples against it, a `cairn registry serve` and publishing into it.
#
#   source setup.sh CAIRN SOURCE_DIR NAME   sets cairn, source_dir, work (cd there), pids
#   make_manifest KEY...                     generates root, maintainer and KEY... (Ed25519), copies
#                                            kernel/ and protocols/ into checkout/, releases every
#                                            library into repo/, signs and snapshots it
#   build_apps APP...                        cairn build of each APP folder (copied from
#                                            examples/APP unless it is already there)
#   start_registry NAME LOG_KEY              sets registry_url and NAME/token
#   publish BUILD REF [options...]           cairn --json publish with $token_file
#   policy FILE [PYTHON]                     writes the tests' verify policy (publisher.key.pub,
#                                            repo/root.json, log.vkey), changed by a Python
#                                            statement on `image` (its one entry)
#   refused CASE TARGET POLICY STEP PATTERN [verify options...]
#                                            verify exits 1, STEP failed, and the output says PATTERN
# fail MESSAGE stops the test; ok MESSAGE reports a passed check.
set -euo pipefail
cairn=$(readlink -f "$1")
source_dir=$(readlink -f "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-$3-test.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
unset CAIRN_MANIFEST CAIRN_REGISTRY_TOKEN
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

if ! bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
  /usr/bin/true 2>/dev/null; then
  echo "skipped: bubblewrap cannot make a sandbox here, so cairn build cannot run"
  exit 77
fi

cd "$work"
chmod 755 "$work"

make_manifest() {
  local key library
  for key in root maintainer "$@"; do "$cairn" key generate --ed25519 "$key.key" >/dev/null; done
  mkdir checkout
  cp -r "$source_dir/kernel" "$source_dir/protocols" checkout/
  "$cairn" manifest init --root-key root.key.pub --maintainer-key maintainer.key.pub --out repo >/dev/null
  "$cairn" manifest sign --key root.key repo/root.json >/dev/null
  for library in checkout/kernel checkout/kernel/net checkout/protocols/*/; do
    "$cairn" manifest release "$library" --repo repo >/dev/null
  done
  "$cairn" manifest sign --key maintainer.key repo/libraries/*/*.json >/dev/null
  "$cairn" manifest snapshot --repo repo --key root.key >/dev/null
}

build_apps() {
  local app
  for app in "$@"; do
    [ -d "$app" ] || cp -r "$source_dir/examples/$app" "$app"
    "$cairn" build "$app" --manifest repo --root repo/root.json --sources checkout >out 2>&1 ||
      fail "cairn build $app: $(cat out)"
  done
}

start_registry() {  # NAME LOG_KEY: sets registry_url and token
  local name=$1 log_key=$2 address=
  mkdir -p "$name"
  : >"$name/serve.out"  # before the server's shell opens it: sed below must find it, if empty
  "$cairn" registry serve --root "$name/root" --listen 127.0.0.1:0 --origin verify-test.example/log \
    --log-key "$log_key" --manifest-repo repo >"$name/serve.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    address=$(sed -n 's|^.*listening on http://\([^ ]*\).*$|\1|p' "$name/serve.out")
    [ -n "$address" ] && break
    sleep 0.1
  done
  [ -n "$address" ] || fail "cairn registry serve did not start: $(cat "$name/serve.out")"
  registry_url=http://$address
  "$cairn" registry token add --root "$name/root" --push demo >"$name/token" 2>"$name/token.err" ||
    fail "cairn registry token add: $(cat "$name/token.err")"
}

publish() {  # BUILD REF [options...]
  local build=$1 ref=$2
  shift 2
  "$cairn" --json publish "$build" "$ref" --token-file "$token_file" "$@" >out 2>err ||
    fail "cairn publish $ref: $(cat err)"
}

policy() {  # FILE [PYTHON]
  python3 - "$1" "${2:-}" <<'PY'
import json, sys
p = {"_type": "cairn-verify-policy", "version": 1, "images": [{
    "match": "127.0.0.1:*/demo/*",
    "signers": {"keys": ["publisher.key.pub"], "threshold": 1},
    "manifest": {"root": "repo/root.json"},
    "log": {"vkey_file": "log.vkey"}}]}
image = p["images"][0]
exec(sys.argv[2])
json.dump(p, open(sys.argv[1], "w"), indent=2)
PY
}

refused() {  # CASE TARGET POLICY STEP PATTERN [verify options...]
  local case=$1 target=$2 policy_file=$3 step=$4 pattern=$5
  shift 5
  if "$cairn" verify "$target" --policy "$policy_file" "$@" >out 2>&1; then fail "$case: accepted: $(cat out)"; fi
  grep -q "^✘ $step" out || fail "$case: step $step did not fail: $(cat out)"
  grep -q -- "$pattern" out || fail "$case: the refusal does not say '$pattern': $(cat out)"
  ok "$case is refused: $(grep "^✘ $step" out | cut -c1-220)"
}
