#!/usr/bin/env bash
# Foundation benchmarks, side by side with the standard tools on the same input, as ratios:
#   1. `cairn hash tree /usr/include` against `find | sort | xargs sha256sum` over the same tree;
#   2. `cairn hash file` on a 1 GiB file against `openssl dgst -sha256`;
#   3. in-process Digest throughput (Google Benchmark, digest_bench).
# Usage: bench/foundation.sh [BUILD_DIR]   (default build/; run ./bootstrap.sh demo first)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
build=${1:-build}
cairn=$(readlink -f "$build/bin/cairn")
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (./bootstrap.sh installs it)" >&2; exit 1; }
[ -x "$cairn" ] || { echo "bench: $cairn not built (run ./bootstrap.sh demo)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ratio CSV: prints each command's mean and the first command's mean over the second's.
ratio() {
  awk -F, 'NR == 2 { a = $2; na = $1 } NR == 3 { b = $2; nb = $1 }
           END { printf "  %-60s %8.1f ms\n  %-60s %8.1f ms\n  ratio (first / second): %.2f\n",
                 na, a * 1000, nb, b * 1000, a / b }' "$1"
}

tree=/usr/include
files=$(find "$tree" -type f | wc -l)
size=$(du -sm "$tree" | cut -f1)
echo "== tree hash of $tree ($files files, $size MiB, warm page cache)"
hyperfine --style basic --warmup 3 --runs 15 --export-csv "$work/tree.csv" \
  -n "cairn hash tree $tree" "$cairn hash tree $tree" \
  -n "find | sort | xargs sha256sum" "find $tree -type f -print0 | sort -z | xargs -0 sha256sum >/dev/null" \
  >/dev/null
ratio "$work/tree.csv"

echo "== SHA-256 of a 1 GiB file (warm page cache)"
head -c 1G /dev/urandom >"$work/1GiB"
hyperfine --style basic --warmup 1 --runs 5 --export-csv "$work/file.csv" \
  -n "cairn hash file" "$cairn hash file $work/1GiB" \
  -n "openssl dgst -sha256" "openssl dgst -sha256 $work/1GiB" \
  >/dev/null
ratio "$work/file.csv"

echo "== in-process Digest throughput"
"$build/bench/digest_bench" --benchmark_filter='BM_Sha' 2>/dev/null | grep -E '^BM_' || true
