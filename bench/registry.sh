#!/usr/bin/env bash
# Cairn's registry against Debian's docker-registry (CNCF distribution 2.8) and nginx serving the
# same files, on loopback, in one run (issue 12's benchmark):
#   4k        wrk -t2 -c64: GETs of a 4 KiB blob, requests/s and p99 latency
#   manifest  wrk -t2 -c64: GETs of a manifest by tag (nginx: the same bytes at the same path)
#   64m       curl: a 64 MiB blob pulled to /dev/null, MB/s (median of PULL_RUNS rounds, each round
#             one pull from every server in turn, so that drift in the machine hits all alike)
# and the registry's peak resident memory (VmHWM) after all of it. The three servers hold the same
# blobs (pushed to both registries through the API; laid out for nginx at the same URL paths).
# Each server gets the same 2 cores as wrk and curl; nginx runs 2 workers, Cairn 4 request threads
# (its default), docker-registry as Go schedules it. Ratios are Cairn / peer.
# Usage: bench/registry.sh [BUILD_DIR]   (default: build; needs build/bin/cairn)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
build=${1:-build}
cairn=$(readlink -f "$build/bin/cairn")
duration=${WRK_SECONDS:-10}
pull_runs=${PULL_RUNS:-9}
for tool in wrk nginx docker-registry curl python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (./bootstrap.sh installs it)" >&2; exit 1; }
done
[ -x "$cairn" ] || { echo "bench: $cairn not built" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-registry-bench.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
  for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "bench: nothing answers at $1" >&2
  exit 1
}

# The payloads: 4 KiB and 64 MiB of random bytes, a config, and a manifest naming them.
head -c 4096 /dev/urandom >"$work/small"
head -c $((64 << 20)) /dev/urandom >"$work/large"
printf '{}' >"$work/config"
digest() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
small=$(digest "$work/small") large=$(digest "$work/large") config=$(digest "$work/config")
python3 - "$work" "$small" "$large" "$config" <<'PY'
import json, os, sys
work, small, large, config = sys.argv[1:]
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/vnd.cairn.unikernel.v1",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2},
            "layers": [{"mediaType": "application/octet-stream", "digest": small, "size": 4096},
                       {"mediaType": "application/octet-stream", "digest": large,
                        "size": os.path.getsize(os.path.join(work, "large"))}]}
open(os.path.join(work, "manifest"), "w").write(json.dumps(manifest, separators=(",", ":")))
PY

# push URL TOKEN: the three blobs and the manifest as bench:v1 (monolithic POST, then PUT as
# docker-registry wants it: a POST with ?digest= there only opens a session).
push() {
  local url=$1 auth=() location
  [ -n "${2:-}" ] && auth=(-H "Authorization: Bearer $2")
  for blob in small large config; do
    location=$(curl -fsS "${auth[@]}" -X POST -D - -o /dev/null "$url/v2/bench/blobs/uploads/" |
      sed -n 's/^[Ll]ocation: \(.*\)\r$/\1/p')
    case $location in http*) ;; *) location=$url$location ;; esac
    case $location in *\?*) location="$location&" ;; *) location="$location?" ;; esac
    curl -fsS "${auth[@]}" -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$work/$blob" \
      "${location}digest=$(digest "$work/$blob")" -o /dev/null
  done
  curl -fsS "${auth[@]}" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$work/manifest" "$url/v2/bench/manifests/v1" -o /dev/null
}

# Cairn.
"$cairn" key generate --ed25519 "$work/log.key" >/dev/null
cairn_port=$(free_port)
"$cairn" registry serve --root "$work/cairn" --listen "127.0.0.1:$cairn_port" --origin bench/log \
  --log-key "$work/log.key" >"$work/cairn.out" 2>&1 &
cairn_pid=$!
pids+=("$cairn_pid")
wait_for "http://127.0.0.1:$cairn_port/v2/"
token=$("$cairn" registry token add --root "$work/cairn" --push bench 2>/dev/null)
push "http://127.0.0.1:$cairn_port" "$token"

