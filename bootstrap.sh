#!/usr/bin/env bash
# Sets up a Debian 12 machine for Cairn, builds it, and runs either the main job end to end
# (`demo`) or the whole test suite (`test`). Safe to run again: it installs only what is missing.
#
#   ./bootstrap.sh demo   # install, build into build/, run the end-to-end demo
#   ./bootstrap.sh test   # install, build, run every test through ctest (and again under ASan+UBSan)
#
# Environment: CAIRN_SKIP_SANITIZERS=1 skips the ASan+UBSan pass of `test` (for quick local loops).
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")"
root=$(pwd)

# Debian packages the build, the tests and the benchmarks need. Recommends are never installed:
# some of these would pull hundreds of packages.
packages=(
  build-essential cmake ninja-build pkg-config g++ clang libclang-rt-14-dev
  libssl-dev libarchive-dev zlib1g-dev libcurl4-openssl-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libgpgme-dev gnupg gpgv
  libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev libmicrohttpd-dev curl
  hyperfine
  libseccomp-dev bats iproute2 iputils-ping iputils-arping
  bubblewrap faketime reprotest disorderfs diffoscope-minimal
  dnsmasq-base socat python3
  docker-registry skopeo python3-cryptography nginx-light wrk
  in-toto python3-jsonschema
  libhttp-parser-dev python3-scapy ethtool
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_packages() {
  local missing=()
  for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
      missing+=("$package")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  log "installing ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# build DIR [cmake options...]: configure (once) and build.
build() {
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
  fi
  cmake --build "$dir" -j "$(nproc)"
}

run_tests() {
  local dir=$1
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
}

run_demo() {
  local cairn=$root/build/bin/cairn
  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-demo.XXXXXX")
  trap "rm -rf '$work'" EXIT

  log "cairn --version"
  "$cairn" --version

  log "the tree digest of core/ does not depend on where or when it was copied"
  cp -r core "$work/copy-a"
  sleep 1
  (umask 077 && mkdir -p "$work/elsewhere" && cp -r core "$work/elsewhere/copy-b")
  "$cairn" hash tree core
  "$cairn" hash tree "$work/copy-a"
  "$cairn" hash tree "$work/elsewhere/copy-b"

  log "two archives of those copies are the same bytes"
  env -u SOURCE_DATE_EPOCH "$cairn" archive create "$work/copy-a" "$work/a.tar.gz"
  SOURCE_DATE_EPOCH=0 "$cairn" archive create "$work/elsewhere/copy-b" "$work/b.tar.gz"
  cmp "$work/a.tar.gz" "$work/b.tar.gz" && echo "identical: $(stat -c %s "$work/a.tar.gz") bytes"

  log "extraction gives back the same tree"
  "$cairn" archive extract "$work/a.tar.gz" "$work/unpacked"

  log "a hostile archive (a symlink out of the destination) is refused and leaves nothing"
  mkdir "$work/evil" && ln -s /etc "$work/evil/escape"
  tar -C "$work/evil" -czf "$work/evil.tar.gz" escape
  if "$cairn" archive extract "$work/evil.tar.gz" "$work/evil-out"; then
    echo "demo: the hostile archive was accepted" >&2
    exit 1
  fi
  test ! -e "$work/evil-out" && echo "nothing was written to $work/evil-out"

  log "sign the archive with a fresh Ed25519 key and verify it against that pinned key only"
  "$cairn" key generate --ed25519 "$work/robot.key"
  "$cairn" sign --key "$work/robot.key" "$work/a.tar.gz"
  "$cairn" verify-signature --trust "$work/robot.key.pub" "$work/a.tar.gz" "$work/a.tar.gz.ed25519.sig"

  log "and with an OpenPGP key (a throw-away GnuPG home), verified by gpgv too"
  export GNUPGHOME=$work/gnupg XDG_CACHE_HOME=$work/cache
  mkdir -m 700 "$GNUPGHOME"
  "$cairn" key generate --openpgp "Cairn Demo <demo@example.org>" --no-passphrase
  fingerprint=$("$cairn" --json key list | sed -n 's/.*"keyid":"\([0-9A-F]\{40\}\)".*/\1/p' | head -1)
  "$cairn" key export "$fingerprint" -o "$work/demo.asc"
  "$cairn" sign --key "$fingerprint" "$work/a.tar.gz"
  "$cairn" verify-signature --trust "$work/demo.asc" "$work/a.tar.gz" "$work/a.tar.gz.sig"
  gpg --batch --quiet --dearmor <"$work/demo.asc" >"$work/demo.gpg"
  gpgv --keyring "$work/demo.gpg" "$work/a.tar.gz.sig" "$work/a.tar.gz"
  gpgconf --kill all

  log "a signed library manifest of this checkout's libraries, verified in TUF order, and a lock"
  export XDG_STATE_HOME=$work/state
  "$cairn" manifest dev --repo "$work/manifest" --checkout "$root" | tail -1
  "$cairn" manifest verify "$work/manifest" --root "$work/manifest/root.json" | head -4
  cp -r "$root/examples/udp-echo" "$work/udp-echo"
  "$cairn" lock "$work/udp-echo" --manifest "$work/manifest" --sources "$root" | tail -1
  "$cairn" lock "$work/udp-echo" --manifest "$work/manifest" --sources "$root" --locked

  log "cairn build: hello from the signed manifest, in the sandbox, with its provenance"
  cp -r "$root/examples/hello" "$work/hello"
  "$cairn" build "$work/hello" --manifest "$work/manifest" --sources "$root"
  "$cairn" image inspect "$work/hello/_build/hello/hello.spt"
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print("provenance:", s["predicateType"], "for",
    s["subject"][0]["name"], s["subject"][0]["digest"]["sha256"][:16] + "…,",
    len(s["predicate"]["buildDefinition"]["resolvedDependencies"]), "resolved dependencies")' \
    "$work/hello/_build/hello/provenance.json"

  log "the same image again: another copy of the checkout, another user, a cold cache, --locked"
  local other=$work/other-user builder_user=nobody
  mkdir -p "$other"
  cp -r "$root/kernel" "$root/protocols" "$other/"
  cp -r "$work/hello" "$other/hello" && rm -rf "$other/hello/_build"
  if [ "$(id -u)" -eq 0 ] && id "$builder_user" >/dev/null 2>&1; then
    chmod 755 "$work" && chown -R "$builder_user" "$other"
    runuser -u "$builder_user" -- env -i PATH=/usr/bin:/bin HOME="$other" XDG_CACHE_HOME="$other/cache" \
      "$cairn" build "$other/hello" --locked --sources "$other"
  else
    echo "(not root: the second build runs as $(id -un) with a cold cache)"
    XDG_CACHE_HOME=$other/cache "$cairn" build "$other/hello" --locked --sources "$other"
  fi
  sha256sum "$work/hello/_build/hello/hello.spt" "$other/hello/_build/hello/hello.spt"
  cmp "$work/hello/_build/hello/hello.spt" "$other/hello/_build/hello/hello.spt" && echo "identical: bit for bit"

  log "publish it to Cairn's embedded registry: packed as an OCI artifact, signed, in the transparency log"
  "$cairn" key generate --ed25519 "$work/log.key" >/dev/null
  "$cairn" registry serve --root "$work/registry" --listen 127.0.0.1:0 --origin demo.cairn.dev/log \
    --log-key "$work/log.key" --manifest-repo "$work/manifest" >"$work/registry.out" 2>&1 &
  registry_pid=$!
  trap "kill $registry_pid 2>/dev/null || true; rm -rf '$work'" EXIT
  local registry=
  for _ in $(seq 100); do
    registry=$(sed -n 's|^cairn registry: listening on \(http://.*\)$|\1|p' "$work/registry.out")
    [ -n "$registry" ] && break
    sleep 0.1
  done
  [ -n "$registry" ] || { cat "$work/registry.out" >&2; echo "demo: the registry did not start" >&2; exit 1; }
  "$cairn" registry token add --root "$work/registry" --push demo >"$work/push.token"
  "$cairn" publish "$work/hello/_build/hello" "$registry/demo/hello:1.0" --key "$work/robot.key" \
    --token-file "$work/push.token"
  python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); print("log.json: entry", l["index"], "of the log,",
    len(l["inclusion_proof"]), "proof hashes, checkpoint", l["checkpoint"].split("\n")[1], "leaves")' \
    "$work/hello/_build/hello/log.json"
  log "the other user's build publishes to the very same manifest digest"
  "$cairn" publish "$other/hello/_build/hello" "$registry/demo/hello:1.0-other" --key "$work/robot.key" \
    --token-file "$work/push.token" --no-log
  for tag in 1.0 1.0-other; do
    curl -fsS -o /dev/null -D - -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
      "$registry/v2/demo/hello/manifests/$tag" | tr -d '\r' | sed -n "s/^Docker-Content-Digest: /$tag: /p"
  done
  log "pull it back: every blob checked against its digest"
  "$cairn" pull "$registry/demo/hello:1.0" "$work/pulled"
  cmp "$work/pulled/hello.spt" "$work/hello/_build/hello/hello.spt" && echo "pulled image: identical"
  if command -v skopeo >/dev/null; then
    log "skopeo (not Cairn) reads the artifact from Cairn's registry"
    skopeo inspect --raw --tls-verify=false "docker://${registry#http://}/demo/hello:1.0" |
      python3 -c 'import json,sys; m=json.load(sys.stdin); print(m["artifactType"], "with",
        len(m["layers"]), "layers:", ", ".join(l.get("annotations", {}).get("org.opencontainers.image.title", "?")
        for l in m["layers"]))'
  fi

  log "cairn verify, as a consumer: a policy pins the publisher's key, the manifest's root and the log's key"
  curl -fsS "$registry/log/vkey" >"$work/log.vkey"
  cat >"$work/policy.json" <<JSON
{"_type": "cairn-verify-policy", "version": 1, "images": [
  {"match": "127.0.0.1:*/demo/*",
   "signers": {"keys": ["robot.key.pub"], "threshold": 1},
   "manifest": {"root": "manifest/root.json", "development": true},
   "log": {"vkey_file": "log.vkey"}}]}
JSON
  "$cairn" verify "$registry/demo/hello:1.0" --policy "$work/policy.json"
  log "the same image under a policy that refuses development manifests (as production should)"
  sed 's/"development": true/"development": false/' "$work/policy.json" >"$work/strict.json"
  if "$cairn" verify "$registry/demo/hello:1.0" --policy "$work/strict.json"; then
    echo "demo: a development-manifest build passed a strict policy" >&2
    exit 1
  fi
  log "cairn rebuild: the same bytes from the published artifact alone; a rebuilder attests it"
  "$cairn" key generate --ed25519 "$work/rebuilder.key" >/dev/null
  "$cairn" rebuild "$registry/demo/hello:1.0" --policy "$work/policy.json" --attest --key "$work/rebuilder.key" \
    --token-file "$work/push.token" --link-dir "$work"
  log "verify again, now asking for one independent rebuild"
  python3 - "$work/policy.json" "$work/rebuilt.json" <<'PY'
import json, sys
policy = json.load(open(sys.argv[1]))
policy["images"][0]["rebuilds"] = {"threshold": 1, "keys": ["rebuilder.key.pub"]}
json.dump(policy, open(sys.argv[2], "w"))
PY
  "$cairn" verify "$registry/demo/hello:1.0" --policy "$work/rebuilt.json" | grep -E "rebuilds|accepted|refused"
  kill "$registry_pid"
  wait "$registry_pid" 2>/dev/null || true

  log "boot it with cairn run (memory from the image's own note)"
  "$cairn" run "$work/hello/_build/hello/hello.spt" -- from the demo

  log "udp-echo, built from its lock"
  "$cairn" build "$work/udp-echo" --locked --sources "$root"
  log "http-static: a web site baked into an image (each file's bytes, type, SHA-256 ETag and gzip form)"
  cp -r "$root/examples/http-static" "$work/http-static"
  "$cairn" build "$work/http-static" --manifest "$work/manifest" --sources "$root"

  log "udp-echo then http-static on a tap in a private network namespace: DHCP leases, ping, UDP echo, HTTP"
  local status=0
  demo_network "$work" || status=$?
  if [ "$status" -eq 1 ]; then echo "(skipped: $network_skip)"; elif [ "$status" -ne 0 ]; then exit 1; fi

  log "demo finished"
}

