#!/usr/bin/env bash
# `cairn verify` and `cairn rebuild` of a published examples/hello, whole processes with hyperfine,
# side by side in one run:
#   verify    `cairn verify FOLDER --offline` of a pulled folder (signatures, subject, log inclusion
#             and consistency, the lock against the provenance and .note.cairn, the manifest from a
#             folder, advisories) against the manual chain on the same folder: one python3 that
#             builds the DSSE PAE, checks the subject against the image's SHA-256 and folds the
#             inclusion proof to the checkpoint's root, `openssl pkeyutl -verify -rawin` on the
#             signature and `sha256sum` of the image (the manual chain checks less: no manifest,
#             no checkpoint signature, no consistency); and `cairn verify REF`, which also pulls
#   rebuild   `cairn rebuild REF` (pull, unpack, a cold locked build, compare) against the original
#             cold `cairn build --locked` of the same app (an empty action cache each time)
# Medians and ratios are printed at the end.
# Usage: bench/verify.sh [BUILD_DIR]   (default: build; needs build/bin/cairn)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
build=${1:-build}
cairn=$(readlink -f "$build/bin/cairn")
runs=${VERIFY_RUNS:-10}
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (./bootstrap.sh installs it)" >&2; exit 1; }
[ -x "$cairn" ] || { echo "bench: $cairn not built (run ./bootstrap.sh demo)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-verify-bench.XXXXXX")
registry_pid=
trap '[ -n "$registry_pid" ] && kill $registry_pid 2>/dev/null; rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
cd "$work"
mkdir checkout
cp -r "$OLDPWD/kernel" "$OLDPWD/protocols" checkout/
cp -r "$OLDPWD/examples/hello" hello
"$cairn" key generate --ed25519 publisher.key >/dev/null
"$cairn" key generate --ed25519 log.key >/dev/null
"$cairn" manifest dev --repo manifest --checkout checkout >/dev/null
"$cairn" build hello --manifest manifest --sources checkout >/dev/null 2>&1
"$cairn" registry serve --root registry --listen 127.0.0.1:0 --origin bench.example/log --log-key log.key \
  --manifest-repo manifest >serve.out 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  address=$(sed -n 's|^.*listening on http://\([^ ]*\).*$|\1|p' serve.out)
  [ -n "$address" ] && break
  sleep 0.1
done
[ -n "$address" ] || { echo "bench: the registry did not start: $(cat serve.out)" >&2; exit 1; }
ref=http://$address/demo/hello:1.0
"$cairn" registry token add --root registry --push demo >token
"$cairn" publish hello/_build/hello "$ref" --key publisher.key --token-file token >/dev/null
"$cairn" pull "$ref" pulled >/dev/null
curl -fsS "http://$address/log/vkey" >log.vkey
cat >policy.json <<'JSON'
{"_type": "cairn-verify-policy", "version": 1, "images": [
  {"match": "**", "signers": {"keys": ["publisher.key.pub"], "threshold": 1},
   "manifest": {"root": "manifest/root.json", "location": "manifest", "development": true},
   "log": {"vkey_file": "log.vkey"}}]}
JSON
"$cairn" verify pulled --policy policy.json --offline >/dev/null
"$cairn" verify "$ref" --policy policy.json >/dev/null

cat >manual.py <<'PY'
import base64, hashlib, json, sys
folder = sys.argv[1]
envelope = json.load(open(f"{folder}/provenance.dsse.json"))
payload = base64.b64decode(envelope["payload"])
kind = envelope["payloadType"].encode()
open("pae.bin", "wb").write(b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload))
open("sig.bin", "wb").write(base64.b64decode(envelope["signatures"][0]["sig"]))
statement = json.loads(payload)
print(statement["subject"][0]["digest"]["sha256"], statement["subject"][0]["name"], file=open("subject.txt", "w"))
log = json.load(open(f"{folder}/log.json"))
leaf = json.dumps(log["entry"], separators=(",", ":"), sort_keys=True).encode()
origin, size, root = log["checkpoint"].split("\n")[:3]
fn, sn, r = log["index"], int(size) - 1, hashlib.sha256(b"\x00" + leaf).digest()
for p in map(base64.b64decode, log["inclusion_proof"]):
    if fn % 2 == 1 or fn == sn:
        r = hashlib.sha256(b"\x01" + p + r).digest()
        while fn % 2 == 0 and fn != 0:
            fn, sn = fn // 2, sn // 2
    else:
        r = hashlib.sha256(b"\x01" + r + p).digest()
    fn, sn = fn // 2, sn // 2
assert sn == 0 and base64.b64encode(r).decode() == root
PY
# The system's python3 (a pyenv shim on PATH would add its own start-up to every run).
python=$(command -v /usr/bin/python3 || command -v python3)
cat >manual.sh <<SH
set -e
"$python" manual.py pulled
openssl pkeyutl -verify -pubin -inkey publisher.key.pub -rawin -in pae.bin -sigfile sig.bin >/dev/null
(cd pulled && sha256sum -c <(awk '{print \$1 "  " \$2}' ../subject.txt) >/dev/null)
SH
bash manual.sh
cp -r hello cold
"$cairn" build cold --locked --sources checkout >/dev/null 2>&1

echo "hello: verify and rebuild; $runs runs each; $(date -u +%FT%TZ)"
hyperfine --style basic --runs "$runs" --export-csv verify.csv \
  -n "cairn verify FOLDER --offline" "$cairn verify pulled --policy policy.json --offline" \
  -n "manual chain" "bash manual.sh" \
  -n "cairn verify REF" "$cairn verify $ref --policy policy.json" \
  --prepare "rm -rf $XDG_CACHE_HOME/cairn/actions cold/_build" -n "cold cairn build --locked" \
  "$cairn build cold --locked --sources checkout" \
  -n "cairn rebuild REF" "$cairn rebuild $ref" >hyperfine.out
python3 - verify.csv <<'PY'
import csv, sys
rows = {row["command"]: float(row["median"]) for row in csv.DictReader(open(sys.argv[1]))}
print(f"{'':34}{'median':>12}")
for name, median in rows.items():
    print(f"{name:34}{median * 1000:>10.1f} ms")
print(f"cairn verify FOLDER --offline / manual chain = {rows['cairn verify FOLDER --offline'] / rows['manual chain']:.2f}")
print(f"cairn verify REF / manual chain = {rows['cairn verify REF'] / rows['manual chain']:.2f}")
print(f"cairn rebuild REF / cold cairn build = {rows['cairn rebuild REF'] / rows['cold cairn build --locked']:.2f}")
PY
