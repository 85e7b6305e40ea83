#!/usr/bin/env bash
# examples/http-static end to end, with Linux as the peer. Two network namespaces this test makes
# (and deletes on exit): the server side holds the image's tap and a bridge, the client side curl
# and wrk, joined by a veth pair so that `tc netem` can delay, drop and reorder what the image
# sends. Checks:
#   - every file of the site comes back byte for byte ("/" and "/about/" serve their index.html);
#   - HEAD, Range (206 and 416), If-None-Match (304), --compressed (gzip, Vary), 404 and 405;
#   - keep-alive (one connection for several requests), pipelining, a malformed request (400 and
#     the connection closed), one console line per request;
#   - wrk -c 64 for 10 s without an error;
#   - a 64 MiB file (an image built here with it) intact under 1 % loss and reordering, with
#     fewer retransmission timeouts than segments lost (SACK and fast retransmit at work).
# Skips (exit 77, "skipped: <why>") without root, /dev/net/tun, ip, tc, curl or wrk.
# Usage: http_static_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
# shellcheck source=../support/checks.sh
source "$(dirname "$0")/../support/checks.sh"

build=$(readlink -f "$1")
source_dir=$(readlink -f "$2")
cairn=$build/bin/cairn
image=$build/images/http-static.spt
site=$source_dir/examples/http-static/site

