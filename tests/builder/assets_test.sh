#!/usr/bin/env bash
# Static assets (unikernel.json's "assets") end to end, on a copy of tests/builder/assets-app and
# of the checkout's kernel:
#   - the image boots and its table holds every file of site/ but the hidden ones (which the build
#     names), each with its size, content type, ETag (checked against sha256sum), bytes (an FNV-1a
#     checksum recomputed here) and gzip form (dumped in hex, decompressed and compared here),
#     kept for the text files and not for random bytes;
#   - a second build runs nothing and gives the same bytes; --no-sandbox gives the same bytes;
#   - one byte changed in one site file (same size) reruns exactly the two generated units and the
#     link, and changes the image and the provenance;
#   - refusals: a name a URL path cannot carry, and "assets" outside the app, missing, or a file.
# Usage: assets_test.sh CAIRN SOURCE_DIR
set -euo pipefail
cairn=$(readlink -f "$1")
source_dir=$(readlink -f "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-assets-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
unset CAIRN_MANIFEST
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])[sys.argv[1]])' "$1"; }

if ! bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 \
  /usr/bin/true 2>/dev/null; then
  echo "skipped: bubblewrap cannot make a sandbox here"
  exit 77
fi

cd "$work"
mkdir checkout
cp -r "$source_dir/kernel" checkout/
cp -r "$source_dir/tests/builder/assets-app" app
# Bytes that do not compress (their gzip form must be left out), a UTF-8 name, and hidden names.
head -c 3000 /dev/urandom >app/site/random.bin
printf 'caf\xc3\xa9 au lait, caf\xc3\xa9 au lait, caf\xc3\xa9 au lait, caf\xc3\xa9 au lait\n' >"app/site/caf$(printf '\xc3\xa9').txt"
echo "not for the image" >app/site/.secret
mkdir -p app/site/.well-known && echo "hidden folder" >app/site/.well-known/security.txt
"$cairn" manifest dev --repo manifest --checkout checkout >/dev/null
build() { "$cairn" --json build "$@" --manifest manifest --sources checkout; }
image=app/_build/assets-check/assets-check.spt

# --- It builds, boots, and holds exactly the files, bytes and forms of site/ ---
build app >out 2>err || fail "cairn build: $(cat err)"
digest=$(field digest <out)
grep -q "site/.secret is a hidden name: not baked in" err || fail "no note for the hidden file: $(cat err)"
grep -q "site/.well-known is a hidden name" err || fail "no note for the hidden folder: $(cat err)"
cp "$image" first.spt
"$cairn" run "$image" >boot 2>&1 || fail "the image did not boot or its checks failed: $(cat boot)"
python3 - app/site boot <<'PY' || fail "the image's assets are not the folder's: $(cat boot)"
import gzip, hashlib, os, sys
site, boot = sys.argv[1], open(sys.argv[2], encoding="utf-8").read().splitlines()
def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h
expected = {}
for root, dirs, files in os.walk(site):
    dirs[:] = [d for d in dirs if not d.startswith(".")]
    for name in files:
        if not name.startswith("."):
            full = os.path.join(root, name)
            expected["/" + os.path.relpath(full, site)] = open(full, "rb").read()
types = {"/index.html": "text/html; charset=utf-8", "/css/site.css": "text/css; charset=utf-8",
         "/docs/guide.md": "text/markdown; charset=utf-8", "/empty.txt": "text/plain; charset=utf-8",
         "/random.bin": "application/octet-stream", "/café.txt": "text/plain; charset=utf-8"}
assets, dumps = {}, {}
for line in boot:
    part = line.split("|")
    if part[0] == "asset":
        assets[part[1]] = part[2:]
    elif part[0] == "gzip":
        dumps[part[1]] = dumps.get(part[1], b"") + bytes.fromhex(part[2])
assert sorted(assets) == sorted(expected), (sorted(assets), sorted(expected))
assert set(types) == set(expected), sorted(expected)
for path, data in expected.items():
    size, gzip_size, content_type, etag, checksum, gzip_checksum = assets[path]
    assert int(size) == len(data), (path, size)
    assert content_type == types[path], (path, content_type)
    assert etag == '"%s"' % hashlib.sha256(data).hexdigest(), (path, etag)
    assert int(checksum, 16) == fnv1a(data), (path, "bytes differ")
    if int(gzip_size) == 0:
        assert path not in dumps, path
        continue
    form = dumps[path]
    assert len(form) == int(gzip_size) < len(data), (path, len(form), gzip_size)
    assert int(gzip_checksum, 16) == fnv1a(form), (path, "gzip bytes differ")
    assert gzip.decompress(form) == data, (path, "gzip form does not decompress to the file")
    assert form[3] == 0 and form[4:8] == b"\0\0\0\0", (path, "a name or a time in the gzip header")
