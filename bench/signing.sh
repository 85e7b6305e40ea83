#!/usr/bin/env bash
# Signing benchmarks, side by side with the standard tools on the same files, as ratios:
#   1. verification of a detached OpenPGP signature over a 1 MiB file, whole process:
#      `cairn verify-signature` against `gpgv` (and the processes each one starts);
#   2. the same for a raw Ed25519 signature: `cairn verify-signature` against `openssl pkeyutl`;
#   3. in-process Ed25519 sign/verify operations per second and a reused OpenPGP verifier
#      (Google Benchmark, signing_bench).
# Usage: bench/signing.sh [BUILD_DIR]   (default build/; run ./bootstrap.sh demo first)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
build=${1:-build}
cairn=$(readlink -f "$build/bin/cairn")
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing (./bootstrap.sh installs it)" >&2; exit 1; }
[ -x "$cairn" ] || { echo "bench: $cairn not built (run ./bootstrap.sh demo)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-signing.XXXXXX")
export GNUPGHOME=$work/gnupg XDG_CACHE_HOME=$work/cache
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --homedir "$GNUPGHOME" --kill all; rm -rf "$work"' EXIT
cd "$work"

# ratio CSV: prints each command's mean and the first command's mean over the second's.
ratio() {
  awk -F, 'NR == 2 { a = $2; na = $1 } NR == 3 { b = $2; nb = $1 }
           END { printf "  %-60s %8.2f ms\n  %-60s %8.2f ms\n  ratio (first / second): %.2f\n",
                 na, a * 1000, nb, b * 1000, a / b }' "$1"
}
# processes COMMAND...: how many programs the command executes, itself included, and which.
processes() {
  if ! command -v strace >/dev/null; then
    printf 'strace is not installed'
    return
  fi
  strace -f -qq -s 256 -e trace=execve -o "$work/trace" "$@" >/dev/null 2>&1 || true
  grep -v ENOENT "$work/trace" | sed -n 's/.*execve("[^"]*", \["\([^"]*\)", "\([^"]*\)".*/\1 \2/p' |
    sed 's|^[^ ]*/||' | awk '{ list = list (NR > 1 ? ", " : "") $0 } END { printf "%d: %s", NR, list }'
}

gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'Bench <bench@example.org>' ed25519 sign 1d 2>/dev/null
gpg --armor --export bench@example.org >key.asc
gpg --export bench@example.org >key.gpg
head -c 1M /dev/urandom >data
gpg --batch --local-user bench@example.org --output data.sig --detach-sign data
"$cairn" key generate --ed25519 robot.key >/dev/null
"$cairn" sign --key robot.key data >/dev/null
# The first verification builds the private GnuPG home for key.asc; the benchmark measures reuse.
"$cairn" verify-signature --trust key.asc data data.sig >/dev/null

echo "== OpenPGP detached signature over 1 MiB, whole process (warm cache, private home already built)"
hyperfine -N --style basic --warmup 5 --runs 60 --export-csv "$work/openpgp.csv" \
  -n "cairn verify-signature --trust key.asc data data.sig" "$cairn verify-signature --trust key.asc data data.sig" \
  -n "gpgv --keyring key.gpg data.sig data" "gpgv --keyring $work/key.gpg data.sig data" \
  >/dev/null
ratio "$work/openpgp.csv"
echo "  programs run: cairn $(processes "$cairn" verify-signature --trust key.asc data data.sig)"
echo "                gpgv  $(processes gpgv --keyring "$work/key.gpg" data.sig data)"

echo "== where cairn's time goes (each part alone)"
fingerprint=$(gpg --with-colons --list-keys bench@example.org 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }')
home=$(dirname "$(grep -l "$fingerprint" "$XDG_CACHE_HOME"/cairn/gnupg/*/cairn-pinned-keys.json)")
hyperfine -N --style basic --warmup 5 --runs 40 --export-csv "$work/parts.csv" \
  -n "cairn --version (process start)" "$cairn --version" \
  -n "gpg --version (GPGME runs it twice)" "gpg --version" \
  -n "gpg --verify in cairn's private home" "gpg --homedir $home --batch --verify data.sig data" \
  >/dev/null
awk -F, 'NR > 1 { printf "  %-60s %8.2f ms\n", $1, $2 * 1000 }' "$work/parts.csv"

echo "== Ed25519 signature over 1 MiB, whole process"
hyperfine -N --style basic --warmup 5 --runs 60 --export-csv "$work/ed25519.csv" \
  -n "cairn verify-signature --trust robot.key.pub" "$cairn verify-signature --trust robot.key.pub data data.ed25519.sig" \
  -n "openssl pkeyutl -verify -rawin" \
  "openssl pkeyutl -verify -rawin -pubin -inkey robot.key.pub -in data -sigfile data.ed25519.sig" \
  >/dev/null
ratio "$work/ed25519.csv"

echo "== in-process (signing_bench)"
cd - >/dev/null
"$build/bench/signing_bench" 2>/dev/null | grep -E '^BM_' || true
