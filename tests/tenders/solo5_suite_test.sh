#!/usr/bin/env bash
# Solo5's own spt test suite (tests.bats, the conformance test of DESIGN.md) with cairn-spt in
# place of solo5-spt. First the suite runs with Solo5's own tender, to prove the environment; then
# with cairn-spt. Both run inside a network namespace of their own, holding the taps the network
# tests need (tap100 10.0.0.1/24, tap101 10.1.0.1/24, tap102 with MTU 9000): no traffic leaves it
# and no host interface is touched. The namespace and the copies are removed on any exit.
#
# Passes when cairn-spt passes every test, except the ones listed in WORDING_ONLY, which match
# Solo5's exact error texts: for each of those, the script checks that cairn-spt refuses the same
# input, exits 1 and says the same thing in its own words.
#
# Usage: solo5_suite_test.sh PATH/TO/cairn-spt SOLO5_PEERS_DIR      (as root)
set -euo pipefail

tender=$(readlink -f "$1")
peers=$2

skip() { echo "skipped: $*"; exit 77; }
[ -d "$peers/tests" ] && [ -f "$peers/tests/tests.bats" ] || skip "no Solo5 peers folder at $peers"
command -v bats >/dev/null || skip "bats is not installed"
command -v ip >/dev/null || skip "ip (iproute2) is not installed"
[ "$(id -u)" -eq 0 ] || skip "the suite's network tests need root (taps in a network namespace)"
[ -c /dev/net/tun ] || skip "/dev/net/tun is missing"
command -v ping >/dev/null || skip "ping (iputils-ping) is not installed"

# Tests whose only check beyond the exit status is Solo5's own wording of an error, with the
# meaning cairn-spt must express instead: "name|tender arguments|file size in bytes|our message".
WORDING_ONLY=(
  "blk misaligned spt|--block-sector-size:storage=4096|6144|not a multiple of the sector size (4096 bytes)"
  "blk odd spt|--block-sector-size:storage=521|1563|the sector size must be a power of two from 512 to 32768"
  "blk too small spt|--block-sector-size:storage=256|256|the sector size must be a power of two from 512 to 32768"
)
EXPECTED_TESTS=24

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-solo5-suite.XXXXXX")
namespace="cairn-spt-$$-$RANDOM"
cleanup() {
  # Whatever the suite left running in our namespace (its background pings) goes with it.
  local pids
  pids=$(ip netns pids "$namespace" 2>/dev/null || true)
  [ -n "$pids" ] && kill $pids 2>/dev/null || true
  ip netns del "$namespace" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$namespace" 2>"$work/netns.err" || skip "cannot create a network namespace: $(cat "$work/netns.err")"
ip -n "$namespace" link set lo up
for i in 100 101 102; do
  ip -n "$namespace" tuntap add dev "tap$i" mode tap 2>"$work/tap.err" || skip "cannot create a tap: $(cat "$work/tap.err")"
done
ip -n "$namespace" addr add 10.0.0.1/24 dev tap100
ip -n "$namespace" addr add 10.1.0.1/24 dev tap101
ip -n "$namespace" link set tap102 mtu 9000
for i in 100 101 102; do ip -n "$namespace" link set "tap$i" up; done

# suite NAME TENDER: copies the peers folder, puts TENDER at tenders/spt/solo5-spt, runs the spt
# tests and leaves the TAP output in $work/NAME.tap.
suite() {
  local name=$1 with=$2
  local copy=$work/$name
  cp -r "$peers" "$copy"
  chmod -R u+w "$copy"
  if [ "$with" != solo5-spt ]; then cp "$with" "$copy/tenders/spt/solo5-spt"; fi
  mkdir -p "$work/tmp-$name"
  echo "== Solo5's spt suite with $name"
  local started=$SECONDS
  (cd "$copy/tests" && TMPDIR="$work/tmp-$name" ip netns exec "$namespace" bats -f 'spt$' tests.bats) \
    >"$work/$name.tap" 2>&1 || true
  sed 's/^/  /' "$work/$name.tap"
  echo "   ($((SECONDS - started)) s)"
}

# results FILE: "ok|fail|skip<TAB>name" for every test in a TAP file.
results() {
  sed -n -E 's/^ok [0-9]+ (.*) # skip.*/skip\t\1/p; t; s/^ok [0-9]+ (.*)$/ok\t\1/p; s/^not ok [0-9]+ (.*)$/fail\t\1/p' "$1"
}

suite solo5-spt solo5-spt
suite cairn-spt "$tender"

failures=0
baseline_failed=$(results "$work/solo5-spt.tap" | awk -F'\t' '$1 != "ok" { print $2 }')
baseline_count=$(results "$work/solo5-spt.tap" | wc -l)
if [ "$baseline_count" -ne "$EXPECTED_TESTS" ] || [ -n "$baseline_failed" ]; then
  echo "FAIL: the environment is not sound: solo5-spt ran $baseline_count tests (expected $EXPECTED_TESTS)," \
    "and did not pass: ${baseline_failed:-none}"
  failures=$((failures + 1))
fi

count=$(results "$work/cairn-spt.tap" | wc -l)
passed=$(results "$work/cairn-spt.tap" | awk -F'\t' '$1 == "ok"' | wc -l)
[ "$count" -eq "$EXPECTED_TESTS" ] || { echo "FAIL: cairn-spt ran $count tests, expected $EXPECTED_TESTS"; failures=$((failures + 1)); }

wording_only=0
while IFS=$'\t' read -r result name; do
  [ "$result" = ok ] && continue
  exception=""
  for entry in "${WORDING_ONLY[@]}"; do
    [ "${entry%%|*}" = "$name" ] && exception=$entry
  done
  if [ -z "$exception" ]; then
    echo "FAIL: cairn-spt: $name ($result)"
    failures=$((failures + 1))
    continue
  fi
  # Same input as the test, run directly: cairn-spt must refuse it, exit 1, and say why.
  IFS='|' read -r _ option size message <<<"$exception"
  head -c "$size" /dev/zero >"$work/storage.img"
  status=0
  "$tender" --mem=2 --block:storage="$work/storage.img" "$option" -- \
    "$peers/tests/test_blk/test_blk.spt" >"$work/out" 2>"$work/err" || status=$?
  if [ "$status" -eq 1 ] && grep -qF "$message" "$work/err" && [ "$(wc -l <"$work/err")" -eq 1 ]; then
    echo "ok: $name fails on Solo5's wording only; cairn-spt exits 1 with: $(cat "$work/err")"
    wording_only=$((wording_only + 1))
  else
    echo "FAIL: $name: cairn-spt exited $status with: $(cat "$work/err" "$work/out")"
    failures=$((failures + 1))
  fi
done < <(results "$work/cairn-spt.tap")

echo "solo5-spt: $((baseline_count - $(echo -n "$baseline_failed" | grep -c '^' || true))) of $baseline_count passed"
echo "cairn-spt: $passed of $count passed; $wording_only failed on Solo5's error wording only (checked above)"
[ "$failures" -eq 0 ]