# docker-registry.
docker_port=$(free_port)
cat >"$work/docker.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/docker}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$docker_port}
EOF
docker-registry serve "$work/docker.yml" >"$work/docker.out" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$docker_port/v2/"
push "http://127.0.0.1:$docker_port"

# nginx: the same bytes at the same paths.
nginx_port=$(free_port)
mkdir -p "$work/www/v2/bench/blobs" "$work/www/v2/bench/manifests" "$work/nginx"
chmod 755 "$work"  # nginx workers run as nobody
for blob in small large config; do cp "$work/$blob" "$work/www/v2/bench/blobs/$(digest "$work/$blob")"; done
cp "$work/manifest" "$work/www/v2/bench/manifests/v1"
cat >"$work/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  types { application/vnd.oci.image.manifest.v1+json v1; }
  default_type application/octet-stream;
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
EOF
nginx -c "$work/nginx.conf" -p "$work/nginx" &
pids+=($!)
wait_for "http://127.0.0.1:$nginx_port/v2/bench/manifests/v1"

# Every server must give the same bytes before it is timed.
for port in "$cairn_port" "$docker_port" "$nginx_port"; do
  for blob in small large; do
    curl -fsS "http://127.0.0.1:$port/v2/bench/blobs/$(digest "$work/$blob")" | cmp -s - "$work/$blob" ||
      { echo "bench: port $port serves other bytes for $blob" >&2; exit 1; }
  done
  curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$port/v2/bench/manifests/v1" |
    cmp -s - "$work/manifest" || { echo "bench: port $port serves another manifest" >&2; exit 1; }
done

# wrk_run NAME URL: requests/s and p99 (ms) into results.
declare -A rps p99
wrk_run() {
  local out
  out=$(wrk -t2 -c64 -d"${duration}s" --latency -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$2")
  local errors
  errors=$(echo "$out" | sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p')
  [ -z "$errors" ] || { echo "bench: $1: $errors error responses" >&2; exit 1; }
  rps[$1]=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99[$1]=$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
}
declare -A mbps speeds
median_mbps() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]/1e6}'; }

for server in cairn docker nginx; do
  port_var=${server}_port
  url="http://127.0.0.1:${!port_var}/v2/bench"
  wrk_run "$server-4k" "$url/blobs/$small"
  wrk_run "$server-manifest" "$url/manifests/v1"
done
for _ in $(seq "$pull_runs"); do
  for server in cairn docker nginx; do
    port_var=${server}_port
    speeds[$server]+=" $(curl -fsS -o /dev/null -w '%{speed_download}' \
      "http://127.0.0.1:${!port_var}/v2/bench/blobs/$large")"
  done
done
for server in cairn docker nginx; do mbps[$server-64m]=$(echo "${speeds[$server]}" | median_mbps); done
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$cairn_pid/status")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
printf '\n%-22s %12s %12s %12s %10s %10s\n' "" "cairn" "docker-reg" "nginx" "/docker" "/nginx"
for test in 4k manifest; do
  printf '%-22s %12s %12s %12s %10s %10s\n' "$test GET req/s" "${rps[cairn-$test]}" "${rps[docker-$test]}" \
    "${rps[nginx-$test]}" "$(ratio "${rps[cairn-$test]}" "${rps[docker-$test]}")" \
    "$(ratio "${rps[cairn-$test]}" "${rps[nginx-$test]}")"
  printf '%-22s %12s %12s %12s\n' "$test GET p99 ms" "${p99[cairn-$test]}" "${p99[docker-$test]}" "${p99[nginx-$test]}"
done
printf '%-22s %12s %12s %12s %10s %10s\n' "64 MiB pull MB/s" "${mbps[cairn-64m]}" "${mbps[docker-64m]}" \
  "${mbps[nginx-64m]}" "$(ratio "${mbps[cairn-64m]}" "${mbps[docker-64m]}")" \
  "$(ratio "${mbps[cairn-64m]}" "${mbps[nginx-64m]}")"
printf '%-22s %12s\n' "cairn peak RSS MiB" "$(awk -v k="$rss_kib" 'BEGIN {printf "%.1f", k / 1024}')"
