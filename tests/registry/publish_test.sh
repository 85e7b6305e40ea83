#!/usr/bin/env bash
# `cairn publish` and `cairn pull` against real registries, as a user runs them. examples/udp-echo
# is built once with `cairn build`, then check_registry runs the same checks against each registry:
#   - without a log: publishing with the log is refused clearly, --no-log publishes; with a log:
#     log.json holds the entry, a checkpoint and an inclusion proof (checked here from RFC 6962
#     again, not with Cairn's code);
#   - blobs go up in small chunks; publishing again gives the same digest and pushes no blob;
#   - pull by tag and by digest gives the build's bytes (image, provenance, sources, the app's
#     main.cc), and the signature, found through the referrers API or the .att tag, verifies;
#   - skopeo reads what was pushed (`inspect --raw`, `copy ... oci:DIR` keeps the digest) and copies
#     `cairn publish --oci-layout`'s output into the registry, which cairn pulls back signed;
#   - a manifest whose layer title is '../escaped.spt', and a blob altered in the registry's
#     storage, are refused by pull, and nothing is left behind;
#   - a reference without http:// is HTTPS, and a registry whose certificate no CA signed is refused.
# The registries, each a start_<name> that sets registry_url, registry_log (yes|no),
# registry_token ('' for none) and registry_skopeo (yes|no), and a tamper_<name> DIGEST:
#   docker_registry  Debian's docker-registry (CNCF distribution 2.8), filesystem storage
#   flaky_registry   flaky_registry.py: drops connections in the middle of uploads and downloads,
#                    forgets a session, answers 503 once, wants Basic credentials, has the
#                    referrers API and a log; its fault counters are checked afterwards
#   cairn_registry   `cairn registry serve` with a fresh log key and a push token for "cairn"
# Finally a build in another folder with a cold cache publishes to the same manifest digest.
# Usage: publish_test.sh CAIRN SOURCE_DIR
set -euo pipefail
cairn=$(readlink -f "$1")
source_dir=$(readlink -f "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-publish-test.XXXXXX")
registry_pid=
stop_registry() {
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
  registry_pid=
}
trap 'stop_registry; rm -rf "$work"' EXIT
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

