#!/usr/bin/env bash
# Boot to exit of spt images that exit at once, side by side:
#   1. a static glibc C hello (gcc -static -O2, built here), the floor any process pays;
#   2. Solo5's test_hello.spt under cairn-spt and under Solo5's solo5-spt (the same image);
#   3. Cairn's examples/hello (`hello.spt --no-ticks`) under both tenders, when it is built.
# hyperfine -N (no shell), 200 runs after 20 warm-ups; medians and ratios to the C hello. Then the
# sandbox policy cairn-spt gives those images, and (with strace) the system calls the guest makes.
# Usage: bench/boot.sh [BUILD_DIR] [SOLO5_PEERS_DIR]   (defaults: build, ../shared/peers/solo5)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
build=${1:-build}
peers=${2:-../shared/peers/solo5}
tender=$(readlink -f "$build/bin/cairn-spt")
solo5_tender=$peers/tenders/spt/solo5-spt
solo5_hello=$peers/tests/test_hello/test_hello.spt
cairn_hello=$build/images/hello.spt
runs=${BOOT_RUNS:-200}
warmup=${BOOT_WARMUP:-20}

command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (./bootstrap.sh installs it)" >&2; exit 1; }
[ -x "$tender" ] || { echo "bench: $tender not built (run ./bootstrap.sh demo)" >&2; exit 1; }
[ -x "$solo5_tender" ] && [ -f "$solo5_hello" ] || { echo "bench: no Solo5 peers at $peers" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-boot-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >"$work/hello.c"
gcc -static -O2 -o "$work/hello-static" "$work/hello.c"

if readelf -lW "$tender" | grep -q INTERP; then linkage="dynamic PIE"; else linkage="static PIE"; fi
echo "cairn-spt: $tender ($linkage); solo5-spt: $solo5_tender; $runs runs after $warmup warm-ups"

commands=(-n "static C hello (gcc -static -O2)" "$work/hello-static"
  -n "cairn-spt test_hello.spt" "$tender $solo5_hello"
  -n "solo5-spt test_hello.spt" "$solo5_tender $solo5_hello")
if [ -f "$cairn_hello" ]; then
  commands+=(-n "cairn-spt hello.spt --no-ticks" "$tender $cairn_hello --no-ticks"
    -n "solo5-spt hello.spt --no-ticks" "$solo5_tender $cairn_hello --no-ticks")
fi
hyperfine -N --style basic --runs "$runs" --warmup "$warmup" --export-csv "$work/boot.csv" "${commands[@]}" \
  >/dev/null 2>"$work/hyperfine.err"
if grep -q "outliers" "$work/hyperfine.err"; then
  echo "  (hyperfine saw statistical outliers: other load on the machine; medians resist them, means would not)"
fi

# Median of each command and its ratio to the first (the C hello); CSV: command,mean,stddev,median,...
awk -F, 'NR == 2 { base = $4 }
         NR >= 2 { printf "  %-36s median %6.3f ms   %.2fx the C hello\n", $1, $4 * 1000, $4 / base }' "$work/boot.csv"
awk -F, '{ median[$1] = $4 }
         END {
           a = median["cairn-spt test_hello.spt"]; b = median["solo5-spt test_hello.spt"]
           printf "  cairn-spt / solo5-spt on test_hello.spt: %.2f\n", a / b
           a = median["cairn-spt hello.spt --no-ticks"]; b = median["solo5-spt hello.spt --no-ticks"]
           if (b > 0) printf "  cairn-spt / solo5-spt on hello.spt --no-ticks: %.2f\n", a / b
         }' "$work/boot.csv"

echo "== what the guest may call (cairn-spt --print-policy)"
"$tender" --print-policy "$solo5_hello"
# guest_calls IMAGE [ARGS]: the system calls made after the filter is loaded (the first of them is
# the tender's own arch_prctl that clears its thread pointer at the jump into the guest).
guest_calls() {
  strace -qq -o "$work/trace" "$tender" "$@" >/dev/null 2>&1 || true
  local calls
  calls=$(sed -n '/SECCOMP_SET_MODE_FILTER/,$p' "$work/trace" | tail -n +2 | sed -n 's/^\([a-z_0-9]*\)(.*/\1/p')
  echo "== system calls after the filter, $(basename "$1"): $(echo "$calls" | grep -c .) calls," \
    "$(echo "$calls" | sort -u | grep -c .) distinct: $(echo "$calls" | sort | uniq -c | awk '{ printf "%s x%s  ", $2, $1 }')"
}
if command -v strace >/dev/null; then
  guest_calls "$solo5_hello"
  if [ -f "$cairn_hello" ]; then guest_calls "$cairn_hello" --no-ticks; fi
fi
