# Checks for the shell tests: source it, record results with pass/fail/expect_*, end with
# finish_checks (prints "N passed, N failed" and fails the script if anything failed).
# shellcheck shell=bash

passes=0
failures=0

pass() { passes=$((passes + 1)); echo "ok: $*"; }
fail() { failures=$((failures + 1)); echo "FAIL: $*"; }

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: got '$2', expected '$3'"; fi; }

# expect_contains WHAT TEXT PART
expect_contains() { if [[ $2 == *"$3"* ]]; then pass "$1"; else fail "$1: '$2' does not contain '$3'"; fi; }

finish_checks() {
  echo "$passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}
