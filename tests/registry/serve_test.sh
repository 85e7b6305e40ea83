#!/usr/bin/env bash
# `cairn registry serve`, the log part, end to end over loopback: a log of 1,000 entries written
# by log_vectors, served; the checkpoint, verifier key, full and partial tiles and entry bundles
# are the files' bytes; proofs served on request agree with rfc6962_check.py's own; bad requests
# get 400, 404 and 405; SIGTERM stops it with status 0.
# Usage: serve_test.sh CAIRN LOG_VECTORS
set -euo pipefail
cairn=$1
log_vectors=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-serve-test.XXXXXX")
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
command -v curl >/dev/null || { echo "skipped: no curl"; exit 77; }

# start_server [OPTION...]: serves $work/root in the background; sets pid and url (http or https).
start_server() {
  : >"$work/serve.out"  # before the server's shell opens it: sed below must find it, if empty
  "$cairn" registry serve --root "$work/root" --listen 127.0.0.1:0 --origin example.org/log \
    --log-key "$work/root/log.key" "$@" >"$work/serve.out" 2>&1 &
  pid=$!
  url=
  for _ in $(seq 100); do
    url=$(sed -n 's|^cairn registry: listening on \(https*://.*\)$|\1|p' "$work/serve.out")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || fail "the server did not start: $(cat "$work/serve.out")"
}

"$log_vectors" --write-log "$work/root/log" 1000 >"$work/vkey"
start_server
ok "listening on $url"

# Without a token /v2/ is the auth probe: 401 with a Basic challenge.
[ "$(curl -sS -o /dev/null -w '%{http_code}' "$url/v2/")" = 401 ] || fail "/v2/ without a token"
curl -sS -D "$work/headers" -o /dev/null "$url/v2/"
grep -qi '^WWW-Authenticate: Basic' "$work/headers" || fail "no Basic challenge"
grep -qi "^Docker-Distribution-API-Version: registry/2.0" "$work/headers" || fail "no API version header"
curl -fsS "$url/log/checkpoint" >"$work/checkpoint"
cmp -s "$work/checkpoint" "$work/root/log/checkpoint" || fail "the checkpoint served is not the log's"
[ "$(curl -fsS "$url/log/vkey")" = "$(cat "$work/vkey")" ] || fail "the verifier key"
ok "/v2/ (401 with a challenge), /log/checkpoint and /log/vkey"

for tile in tile/0/000 tile/0/003.p/232 tile/1/000.p/3 tile/entries/001 tile/entries/003.p/232; do
  curl -fsS -D "$work/headers" "$url/log/$tile" >"$work/tile"
  cmp -s "$work/tile" "$work/root/log/$tile" || fail "$tile differs from the file"
done
curl -fsS -D "$work/headers" -o /dev/null "$url/log/tile/0/000"
grep -qi "^Cache-Control: public, max-age=31536000, immutable" "$work/headers" || fail "a full tile is not immutable"
# A narrower partial tile than the tree has is the prefix of the wider one.
curl -fsS "$url/log/tile/0/003.p/10" >"$work/tile"
cmp -s "$work/tile" <(head -c 320 "$work/root/log/tile/0/003.p/232") || fail "a narrower partial tile"
ok "full and partial tiles and entry bundles are the log's bytes"

status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(status "$url/log/tile/0/x000/001")" = 400 ] || fail "a malformed tile path is not a 400"
[ "$(status "$url/log/tile/0/004")" = 404 ] || fail "a tile beyond the tree is not a 404"
[ "$(status "$url/log/tile/0/../../log.key")" != 200 ] || fail "a path out of the log was served"
[ "$(status "$url/nothing")" = 404 ] || fail "an unknown path is not a 404"
[ "$(status -X POST "$url/log/checkpoint")" = 405 ] || fail "a POST is not a 405"
[ "$(status "$url/log/proof/inclusion?leaf=AAAA&size=10")" = 400 ] || fail "a bad leaf hash is not a 400"
[ "$(status "$url/log/proof/consistency?first=0&second=10")" = 400 ] || fail "first=0 is not a 400"
[ "$(status "$url/log/proof/consistency?first=1&second=1001")" = 404 ] || fail "a size beyond the log is not a 404"
curl -s "$url/nothing" | grep -q '"errors":\[{"code":"NAME_UNKNOWN"' || fail "no OCI error body"
ok "malformed and unknown requests: 400, 404 and 405 with OCI error bodies"

