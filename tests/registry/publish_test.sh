#!/usr/bin/env bash
# `cairn publish` and `cairn pull` against real registries, as a user runs them:
#   - examples/udp-echo built with `cairn build`, published with --no-log, pulled back: the same
#     bytes (image, provenance, source archives) and the signature found again;
#   - publishing twice (and after a fresh build in another folder) gives the same manifest digest;
#   - skopeo reads what was pushed (`inspect --raw`, `copy ... oci:DIR`);
#   - a blob altered inside the registry's storage is refused by pull and nothing is left behind;
#   - publishing with the log to a registry that has none fails with a clear message;
#   - against flaky_registry.py (a registry that drops connections in the middle of uploads and
#     downloads, answers 503 once, wants Basic credentials and has the referrers API and a log):
#     uploads resume, downloads restart, the token is sent as Basic, the signature is found through
#     the referrers API, and log.json holds a checkpoint and inclusion proof that verify.
# Each registry is a pair of functions (start_<registry>, blob_path_<registry>), so the same
# checks can run against Cairn's own registry once it serves the OCI API.
# Usage: publish_test.sh CAIRN SOURCE_DIR
set -euo pipefail
cairn=$(readlink -f "$1")
source_dir=$(readlink -f "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-publish-test.XXXXXX")
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
unset CAIRN_MANIFEST CAIRN_REGISTRY_TOKEN
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])[sys.argv[1]])' "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # URL: until it answers
  for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  return 1
}

command -v docker-registry >/dev/null || { echo "skipped: docker-registry is not installed (bootstrap.sh installs it)"; exit 77; }
if ! bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
  /usr/bin/true 2>/dev/null; then
  echo "skipped: bubblewrap cannot make a sandbox here, so cairn build cannot run"
  exit 77
fi

