#!/usr/bin/env bash
# `cairn build` against CMake + Ninja on the same work: examples/udp-echo, the same sources (the
# kernel with its spt bindings, kernel/net, the protocols, main.cc), the same compile and link
# flags, the same notes object and device header. Whole-process times with hyperfine, side by side
# in one run:
#   cold      cairn build with an empty action cache          | ninja after `ninja -t clean`
#   no-op     cairn build --locked, nothing changed            | ninja, nothing changed
#   one file  main.cc edited (a new comment line) before each  | the same edit, then ninja
#   sandbox   cold, with the sandbox and with --no-sandbox
# The sandbox is on unless said. Medians and ratios (Cairn / Ninja) are printed at the end.
# Usage: bench/build.sh [BUILD_DIR]   (default: build; needs build/bin/cairn)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
root=$(pwd)
build=${1:-build}
cairn=$(readlink -f "$build/bin/cairn")
runs=${BUILD_RUNS:-10}
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (./bootstrap.sh installs it)" >&2; exit 1; }
[ -x "$cairn" ] || { echo "bench: $cairn not built (run ./bootstrap.sh demo)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-build-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
mkdir "$work/checkout"
cp -r kernel protocols "$work/checkout/"
cp -r examples/udp-echo "$work/app"
"$cairn" manifest dev --repo "$work/manifest" --checkout "$work/checkout" >/dev/null
"$cairn" build "$work/app" --manifest "$work/manifest" --sources "$work/checkout" >/dev/null 2>&1
generated=$(mktemp -d "$work/gen.XXXXXX")
mkdir -p "$generated/include/cairn"
# The device header and the notes (without the .note.cairn, which only cairn build writes; the
# link script keeps an empty segment for it, as any image without one has).
python3 - "$generated/include/cairn/devices.h" <<'PY'
import sys
open(sys.argv[1], "w").write("""#pragma once
#include <cairn/device.h>
namespace cairn {
struct DeclaredDevices { static constexpr NetDevice service0{"service0"}; };
namespace devices { inline constexpr const NetDevice& service0 = DeclaredDevices::service0; }
}
""")
PY
"$cairn" image notes --target spt --device net:service0 -o "$generated/notes.o"

# The CMake + Ninja project: one executable of every source, with cairn build's flags.
c=$work/checkout
mkdir "$work/ninja-src"
cat >"$work/ninja-src/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.25)
project(udp_echo_ninja CXX)
file(GLOB sources $c/kernel/runtime/src/*.cc $c/kernel/sched/src/*.cc $c/kernel/bindings/spt/*.cc
     $c/kernel/net/src/*.cc $c/protocols/*/src/*.cc $work/app/main.cc)
add_executable(udp-echo.spt \${sources} $generated/notes.o)
target_include_directories(udp-echo.spt PRIVATE $generated/include $c/kernel/include $c/kernel/runtime/include
  $c/kernel/sched/include $c/kernel/net/include)
file(GLOB protocol_includes $c/protocols/*/include)
target_include_directories(udp-echo.spt PRIVATE \${protocol_includes})
target_compile_options(udp-echo.spt PRIVATE -std=c++20 -ffreestanding -fno-exceptions -fno-rtti
  -fno-threadsafe-statics -fno-asynchronous-unwind-tables -fno-unwind-tables -fstack-protector-strong
  -mstack-protector-guard=global -fno-pie -fno-plt -Os -g0 -ffunction-sections -fdata-sections -Wall -Wextra
  -Werror=date-time)
target_link_options(udp-echo.spt PRIVATE -nostdlib -static -no-pie -Wl,--gc-sections -Wl,--build-id=none
  -Wl,-z,noexecstack -Wl,-z,max-page-size=0x1000 -Wl,-z,norelro -Wl,--no-warn-rwx-segments -Wl,--sort-section=name
  -Wl,-T,$c/kernel/bindings/spt/image.ld)
EOF
cmake -S "$work/ninja-src" -B "$work/ninja" -G Ninja -DCMAKE_BUILD_TYPE= >/dev/null
ninja -C "$work/ninja" >/dev/null
[ -s "$work/ninja/udp-echo.spt" ] || { echo "bench: the Ninja build made no image" >&2; exit 1; }

jobs=$(nproc)
cairn_build="$cairn build $work/app --locked --sources $work/checkout -j $jobs"
edit="echo '// edit' \$(date +%s%N) >> $work/app/main.cc"
echo "udp-echo: $(grep -c . <<<"$(cd "$c" && ls kernel/runtime/src/*.cc kernel/sched/src/*.cc kernel/bindings/spt/*.cc kernel/net/src/*.cc protocols/*/src/*.cc)") library units + main.cc; -j $jobs; $runs runs each; $(date -u +%FT%TZ)"
# hyperfine pairs the n-th --prepare with the n-th command.
hyperfine --style basic --runs "$runs" --export-csv "$work/build.csv" \
  --prepare "rm -rf $XDG_CACHE_HOME/cairn/actions" -n "cold: cairn build" "$cairn_build" \
  --prepare "ninja -C $work/ninja -t clean" -n "cold: ninja" "ninja -C $work/ninja -j $jobs" \
  --prepare "rm -rf $XDG_CACHE_HOME/cairn/actions" -n "cold: cairn build --no-sandbox" "$cairn_build --no-sandbox" \
  --prepare "true" -n "no-op: cairn build" "$cairn_build" \
  --prepare "true" -n "no-op: ninja" "ninja -C $work/ninja -j $jobs" \
  --prepare "$edit" -n "one file: cairn build" "$cairn_build" \
  --prepare "$edit" -n "one file: ninja" "ninja -C $work/ninja -j $jobs" >"$work/hyperfine.out"
python3 - "$work/build.csv" <<'PY'
import csv, sys
rows = {row["command"]: float(row["median"]) for row in csv.DictReader(open(sys.argv[1]))}
print(f"{'':34}{'median':>12}")
for name, median in rows.items():
    print(f"{name:34}{median * 1000:>10.1f} ms")
for kind in ("cold", "no-op", "one file"):
    cairn, ninja = rows[f"{kind}: cairn build"], rows[f"{kind}: ninja"]
    print(f"{kind}: cairn build / ninja = {cairn / ninja:.2f}")
print(f"the sandbox: cold with / without = {rows['cold: cairn build'] / rows['cold: cairn build --no-sandbox']:.2f}")
PY