python3 - "$url" "$here" <<'PY' || fail "the proofs served"
import base64, hashlib, json, sys, urllib.request
url, here = sys.argv[1], sys.argv[2]
sys.path.insert(0, here)
from rfc6962_check import leaf, path, subproof
d = [b"entry %d" % i for i in range(1000)]
def get(query):
    return json.load(urllib.request.urlopen(url + query))
for index, size in ((0, 1), (567, 1000), (999, 1000), (256, 700)):
    h = base64.b64encode(leaf(d[index])).decode()
    reply = get(f"/log/proof/inclusion?leaf={urllib.parse.quote(h)}&size={size}")
    assert reply["index"] == index, reply
    assert [base64.b64decode(p) for p in reply["proof"]] == path(index, d[:size]), (index, size)
for first, second in ((10, 1000), (256, 1000), (999, 1000), (1000, 1000)):
    reply = get(f"/log/proof/consistency?first={first}&second={second}")
    expected = [] if first == second else subproof(first, d[:second], True)
    assert [base64.b64decode(p) for p in reply["proof"]] == expected, (first, second)
try:
    get("/log/proof/inclusion?leaf=" + urllib.parse.quote(base64.b64encode(leaf(b"entry 700")).decode()) + "&size=700")
    raise SystemExit("a leaf beyond the size was proven")
except urllib.error.HTTPError as error:
    assert error.code == 404
print("ok: inclusion and consistency proofs served agree with an independent RFC 6962 implementation")
PY

kill -TERM "$pid"
wait "$pid" || fail "the server did not exit 0 on SIGTERM"
pid=
ok "SIGTERM stops the server with status 0"

# HTTPS (GnuTLS inside libmicrohttpd) with a certificate for 127.0.0.1 made here, and a manifest
# repository served read-only under /manifest/.
command -v openssl >/dev/null || { echo "skipped: HTTPS (no openssl)"; exit 0; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/tls.key" \
  -out "$work/tls.crt" -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2 2>/dev/null
mkdir -p "$work/manifest/libraries/kernel"
echo '{"signed":{}}' >"$work/manifest/root.json"
echo '{"version":"1.0.0"}' >"$work/manifest/libraries/kernel/1.0.0.json"
echo 'secret' >"$work/secret"
start_server --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" --manifest-repo "$work/manifest"
address=${url#https://}
curl -fsS --cacert "$work/tls.crt" "$url/log/checkpoint" | cmp -s - "$work/root/log/checkpoint" ||
  fail "the checkpoint over HTTPS"
curl -sS -o /dev/null "$url/log/checkpoint" 2>/dev/null && fail "an unverified certificate was accepted by curl"
[ "$(curl -sS -o /dev/null -w '%{http_code}' "http://$address/log/checkpoint" 2>/dev/null)" != 200 ] ||
  fail "plain HTTP answered on the HTTPS port"
ok "HTTPS with the given certificate; curl refuses it unpinned"
curl -fsS --cacert "$work/tls.crt" "$url/manifest/libraries/kernel/1.0.0.json" |
  cmp -s - "$work/manifest/libraries/kernel/1.0.0.json" || fail "a manifest file"
for path in ../secret .hidden libraries/../../secret libraries//kernel/1.0.0.json nothing.json ''; do
  [ "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$work/tls.crt" --path-as-is "$url/manifest/$path")" = 404 ] ||
    fail "/manifest/$path is not a 404"
done
[ "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$work/tls.crt" -X PUT -d x "$url/manifest/root.json")" = 405 ] ||
  fail "a PUT under /manifest/ is not a 405"
ok "/manifest/ serves the manifest repository's files read-only, nothing outside it"
kill -TERM "$pid"
wait "$pid" || fail "the HTTPS server did not exit 0 on SIGTERM"
pid=
