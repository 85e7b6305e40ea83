#!/usr/bin/env bash
# `cairn verify` end to end, through a real `cairn registry serve`: examples/hello and udp-echo are
# built with `cairn build` against a signed manifest (root, maintainer and publisher keys made
# here), published signed and logged, and then verified from the registry, from a pulled folder and
# from the build folder (offline). Then each way an image can be wrong is made to happen, and
# verify must refuse it with its own message:
#   a signature by an unpinned key; too few signatures for the policy's threshold; a provenance
#   swapped for another image's; an entry missing from the log; a forked log (a second registry
#   under the same log key whose tree differs from the one seen before); a dependency yanked, and
#   one given an advisory, after publishing (refused, or a warning where the policy says warn); a
#   build from a development manifest; the image blob replaced in the registry's storage; and a
#   policy, a log.json and an envelope that are garbage.
# The DSSE envelope is also checked without Cairn: PAE built here from the DSSE spec, the signature
# checked with `openssl pkeyutl -verify -rawin`.
# Usage: verify_test.sh CAIRN SOURCE_DIR (the shared setup is in setup.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" "$1" "$2" verify
field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])[sys.argv[1]])' "$1"; }
# step_status ID: the status of step ID in the --json report on stdin.
step_status() {
  python3 -c '
import json, sys
report = json.loads(sys.stdin.read().splitlines()[-1])
print(next(s["status"] for s in report["steps"] if s["id"] == sys.argv[1]))' "$1"
}

# --- Keys, a signed manifest of the in-repo libraries, two builds ---
make_manifest publisher second stranger
cp -r "$source_dir/examples/hello" greeter
sed -i 's/Hello from Cairn/Greetings from Cairn/' greeter/main.cc
build_apps hello udp-echo greeter
ok "built hello, udp-echo and a changed hello (greeter) against a signed manifest"

# --- The registry (serving the manifest at /manifest/) and its log key ---
"$cairn" key generate --ed25519 log.key >/dev/null
start_registry registry log.key
registry=$registry_url token_file=registry/token
curl -fsS "$registry/log/vkey" >log.vkey
publish hello/_build/hello "$registry/demo/hello:1.0" --key publisher.key
publish udp-echo/_build/udp-echo "$registry/demo/udp-echo:1.0" --key publisher.key

policy policy.json

# --- Accepted: from the registry, from a pulled folder, from the build folder offline ---
"$cairn" verify "$registry/demo/hello:1.0" --policy policy.json >out 2>err || fail "verify: $(cat out err)"
grep -q "^accepted: sha256:" out || fail "no acceptance line: $(cat out)"
[ "$(grep -c '^✔' out)" -eq 6 ] || fail "not six passed steps: $(cat out)"
ok "verify from the registry: $(tr '\n' '|' <out | cut -c1-300)"
"$cairn" --json verify "$registry/demo/hello:1.0" --policy policy.json >out || fail "verify --json: $(cat out)"
[ "$(field accepted <out)" = True ] || fail "--json: not accepted: $(cat out)"
[ "$(field image <out)" = "sha256:$(sha256sum hello/_build/hello/hello.spt | cut -d' ' -f1)" ] || fail "--json image"
"$cairn" pull "$registry/demo/hello:1.0" pulled >/dev/null 2>err || fail "pull: $(cat err)"
# A folder has no registry to find the manifest at: the policy must say where it is.
refused "a folder without a manifest location" pulled policy.json dependencies 'add "location"' --name 127.0.0.1:1/demo/hello
policy folder.json 'image["manifest"]["location"] = "repo"'
"$cairn" verify pulled --policy folder.json --name 127.0.0.1:1/demo/hello >out 2>&1 ||
  fail "verify of a pulled folder: $(cat out)"
ok "verify of a pulled folder"
policy offline.json 'image["match"] = "hello"; image["manifest"]["location"] = "repo"'
"$cairn" verify hello/_build/hello --policy offline.json --offline --log-state fresh-state >out 2>&1 ||
  fail "verify --offline: $(cat out)"
