#!/usr/bin/env bash
# The first commands end to end: --version/--help, hash tree/file, archive create/extract.
# Usage: cli_foundation_test.sh PATH/TO/cairn
set -euo pipefail
# shellcheck source=../support/checks.sh
source "$(dirname "$0")/../support/checks.sh"

cairn=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cli-test.XXXXXX")
trap 'rm -rf "$work"' EXIT


# --- --version, --help, usage errors -------------------------------------------------------
expect_eq "--version" "$("$cairn" --version)" "cairn 0.1.0"
help=$("$cairn" --help)
expect_contains "--help lists hash" "$help" "hash"
expect_contains "--help lists archive" "$help" "archive"
set +e
"$cairn" no-such-command >/dev/null 2>&1
status=$?
set -e
expect_eq "unknown command exits 2" "$status" "2"

# --- hash file ------------------------------------------------------------------------------
printf 'abc' >"$work/abc"
expect_eq "hash file sha256" "$("$cairn" hash file "$work/abc")" \
  "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
expect_contains "hash file sha512" "$("$cairn" hash file --algorithm sha512 "$work/abc")" "sha512:ddaf35a193617aba"
expect_contains "hash file --json" "$("$cairn" --json hash file "$work/abc")" '"digest":"sha256:ba7816bf'
set +e
message=$("$cairn" hash file "$work/missing" 2>&1)
status=$?
set -e
expect_eq "missing file exits 1" "$status" "1"
expect_contains "missing file says so" "$message" "cairn: error: $work/missing: no such file"

# --- hash tree: the reference tree of tests/core/tree_test.cc, made by the shell -------
make_tree() { # make_tree DIR
  mkdir -p "$1/src/empty" "$1/bin"
  printf 'hello\n' >"$1/README"
  printf '#!/bin/sh\necho hi\n' >"$1/bin/run"
  chmod 755 "$1/bin/run"
  printf 'int x;\n' >"$1/src/a.c"
  ln -s ../README "$1/src/link"
}
(umask 022 && make_tree "$work/tree-a")
expect_eq "hash tree golden digest" "$("$cairn" hash tree "$work/tree-a")" \
  "sha256:b169bd7805354aa1a6ded42a6a9319a0a3c0d14412caf347c45169c941b79949"

# --- archive create: same bytes for copies made at other times, places and umasks ----------
sleep 1.1
(umask 077 && mkdir -p "$work/other/place" && make_tree "$work/other/place/tree-b")
touch -d '2001-02-03 04:05:06' "$work/other/place/tree-b/README"
(cd "$work" && env -u SOURCE_DATE_EPOCH "$cairn" archive create tree-a a.tar.gz >/dev/null)
(cd "$work/other" && env -u SOURCE_DATE_EPOCH "$cairn" archive create place/tree-b "$work/b.tar.gz" >/dev/null)
if cmp -s "$work/a.tar.gz" "$work/b.tar.gz"; then pass "archives of two copies are identical"; else
  fail "archives of two copies differ"; fi
SOURCE_DATE_EPOCH=1700000000 "$cairn" archive create "$work/tree-a" "$work/c.tar.gz" >/dev/null
if cmp -s "$work/a.tar.gz" "$work/c.tar.gz"; then fail "SOURCE_DATE_EPOCH was ignored"; else
  pass "SOURCE_DATE_EPOCH changes the archive"; fi
set +e
message=$(SOURCE_DATE_EPOCH=yesterday "$cairn" archive create "$work/tree-a" "$work/d.tar.gz" 2>&1)
status=$?
set -e
expect_eq "bad SOURCE_DATE_EPOCH exits 1" "$status" "1"
expect_contains "bad SOURCE_DATE_EPOCH names the variable" "$message" "SOURCE_DATE_EPOCH"

# --- archive extract: round trip, then a refusal that leaves nothing ------------------------
"$cairn" archive extract "$work/a.tar.gz" "$work/unpacked" >/dev/null
expect_eq "extracted tree hashes the same" "$("$cairn" hash tree "$work/unpacked")" \
  "$("$cairn" hash tree "$work/tree-a")"

mkdir "$work/evil" && ln -s /etc/passwd "$work/evil/escape"
tar -C "$work/evil" -czf "$work/evil.tar.gz" escape
set +e
message=$("$cairn" archive extract "$work/evil.tar.gz" "$work/evil-out" 2>&1)
status=$?
set -e
expect_eq "hostile archive exits 1" "$status" "1"
expect_contains "hostile archive: says what was refused" "$message" "cairn: refused:"
expect_contains "hostile archive: names the entry" "$message" "escape"
if [ -e "$work/evil-out" ]; then fail "hostile archive left $work/evil-out"; else pass "hostile archive left nothing"; fi
leftovers=$(find "$work" -maxdepth 1 -name '.evil-out*' | wc -l)
expect_eq "no temporary extraction directory left" "$leftovers" "0"

finish_checks