# Boots udp-echo behind a tap in a network namespace of its own, with dnsmasq serving DHCP there;
# pings it and sends it a datagram. Returns 1 with $network_skip set when the machine cannot.
demo_network() {
  local work=$1 namespace=cairn-demo-$$ address='' pids=()
  network_skip=
  [ "$(id -u)" -eq 0 ] || network_skip="not root"
  [ -c /dev/net/tun ] || network_skip="no /dev/net/tun"
  [ -z "$network_skip" ] && ! ip netns add "$namespace" 2>/dev/null && network_skip="cannot create a namespace"
  [ -z "$network_skip" ] || return 1
  ip -n "$namespace" link set lo up
  ip -n "$namespace" tuntap add dev tap0 mode tap
  ip -n "$namespace" addr add 10.0.0.1/24 dev tap0
  ip -n "$namespace" link set tap0 up
  setsid ip netns exec "$namespace" /usr/sbin/dnsmasq --no-daemon --port=0 --interface=tap0 --bind-interfaces \
    --dhcp-range=10.0.0.50,10.0.0.60,1h --dhcp-leasefile="$work/leases" --conf-file=/dev/null >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do [ -n "$(ip netns exec "$namespace" ss -Hlun 'sport = :67')" ] && break; sleep 0.1; done
  setsid ip netns exec "$namespace" "$root/build/bin/cairn" run "$work/udp-echo/_build/udp-echo/udp-echo.spt" \
    --net:service0=tap0 >"$work/udp-echo.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 150); do
    address=$(sed -n 's|^udp-echo: \([0-9.]*\)/[0-9]* via DHCP$|\1|p' "$work/udp-echo.out")
    [ -n "$address" ] && break
    sleep 0.1
  done
  cat "$work/udp-echo.out"
  if [ -n "$address" ]; then
    ip netns exec "$namespace" ping -c 3 -i 0.2 "$address" | tail -2
    echo "hello, unikernel" | ip netns exec "$namespace" timeout 5 socat -t 1 - "UDP:$address:7" | sed 's/^/echoed: /'
  fi
  kill -- "-${pids[1]}" 2>/dev/null || true
  wait "${pids[1]}" 2>/dev/null || true

  # http-static on the same tap: a lease, then a page and its headers with curl.
  local web=''
  setsid ip netns exec "$namespace" "$root/build/bin/cairn" run "$work/http-static/_build/http-static/http-static.spt" \
    --net:service0=tap0 >"$work/http-static.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 150); do
    web=$(sed -n 's|^http-static: \([0-9.]*\)/[0-9]* via DHCP$|\1|p' "$work/http-static.out")
    [ -n "$web" ] && break
    sleep 0.1
  done
  if [ -n "$web" ]; then
    ip netns exec "$namespace" curl -sS --compressed -D - -o "$work/index.html" "http://$web/" | tr -d '\r' |
      grep -E '^(HTTP|Content-Type|Content-Encoding|ETag)'
    grep -o '<title>.*</title>' "$work/index.html"
    ip netns exec "$namespace" curl -sS -o /dev/null -w 'If-None-Match with that ETag: %{http_code}\n' \
      -H "If-None-Match: \"$(sha256sum "$work/http-static/site/index.html" | cut -d' ' -f1)\"" "http://$web/"
  fi
  cat "$work/http-static.out"
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$namespace"
  [ -n "$address" ] || { echo "demo: udp-echo got no address" >&2; return 2; }
  [ -n "$web" ] || { echo "demo: http-static got no address" >&2; return 2; }
}

main() {
  local verb=${1:-}
  case $verb in
    demo)
      install_packages
      build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
      run_demo
      ;;
    test)
      install_packages
      build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
      if [ "${CAIRN_SKIP_SANITIZERS:-0}" != 1 ]; then
        # The second pass doubles as the clang build: g++ builds build/, clang builds build-asan/.
        log "ASan+UBSan build with clang"
        CC=clang CXX=clang++ build build-asan -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON -DCAIRN_BUILD_BENCH=OFF
        log "tests under ASan+UBSan (clang)"
        run_tests build-asan
      fi
      log "tests (g++)"
      run_tests build
      ;;
    *)
      echo "usage: $0 demo|test" >&2
      exit 2
      ;;
  esac
}

main "$@"
