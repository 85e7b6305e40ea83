#!/usr/bin/env bash
# reprotest on `cairn build hello --locked`: Debian's reproducible-builds tester builds the app
# twice, the second time varying everything it knows but the user (environment, build path,
# kernel personality, ASLR, CPU count, the clock by a year or more with faketime, directory order
# with disorderfs, host and domain names, HOME, locale, PATH, time zone, umask), each build with an
# action cache of its own, and compares the image and its provenance with diffoscope.
# Runs as root only (disorderfs and the domain_host variation need it); skips otherwise.
# Usage: reprotest_test.sh CAIRN SOURCE_DIR
set -euo pipefail
cairn=$(readlink -f "$1")
source_dir=$(readlink -f "$2")
skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root (reprotest's disorderfs and domain_host variations need it)"
command -v reprotest >/dev/null || skip "reprotest is not installed (./bootstrap.sh installs it)"
# reprotest's faketime (LD_PRELOAD) and AddressSanitizer's interceptors can deadlock cairn at
# start (seen in this suite): reprotest runs in the uninstrumented pass only.
nm "$cairn" 2>/dev/null | grep ' __asan_init$' >/dev/null && skip "cairn is built with AddressSanitizer (faketime deadlocks it); the g++ pass runs this"
[ -c /dev/fuse ] || skip "no /dev/fuse for disorderfs"
bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 /usr/bin/true 2>/dev/null ||
  skip "bubblewrap cannot make a sandbox here"

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-reprotest.XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
mkdir "$work/source"
cp -r "$source_dir/kernel" "$source_dir/protocols" "$work/source/"
rm -rf "$work/source/kernel/tenders"  # host code, in no library's tree
cp -r "$source_dir/examples/hello" "$work/source/hello"
"$cairn" manifest dev --repo "$work/manifest" --checkout "$work/source" >/dev/null
"$cairn" lock "$work/source/hello" --manifest "$work/manifest" --sources "$work/source" >/dev/null

cd "$work"
reprotest --verbosity 1 --variations=+all,-user_group --store-dir "$work/artifacts" \
  "env XDG_CACHE_HOME=\$PWD/.cache $cairn build hello --locked --sources ." \
  "hello/_build/hello/[hp]*" -s source >reprotest.log 2>&1 || {
  tail -40 reprotest.log
  echo "FAIL: reprotest found the build unreproducible (or could not run it)"
  exit 1
}
grep -q "Reproduction successful" reprotest.log || { tail -20 reprotest.log; echo "FAIL: no verdict"; exit 1; }
for artifact in hello.spt provenance.json; do
  grep -qE "^[0-9a-f]{64}  ./hello/_build/hello/$artifact$" reprotest.log ||
    { tail -20 reprotest.log; echo "FAIL: $artifact was not compared"; exit 1; }
done
grep "variation:" reprotest.log | sed 's/^INFO:reprotest.build:/  /'
echo "ok: reprotest --variations=+all,-user_group: hello.spt and provenance.json reproducible"
