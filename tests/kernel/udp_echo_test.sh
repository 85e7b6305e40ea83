#!/usr/bin/env bash
# examples/udp-echo end to end through a tap device, inside a network namespace this test makes
# (and deletes on exit, even on failure): a lease from dnsmasq, ping, a UDP datagram echoed; an
# offered address that another host already has, declined; then a static address with ping, a
# Linux ARP probe for it answered and a Linux host claiming it defended against; and the same image
# under Solo5's own solo5-spt (when the peer is there), answering ping and UDP.
# Skips when it cannot make a tap (not root, no /dev/net/tun, no ip) or lacks a peer (dnsmasq,
# ping, socat, arping): it prints "skipped: <why>" and exits 77, which ctest reports as Skipped
# (SKIP_RETURN_CODE in CMakeLists.txt), not as passed.
# Usage: udp_echo_test.sh BUILD_DIR
set -euo pipefail
# shellcheck source=../support/checks.sh
source "$(dirname "$0")/../support/checks.sh"

build=$1
cairn=$build/bin/cairn
image=$build/images/udp-echo.spt

skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces and taps need CAP_NET_ADMIN)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
command -v ip >/dev/null || skip "no ip (iproute2)"
dnsmasq=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$dnsmasq" ] || skip "no dnsmasq (apt-get install dnsmasq-base)"
command -v ping >/dev/null || skip "no ping"
command -v socat >/dev/null || skip "no socat"
command -v arping >/dev/null || skip "no arping (apt-get install iputils-arping)"

namespace=cairn-udp-echo-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-udp-echo-test.XXXXXX")
pids=()  # each started with setsid: its process group (cairn run and its tender) is -pid
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$namespace" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$namespace" || skip "cannot create a network namespace"
in_namespace() { ip netns exec "$namespace" "$@"; }


ip -n "$namespace" link set lo up
ip -n "$namespace" tuntap add dev tap0 mode tap
ip -n "$namespace" addr add 10.0.0.1/24 dev tap0
ip -n "$namespace" link set tap0 up

# start_echo NAME [image arguments...]: boots udp-echo on tap0; waits (15 s at most: a lost
# DISCOVER is resent after 4 s +-1, and the address is probed for 1 s) for its address line and
# sets $address.
start_echo() {
  local name=$1
  shift
  setsid ip netns exec "$namespace" "$cairn" run "$image" --mem 8 --net:service0=tap0 -- "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  address=
  for _ in $(seq 150); do
    address=$(sed -n 's|^udp-echo: \([0-9.]*\)/[0-9]* .*$|\1|p' "$work/$name.out" | head -1)
    [ -n "$address" ] && return 0
    sleep 0.1
  done
  return 1
}
stop_echo() {
  local pid=${pids[-1]}
  kill -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # The tender lets go of the tap as it exits; the next image needs it free.
  for _ in $(seq 50); do pgrep -g "$pid" >/dev/null || break; sleep 0.1; done
}

# --- DHCP ----------------------------------------------------------------------------------
setsid ip netns exec "$namespace" "$dnsmasq" --no-daemon --no-ping --port=0 --interface=tap0 --bind-interfaces \
  --dhcp-range=10.0.0.50,10.0.0.60,12h --dhcp-leasefile="$work/leases" --pid-file="$work/dnsmasq.pid" \
  --conf-file=/dev/null --log-facility=- >"$work/dnsmasq.log" 2>&1 &
pids+=($!)
# Boot the image only once dnsmasq listens on port 67, so that its first DISCOVER is answered.
for _ in $(seq 50); do [ -n "$(in_namespace ss -Hlun 'sport = :67')" ] && break; sleep 0.1; done