assert assets["/random.bin"][1] == "0", "random bytes kept a gzip form"
assert int(assets["/index.html"][1]) > 0, "the HTML has no gzip form"
assert assets["/empty.txt"][:2] == ["0", "0"]
assert "assets: table sorted, find() right" in boot
PY
ok "the image holds every file but the hidden ones, with type, ETag, bytes and (when smaller) gzip form"

# --- From the cache, and without the sandbox: the same bytes ---
build app >out 2>err || fail "second build: $(cat err)"
[ "$(field ran <out)" -eq 0 ] || fail "a second build ran $(field ran <out) actions"
[ "$(field digest <out)" = "$digest" ] || fail "the second build changed the image"
cmp -s first.spt "$image" || fail "the second build wrote other bytes"
XDG_CACHE_HOME=$work/no-sandbox-cache "$cairn" --json build app --locked --sources checkout --no-sandbox \
  --out "$work/no-sandbox" >out 2>err || fail "--no-sandbox: $(cat err)"
[ "$(field digest <out)" = "$digest" ] || fail "--no-sandbox built other bytes"
ok "a second build runs nothing; a cold --no-sandbox build gives the same bytes"

# --- One site file changed: the generated units and the link run again; image and provenance change ---
cp app/_build/assets-check/provenance.json first-provenance.json
sed -i 's/2em auto/3em auto/' app/site/css/site.css  # the same size: only the bytes tell
build app >out 2>err || fail "build after an edit: $(cat err)"
[ "$(field ran <out)" -eq 3 ] || fail "editing a site file reran $(field ran <out) actions, not assets.S, assets.cc and the link"
[ "$(field digest <out)" != "$digest" ] || fail "editing a site file did not change the image"
cmp -s first-provenance.json app/_build/assets-check/provenance.json && fail "the provenance did not change"
python3 - app/_build/assets-check/provenance.json <<'PY' || fail "the provenance does not describe the assets"
import json, sys
predicate = json.load(open(sys.argv[1]))["predicate"]
assets = predicate["buildDefinition"]["internalParameters"]["assets"]
assert assets["folder"] == "site" and assets["files"] == 6 and assets["gzip"].startswith("libarchive ") and ", zlib " in assets["gzip"], assets
names = [b["name"] for b in predicate["runDetails"]["byproducts"]]
assert names == ["cairn.lock", "assets.S", "assets.cc"], names
PY
"$cairn" run "$image" >boot 2>&1 || fail "the edited image did not boot: $(cat boot)"
grep -q "^asset|/css/site.css|.*|\"$(sha256sum <app/site/css/site.css | cut -d' ' -f1)\"|" boot ||
  fail "the image does not hold the edited file: $(grep site.css boot)"
ok "one edited site file reruns assets.S, assets.cc and the link, and changes the image and the provenance"

# --- Refusals ---
with_assets() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["assets"]=sys.argv[2]; json.dump(d,open(sys.argv[1],"w"))' "$1/unikernel.json" "$2"; }
refused() {  # refused APP PATTERN WHAT
  build "$1" >out 2>&1 && fail "$3 built"
  grep -q -- "$2" out || fail "the refusal of $3 does not say '$2': $(cat out)"
  ok "refused: $3"
}
cp -r app spaced && rm -rf spaced/_build && echo x >"spaced/site/two words.txt"
refused spaced "site.: two words.txt: the name holds a space" "a file name with a space"
cp -r app outside && rm -rf outside/_build && with_assets outside ../site
refused outside '"assets": .../site. must be a folder inside the app folder' '"assets": "../site"'
cp -r app missing && rm -rf missing/_build && with_assets missing public
refused missing '"assets": .public. is not in the app folder' "a missing assets folder"
cp -r app file && rm -rf file/_build && with_assets file main.cc
refused file '"assets": .main.cc.: .* is a file, not a folder' "a file as the assets folder"
