#!/usr/bin/env bash
# examples/http-static against nginx (Debian's nginx-light) serving the same files, each behind the
# same kind of link: a client namespace with a veth whose other end is, for Cairn, bridged to the
# image's tap (veth -> bridge -> tap -> cairn run), and for nginx, in nginx's own namespace
# (veth -> veth). Both serve a site of a 4 KiB file and a 64 MiB file:
#   - requests/s and p99 latency for the 4 KiB file: wrk -c 64 -t 2 -d WRK_SECONDS (default 10);
#   - throughput of the 64 MiB file with curl, best of CURL_RUNS (default 3);
#   - the image's size with an empty site, and its heap's peak after the load.
# With ethtool, nginx is measured again with the veth's offloads (TSO, GSO, GRO, checksums) off.
# Every load is bounded in time; the namespaces are deleted on exit. Needs root, /dev/net/tun, ip,
# wrk, curl, nginx, python3.
# Usage: bench/http.sh [BUILD_DIR]   (default build; after ./bootstrap.sh demo or a build)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
source_dir=$PWD
build=$(readlink -f "${1:-build}")
wrk_seconds=${WRK_SECONDS:-10}
curl_runs=${CURL_RUNS:-3}
cairn=$build/bin/cairn
for tool in ip wrk curl python3; do command -v $tool >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }; done
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "bench: nginx is missing (apt-get install nginx-light)" >&2; exit 1; }
[ -x "$cairn" ] || { echo "bench: $cairn not built" >&2; exit 1; }

image_ns=cairn-bench-http-i-$$ nginx_ns=cairn-bench-http-n-$$ client_ns=cairn-bench-http-c-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-http-bench.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "$image_ns" "$nginx_ns" "$client_ns"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
for ns in "$image_ns" "$nginx_ns" "$client_ns"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
on() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# The client reaches the image at 10.0.0.2 through veth-i and the nginx at 10.1.0.2 through veth-n.
ip -n "$image_ns" link add br0 type bridge
ip -n "$image_ns" tuntap add dev tap0 mode tap
ip -n "$image_ns" link add veth-i type veth peer name veth-ci netns "$client_ns"
ip -n "$image_ns" link set tap0 master br0
ip -n "$image_ns" link set veth-i master br0
for link in br0 tap0 veth-i; do ip -n "$image_ns" link set "$link" up; done
ip -n "$client_ns" addr add 10.0.0.1/24 dev veth-ci
ip -n "$client_ns" link set veth-ci up
ip -n "$nginx_ns" link add veth-n type veth peer name veth-cn netns "$client_ns"
ip -n "$nginx_ns" addr add 10.1.0.2/24 dev veth-n
ip -n "$client_ns" addr add 10.1.0.1/24 dev veth-cn
ip -n "$nginx_ns" link set veth-n up
ip -n "$client_ns" link set veth-cn up