grep -q "^✔ log" out || fail "offline log step: $(cat out)"
ok "verify of the build folder, offline (the name from its provenance, the manifest from a folder)"
# The build folder's log.json holds the checkpoint of its publish (size 1); this client has seen
# size 2 since. Offline, that cannot be proven consistent: a warning, not a pass.
"$cairn" verify hello/_build/hello --policy offline.json --offline >out 2>&1 || fail "verify --offline: $(cat out)"
grep -q "^! log.*not proven (offline)" out || fail "no warning for an unproven checkpoint offline: $(cat out)"
ok "offline, an older checkpoint than the one seen is a warning: $(grep '^! log' out | cut -c1-160)"

# --- The DSSE envelope without Cairn: PAE per the DSSE spec, openssl checks the Ed25519 signature ---
python3 - pulled/provenance.dsse.json <<'PY'
import base64, json, sys
envelope = json.load(open(sys.argv[1]))
payload = base64.b64decode(envelope["payload"])
kind = envelope["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)
open("pae.bin", "wb").write(pae)
open("sig.bin", "wb").write(base64.b64decode(envelope["signatures"][0]["sig"]))
PY
openssl pkeyutl -verify -pubin -inkey publisher.key.pub -rawin -in pae.bin -sigfile sig.bin >out 2>&1 ||
  fail "openssl does not verify the envelope: $(cat out)"
printf 'X' >>pae.bin
if openssl pkeyutl -verify -pubin -inkey publisher.key.pub -rawin -in pae.bin -sigfile sig.bin >/dev/null 2>&1; then
  fail "openssl verified a changed PAE"
fi
ok "the envelope verifies with openssl pkeyutl over PAE built from the DSSE spec (and a changed byte does not)"

# --- Signatures ---
publish greeter/_build/hello "$registry/demo/greeter:1.0" --key stranger.key
refused "a signature by an unpinned key" "$registry/demo/greeter:1.0" policy.json signatures "threshold not met: 0 of 1"
policy two.json 'image["signers"] = {"keys": ["publisher.key.pub", "second.key.pub"], "threshold": 2}'
refused "too few signatures" "$registry/demo/hello:1.0" two.json signatures "threshold not met: 1 of 2"
# A second signature, by another publish of the same build: signatures over the same statement
# count together, wherever they are attached.
publish hello/_build/hello "$registry/demo/hello:second" --key second.key
"$cairn" verify "$registry/demo/hello:1.0" --policy two.json >out 2>&1 || fail "two signatures: $(cat out)"
ok "two signatures, attached by two publishes, meet a threshold of two"

# --- A provenance swapped for another image's (both signed by the publisher) ---
cp -r pulled swapped
"$cairn" pull "$registry/demo/udp-echo:1.0" pulled-udp >/dev/null 2>err || fail "pull udp-echo: $(cat err)"
cp pulled-udp/provenance.json pulled-udp/provenance.dsse.json swapped/
cp pulled/hello.spt swapped/udp-echo.spt
refused "a provenance swapped for another image's" swapped folder.json subject "the image was replaced, or the provenance belongs to another image" --name 127.0.0.1:1/demo/hello

# --- The log: an entry missing, a fork ---
# (The log's entries name a repository: udp-echo is logged in demo/udp-echo, not in demo/unlogged.)
publish udp-echo/_build/udp-echo "$registry/demo/unlogged:1.0" --key publisher.key --no-log
refused "an image missing from the log" "$registry/demo/unlogged:1.0" policy.json log "published without the log"
policy nolog.json 'image["log"] = "skip"'
"$cairn" verify "$registry/demo/unlogged:1.0" --policy nolog.json >out 2>&1 || fail "log skipped: $(cat out)"
ok "with \"log\": \"skip\" the unlogged image passes"
# A second registry under the same log key whose log holds other entries: its checkpoints cannot
# extend the one this client has seen.
start_registry fork log.key
token_file=fork/token
publish hello/_build/hello "$registry_url/demo/forked:1.0" --key publisher.key
publish hello/_build/hello "$registry_url/demo/forked:2.0" --key publisher.key
token_file=registry/token
refused "a forked log" "$registry_url/demo/forked:1.0" policy.json log "forked"
other_state=$work/other-state
"$cairn" verify "$registry_url/demo/forked:1.0" --policy policy.json --log-state "$other_state" >out 2>&1 ||
  fail "the fork alone, seen by a fresh client: $(cat out)"
ok "a client that saw only the fork accepts it (a fork is only visible against what was seen)"
"$cairn" verify "$registry/demo/hello:1.0" --policy policy.json --log-state "$other_state" >out 2>&1 &&
  fail "that client accepted the original log too"
grep -q "forked" out || fail "that client's refusal does not say fork: $(cat out)"
ok "and that client then refuses the original log"
"$cairn" verify "$registry/demo/hello:1.0" --policy policy.json >out 2>&1 || fail "the original again: $(cat out)"
ok "the first client still accepts the original log, which grew consistently"

# --- Garbage ---
echo '{"_type": "cairn-verify-policy", "version": 1, "images": [{"match": "*", "signers": {"keys": ["publisher.key.pub"], "threshold": 1}, "lgo": "skip"}]}' >typo.json
if "$cairn" verify pulled --policy typo.json >out 2>&1; then fail "a policy with a typo was used"; fi
grep -q "lgo" out || fail "the typo is not named: $(cat out)"
echo '{"_type": "cairn-verify-policy", "version": 1, "images": [{"match": "*", "signers": {"keys": ["publisher.key.pub"], "threshold": 3}}]}' >threshold.json
if "$cairn" verify pulled --policy threshold.json >out 2>&1; then fail "an impossible threshold was used"; fi
grep -q "threshold 3 with 1 keys" out || fail "the threshold is not explained: $(cat out)"
head -c 100 /dev/urandom >random.json
if "$cairn" verify pulled --policy random.json >out 2>&1; then fail "a random policy was used"; fi
ok "policies with a typo, an impossible threshold, or random bytes are refused: $(head -c 120 out)"
cp -r pulled garbled
echo '{"entry": {}, "index": -1}' >garbled/log.json
refused "a garbled log.json" garbled folder.json log "index" --name 127.0.0.1:1/demo/hello
head -c 300 pulled/provenance.dsse.json >garbled/provenance.dsse.json
refused "a truncated envelope" garbled folder.json signatures "provenance.dsse.json" --name 127.0.0.1:1/demo/hello
ok "log.json and an envelope that are garbage are refused with the file named"

# --- Advisories: yank the kernel, then give it an advisory instead ---
resign_kernel() {  # release options...: release the kernel again, sign it, snapshot
  "$cairn" manifest release checkout/kernel --repo repo "$@" >/dev/null
  "$cairn" manifest sign --key maintainer.key repo/libraries/kernel/*.json >/dev/null
  "$cairn" manifest snapshot --repo repo --key root.key >/dev/null
}
resign_kernel --yank "boot loops on Tuesdays"
refused "a yanked dependency" "$registry/demo/hello:1.0" policy.json advisories "yanked: boot loops on Tuesdays"
policy warn.json 'image["yanked"] = "warn"; image["advisories"] = "warn"'
"$cairn" verify "$registry/demo/hello:1.0" --policy warn.json >out 2>&1 || fail "yanked with warn: $(cat out)"
grep -q "^! advisories" out || fail "no warning for the yanked library: $(cat out)"
ok "with \"yanked\": \"warn\" it passes with a warning"
resign_kernel --advisory "CAIRN-2026-1:<0.2.0:the scheduler leaks a page per task"
refused "a dependency with an advisory" "$registry/demo/hello:1.0" policy.json advisories "advisory CAIRN-2026-1 affects kernel"
grep -q "re-signed since the build" out || fail "the re-signed entry is not mentioned: $(cat out)"
resign_kernel
"$cairn" verify "$registry/demo/hello:1.0" --policy policy.json >out 2>&1 || fail "after the advisory's removal: $(cat out)"
ok "released again without them, the image passes again"

# --- A build from a development manifest ---
cp -r "$source_dir/examples/hello" devhello
"$cairn" manifest dev --repo devmanifest --checkout checkout >/dev/null
"$cairn" build devhello --manifest devmanifest --sources checkout >out 2>&1 || fail "dev build: $(cat out)"
publish devhello/_build/hello "$registry/demo/dev:1.0" --key publisher.key
refused "a development-manifest build" "$registry/demo/dev:1.0" policy.json dependencies "development manifest"

# --- The image blob replaced in the registry's storage (last: the blob is shared) ---
image_hex=$(sha256sum hello/_build/hello/hello.spt | cut -d' ' -f1)
printf 'X' | dd of="registry/root/blobs/sha256/$image_hex" bs=1 seek=200 conv=notrunc status=none
refused "an image blob replaced in the registry" "$registry/demo/hello:1.0" policy.json fetch "$image_hex\|digest"
echo "all verify tests passed"
