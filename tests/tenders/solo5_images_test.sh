#!/usr/bin/env bash
# Solo5's own test images run under cairn-spt, unchanged, and through `cairn run`.
# Usage: solo5_images_test.sh PATH/TO/cairn-spt PATH/TO/cairn SOLO5_PEERS_DIR
set -euo pipefail
# shellcheck source=../support/checks.sh
source "$(dirname "$0")/../support/checks.sh"

tender=$1
cairn=$2
peers=$3
if [ ! -d "$peers/tests" ]; then
  echo "skipped: no Solo5 peers folder at $peers"
  exit 77
fi
tests=$peers/tests
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-solo5-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

# spt NAME EXPECTED_STATUS [PATTERN] -- TENDER_ARGS...: runs test_NAME.spt under cairn-spt.
spt() {
  local name=$1 expected=$2 pattern=$3
  shift 4
  local status=0
  timeout 60 "$tender" --mem=2 "$@" >"$work/out" 2>"$work/err" || status=$?
  if [ "$status" -ne "$expected" ]; then
    fail "$name: status $status, expected $expected"; sed 's/^/    /' "$work/out" "$work/err" | tail -5; return
  fi
  if [ -n "$pattern" ] && ! grep -aq -- "$pattern" "$work/out" "$work/err"; then
    fail "$name: output lacks '$pattern'"; sed 's/^/    /' "$work/out" "$work/err" | tail -5; return
  fi
  pass "$name (status $status)"
}

# Run as a shell would see them: exit statuses, and 128 + signal.
run_status() { local status=0; "$@" >"$work/out" 2>"$work/err" || status=$?; echo "$status"; }

spt hello 0 "SUCCESS" -- "$tests/test_hello/test_hello.spt" Hello_Solo5
spt quiet 0 "SUCCESS" -- -- "$tests/test_quiet/test_quiet.spt" --solo5:quiet
if grep -q "Solo5:" "$work/out"; then fail "quiet: the banner was printed"; fi
spt output 0 "" -- "$tests/test_output/test_output.spt" Output_Solo5
spt globals 0 "SUCCESS" -- "$tests/test_globals/test_globals.spt"
spt fpu 0 "SUCCESS" -- "$tests/test_fpu/test_fpu.spt"
spt tls 0 "SUCCESS" -- "$tests/test_tls/test_tls.spt"
spt time 0 "SUCCESS" -- "$tests/test_time/test_time.spt"
spt ssp 255 "ABORT" -- "$tests/test_ssp/test_ssp.spt"
spt exception 139 "" -- "$tests/test_exception/test_exception.spt"
spt zeropage 139 "" -- "$tests/test_zeropage/test_zeropage.spt"
spt xnow 139 "" -- "$tests/test_xnow/test_xnow.spt"
spt wnox 139 "" -- "$tests/test_wnox/test_wnox.spt"
spt notls 139 "" -- "$tests/test_notls/test_notls.spt"
spt seccomp 159 "cairn-spt: killed: forbidden system call" -- "$tests/test_seccomp/test_seccomp.spt"

dd if=/dev/zero of="$work/disk.img" bs=4k count=1024 status=none
spt blk 0 "SUCCESS" -- --block:storage="$work/disk.img" -- "$tests/test_blk/test_blk.spt"
spt "blk sector size 4096" 0 "SUCCESS" -- --block:storage="$work/disk.img" --block-sector-size:storage=4096 \
  "$tests/test_blk/test_blk.spt"
devices=()
for i in $(seq 0 62); do
  dd if=/dev/zero of="$work/storage$i.img" bs=4k count=1 status=none
  devices+=("--block:storage$i=$work/storage$i.img")
done
spt "mft_maxdevices (63 block devices)" 0 "SUCCESS" -- "${devices[@]}" "$tests/test_mft_maxdevices/test_mft_maxdevices.spt"

# Solo5's hvt image is refused with a reason, not run.
spt "hvt image refused" 1 "built for the hvt target" -- "$tests/test_hello/test_hello.hvt"

# The same images through `cairn run`, which reports how each ended.
status=$(run_status "$cairn" run "$tests/test_hello/test_hello.spt" --mem 2 -- Hello_Solo5)
if [ "$status" = 0 ] && grep -q SUCCESS "$work/out" && grep -qx "cairn: exited with status 0" "$work/err"; then
  pass "cairn run hello"; else fail "cairn run hello: status $status, $(cat "$work/err")"; fi
status=$(run_status "$cairn" run "$tests/test_seccomp/test_seccomp.spt" --mem 2)
if [ "$status" = 159 ] && grep -qx "cairn: killed: forbidden system call [a-z0-9_]*" "$work/err"; then
  pass "cairn run seccomp: $(cat "$work/err")"; else fail "cairn run seccomp: status $status, $(cat "$work/err")"; fi
status=$(run_status "$cairn" run "$tests/test_ssp/test_ssp.spt" --mem 2)
if [ "$status" = 255 ] && grep -qx "cairn: aborted: .*Stack corruption.*" "$work/err"; then
  pass "cairn run ssp: $(cat "$work/err")"; else fail "cairn run ssp: status $status, $(cat "$work/err")"; fi
status=$(run_status "$cairn" run "$tests/test_exception/test_exception.spt" --mem 2)
if [ "$status" = 139 ] && grep -qx "cairn: killed by signal SIGSEGV" "$work/err"; then
  pass "cairn run exception"; else fail "cairn run exception: status $status, $(cat "$work/err")"; fi
status=$(run_status "$cairn" run "$tests/test_blk/test_blk.spt" --mem 2 --block:storage="$work/disk.img")
if [ "$status" = 0 ] && grep -q SUCCESS "$work/out"; then
  pass "cairn run blk"; else fail "cairn run blk: status $status, $(cat "$work/err")"; fi

finish_checks
