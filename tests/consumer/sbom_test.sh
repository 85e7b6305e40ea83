#!/usr/bin/env bash
# `cairn sbom` and `cairn audit` end to end: examples/hello and udp-echo are built against a signed
# manifest (setup.sh), and then
#   sbom    SPDX 2.3 and CycloneDX 1.5 from the build folder, a pulled folder and a registry
#           reference (through `cairn registry serve`), each validated against the official
#           schema in schemas/ (offline, Debian's python3-jsonschema); every library of the lock
#           is there with its version, the license only when --manifest gave it, the image's
#           SHA-256 is sha256sum's; two runs give the same bytes, and the same build gives the same
#           SBOM from every target; a damaged provenance and a lock that no longer matches its
#           digest are refused with the reason and no output file.
#   audit   of the build folder, a pulled folder (with its log index), a bare image beside its
#           provenance, a bare image alone (the note's facts only), a cairn.lock; the
#           single-signer warning (the manifest has one maintainer key); with --manifest, a yanked
#           kernel and an advisory against it as warnings; a lock beside an image it does not
#           belong to, and a garbage lock, refused.
# Usage: sbom_test.sh CAIRN SOURCE_DIR
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# Debian's python3 has python3-jsonschema (bootstrap.sh installs it); a python3 earlier on PATH
# (pyenv) may not.
python=
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c 'import jsonschema' 2>/dev/null; then python=$candidate; break; fi
done
if [ -z "$python" ]; then
  echo "skipped: no python3 with jsonschema (apt-get install python3-jsonschema)"
  exit 77
fi
source "$here/setup.sh" "$1" "$2" sbom