if start_echo dhcp; then
  pass "udp-echo got $address by DHCP: $(head -1 "$work/dhcp.out")"
  if grep -q " via DHCP$" "$work/dhcp.out"; then pass "it says via DHCP"; else fail "no 'via DHCP' in: $(cat "$work/dhcp.out")"; fi
  case $address in 10.0.0.5[0-9] | 10.0.0.60) pass "the address is in dnsmasq's range" ;; *) fail "$address is outside 10.0.0.50-60" ;; esac

  replies=$(in_namespace ping -c 5 -W 1 -i 0.2 "$address" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
  if [ "$replies" == 5 ]; then pass "5 of 5 pings answered"; else fail "pings answered: '${replies}' of 5"; fi

  sent="echo through a Cairn unikernel $$"
  echoed=$(echo "$sent" | in_namespace timeout 5 socat -t 2 - "UDP:$address:7" || true)
  if [ "$echoed" == "$sent" ]; then pass "a UDP datagram to port 7 comes back"; else fail "UDP echo: got '$echoed'"; fi

  mac=$(ip -n "$namespace" neigh show "$address" dev tap0 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
  if [ -n "$mac" ] && grep -q "$mac $address " "$work/leases"; then pass "dnsmasq's lease file holds $mac $address"; else
    fail "lease file lacks '$mac $address': $(cat "$work/leases" 2>/dev/null)"; fi
else
  fail "udp-echo printed no address within 15 s: $(cat "$work/dhcp.out" "$work/dhcp.err")"
fi
stop_echo

# --- an offered address that is in use ----------------------------------------------------
# Every address dnsmasq (--no-ping) may offer is also on tap0, so the namespace's kernel answers
# the image's ARP probe for it: the image must decline it, and dnsmasq must take the DECLINE.
tap_mac=$(ip -n "$namespace" link show tap0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
for i in $(seq 50 60); do ip -n "$namespace" addr add "10.0.0.$i/32" dev tap0; done
setsid ip netns exec "$namespace" "$cairn" run "$image" --mem 8 --net:service0=tap0 >"$work/conflict.out" 2>"$work/conflict.err" &
pids+=($!)
declined=
for _ in $(seq 150); do
  declined=$(sed -n 's|^udp-echo: \([0-9.]*\) is in use by \([0-9a-f:]*\); declined it$|\1 \2|p' "$work/conflict.out")
  [ -n "$declined" ] && break
  sleep 0.1
done
if [ -n "$declined" ]; then
  read -r declined_address holder <<<"$declined"
  pass "udp-echo declined $declined_address, in use by $holder"
  expect_eq "the address is in use by tap0's MAC" "$holder" "$tap_mac"
  for _ in $(seq 20); do grep -q "DHCPDECLINE(tap0) $declined_address " "$work/dnsmasq.log" && break; sleep 0.1; done
  expect_contains "dnsmasq received the DECLINE" "$(grep DHCPDECLINE "$work/dnsmasq.log" || true)" \
    "DHCPDECLINE(tap0) $declined_address "
  if grep -q "via DHCP$" "$work/conflict.out"; then
    fail "it used an address before declining: $(cat "$work/conflict.out")"
  else
    pass "it never used the declined address"
  fi
else
  fail "udp-echo declined nothing within 15 s: $(cat "$work/conflict.out" "$work/conflict.err")"
fi
stop_echo
for i in $(seq 50 60); do ip -n "$namespace" addr del "10.0.0.$i/32" dev tap0; done

# --- a static address --------------------------------------------------------------------
if start_echo static --ipv4 10.0.0.2/24; then
  if grep -q "^udp-echo: 10.0.0.2/24 static$" "$work/static.out"; then pass "static address announced"; else
    fail "static line: $(cat "$work/static.out")"; fi
  replies=$(in_namespace ping -c 5 -W 1 -i 0.2 10.0.0.2 | sed -n 's/.* \([0-9]*\) received.*/\1/p')
  if [ "$replies" == 5 ]; then pass "5 of 5 pings to the static address answered"; else fail "pings answered: '${replies}' of 5"; fi
  # arping -D sends RFC 5227 probes (sender 0.0.0.0) and exits 1 when the address answers.
  probe=$(in_namespace arping -D -c 2 -w 3 -I tap0 10.0.0.2 || true)
  expect_contains "a Linux ARP probe for the static address is answered" "$probe" "Received 1 response"
  # Linux claims the address for itself (a gratuitous ARP from 10.0.0.2): the image defends it.
  ip -n "$namespace" addr add 10.0.0.2/32 dev tap0
  in_namespace arping -U -c 1 -w 1 -I tap0 -s 10.0.0.2 10.0.0.2 >/dev/null || true
  ip -n "$namespace" addr del 10.0.0.2/32 dev tap0
  for _ in $(seq 20); do grep -q "defended it$" "$work/static.out" && break; sleep 0.1; done
  expect_contains "a host claiming the static address is defended against" \
    "$(grep "is in use" "$work/static.out" || true)" "udp-echo: 10.0.0.2 is in use by $tap_mac; defended it"
else
  fail "udp-echo --ipv4 printed no address: $(cat "$work/static.out" "$work/static.err")"
fi
stop_echo

# --- the same image under Solo5's solo5-spt ----------------------------------------------
solo5_spt=$(cd "$(dirname "$0")/../../.." && pwd)/shared/peers/solo5/tenders/spt/solo5-spt
if [ -x "$solo5_spt" ]; then
  setsid ip netns exec "$namespace" "$solo5_spt" --mem=8 --net:service0=tap0 "$image" --ipv4 10.0.0.3/24 \
    >"$work/solo5.out" 2>"$work/solo5.err" &
  pids+=($!)
  for _ in $(seq 150); do grep -q "^udp-echo: 10.0.0.3/24 static$" "$work/solo5.out" && break; sleep 0.1; done
  if grep -q "^udp-echo: 10.0.0.3/24 static$" "$work/solo5.out"; then
    pass "udp-echo built by cairn build boots under solo5-spt"
    replies=$(in_namespace ping -c 5 -W 1 -i 0.2 10.0.0.3 | sed -n 's/.* \([0-9]*\) received.*/\1/p')
    if [ "$replies" == 5 ]; then pass "under solo5-spt, 5 of 5 pings answered"; else fail "under solo5-spt, pings answered: '${replies}' of 5"; fi
    sent="echo through solo5-spt $$"
    echoed=$(echo "$sent" | in_namespace timeout 5 socat -t 2 - "UDP:10.0.0.3:7" || true)
    if [ "$echoed" == "$sent" ]; then pass "under solo5-spt, a UDP datagram comes back"; else fail "under solo5-spt, UDP echo: got '$echoed'"; fi
  else
    fail "udp-echo under solo5-spt printed no address: $(cat "$work/solo5.out" "$work/solo5.err")"
  fi
  stop_echo
else
  echo "skipped: the solo5-spt part: $solo5_spt is missing"
fi

finish_checks