skip() { echo "skipped: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces and taps need CAP_NET_ADMIN)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
command -v ip >/dev/null || skip "no ip (iproute2)"
command -v tc >/dev/null || skip "no tc (iproute2)"
command -v curl >/dev/null || skip "no curl"
command -v wrk >/dev/null || skip "no wrk"
[ -f "$image" ] || { echo "no image $image" >&2; exit 1; }

server=cairn-http-s-$$
client=cairn-http-c-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-http-static-test.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$server" 2>/dev/null || true
  ip netns del "$client" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$server" || skip "cannot create a network namespace"
ip netns add "$client"
on_server() { ip netns exec "$server" "$@"; }
on_client() { ip netns exec "$client" "$@"; }

ip -n "$server" link set lo up
ip -n "$client" link set lo up
ip -n "$server" link add br0 type bridge || skip "no bridge support in this kernel"
ip -n "$server" tuntap add dev tap0 mode tap
ip -n "$server" link add veth-s type veth peer name veth-c netns "$client"
ip -n "$server" link set tap0 master br0
ip -n "$server" link set veth-s master br0
for link in br0 tap0 veth-s; do ip -n "$server" link set "$link" up; done
ip -n "$client" addr add 10.0.0.1/24 dev veth-c
ip -n "$client" link set veth-c up

address=10.0.0.2
url=http://$address

# boot IMAGE NAME [--mem M]: runs the image on tap0 with a static address; waits for its line.
boot() {
  local image=$1 name=$2 mem=${3:-64}
  setsid ip netns exec "$server" "$cairn" run "$image" --mem "$mem" --net:service0=tap0 -- \
    --ipv4 "$address/24" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q "^http-static: $address/24 static$" "$work/$name.out" && break
    sleep 0.1
  done
  grep -q "^http-static: $address/24 static$" "$work/$name.out" ||
    { cat "$work/$name.out" "$work/$name.err" >&2; fail "$name did not come up"; exit 1; }
}
stop() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

boot "$image" site
sed -n '1p' "$work/site.out"
for _ in $(seq 50); do on_client ping -c 1 -W 1 "$address" >/dev/null 2>&1 && break; sleep 0.1; done

# ---- every file, byte for byte --------------------------------------------------------------
files=0
while IFS= read -r -d '' file; do
  path=${file#"$site"}
  on_client curl -sS --fail -o "$work/got" "$url$path" || { fail "GET $path"; continue; }
  cmp -s "$work/got" "$file" || fail "GET $path: the bytes differ"
  files=$((files + 1))
done < <(find "$site" -type f -print0)
[ "$files" -gt 0 ] && pass "every file of the site came back intact ($files files)"
on_client curl -sS -o "$work/root" "$url/" && cmp -s "$work/root" "$site/index.html" && pass "/ serves index.html" ||
  fail "/ does not serve index.html"
on_client curl -sS -o "$work/about" "$url/about/" && cmp -s "$work/about" "$site/about/index.html" &&
  pass "/about/ serves about/index.html" || fail "/about/ does not serve about/index.html"

# ---- what HTTP says -------------------------------------------------------------------------
head_out=$(on_client curl -sS -I "$url/index.html" | tr -d '\r')
size=$(stat -c %s "$site/index.html")
grep -qx "Content-Length: $size" <<<"$head_out" && grep -qx "Content-Type: text/html; charset=utf-8" <<<"$head_out" &&
  pass "HEAD gives the length and type" || fail "HEAD: $head_out"
etag=$(sed -n 's/^ETag: //p' <<<"$head_out")
expected_etag="\"$(sha256sum "$site/index.html" | cut -d' ' -f1)\""
expect_eq "the ETag is the file's SHA-256" "$etag" "$expected_etag"

on_client curl -sS -D "$work/range.h" -o "$work/range" -r 10-19 "$url/index.html"
[ "$(tr -d '\r' <"$work/range.h" | head -1)" = "HTTP/1.1 206 Partial Content" ] &&
  cmp -s "$work/range" <(tail -c +11 "$site/index.html" | head -c 10) &&
  grep -q "^Content-Range: bytes 10-19/$size" "$work/range.h" && pass "a range gives 206 and those bytes" ||
  fail "range: $(cat "$work/range.h")"
expect_eq "an unsatisfiable range gives 416" \
  "$(on_client curl -s -o /dev/null -w '%{http_code}' -r 999999- "$url/index.html")" "416"
expect_eq "If-None-Match with the ETag gives 304" \
  "$(on_client curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url/index.html")" "304"
on_client curl -sS --compressed -D "$work/gzip.h" -o "$work/gzip" "$url/index.html"
grep -qi "^Content-Encoding: gzip" "$work/gzip.h" && grep -qi "^Vary: Accept-Encoding" "$work/gzip.h" &&
  cmp -s "$work/gzip" "$site/index.html" && pass "--compressed gets gzip, and it inflates to the file" ||
  fail "gzip: $(cat "$work/gzip.h")"
expect_eq "a missing file gives 404" "$(on_client curl -s -o /dev/null -w '%{http_code}' "$url/nothing-here")" "404"
expect_eq "POST gives 405" "$(on_client curl -s -o /dev/null -w '%{http_code}' -d x "$url/index.html")" "405"

# Keep-alive: curl reuses one connection for several URLs.
connects=$(on_client curl -sS -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects}\n' \
  "$url/index.html" "$url/robots.txt" "$url/css/site.css" | awk '{ sum += $1 } END { print sum }')
expect_eq "three requests over one kept-alive connection" "$connects" "1"

# Pipelining: two requests in one write, two responses in order.
printf 'GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /robots.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
  on_client timeout 5 bash -c "exec 3<>/dev/tcp/$address/80; cat >&3; cat <&3" >"$work/pipelined" || true
expect_eq "two pipelined requests get two answers" "$(grep -c '^HTTP/1.1 200' "$work/pipelined")" "2"

# A malformed request: 400, and the connection closes.
printf 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n' |
  on_client timeout 5 bash -c "exec 3<>/dev/tcp/$address/80; cat >&3; cat <&3" >"$work/bad" || true
expect_eq "a malformed request gets 400" "$(head -1 "$work/bad" | tr -d '\r')" "HTTP/1.1 400 Bad Request"

grep -q "^http-static: 10.0.0.1 GET /index.html 200 $size$" "$work/site.out" &&
  pass "one console line per request" || fail "no log line for GET /index.html"

# ---- load -----------------------------------------------------------------------------------
on_client wrk -c 64 -t 2 -d 10s "$url/index.html" >"$work/wrk" 2>&1 || true
requests=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$work/wrk")
if [ -n "$requests" ] && [ "$requests" -gt 0 ] && ! grep -q "Socket errors\|Non-2xx" "$work/wrk"; then
  pass "wrk -c 64 for 10 s: $requests requests, no error ($(sed -n 's/^Requests\/sec: *//p' "$work/wrk") req/s)"
else
  fail "wrk: $(cat "$work/wrk")"
fi
on_client curl -sS -o /dev/null -w '%{http_code}' "$url/robots.txt" | grep -q 200 && pass "still serving after the load" ||
  fail "not serving after the load"
stop

# ---- 64 MiB through loss and reordering -----------------------------------------------------
big=$work/big
cp -r "$build/examples/http-static" "$big"
rm -rf "$big/_build"
python3 -c "import random, sys; r = random.Random(14); sys.stdout.buffer.write(r.randbytes(64 << 20))" >"$big/site/big.bin"
env XDG_STATE_HOME="$build/cairn-state" XDG_CACHE_HOME="$build/cairn-cache" \
  "$cairn" build "$big" --manifest "$build/dev-manifest" --sources "$source_dir" >"$work/big-build" 2>&1 ||
  { cat "$work/big-build" >&2; fail "building the 64 MiB image"; exit 1; }
boot "$big/_build/http-static/http-static.spt" big 256
# This machine's kernel may lack sch_netem (tc says "qdisc kind is unknown"): a user-space link
# (lossy_link.py) then replaces the bridge, dropping 1 % of the frames each way and holding 5 %
# back behind the next one.
on_server ip link set tap0 nomaster
on_server ip link set veth-s nomaster
if on_server tc qdisc add dev veth-s root netem delay 1ms loss 1% reorder 5% 50% 2>/dev/null; then
  on_server ip link set tap0 master br0
  on_server ip link set veth-s master br0
  on_client tc qdisc add dev veth-c root netem delay 1ms loss 1%
  link=netem
else
  setsid ip netns exec "$server" python3 "$(dirname "$0")/lossy_link.py" tap0 veth-s --loss 0.01 --reorder 0.05 \
    --seed 14 --counts "$work/link.counts" >"$work/link.out" 2>&1 &
  link_pid=$!
  pids+=($link_pid)
  for _ in $(seq 50); do grep -q ready "$work/link.out" && break; sleep 0.1; done
  link=lossy_link.py
fi
start=$(date +%s%N)
on_client curl -sS --max-time 120 -o "$work/big.bin" "$url/big.bin" || fail "GET /big.bin under loss"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
sleep 0.5  # the connection's end, and its statistics line
if [ "$link" = netem ]; then
  lost=$(on_server tc -s qdisc show dev veth-s | sed -n 's/.*dropped \([0-9]*\).*/\1/p' | head -1)
else
  kill "$link_pid" 2>/dev/null || true
  for _ in $(seq 50); do [ -s "$work/link.counts" ] && break; sleep 0.1; done
  lost=$(cut -d' ' -f1 "$work/link.counts")
fi
if cmp -s "$work/big.bin" "$big/site/big.bin"; then
  pass "64 MiB intact under 1 % loss and reordering by $link ($((64 * 1000 / (elapsed_ms + 1))) MiB/s, $lost of the image's frames lost)"
else
  fail "64 MiB: the bytes differ"
fi
stats=$(grep "^http-static: tcp " "$work/big.out" | tail -1 || true)
timeouts=$(sed -n 's/.* \([0-9]*\) timeouts.*/\1/p' <<<"$stats")
if [ -n "$timeouts" ] && [ "$timeouts" -lt "$lost" ]; then
  pass "fewer retransmission timeouts ($timeouts) than segments lost ($lost): $stats"
else
  fail "timeouts ${timeouts:-?} not below segments lost ${lost:-?} ($stats)"
fi
stop
finish_checks
