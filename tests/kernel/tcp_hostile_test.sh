#!/usr/bin/env bash
# Hostile TCP peers against examples/http-static (tcp_hostile.py, scapy on the image's tap, in a
# network namespace this test makes): a SYN flood beyond the listen queue, blind RSTs and SYNs,
# overlapping and wrapped segments, bad options, a zero-window holder, slowloris. The image must
# stay up, within its memory (no abort on the console) and serving.
# Skips (exit 77, "skipped: <why>") without root, /dev/net/tun, ip, or Debian's python3-scapy.
# Usage: tcp_hostile_test.sh BUILD_DIR
set -euo pipefail

build=$1
cairn=$build/bin/cairn
image=$build/images/http-static.spt
python=/usr/bin/python3  # Debian's, where python3-scapy lives

skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces and taps need CAP_NET_ADMIN)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
command -v ip >/dev/null || skip "no ip (iproute2)"
"$python" -c "import scapy" 2>/dev/null || skip "no scapy for $python (apt-get install python3-scapy)"
[ -f "$image" ] || { echo "no image $image" >&2; exit 1; }

namespace=cairn-tcp-hostile-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-tcp-hostile.XXXXXX")
pid=
cleanup() {
  [ -n "$pid" ] && { kill -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  ip netns del "$namespace" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$namespace" || skip "cannot create a network namespace"
ip -n "$namespace" link set lo up
ip -n "$namespace" tuntap add dev tap0 mode tap
ip -n "$namespace" addr add 10.0.0.1/24 dev tap0
ip -n "$namespace" link set tap0 up

# 32 MiB: the flood and 100 slow connections must fit, and the test sees an abort if they do not.
setsid ip netns exec "$namespace" "$cairn" run "$image" --mem 32 --net:service0=tap0 -- --ipv4 10.0.0.2/24 \
  >"$work/image.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "^http-static: 10.0.0.2/24 static$" "$work/image.out" && break; sleep 0.1; done
status=0
timeout 120 ip netns exec "$namespace" "$python" "$(dirname "$0")/tcp_hostile.py" tap0 10.0.0.2 80 || status=$?
if ! kill -0 "$pid" 2>/dev/null || grep -q "abort" "$work/image.out"; then
  echo "FAIL: the image did not survive:"
  tail -20 "$work/image.out"
  status=1
else
  echo "ok: the image is still up"
fi
grep "heap peak" "$work/image.out" | tail -1 || true
exit "$status"