# --- The registries ---
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
  registry_url=http://127.0.0.1:$port registry_log=no registry_token= registry_skopeo=yes
  wait_for "$registry_url/v2/" || fail "docker-registry did not start: $(tail -5 "$work/docker-registry/log")"
}
tamper_docker_registry() {  # DIGEST: change a byte of the blob in the registry's storage
  local hex=${1#sha256:}
  local data=$work/docker-registry/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
  [ -f "$data" ] || fail "docker_registry: no blob file at $data"
  printf 'X' | dd of="$data" bs=1 seek=200 conv=notrunc status=none
}

start_flaky_registry() {
  : >"$work/flaky.port"
  python3 "$source_dir/tests/registry/flaky_registry.py" secret-token >"$work/flaky.port" 2>"$work/flaky.log" &
  registry_pid=$!
  for _ in $(seq 100); do [ -s "$work/flaky.port" ] && break; sleep 0.1; done
  registry_url=http://127.0.0.1:$(cat "$work/flaky.port") registry_log=yes registry_token=secret-token registry_skopeo=no
  wait_for "$registry_url/stats" || fail "flaky_registry.py did not start: $(cat "$work/flaky.log")"
}
tamper_flaky_registry() { curl -fsS -X POST "$registry_url/tamper/$1" >/dev/null; }

start_cairn_registry() {
  local dir=$work/cairn-registry address=
  rm -rf "$dir"
  mkdir -p "$dir"
  "$cairn" key generate --ed25519 "$dir/log.key" >/dev/null
  : >"$dir/serve.out"  # before the server's shell opens it: sed below must find it, if empty
  "$cairn" registry serve --root "$dir/root" --listen 127.0.0.1:0 --origin publish-test.example/log \
    --log-key "$dir/log.key" >"$dir/serve.out" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    address=$(sed -n 's|^.*listening on http://\([^ ]*\).*$|\1|p' "$dir/serve.out")
    [ -n "$address" ] && break
    sleep 0.1
  done
  [ -n "$address" ] || fail "cairn registry serve did not start: $(cat "$dir/serve.out")"
  registry_url=http://$address registry_log=yes registry_skopeo=yes
  registry_token=$("$cairn" registry token add --root "$dir/root" --push cairn 2>"$dir/token.err") ||
    fail "cairn registry token add: $(cat "$dir/token.err")"
}
tamper_cairn_registry() {  # DIGEST: change a byte of the blob in the registry's storage
  local data=$work/cairn-registry/root/blobs/sha256/${1#sha256:}
  [ -f "$data" ] || fail "cairn_registry: no blob file at $data"
  printf 'X' | dd of="$data" bs=1 seek=200 conv=notrunc status=none
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
published_manifest=

# check_log LOG.JSON MANIFEST: the entry, and the inclusion proof folded up to the checkpoint's root
# by RFC 9162's algorithm (section 2.1.3.2), written again here.
check_log() {
  python3 - "$1" "$2" <<'PY'
import base64, hashlib, json, sys
log = json.load(open(sys.argv[1]))
entry = log["entry"]
assert entry["manifest"] == sys.argv[2] and entry["repository"] == "cairn/udp-echo" and entry["tag"] == "v1", entry
assert len(entry["signers"]) == 1, entry
leaf = json.dumps(entry, separators=(",", ":"), sort_keys=True).encode()
origin, size, root = log["checkpoint"].split("\n")[:3]
fn, sn, r = log["index"], int(size) - 1, hashlib.sha256(b"\x00" + leaf).digest()
for p in map(base64.b64decode, log["inclusion_proof"]):
    assert sn != 0, "proof too long"
    if fn % 2 == 1 or fn == sn:
        r = hashlib.sha256(b"\x01" + p + r).digest()
        while fn % 2 == 0 and fn != 0:
            fn, sn = fn // 2, sn // 2
    else:
        r = hashlib.sha256(b"\x01" + r + p).digest()
    fn, sn = fn // 2, sn // 2
assert sn == 0 and base64.b64encode(r).decode() == root, "the inclusion proof does not lead to the checkpoint's root"
PY
}

check_registry() {  # NAME: the registry started by start_NAME
  local name=$1 ref host manifest again auth=() curl_auth=()
  ref=$registry_url/cairn/udp-echo:v1
  host=${registry_url#http://}
  if [ -n "$registry_token" ]; then
    echo "$registry_token" >token-$name
    auth=(--token-file token-$name)
    curl_auth=(-u "cairn:$registry_token")
    if "$cairn" publish "$build" "$ref" --key publisher.key >out 2>err; then fail "$name: publish without a token succeeded"; fi
    grep -q "CAIRN_REGISTRY_TOKEN" err || fail "$name: no hint about the token: $(cat err)"
  fi
  rm -f "$build/log.json"

  local log_option=()
  if [ "$registry_log" = no ]; then
    if "$cairn" publish "$build" "$ref" --key publisher.key "${auth[@]}" >out 2>err; then
      fail "$name: publish with the log succeeded on a registry without /log/vkey"
    fi
    grep -q "no transparency log" err || fail "$name: unclear refusal: $(cat err)"
    ok "$name: publishing with the log is refused clearly: $(head -c 160 err)"
    log_option=(--no-log)
  fi

  # Small chunks: several PATCHes per blob, each answered with a new Location.
  "$cairn" --json publish "$build" "$ref" --key publisher.key "${auth[@]}" "${log_option[@]}" \
    --oci-layout layout-$name --chunk-size 10000 >out 2>err || fail "$name: cairn publish: $(cat err)"
  manifest=$(field manifest <out)
  [ "$(field reference <out)" = "$registry_url/cairn/udp-echo@$manifest" ] || fail "$name: reference $(cat out)"
  if [ -z "$published_manifest" ]; then published_manifest=$manifest; fi
  [ "$manifest" = "$published_manifest" ] || fail "$name: got manifest $manifest, another registry $published_manifest"
  ok "$name: published $manifest ($(field blobs_pushed <out) blobs pushed, referrers API: $(field referrers_api <out))"
  if [ "$registry_log" = yes ]; then
    [ -s "$build/log.json" ] || fail "$name: no log.json after publishing with the log"
    check_log "$build/log.json" "$manifest" || fail "$name: log.json is not what it should be: $(cat "$build/log.json")"
    ok "$name: log.json holds entry $(field log_index <out), its inclusion proof checked independently"
  else
    [ ! -e "$build/log.json" ] || fail "$name: --no-log wrote log.json"
  fi

  "$cairn" --json publish "$build" "$ref" --key publisher.key "${auth[@]}" "${log_option[@]}" >out 2>err ||
    fail "$name: second publish: $(cat err)"
  again=$(field manifest <out)
  [ "$again" = "$manifest" ] || fail "$name: the second publish gave $again, not $manifest"
  [ "$(field blobs_pushed <out)" = 0 ] || fail "$name: the second publish pushed $(field blobs_pushed <out) blobs again"
  [ "$(field manifests_pushed <out)" = 0 ] || fail "$name: the second publish pushed $(field manifests_pushed <out) manifests again"
  ok "$name: publishing again gives the same digest and pushes no blob and no manifest"

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
  cmp "$source_dir/examples/udp-echo/main.cc" "unpacked-$name/udp-echo-"*.app.tar.gz/main.cc ||
    fail "$name: the app's main.cc is not in the artifact as it was"
  "$cairn" --json pull "$registry_url/cairn/udp-echo@$manifest" pulled-by-digest-$name >out 2>err ||
    fail "$name: pull by digest: $(cat err)"
  diff -r pulled-$name pulled-by-digest-$name || fail "$name: pull by tag and by digest differ"
  ok "$name: pulled by tag and by digest: identical image, provenance and sources; the envelope verifies"

  if [ "$registry_skopeo" = yes ] && command -v skopeo >/dev/null; then
    local creds=()
    if [ -n "$registry_token" ]; then creds=(--dest-creds "cairn:$registry_token"); fi
    skopeo inspect --raw --tls-verify=false "docker://$host/cairn/udp-echo:v1" >raw 2>err ||
      fail "$name: skopeo inspect --raw: $(cat err)"
    [ "sha256:$(sha256sum <raw | cut -d' ' -f1)" = "$manifest" ] || fail "$name: skopeo saw other manifest bytes"
    ok "$name: skopeo inspect --raw shows the manifest, byte for byte"
    if skopeo copy --src-tls-verify=false "docker://$host/cairn/udp-echo:v1" "oci:skopeo-$name:v1" \
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
    skopeo copy --dest-tls-verify=false "${creds[@]}" "oci:layout-$name:v1" "docker://$host/cairn/copied:v1" \
      >copy.out 2>copy.err || fail "$name: skopeo copy from cairn's oci layout: $(cat copy.err)"
    skopeo copy --dest-tls-verify=false "${creds[@]}" "oci:layout-$name:sha256-${manifest#sha256:}.att" \
      "docker://$host/cairn/copied:sha256-${manifest#sha256:}.att" >copy.out 2>copy.err ||
      fail "$name: skopeo copy of the signature from cairn's oci layout: $(cat copy.err)"
    "$cairn" --json pull "$registry_url/cairn/copied:v1" copied-$name >out 2>err ||
      fail "$name: pull of what skopeo copied: $(cat err)"
    [ "$(field manifest <out)" = "$manifest" ] || fail "$name: skopeo's copy has digest $(field manifest <out)"
    [ "$(field signature <out)" = True ] || fail "$name: skopeo's copy lost the signature"
    ok "$name: skopeo copies cairn's OCI layout into the registry; cairn pulls it back, same digest, signed"
  fi

  # A manifest whose layer title climbs out of DIR: refused, nothing written anywhere.
  python3 - pulled-$name/manifest.json >evil.json <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
manifest["layers"][0]["annotations"]["org.opencontainers.image.title"] = "../escaped.spt"
print(json.dumps(manifest, separators=(",", ":"), sort_keys=True), end="")
PY
  curl -sf "${curl_auth[@]}" -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
    --data-binary @evil.json "$registry_url/v2/cairn/udp-echo/manifests/evil" >/dev/null ||
    fail "$name: could not push the hostile manifest"
  if "$cairn" pull "$registry_url/cairn/udp-echo:evil" evil-$name >out 2>err; then fail "$name: pull took a '../' title"; fi
  grep -q "not a plain file name" err || fail "$name: unclear refusal of a '../' title: $(cat err)"
  [ ! -e evil-$name ] && [ ! -e escaped.spt ] || fail "$name: the hostile pull left files behind"
  ok "$name: a layer titled '../escaped.spt' is refused and nothing is written"

  # A blob altered inside the registry: pull refuses it and leaves nothing.
  local image_digest
  image_digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
    pulled-$name/manifest.json)
  tamper_$name "$image_digest"
  if "$cairn" pull "$ref" tampered-$name >out 2>err; then fail "$name: pull accepted an altered blob"; fi
  grep -q "$image_digest" err || fail "$name: the refusal does not name the blob: $(cat err)"
  [ ! -e tampered-$name ] || fail "$name: pull left tampered-$name behind"
  ! ls -a | grep -q '^\.cairn-pull-' || fail "$name: pull left a temporary folder behind"
  ok "$name: an altered blob is refused ($(head -c 200 err)) and nothing is left"
}

start_docker_registry
check_registry docker_registry
stop_registry

start_cairn_registry
check_registry cairn_registry
# 8 `cairn publish` processes at once into one repository, each from its own copy of the build
# (log.json is written beside it): all land, each tag names the build's manifest, the log holds 8
# new entries once each, and the checkpoints they were given are pairwise consistent.
before=$(curl -fsS "$registry_url/log/checkpoint" | sed -n 2p)
printf '%s\n' "$registry_token" >token-parallel
pids=()
for i in 0 1 2 3 4 5 6 7; do
  rm -rf "parallel-$i" && cp -r "$build" "parallel-$i"
  "$cairn" --json publish "parallel-$i" "$registry_url/cairn/parallel:p$i" --key publisher.key \
    --token-file token-parallel >"parallel-$i.out" 2>"parallel-$i.err" &
  pids+=($!)
done
for i in 0 1 2 3 4 5 6 7; do
  wait "${pids[$i]}" || fail "parallel publish $i: $(cat "parallel-$i.err")"
done
python3 - "$registry_url" "$before" "$(dirname "$0")" <<'PY' || fail "8 parallel publishes"
import base64, json, sys, urllib.request
url, before, here = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, here)
import rfc6962_check as rfc
receipts = [json.load(open(f"parallel-{i}/log.json")) for i in range(8)]
indexes = sorted(r["index"] for r in receipts)
assert indexes == list(range(before, before + 8)), indexes
final = urllib.request.urlopen(url + "/log/checkpoint").read().decode()
assert int(final.split("\n")[1]) == before + 8, final
def head(note):
    lines = note.split("\n")
    return int(lines[1]), base64.b64decode(lines[2])
notes = sorted({r["checkpoint"] for r in receipts} | {final}, key=lambda n: head(n)[0])
for a in notes:
    for b in notes:
        (m, m_root), (n, n_root) = head(a), head(b)
        if m >= n:
            continue
        proof = json.load(urllib.request.urlopen(f"{url}/log/proof/consistency?first={m}&second={n}"))["proof"]
        assert rfc.consistency_verifies(m, n, m_root, n_root, [base64.b64decode(p) for p in proof]), (m, n)
print(f"{len(notes)} checkpoints, pairwise consistent")
PY
manifest=$(curl -fsS -o /dev/null -D - "$registry_url/v2/cairn/parallel/manifests/p0" | tr -d '\r' |
  sed -n 's/^Docker-Content-Digest: //Ip')
for i in 1 2 3 4 5 6 7; do
  [ "$(curl -fsS -o /dev/null -D - "$registry_url/v2/cairn/parallel/manifests/p$i" | tr -d '\r' |
    sed -n 's/^Docker-Content-Digest: //Ip')" = "$manifest" ] || fail "parallel tag p$i names another manifest"
done
ok "cairn_registry: 8 cairn publish processes at once: every tag and log entry landed once, checkpoints consistent"
# Pull finds the entry again through /log/lookup and keeps it as publish did.
"$cairn" pull "$registry_url/cairn/parallel:p3" pulled-p3 >out 2>err || fail "pull of p3: $(cat err)"
python3 - <<'PY' || fail "the pulled log.json is not the published one"
import json
pulled, published = json.load(open("pulled-p3/log.json")), json.load(open("parallel-3/log.json"))
assert pulled["entry"] == published["entry"] and pulled["index"] == published["index"], (pulled, published)
PY
ok "cairn_registry: pull writes log.json for the pulled tag's entry, found by manifest digest"
stop_registry

# HTTPS is the default, and verified: a registry with a certificate no CA signed is refused before
# anything is sent (Cairn's registry over GnuTLS, a self-signed certificate for 127.0.0.1).
if command -v openssl >/dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.crt \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2 2>/dev/null
  "$cairn" key generate --ed25519 tls-log.key >/dev/null
  : >tls-serve.out
  "$cairn" registry serve --root tls-root --listen 127.0.0.1:0 --origin tls.example/log --log-key tls-log.key \
    --tls-cert tls.crt --tls-key tls.key >tls-serve.out 2>&1 &
  registry_pid=$!
  address=
  for _ in $(seq 100); do
    address=$(sed -n 's|^.*listening on https://\([^ ]*\).*$|\1|p' tls-serve.out)
    [ -n "$address" ] && break
    sleep 0.1
  done
  [ -n "$address" ] || fail "cairn registry serve with TLS did not start: $(cat tls-serve.out)"
  curl -fsS --cacert tls.crt -o /dev/null "https://$address/log/vkey" ||
    fail "the TLS registry does not answer with its certificate"
  if "$cairn" pull "$address/cairn/udp-echo:v1" tls-pulled >out 2>err; then fail "pull accepted an unverified certificate"; fi
  grep -qi "certificate" err || fail "the TLS refusal does not say why: $(cat err)"
  if "$cairn" publish "$build" "https://$address/cairn/udp-echo:v1" --key publisher.key >out 2>err; then
    fail "publish accepted an unverified certificate"
  fi
  [ ! -e tls-pulled ] || fail "the refused pull left tls-pulled behind"
  ! grep -q retrying err || fail "an untrusted certificate was tried again: $(cat err)"
  ok "https by default, verified: a self-signed registry is refused ($(head -c 150 err))"
  # Trusted through --ca-file: publish with the log and pull over HTTPS.
  tls_token=$("$cairn" registry token add --root tls-root --push cairn 2>/dev/null) || fail "token add (TLS)"
  echo "$tls_token" >tls-token
  "$cairn" --json publish "$build" "$address/cairn/udp-echo:v1" --key publisher.key --token-file tls-token \
    --ca-file tls.crt >out 2>err || fail "publish over HTTPS with --ca-file: $(cat err)"
  [ "$(field manifest <out)" = "$published_manifest" ] || fail "over HTTPS the manifest is $(field manifest <out)"
  "$cairn" --json pull "$address/cairn/udp-echo:v1" tls-pulled --ca-file tls.crt >out 2>err ||
    fail "pull over HTTPS with --ca-file: $(cat err)"
  cmp "$build/udp-echo.spt" tls-pulled/udp-echo.spt || fail "the image pulled over HTTPS differs"
  ok "with --ca-file: publish (log entry $(python3 -c 'import json; print(json.load(open("udp-echo/_build/udp-echo/log.json"))["index"])')) and pull over HTTPS"
  stop_registry
fi

if python3 -c 'import cryptography' 2>/dev/null; then
  start_flaky_registry
  check_registry flaky_registry
  curl -s "$registry_url/stats" >stats
  python3 - stats <<'PY' || fail "the flaky registry's faults did not all happen: $(cat stats)"
import json, sys
stats = json.load(open(sys.argv[1]))
assert stats["dropped_patches"] >= 2 and stats["cancelled_sessions"] == 1 and stats["dropped_gets"] > 0, stats
assert stats["basic_retries"] > 0 and stats["failed_manifest_puts"] == 1, stats
PY
  ok "flaky_registry: uploads resumed or restarted, downloads restarted, 503 retried, Basic used: $(cat stats)"
  CAIRN_REGISTRY_TOKEN=secret-token "$cairn" --json publish "$build" "$registry_url/cairn/udp-echo:v1" \
    --key publisher.key >out 2>err || fail "flaky_registry: publish with \$CAIRN_REGISTRY_TOKEN: $(cat err)"
  [ "$(field log_index <out)" = "$(python3 -c 'import json; print(json.load(open("udp-echo/_build/udp-echo/log.json"))["index"])')" ] ||
    fail "flaky_registry: publishing again gave another log entry: $(cat out)"
  ok "flaky_registry: publishing again (token from \$CAIRN_REGISTRY_TOKEN) finds the same log entry"
  stop_registry
else
  echo "note: python3-cryptography is missing; the flaky registry's checks were skipped"
fi

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
[ "$(field manifest <out)" = "$published_manifest" ] ||
  fail "a build in another folder gave another manifest digest: $(cat out)"
ok "a build in another folder with cold caches publishes to the same manifest digest"
