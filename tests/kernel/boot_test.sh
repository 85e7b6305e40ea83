#!/usr/bin/env bash
# Images built by this project, booted with `cairn run` (and hello also under Solo5's solo5-spt):
# each must end exactly the way it was written to.
# Usage: boot_test.sh BUILD_DIR
set -euo pipefail
# shellcheck source=../support/checks.sh
source "$(dirname "$0")/../support/checks.sh"

build=$1
cairn=$build/bin/cairn
images=$build/images
solo5=$(cd "$(dirname "$0")/../../.." && pwd)/shared/peers/solo5
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-boot-test.XXXXXX")
trap 'rm -rf "$work"' EXIT


# run NAME [cairn run arguments...]: runs an image, keeping stdout, stderr and the status.
run() {
  local name=$1
  shift
  set +e
  "$cairn" run "$@" >"$work/$name.out" 2>"$work/$name.err"
  status=$?
  set -e
  out=$(cat "$work/$name.out")
  err=$(cat "$work/$name.err")
}

# --- hello: greets with its arguments, ticks three times 100 ms apart, exits 0 --------------
run hello "$images/hello.spt" --mem 2 -- first second
expect_eq "hello exits 0" "$status" 0
expect_eq "hello greets with its arguments" "$(head -1 "$work/hello.out")" "Hello from Cairn: first second"
expect_contains "hello says goodbye" "$out" "goodbye"
expect_contains "cairn run reports the exit" "$err" "exited with status 0"
mapfile -t ticks < <(sed -n 's/^tick [0-9] at \([0-9]*\) us$/\1/p' "$work/hello.out")
expect_eq "hello ticks three times" "${#ticks[@]}" 3
previous=0
for i in "${!ticks[@]}"; do
  gap=$(( (ticks[i] - previous) / 1000 ))  # milliseconds since the previous tick
  if [ "$gap" -ge 100 ] && [ "$gap" -lt 250 ]; then pass "tick $((i + 1)) comes ${gap} ms after the one before"; else
    fail "tick $((i + 1)) comes ${gap} ms after the one before (expected 100 to 250)"; fi
  previous=${ticks[i]}
done

run hello_quick "$images/hello.spt" -- --no-ticks
expect_eq "hello --no-ticks exits 0" "$status" 0
expect_eq "hello --no-ticks prints one line" "$(wc -l <"$work/hello_quick.out")" 1

# --- endings --------------------------------------------------------------------------------
run exit_status "$images/exit_status.spt"
expect_eq "an image returning 3 exits 3" "$status" 3
expect_contains "cairn run says status 3" "$err" "exited with status 3"

run abort "$images/abort.spt"
expect_eq "an aborting image exits 255" "$status" 255
expect_contains "cairn run reports the abort message" "$err" "aborted: the answer was 41, not 42"

run forbidden "$images/forbidden_syscall.spt"
expect_eq "a forbidden system call kills the image (SIGSYS)" "$status" 159
expect_contains "cairn run names the system call" "$err" "killed: forbidden system call getpid"
if [[ $out == *"still alive"* ]]; then fail "the image ran on after getpid"; else pass "nothing ran after getpid"; fi

run smash "$images/stack_smash.spt"
expect_eq "stack smashing aborts" "$status" 255
expect_contains "stack smashing is named" "$err" "aborted: stack smashing detected"

run oom "$images/out_of_memory.spt" --mem 2
expect_eq "running out of memory aborts" "$status" 255
expect_contains "out of memory says how much was in use" "$err" "aborted: out of memory: 65536 bytes requested"

# --- Cairn's hello under Solo5's own tender prints the same ----------------------------------
if [ -x "$solo5/tenders/spt/solo5-spt" ]; then
  set +e
  "$solo5/tenders/spt/solo5-spt" --mem=2 "$images/hello.spt" first second >"$work/solo5.out" 2>"$work/solo5.err"
  status=$?
  set -e
  expect_eq "hello under solo5-spt exits 0" "$status" 0
  # Tick times differ from run to run; everything else must be identical.
  normalise() { sed 's/ at [0-9]* us$/ at N us/' "$1"; }
  expect_eq "hello prints the same under solo5-spt and cairn-spt" "$(normalise "$work/solo5.out")" \
    "$(normalise "$work/hello.out")"
else
  echo "skipped: Solo5 comparison: $solo5/tenders/spt/solo5-spt is missing"
fi

finish_checks