# --- Debian's docker-registry (CNCF distribution 2.8): filesystem storage in a temp dir ---
start_docker_registry() {
  local port
  port=$(free_port)
  rm -rf "$work/docker-registry"
  mkdir -p "$work/docker-registry"
  cat >"$work/docker-registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/docker-registry/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
  docker-registry serve "$work/docker-registry/config.yml" >"$work/docker-registry/log" 2>&1 &
  registry_pid=$!
  wait_for "http://127.0.0.1:$port/v2/" || fail "docker-registry did not start: $(tail -5 "$work/docker-registry/log")"
  registry_url=http://127.0.0.1:$port
}
# Where the registry keeps the bytes of blob DIGEST (to alter them behind its back).
blob_path_docker_registry() {
  local hex=${1#sha256:}
  echo "$work/docker-registry/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}
stop_registry() {
  kill "$registry_pid" 2>/dev/null || true
  wait "$registry_pid" 2>/dev/null || true
  registry_pid=
}

# --- A build of examples/udp-echo, and a key ---
cd "$work"
chmod 755 "$work"
mkdir checkout
cp -r "$source_dir/kernel" "$source_dir/protocols" checkout/
cp -r "$source_dir/examples/udp-echo" udp-echo
"$cairn" manifest dev --repo manifest --checkout checkout >/dev/null
"$cairn" --json build udp-echo --manifest manifest --sources checkout >out 2>err || fail "cairn build: $(cat err)"
build=udp-echo/_build/udp-echo
[ -s "$build/udp-echo.spt" ] || fail "no image in $build"
"$cairn" key generate --ed25519 publisher.key >/dev/null
ok "built udp-echo: $(field digest <out)"

check_registry() {  # NAME: the registry started by start_NAME
  local name=$1 ref manifest again pulled
  ref=$registry_url/cairn/udp-echo:v1

  # Publishing with the log to a registry that has none: refused before anything is pushed.
  if "$cairn" publish "$build" "$ref" --key publisher.key >out 2>err; then
    fail "$name: publish with the log succeeded on a registry without /log/vkey"
  fi
  grep -q "no transparency log" err || fail "$name: unclear refusal: $(cat err)"
  ok "$name: publishing with the log is refused clearly: $(head -c 160 err)"

  # Small chunks: several PATCHes per blob, each answered with a new Location.
  "$cairn" --json publish "$build" "$ref" --key publisher.key --no-log --oci-layout layout-$name --chunk-size 10000 \
    >out 2>err ||
    fail "$name: cairn publish: $(cat err)"
  manifest=$(field manifest <out)
  [ "$(field reference <out)" = "${registry_url#http://}/cairn/udp-echo@$manifest" ] ||
    [ "$(field reference <out)" = "$registry_url/cairn/udp-echo@$manifest" ] || fail "$name: reference $(cat out)"
  [ ! -e "$build/log.json" ] || fail "$name: --no-log wrote log.json"
  ok "$name: published $manifest ($(field blobs_pushed <out) blobs pushed, referrers API: $(field referrers_api <out))"

  "$cairn" --json publish "$build" "$ref" --key publisher.key --no-log >out 2>err || fail "$name: second publish: $(cat err)"
  again=$(field manifest <out)
  [ "$again" = "$manifest" ] || fail "$name: the second publish gave $again, not $manifest"
  [ "$(field blobs_pushed <out)" = 0 ] || fail "$name: the second publish pushed $(field blobs_pushed <out) blobs again"
  ok "$name: publishing again gives the same digest and pushes no blob"

  # Pull by tag and by digest: the same bytes as the build.
  "$cairn" --json pull "$ref" pulled-$name >out 2>err || fail "$name: cairn pull: $(cat err)"
  [ "$(field manifest <out)" = "$manifest" ] || fail "$name: pulled $(field manifest <out), not $manifest"
  [ "$(field signature <out)" = True ] || fail "$name: the signature was not found: $(cat out)"
  cmp "$build/udp-echo.spt" pulled-$name/udp-echo.spt || fail "$name: the pulled image differs"
  cmp "$build/provenance.json" pulled-$name/provenance.json || fail "$name: the pulled provenance differs"
  "$cairn" verify-signature --trust publisher.key.pub --payload-type application/vnd.in-toto+json \
    pulled-$name/provenance.json pulled-$name/provenance.dsse.json >/dev/null ||
    fail "$name: the pulled envelope does not verify"
  for archive in pulled-$name/sources/*.tar.gz; do
    mkdir -p "unpacked-$name/$(basename "$archive")"
    tar -xzf "$archive" -C "unpacked-$name/$(basename "$archive")"
  done
  [ -f "unpacked-$name/udp-echo-"*.app.tar.gz/main.cc ] || fail "$name: the app's sources are not in the artifact"
  cmp "$source_dir/examples/udp-echo/main.cc" "unpacked-$name/udp-echo-"*.app.tar.gz/main.cc || fail "$name: main.cc differs"
  "$cairn" --json pull "$registry_url/cairn/udp-echo@$manifest" pulled-by-digest-$name >out 2>err ||
    fail "$name: pull by digest: $(cat err)"
  diff -r pulled-$name pulled-by-digest-$name || fail "$name: pull by tag and by digest differ"
  ok "$name: pulled by tag and by digest: identical image, provenance and sources; the envelope verifies"

  # skopeo reads the artifact.
  if command -v skopeo >/dev/null; then
    skopeo inspect --raw --tls-verify=false "docker://${registry_url#http://}/cairn/udp-echo:v1" >raw 2>err ||
      fail "$name: skopeo inspect --raw: $(cat err)"
    [ "sha256:$(sha256sum <raw | cut -d' ' -f1)" = "$manifest" ] || fail "$name: skopeo saw other manifest bytes"
    ok "$name: skopeo inspect --raw shows the manifest, byte for byte"
    if skopeo copy --src-tls-verify=false "docker://${registry_url#http://}/cairn/udp-echo:v1" "oci:skopeo-$name:v1" \
      >copy.out 2>copy.err; then
      copied=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' \
        "skopeo-$name/index.json")
      [ "$copied" = "$manifest" ] || fail "$name: skopeo copied the artifact as $copied, not $manifest"
      ok "$name: skopeo copy to an oci: layout keeps the manifest digest"
    else
      echo "note: $name: skopeo copy to oci: refused the artifact: $(tr '\n' ' ' <copy.err)"
    fi
    # The OCI layout `cairn publish --oci-layout` wrote, copied by skopeo into another repository,
    # pulls back as the same artifact with its signature (the .att tag travels with it).
    skopeo copy --dest-tls-verify=false "oci:layout-$name:v1" "docker://${registry_url#http://}/copied/udp-echo:v1" \
      >copy.out 2>copy.err || fail "$name: skopeo copy from cairn's oci layout: $(cat copy.err)"
    skopeo copy --dest-tls-verify=false "oci:layout-$name:sha256-${manifest#sha256:}.att" \
      "docker://${registry_url#http://}/copied/udp-echo:sha256-${manifest#sha256:}.att" >copy.out 2>copy.err ||
      fail "$name: skopeo copy of the signature from cairn's oci layout: $(cat copy.err)"
    "$cairn" --json pull "$registry_url/copied/udp-echo:v1" copied-$name >out 2>err ||
      fail "$name: pull of what skopeo copied: $(cat err)"
    [ "$(field manifest <out)" = "$manifest" ] || fail "$name: skopeo's copy has digest $(field manifest <out)"
    [ "$(field signature <out)" = True ] || fail "$name: skopeo's copy lost the signature"
    ok "$name: skopeo copies cairn's OCI layout into the registry; cairn pulls it back, same digest, signed"
  else
    echo "note: skopeo is not installed; its checks were skipped"
  fi

  # A manifest whose layer title climbs out of DIR: refused, nothing written anywhere.
  python3 - pulled-$name/manifest.json >evil.json <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
manifest["layers"][0]["annotations"]["org.opencontainers.image.title"] = "../escaped.spt"
print(json.dumps(manifest, separators=(",", ":"), sort_keys=True), end="")
PY
  curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" --data-binary @evil.json \
    "$registry_url/v2/cairn/udp-echo/manifests/evil" >/dev/null || fail "$name: could not push the hostile manifest"
  if "$cairn" pull "$registry_url/cairn/udp-echo:evil" evil-$name >out 2>err; then fail "$name: pull took a '../' title"; fi
  grep -q "not a plain file name" err || fail "$name: unclear refusal of a '../' title: $(cat err)"
  [ ! -e evil-$name ] && [ ! -e escaped.spt ] || fail "$name: the hostile pull left files behind"
  ok "$name: a layer titled '../escaped.spt' is refused and nothing is written"

  # A blob altered inside the registry: pull refuses it and leaves nothing.
  local image_digest blob
  image_digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
    pulled-$name/manifest.json)
  blob=$(blob_path_$name "$image_digest")
  [ -f "$blob" ] || fail "$name: no blob file at $blob"
  printf 'X' | dd of="$blob" bs=1 seek=200 conv=notrunc status=none
  if "$cairn" pull "$ref" tampered-$name >out 2>err; then fail "$name: pull accepted an altered blob"; fi
  grep -q "$image_digest" err || fail "$name: the refusal does not name the blob: $(cat err)"
  [ ! -e tampered-$name ] || fail "$name: pull left tampered-$name behind"
  ! ls -a | grep -q '^\.cairn-pull-' || fail "$name: pull left a temporary folder behind"
  ok "$name: an altered blob is refused ($(head -c 200 err)) and nothing is left"
  published_manifest=$manifest
}

start_docker_registry
check_registry docker_registry
stop_registry

# Another checkout folder and a cold cache, the same signed manifest: the same manifest digest
# (packing is deterministic; the day and the folder do not enter it).
mkdir other
cp -r checkout other/checkout
cp -r "$source_dir/examples/udp-echo" other/udp-echo
XDG_CACHE_HOME=$work/other/cache "$cairn" --json build other/udp-echo --manifest manifest --sources other/checkout \
  >out 2>err || fail "second build: $(cat err)"
start_docker_registry
XDG_CACHE_HOME=$work/other/cache "$cairn" --json publish other/udp-echo/_build/udp-echo \
  "$registry_url/cairn/udp-echo:v1" --key publisher.key --no-log >out 2>err || fail "publish of the second build: $(cat err)"
[ "$(field manifest <out)" = "$(python3 -c 'import json; print(json.load(open("layout-docker_registry/index.json"))["manifests"][0]["digest"])')" ] ||
  fail "a build in another folder gave another manifest digest: $(cat out)"
ok "a build in another folder with cold caches publishes to the same manifest digest"

# --- A registry that misbehaves on purpose, with the referrers API and a transparency log ---
stop_registry
if ! python3 -c 'import cryptography' 2>/dev/null; then
  echo "note: python3-cryptography is missing; the flaky registry's checks were skipped"
  exit 0
fi
python3 "$source_dir/tests/registry/flaky_registry.py" secret-token >flaky.port 2>flaky.log &
registry_pid=$!
for _ in $(seq 100); do [ -s flaky.port ] && break; sleep 0.1; done
registry_url=http://127.0.0.1:$(cat flaky.port)
wait_for "$registry_url/stats" || fail "flaky_registry.py did not start: $(cat flaky.log)"
ref=$registry_url/cairn/udp-echo:v1

if "$cairn" publish "$build" "$ref" --key publisher.key >out 2>err; then fail "publish without a token succeeded"; fi
grep -q "CAIRN_REGISTRY_TOKEN" err || fail "no hint about the token: $(cat err)"
echo secret-token >token
"$cairn" --json publish "$build" "$ref" --key publisher.key --token-file token --chunk-size 16384 >out 2>err ||
  fail "publish to the flaky registry: $(cat err)"
manifest=$(field manifest <out)
[ "$manifest" = "$published_manifest" ] || fail "the flaky registry got $manifest, docker-registry $published_manifest"
[ "$(field referrers_api <out)" = True ] || fail "the referrers API was not seen: $(cat out)"
[ -s "$build/log.json" ] || fail "no log.json after publishing with the log"
python3 - "$build/log.json" "$manifest" <<'PY' || fail "log.json is not what it should be: $(cat "$build/log.json")"
import base64, hashlib, json, sys
log = json.load(open(sys.argv[1]))
entry = log["entry"]
assert entry["manifest"] == sys.argv[2] and entry["repository"] == "cairn/udp-echo" and entry["tag"] == "v1", entry
assert len(entry["signers"]) == 1 and log["index"] == 5, log
# The proof, checked from RFC 6962 section 2.1.1 again (not with Cairn's code): fold the path.
leaf = json.dumps(entry, separators=(",", ":"), sort_keys=True).encode()
text = log["checkpoint"].split("\n\n")[0] + "\n"
origin, size, root = text.split("\n")[:3]
h, index, last = hashlib.sha256(b"\x00" + leaf).digest(), log["index"], int(size) - 1
for sibling in map(base64.b64decode, log["inclusion_proof"]):
    if index % 2 == 1 or index == last:
        h = hashlib.sha256(b"\x01" + sibling + h).digest()
        while index % 2 == 0 and index != 0:
            index, last = index // 2, last // 2
    else:
        h = hashlib.sha256(b"\x01" + h + sibling).digest()
    index, last = index // 2, last // 2
assert last == 0 and base64.b64encode(h).decode() == root, "the inclusion proof does not lead to the root"
PY
ok "flaky registry: published $manifest (as to docker-registry) with the log (entry 5; log.json's proof checked independently)"
"$cairn" --json pull "$ref" pulled-flaky >out 2>err || fail "pull from the flaky registry: $(cat err)"
[ "$(field signature <out)" = True ] || fail "the signature was not found through the referrers API"
cmp "$build/udp-echo.spt" pulled-flaky/udp-echo.spt || fail "the image pulled from the flaky registry differs"
diff -r pulled-docker_registry/sources pulled-flaky/sources || fail "the sources pulled from the flaky registry differ"
curl -s "$registry_url/stats" >stats
python3 - stats <<'PY' || fail "the flaky registry's faults did not all happen: $(cat stats)"
import json, sys
stats = json.load(open(sys.argv[1]))
assert stats["dropped_patches"] > 0 and stats["dropped_gets"] > 0, stats
assert stats["basic_retries"] > 0 and stats["failed_manifest_puts"] == 1 and stats["cancelled_sessions"] == 1, stats
PY
ok "flaky registry: uploads resumed after dropped PATCHes, downloads restarted, 503 retried, Basic used: $(cat stats)"
CAIRN_REGISTRY_TOKEN=secret-token "$cairn" --json publish "$build" "$ref" --key publisher.key >out 2>err ||
  fail "second publish to the flaky registry: $(cat err)"
[ "$(field manifest <out)" = "$manifest" ] && [ "$(field log_index <out)" = 5 ] ||
  fail "publishing again gave another digest or log entry: $(cat out)"
ok "flaky registry: publishing again (token from \$CAIRN_REGISTRY_TOKEN) finds the same log entry"
