#!/usr/bin/env bash
# protocols/ is compiled into images: it may include only its own headers, <stddef.h>,
# <stdint.h>, and C++ headers that are header-only (no compiled libstdc++ behind them). The link
# of tests/protocols/images/netstack_selftest proves the rest; this catches a hosted header before
# it is ever used.
set -euo pipefail
root=${1:?usage: freestanding_includes_test.sh PROTOCOLS_DIR}
allowed='^(cairn/protocols/.*|stddef\.h|stdint\.h|new|span|utility|type_traits|coroutine|limits)$'
status=0
while IFS= read -r line; do
  file=${line%%:*}
  header=$(sed -E 's/.*#include[[:space:]]*[<"]([^>"]+)[>"].*/\1/' <<<"${line#*:}")
  if ! [[ $header =~ $allowed ]]; then
    echo "$file includes <$header>, which protocols/ may not use (hosted, or needs a compiled library)" >&2
    status=1
  fi
done < <(grep -rn '^[[:space:]]*#[[:space:]]*include' "$root" --include='*.h' --include='*.cc' | sed -E 's/^([^:]+):[0-9]+:/\1:/')
[ $status -eq 0 ] && echo "protocols/: only freestanding includes"
exit $status
