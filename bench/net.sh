#!/usr/bin/env bash
# examples/udp-echo through a tap against Linux over a veth (the same kind of host link), and
# against Solo5's own test_net image under solo5-spt through a tap (ICMP only):
#   cairn: namespace A, tap0 10.0.0.1/24 <-> udp-echo --ipv4 10.0.0.2/24 (cairn run)
#   linux: namespace B, veth 10.1.0.1/24 <-> namespace C, veth 10.1.0.2/24, socat UDP echo on 7 (one client)
#   solo5: namespace D, tap0 10.0.0.1/24 <-> test_net.spt (10.0.0.2) under solo5-spt, from SOLO5_PEERS_DIR
# Measures ping RTT median of PING_COUNT (default 1000) pings 2 ms apart, `ping -f` replies/s over
# FLOOD_COUNT (default 20000) pings, and UDP echo datagrams/s (a python3 client, 16 in flight,
# UDP_SECONDS seconds), each as a ratio to Linux; and udp-echo's stripped size. Every loop is
# bounded; the namespaces are deleted on exit. Needs root, /dev/net/tun, ip, ping, socat, python3.
# Usage: bench/net.sh [BUILD_DIR] [SOLO5_PEERS_DIR]   (defaults: build, ../shared/peers/solo5; the
# Solo5 column reads n/a when the peers are missing)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
build=${1:-build}
peers=${2:-../shared/peers/solo5}
pings=${PING_COUNT:-1000}
floods=${FLOOD_COUNT:-20000}
udp_seconds=${UDP_SECONDS:-3}
image=$build/images/udp-echo.spt
for tool in ip ping socat python3; do command -v $tool >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }; done
[ -f "$image" ] || { echo "bench: $image not built" >&2; exit 1; }

a=cairn-bench-net-a-$$ b=cairn-bench-net-b-$$ c=cairn-bench-net-c-$$ d=cairn-bench-net-d-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-net-bench.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "$a" "$b" "$c" "$d"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
for ns in "$a" "$b" "$c" "$d"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
for ns in "$a" "$d"; do
  ip -n "$ns" tuntap add dev tap0 mode tap
  ip -n "$ns" addr add 10.0.0.1/24 dev tap0
  ip -n "$ns" link set tap0 up
done
ip -n "$b" link add veth0 type veth peer name veth1 netns "$c"
ip -n "$b" addr add 10.1.0.1/24 dev veth0
ip -n "$c" addr add 10.1.0.2/24 dev veth1
ip -n "$b" link set veth0 up
ip -n "$c" link set veth1 up

setsid ip netns exec "$a" "$build/bin/cairn" run "$image" --mem 8 --net:service0=tap0 -- --ipv4 10.0.0.2/24 \
  >"$work/echo.out" 2>&1 &
pids+=($!)
setsid ip netns exec "$c" socat UDP4-LISTEN:7,reuseaddr PIPE >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "^udp-echo: " "$work/echo.out" && break; sleep 0.1; done
grep -q "^udp-echo: " "$work/echo.out" || { echo "bench: udp-echo did not start: $(cat "$work/echo.out")" >&2; exit 1; }
ip netns exec "$a" ping -c 3 -W 1 -q 10.0.0.2 >/dev/null
ip netns exec "$b" ping -c 3 -W 1 -q 10.1.0.2 >/dev/null
solo5=no
if [ -x "$peers/tenders/spt/solo5-spt" ] && [ -f "$peers/tests/test_net/test_net.spt" ]; then
  setsid ip netns exec "$d" "$peers/tenders/spt/solo5-spt" --mem=8 --net:service0=tap0 \
    "$peers/tests/test_net/test_net.spt" >"$work/solo5.out" 2>&1 &
  pids+=($!)
  ip netns exec "$d" ping -c 3 -W 1 -q 10.0.0.2 >/dev/null && solo5=yes
fi

# median_rtt NS ADDRESS: the median of $pings RTTs in ms.
median_rtt() {
  ip netns exec "$1" ping -c "$pings" -i 0.002 -W 1 "$2" | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -g |
    awk '{v[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.4f\n", (v[NR/2]+v[NR/2+1])/2}'
}
# flood_rate NS ADDRESS: replies per second under ping -f (bounded by $floods pings and 60 s).
flood_rate() {
  ip netns exec "$1" ping -f -c "$floods" -w 60 -q "$2" |
    sed -n 's/.* \([0-9]*\) received.* time \([0-9]*\)ms.*/\1 \2/p' | awk '{printf "%d\n", $1 * 1000 / $2}'
}
# udp_rate NS ADDRESS: echoed datagrams per second, 16 in flight, for $udp_seconds s.
udp_rate() {
  ip netns exec "$1" python3 - "$2" "$udp_seconds" <<'PY'
import socket, sys, time
address, seconds = (sys.argv[1], 7), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
payload = b"x" * 64
for _ in range(16):
    s.sendto(payload, address)
echoed = 0
start = time.monotonic()
while time.monotonic() - start < seconds:
    try:
        s.recv(2048)
        echoed += 1
    except socket.timeout:  # a loss: put another in flight
        pass
    s.sendto(payload, address)
print(int(echoed / (time.monotonic() - start)))
PY
}
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { if (y == 0 || x == "nan" || y == "nan") print "n/a"; else printf "%.2f\n", x / y }'; }

cairn_rtt=$(median_rtt "$a" 10.0.0.2) linux_rtt=$(median_rtt "$b" 10.1.0.2)
cairn_flood=$(flood_rate "$a" 10.0.0.2) linux_flood=$(flood_rate "$b" 10.1.0.2)
cairn_udp=$(udp_rate "$a" 10.0.0.2) linux_udp=$(udp_rate "$b" 10.1.0.2)
solo5_rtt=n/a solo5_flood=n/a
if [ "$solo5" == yes ]; then solo5_rtt=$(median_rtt "$d" 10.0.0.2) solo5_flood=$(flood_rate "$d" 10.0.0.2); fi
strip -o "$work/udp-echo.stripped" "$image"
size=$(stat -c %s "$work/udp-echo.stripped")

row() { printf '%-32s %14s %14s %8s %15s %8s\n' "$@"; }
row "measure" "udp-echo(tap)" "linux(veth)" "ratio" "solo5-spt(tap)" "ratio"
row "ping RTT median of $pings (ms)" "$cairn_rtt" "$linux_rtt" "$(ratio "$cairn_rtt" "$linux_rtt")" \
  "$solo5_rtt" "$(ratio "$cairn_rtt" "$solo5_rtt")"
row "ping -f replies/s" "$cairn_flood" "$linux_flood" "$(ratio "$cairn_flood" "$linux_flood")" \
  "$solo5_flood" "$(ratio "$cairn_flood" "$solo5_flood")"
row "UDP echo datagrams/s" "$cairn_udp" "$linux_udp" "$(ratio "$cairn_udp" "$linux_udp")" "n/a" "n/a"
echo "udp-echo.spt stripped: $size bytes ($((size / 1024)) KiB)"