validate() {  # FORMAT FILE
  "$python" "$here/validate_sbom.py" "$here/schemas" "$1" "$2" >validation.out 2>&1 ||
    fail "$2 is not valid $1: $(head -c 1500 validation.out)"
}
# check_contents FORMAT SBOM LOCK IMAGE LICENSE: every library of LOCK with its version and the
# license LICENSE ("" when none should be given), and the image's SHA-256.
check_contents() {
  "$python" - "$@" <<'PY' || fail "the contents of $2: $(cat contents.out)"
import hashlib, json, sys
kind, sbom_file, lock_file, image_file, license = sys.argv[1:]
sbom = json.load(open(sbom_file))
lock = json.load(open(lock_file))
image = hashlib.sha256(open(image_file, "rb").read()).hexdigest()
problems = []
if kind == "spdx":
    packages = {p["name"]: p for p in sbom["packages"]}
    root = sbom["packages"][0]
    if root["checksums"] != [{"algorithm": "SHA256", "checksumValue": image}]:
        problems.append("image checksum %s, not %s" % (root["checksums"], image))
    for name, library in lock["libraries"].items():
        p = packages.get(name)
        if p is None:
            problems.append("library %s missing" % name); continue
        if p["versionInfo"] != library["version"]: problems.append("%s version %s" % (name, p["versionInfo"]))
        if p["licenseDeclared"] != (license or "NOASSERTION"): problems.append("%s license %s" % (name, p["licenseDeclared"]))
        if library["tree"] not in p["comment"]: problems.append("%s: no tree digest" % name)
        if {"spdxElementId": root["SPDXID"], "relationshipType": "CONTAINS", "relatedSpdxElement": p["SPDXID"]} not in sbom["relationships"]:
            problems.append("%s: no CONTAINS relationship" % name)
    if not any(r["relationshipType"] == "BUILD_TOOL_OF" for r in sbom["relationships"]):
        problems.append("no toolchain package")
else:
    components = {c["name"]: c for c in sbom["components"] if c["type"] == "library"}
    if sbom["metadata"]["component"]["hashes"] != [{"alg": "SHA-256", "content": image}]:
        problems.append("image hash %s, not %s" % (sbom["metadata"]["component"]["hashes"], image))
    for name, library in lock["libraries"].items():
        c = components.get(name)
        if c is None:
            problems.append("library %s missing" % name); continue
        if c["version"] != library["version"]: problems.append("%s version %s" % (name, c["version"]))
        got = c.get("licenses")
        want = [{"license": {"id": license}}] if license else None
        if got != want: problems.append("%s licenses %s" % (name, got))
        if c["purl"] != "pkg:generic/cairn/%s@%s" % (name, library["version"]): problems.append("%s purl" % name)
    if set(sbom["dependencies"][0]["dependsOn"]) != {"library:" + n for n in lock["libraries"]}:
        problems.append("the unikernel's dependencies %s" % sbom["dependencies"][0])
open("contents.out", "w").write("\n".join(problems))
sys.exit(1 if problems else 0)
PY
}
json_get() {  # EXPRESSION: a Python expression on `r`, the JSON object on stdin
  "$python" -c 'import json, sys; r = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

make_manifest publisher
build_apps hello udp-echo
ok "built hello and udp-echo against a signed manifest"

# --- SBOMs from the build folders: valid, complete, deterministic ---
for app in hello udp-echo; do
  build=$app/_build/$app
  for format in spdx cyclonedx; do
    "$cairn" sbom "$build" --format $format -o $app.$format.json 2>err || fail "sbom $app $format: $(cat err)"
    validate $format $app.$format.json
    check_contents $format $app.$format.json "$build/cairn.lock" "$build/$app.spt" ""
    "$cairn" sbom "$build" --format $format >again.json 2>err || fail "sbom to stdout: $(cat err)"
    cmp -s $app.$format.json again.json || fail "$app $format: two runs differ"
    "$cairn" sbom "$build" --format $format --manifest repo --root repo/root.json -o $app.$format.licensed.json 2>err ||
      fail "sbom --manifest $app $format: $(cat err)"
    validate $format $app.$format.licensed.json
    check_contents $format $app.$format.licensed.json "$build/cairn.lock" "$build/$app.spt" Apache-2.0
  done
  ok "$app: SPDX and CycloneDX from the build folder are valid, list every library, the image's hash, and are the same bytes twice"
done
grep -q '"created": "1970-01-01T00:00:00Z"\|"created": "20' hello.spdx.json || fail "no creation time"
serial=$(json_get 'r["serialNumber"]' <hello.cyclonedx.json)
[[ $serial =~ ^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] || fail "serial $serial"
[ "$serial" != "$(json_get 'r["serialNumber"]' <udp-echo.cyclonedx.json)" ] || fail "two images, one serial number"
ok "the CycloneDX serial number is a UUID derived from the image ($serial)"

# --- Refused: a damaged provenance, a lock that does not match its digest ---
cp -r hello/_build/hello damaged
head -c 500 hello/_build/hello/provenance.json >damaged/provenance.json
if "$cairn" sbom damaged --format spdx -o damaged.json >out 2>&1; then fail "a truncated provenance was used"; fi
grep -q "provenance.json" out || fail "the damaged provenance is not named: $(cat out)"
[ ! -e damaged.json ] || fail "an output file was written for a damaged provenance"
ok "a truncated provenance is refused: $(head -c 200 out)"
"$python" - hello/_build/hello/provenance.json damaged/provenance.json <<'PY'
import base64, json, sys
statement = json.load(open(sys.argv[1]))
for byproduct in statement["predicate"]["runDetails"]["byproducts"]:
    if byproduct["name"] == "cairn.lock":
        lock = base64.b64decode(byproduct["content"]) + b" "  # one byte more: no longer its digest
        byproduct["content"] = base64.b64encode(lock).decode()
json.dump(statement, open(sys.argv[2], "w"))
PY
for format in spdx cyclonedx; do
  if "$cairn" sbom damaged --format $format -o damaged.json >out 2>&1; then fail "a changed lock was used"; fi
  grep -q "does not match" out || fail "the changed lock is not explained: $(cat out)"
  [ ! -e damaged.json ] || fail "an output file was written for a changed lock"
done
ok "a lock changed inside the provenance is refused: $(head -c 200 out)"
if "$cairn" sbom hello/_build/hello/hello.spt --format spdx >out 2>&1; then fail "an SBOM of a bare image"; fi
ok "an SBOM needs the provenance, not a bare image: $(head -c 160 out)"

# --- Audit before publishing: build folder, bare image, image alone, lock ---
"$cairn" audit hello/_build/hello >audit.out 2>&1 || fail "audit of the build folder: $(cat audit.out)"
grep -q "kernel 0.1" audit.out || fail "audit does not list the kernel: $(cat audit.out)"
grep -q "single-signer" audit.out || fail "no single-signer warning: $(cat audit.out)"
grep -q "rebuild attestations: none found" audit.out || fail "rebuild attestations: $(cat audit.out)"
ok "audit of the build folder:"
sed 's/^/    /' audit.out | head -30
"$cairn" --json audit hello/_build/hello >audit.json || fail "audit --json"
[ "$(json_get 'sorted(l["name"] for l in r["libraries"]) == sorted(json.load(open("hello/_build/hello/cairn.lock"))["libraries"])' <audit.json)" = True ] ||
  fail "--json: not every library of the lock: $(cat audit.json)"
[ "$(json_get 'r["rebuild_attestations"] == [] and r["unikernel"]["log_index"] is None' <audit.json)" = True ] ||
  fail "--json: rebuilds or log index: $(cat audit.json)"
[ "$(json_get 'r["unikernel"]["digest"]' <audit.json)" = "sha256:$(sha256sum hello/_build/hello/hello.spt | cut -d' ' -f1)" ] ||
  fail "--json: the image digest"
ok "audit --json lists every library, an empty list of rebuild attestations, no log index before publishing"
"$cairn" --json audit hello/_build/hello/hello.spt >audit.json || fail "audit of the bare image beside its provenance"
[ "$(json_get 'len(r["libraries"]) > 0 and "note" in r["unikernel"]' <audit.json)" = True ] || fail "bare image: $(cat audit.json)"
ok "audit of a bare image beside its provenance: its libraries, after the note's dependency digest matched"
mkdir alone
cp hello/_build/hello/hello.spt alone/
"$cairn" --json audit alone/hello.spt >audit.json || fail "audit of an image alone"
[ "$(json_get 'r["libraries"] is None and r["unikernel"]["note"]["dependencies"].startswith("sha256:")' <audit.json)" = True ] ||
  fail "image alone: $(cat audit.json)"
"$cairn" audit alone/hello.spt >audit.out || fail "audit of an image alone"
grep -q "needs the build's lock" audit.out || fail "the image alone does not say what it needs: $(cat audit.out)"
ok "audit of an image alone: the note's facts, and that the dependency list needs the lock"
"$cairn" --json audit hello/_build/hello/cairn.lock >audit.json || fail "audit of cairn.lock"
[ "$(json_get 'r["kind"] == "lock file" and "unikernel" not in r and len(r["libraries"]) > 0' <audit.json)" = True ] ||
  fail "cairn.lock: $(cat audit.json)"
ok "audit of a cairn.lock: its libraries, no image"
mkdir mismatched
cp hello/_build/hello/hello.spt mismatched/
cp udp-echo/_build/udp-echo/cairn.lock mismatched/
if "$cairn" audit mismatched/hello.spt >out 2>&1; then fail "a lock beside an image it does not belong to was used"; fi
grep -q "belongs to another build" out || fail "the mismatched lock is not explained: $(cat out)"
ok "a lock beside an image it does not belong to is refused: $(head -c 200 out)"
head -c 100 /dev/urandom >garbage.lock
if "$cairn" audit garbage.lock >out 2>&1; then fail "a garbage lock was audited"; fi
ok "a garbage lock is refused: $(head -c 160 out)"

# --- Through a registry: the pulled folder and the reference ---
"$cairn" key generate --ed25519 log.key >/dev/null
start_registry registry log.key
registry=$registry_url token_file=registry/token
publish hello/_build/hello "$registry/demo/hello:1.0" --key publisher.key
"$cairn" pull "$registry/demo/hello:1.0" pulled >/dev/null 2>err || fail "pull: $(cat err)"
for format in spdx cyclonedx; do
  "$cairn" sbom pulled --format $format -o pulled.$format.json 2>err || fail "sbom of the pulled folder: $(cat err)"
  validate $format pulled.$format.json
  cmp -s pulled.$format.json hello.$format.json || fail "$format: the pulled folder's SBOM differs from the build's"
  "$cairn" sbom "$registry/demo/hello:1.0" --format $format -o ref.$format.json 2>err || fail "sbom of the reference: $(cat err)"
  cmp -s ref.$format.json hello.$format.json || fail "$format: the reference's SBOM differs from the build's"
done
ok "the pulled folder and the registry reference give the same SBOM bytes as the build folder"
"$cairn" --json audit pulled >audit.json || fail "audit of the pulled folder"
[ "$(json_get 'isinstance(r["unikernel"]["log_index"], int)' <audit.json)" = True ] || fail "no log index: $(cat audit.json)"
"$cairn" audit "$registry/demo/hello:1.0" >audit.out 2>&1 || fail "audit of the reference: $(cat audit.out)"
grep -q "log        entry" audit.out || fail "no log entry in the reference's audit: $(cat audit.out)"
ok "audit of the pulled folder and of the reference show the log index ($(grep 'log        entry' audit.out))"

# --- With the manifest: licenses, then a yanked kernel, then an advisory ---
"$cairn" --json audit pulled --manifest repo --root repo/root.json >audit.json || fail "audit --manifest"
[ "$(json_get 'all(l["license"] == "Apache-2.0" for l in r["libraries"]) and r["manifest"]["now"]["snapshot_version"] >= 1' <audit.json)" = True ] ||
  fail "audit --manifest: $(cat audit.json)"
ok "audit --manifest gives every library's license and the manifest's snapshot now"
resign_kernel() {  # release options...: release the kernel again, sign it, snapshot
  "$cairn" manifest release checkout/kernel --repo repo "$@" >/dev/null
  "$cairn" manifest sign --key maintainer.key repo/libraries/kernel/*.json >/dev/null
  "$cairn" manifest snapshot --repo repo --key root.key >/dev/null
}
resign_kernel --yank "boot loops on Tuesdays"
"$cairn" audit pulled --manifest repo --root repo/root.json >audit.out 2>&1 || fail "audit of a yanked kernel: $(cat audit.out)"
grep -q "^! yanked: kernel .* is yanked: boot loops on Tuesdays" audit.out || fail "no yanked warning: $(cat audit.out)"
ok "a yanked kernel is a warning: $(grep '^! yanked' audit.out)"
resign_kernel --advisory "CAIRN-2026-1:<0.2.0:the scheduler leaks a page per task"
"$cairn" --json audit hello/_build/hello --manifest repo --root repo/root.json >audit.json || fail "audit with an advisory"
[ "$(json_get '[w["kind"] for w in r["warnings"] if w["subject"] == "kernel" and w["kind"] != "single-signer"]' <audit.json)" = "['advisory']" ] ||
  fail "no advisory warning (or a stale yank): $(cat audit.json)"
ok "an advisory against the kernel is a warning"
echo "all sbom and audit tests passed"