# The site: 4 KiB and 64 MiB of seeded random bytes (gzip would not shrink them).
app=$work/app
cp -r "$source_dir/examples/http-static" "$app"
rm -rf "$app/_build" "$app/site"
mkdir -p "$app/site"
python3 -c "import random, sys; r = random.Random(4); sys.stdout.buffer.write(r.randbytes(4096))" >"$app/site/4k.bin"
python3 -c "import random, sys; r = random.Random(64); sys.stdout.buffer.write(r.randbytes(64 << 20))" >"$app/site/64m.bin"
build_image() {
  env XDG_STATE_HOME="$build/cairn-state" XDG_CACHE_HOME="$build/cairn-cache" \
    "$cairn" build "$1" --manifest "$build/dev-manifest" --sources "$source_dir" >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; exit 1; }
}
build_image "$app"
image=$app/_build/http-static/http-static.spt
empty=$work/empty
cp -r "$app" "$empty"
rm -rf "$empty/_build" "$empty/site"/*
printf 'x' >"$empty/site/x"  # one byte: the image without a site, give or take a table entry
build_image "$empty"
empty_size=$(stat -c %s "$empty/_build/http-static/http-static.spt")

setsid ip netns exec "$image_ns" "$cairn" run "$image" --mem 256 --net:service0=tap0 -- --ipv4 10.0.0.2/24 \
  >"$work/image.out" 2>&1 &
pids+=($!)
cat >"$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  types { application/octet-stream bin; }
  server { listen 10.1.0.2:80; root $app/site; }
  client_body_temp_path $work/nginx-tmp; proxy_temp_path $work/nginx-tmp; fastcgi_temp_path $work/nginx-tmp;
  uwsgi_temp_path $work/nginx-tmp; scgi_temp_path $work/nginx-tmp;
}
EOF
mkdir -p "$work/nginx-tmp"
chmod -R a+rX "$work"  # nginx's workers run as nobody
setsid ip netns exec "$nginx_ns" "$nginx" -c "$work/nginx.conf" -g 'daemon off;' >"$work/nginx.out" 2>&1 &
pids+=($!)
for url in http://10.0.0.2/4k.bin http://10.1.0.2/4k.bin; do
  for _ in $(seq 100); do on "$client_ns" curl -s -o /dev/null --max-time 1 "$url" && break; sleep 0.1; done
done

# wrk_run URL: "<requests/s> <p99 ms> <errors>"
wrk_run() {
  on "$client_ns" wrk -c 64 -t 2 -d "${wrk_seconds}s" --latency "$1" >"$work/wrk.out" 2>&1 || true
  python3 - "$work/wrk.out" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s*([\d.]+)", text).group(1))
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
errors += int(re.search(r"Non-2xx or 3xx responses: (\d+)", text).group(1)) if "Non-2xx" in text else 0
print(f"{rps:.0f} {p99_ms:.2f} {errors}")
EOF
}
# curl_best URL: the best throughput of curl_runs downloads, MiB/s
curl_best() {
  local best=0
  for _ in $(seq "$curl_runs"); do
    local speed
    speed=$(on "$client_ns" curl -s -o /dev/null --max-time 120 -w '%{speed_download}' "$1")
    best=$(python3 -c "print(max($best, $speed / 1048576))")
  done
  printf '%.1f' "$best"
}

read -r cairn_rps cairn_p99 cairn_errors < <(wrk_run http://10.0.0.2/4k.bin)
read -r nginx_rps nginx_p99 nginx_errors < <(wrk_run http://10.1.0.2/4k.bin)
cairn_mib=$(curl_best http://10.0.0.2/64m.bin)
nginx_mib=$(curl_best http://10.1.0.2/64m.bin)
# nginx again with the veth's offloads off (no TSO/GSO/GRO, checksums in software), so that it
# too moves 1500-byte frames one at a time, as the tap path does.
if command -v ethtool >/dev/null; then
  on "$nginx_ns" ethtool -K veth-n tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
  on "$client_ns" ethtool -K veth-cn tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
  read -r plain_rps plain_p99 plain_errors < <(wrk_run http://10.1.0.2/4k.bin)
  plain_mib=$(curl_best http://10.1.0.2/64m.bin)
fi
heap=$(sed -n 's/^http-static: heap peak \([0-9]*\) bytes.*/\1/p' "$work/image.out" | tail -1)
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

echo "| measurement | cairn (veth→bridge→tap→image) | nginx (veth→veth) | ratio |"
echo "|---|---|---|---|"
echo "| 4 KiB file, wrk -c 64 -t 2 -d ${wrk_seconds}s: requests/s | $cairn_rps | $nginx_rps | **$(ratio "$cairn_rps" "$nginx_rps")** |"
echo "| 4 KiB file: p99 latency | $cairn_p99 ms | $nginx_p99 ms | $(ratio "$cairn_p99" "$nginx_p99") |"
echo "| errors during the wrk runs | $cairn_errors | $nginx_errors | |"
echo "| 64 MiB file with curl, best of $curl_runs | $cairn_mib MiB/s | $nginx_mib MiB/s | **$(ratio "$cairn_mib" "$nginx_mib")** |"
if [ -n "${plain_mib:-}" ]; then
  echo "| 4 KiB, against nginx with the veth's offloads off: requests/s | $cairn_rps | $plain_rps ($plain_errors errors) | $(ratio "$cairn_rps" "$plain_rps") |"
  echo "| 64 MiB, against nginx with the veth's offloads off | $cairn_mib MiB/s | $plain_mib MiB/s | $(ratio "$cairn_mib" "$plain_mib") |"
fi
echo "| http-static image without its site | $empty_size bytes | | goal ≤ 131072 |"
echo "| image heap peak after the load | ${heap:-?} bytes | | |"
