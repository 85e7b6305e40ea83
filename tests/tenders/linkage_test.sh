#!/usr/bin/env bash
# cairn-spt holds nothing but its own code, libc and libseccomp (DESIGN.md: a small trusted
# computing base), and is position-independent, so that Linux maps it far above guest memory.
#   static:  a static PIE: no NEEDED entry, no dynamic loader (PT_INTERP)
#   dynamic: NEEDED is exactly libc.so.6 and libseccomp.so.2 (ld-linux is implicit)
# In both, nothing from the C++ runtime (libstdc++: new/delete, exceptions, RTTI) is linked in.
# Usage: linkage_test.sh PATH/TO/cairn-spt static|dynamic
set -euo pipefail

tender=$1
mode=$2
failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

needed=$(readelf -d "$tender" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
echo "linked as a $mode PIE; NEEDED: ${needed:-none}"
case $mode in
  static)
    [ -z "$needed" ] && pass "no shared library needed" || fail "a static PIE needs $needed"
    if readelf -lW "$tender" | grep -q INTERP; then fail "a static PIE asks for a dynamic loader"; else
      pass "no dynamic loader"; fi
    ;;
  dynamic)
    [ "$needed" = "libc.so.6 libseccomp.so.2 " ] && pass "needs exactly libc and libseccomp" ||
      fail "needs '$needed', expected libc.so.6 and libseccomp.so.2"
    ;;
  *) fail "unknown linkage mode '$mode'" ;;
esac
readelf -h "$tender" | grep -q 'Type:.*DYN' && pass "position-independent" || fail "not a PIE"
if readelf -lW "$tender" | grep -q 'GNU_STACK.*RWE'; then fail "asks for an executable stack"; fi
# The C++ runtime's entry points (mangled operator new/delete, std::, exception and RTTI support).
cxx_runtime=$(nm "$tender" 2>/dev/null | grep -E ' (_Znw|_Zna|_ZdlPv|_ZdaPv|_ZSt|_ZTVN10__cxxabiv|__gxx_personality|__cxa_(throw|allocate_exception|begin_catch|guard_acquire|pure_virtual))' || true)
[ -z "$cxx_runtime" ] && pass "no C++ runtime" || fail "C++ runtime symbols: $cxx_runtime"
[ "$failures" -eq 0 ]
