#!/usr/bin/env bash
# `cairn key`, `cairn sign` and `cairn verify-signature` end to end, side by side with gpg, gpgv and
# openssl: each side verifies what the other signed, and bad input fails with a one-line cause.
# Everything happens in a temporary GnuPG home and cache; the user's keyring is never touched.
# Usage: cli_signing_test.sh PATH/TO/cairn
set -euo pipefail
# shellcheck source=../support/checks.sh
source "$(dirname "$0")/../support/checks.sh"

cairn=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cli-signing.XXXXXX")
export GNUPGHOME=$work/gnupg XDG_CACHE_HOME=$work/cache
mkdir -m 700 "$GNUPGHOME"
cleanup() {
  gpgconf --homedir "$GNUPGHOME" --kill all 2>/dev/null || true
  [ -d "$work/other-gnupg" ] && gpgconf --homedir "$work/other-gnupg" --kill all 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# expect_failure WHAT PART COMMAND...: the command exits 1 and its stderr contains PART.
expect_failure() {
  local what=$1 part=$2
  shift 2
  local message status
  set +e
  message=$("$@" 2>&1 >/dev/null)
  status=$?
  set -e
  expect_eq "$what exits 1" "$status" "1"
  expect_contains "$what says why" "$message" "$part"
}
gpg_batch() { gpg --batch --yes --no-tty --pinentry-mode loopback --passphrase '' "$@"; }

cd "$work"
head -c 100000 /dev/urandom >data

# --- keys -----------------------------------------------------------------------------------
line=$("$cairn" key generate --openpgp "Alice <alice@example.org>" --no-passphrase)
alice=$(echo "$line" | awk '{print $2}')
expect_eq "OpenPGP key generated (40 hex digits)" "${#alice}" "40"
expect_contains "key list shows it" "$("$cairn" key list)" "$alice  Alice <alice@example.org>"
"$cairn" key export "$alice" >alice.asc
expect_contains "key export is an armored public key" "$(head -1 alice.asc)" "BEGIN PGP PUBLIC KEY BLOCK"
gpg --dearmor <alice.asc >alice.gpg

line=$("$cairn" key generate --ed25519 robot.key)
robot=$(echo "$line" | awk '{print $2}')
expect_contains "Ed25519 key id" "$robot" "sha256:"
expect_eq "private key mode" "$(stat -c %a robot.key)" "600"
expect_eq "public key mode" "$(stat -c %a robot.key.pub)" "644"
expect_contains "key list FILE names the key" "$("$cairn" key list robot.key.pub)" "$robot"
expect_eq "key export of an Ed25519 key file is its public PEM" "$("$cairn" key export robot.key)" "$(cat robot.key.pub)"
expect_failure "generating over an existing key" "robot.key already exists" "$cairn" key generate --ed25519 robot.key

# --- OpenPGP, both directions ---------------------------------------------------------------
"$cairn" sign --key "$alice" data >/dev/null
if gpgv --keyring "$work/alice.gpg" data.sig data 2>/dev/null; then pass "gpgv verifies cairn's signature"; else
  fail "gpgv rejects cairn's signature"; fi
mkdir -m 700 other-gnupg
gpg --homedir other-gnupg --batch --import alice.asc 2>/dev/null
if gpg --homedir other-gnupg --batch --verify data.sig data 2>/dev/null; then
  pass "gpg --verify verifies cairn's signature"
else
  fail "gpg --verify rejects cairn's signature"
fi
expect_contains "cairn verifies its own signature" "$("$cairn" verify-signature --trust alice.asc data data.sig)" \
  "good: 1 of 1 required key signed data"
gpg_batch --local-user "$alice" --output gpg.sig --detach-sign data
expect_contains "cairn verifies gpg --detach-sign" "$("$cairn" verify-signature --trust alice.gpg data gpg.sig)" "$alice"
gpg_batch --local-user "$alice" --armor --output gpg.asc --detach-sign data
expect_contains "cairn verifies an armored signature" "$("$cairn" verify-signature --trust alice.asc data gpg.asc)" \
  "$alice"

# Four processes that need the same private home at once: one builds it, all use it.
pids=()
for i in 1 2 3 4; do
  XDG_CACHE_HOME=$work/race-cache "$cairn" verify-signature --trust alice.asc data data.sig >"race.$i" 2>&1 &
  pids+=($!)
done
raced=0
for pid in "${pids[@]}"; do wait "$pid" && raced=$((raced + 1)); done
expect_eq "concurrent verifications all succeed" "$raced" "4"
expect_eq "and share one private home" "$(ls -A "$work/race-cache/cairn/gnupg" | wc -l)" "1"

# --- Ed25519, both directions ---------------------------------------------------------------
"$cairn" sign --key robot.key data >/dev/null
expect_eq "Ed25519 signature is 64 raw bytes" "$(stat -c %s data.ed25519.sig)" "64"
if openssl pkeyutl -verify -rawin -pubin -inkey robot.key.pub -in data -sigfile data.ed25519.sig >/dev/null; then
  pass "openssl pkeyutl verifies cairn's Ed25519 signature"
else
  fail "openssl pkeyutl rejects cairn's Ed25519 signature"
fi
openssl pkeyutl -sign -rawin -inkey robot.key -in data -out openssl.ed25519.sig
expect_eq "cairn and openssl make the same (deterministic) signature" "$(cmp -s openssl.ed25519.sig data.ed25519.sig && echo same)" "same"
expect_contains "cairn verifies openssl's signature" \
  "$("$cairn" verify-signature --trust robot.key.pub data openssl.ed25519.sig)" "$robot (ed25519)"

# A raw signature is 64 arbitrary bytes; one that begins with '{' is still a signature, not a
# DSSE envelope. RFC 8032's first test key signs this message with a leading 0x7b.
cat >rfc8032.key <<'PEM'
-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----
PEM
chmod 600 rfc8032.key
openssl pkey -in rfc8032.key -pubout -out rfc8032.key.pub
printf 'signed payload 15\n' >brace
"$cairn" sign --key rfc8032.key brace >/dev/null
expect_eq "this signature begins with '{'" "$(head -c 1 brace.ed25519.sig)" "{"
expect_contains "a raw signature that begins with '{' verifies" \
  "$("$cairn" verify-signature --trust rfc8032.key.pub brace brace.ed25519.sig)" "good: 1 of 1"
cp brace.ed25519.sig brace.sig
expect_contains "and is taken for a raw Ed25519 signature under any name" \
  "$("$cairn" verify-signature --trust rfc8032.key.pub brace brace.sig)" "brace.sig: a raw Ed25519 signature"

# Signature files are recognised by content, whatever their names, and the output says how.
openssl pkeyutl -sign -rawin -inkey robot.key -in data -out openssl-any-name.bin
expect_contains "64 raw bytes from openssl under any name verify as Ed25519" \
  "$("$cairn" verify-signature --trust robot.key.pub data openssl-any-name.bin)" \
  "openssl-any-name.bin: a raw Ed25519 signature"
cp data.sig gpg-any-name.bin
expect_contains "a binary OpenPGP signature under any name verifies as OpenPGP" \
  "$("$cairn" verify-signature --trust alice.asc data gpg-any-name.bin)" "gpg-any-name.bin: an OpenPGP signature"
# (Fixed bytes, not openssl's signature above: without an Ed25519 key pinned, 64 bytes that begin
# like an OpenPGP packet or a '{' are taken for those, and a random signature sometimes does.)
head -c 64 /dev/zero | tr '\0' 'x' >raw-64.bin
expect_failure "64 raw bytes with only an OpenPGP key pinned" \
  "raw-64.bin (a raw Ed25519 signature): " \
  "$cairn" verify-signature --trust alice.asc data raw-64.bin

# --- thresholds and DSSE ---------------------------------------------------------------------
expect_contains "two detached signatures meet a threshold of two" \
  "$("$cairn" verify-signature --trust alice.asc --trust robot.key.pub --threshold 2 data data.sig data.ed25519.sig)" \
  "good: 2 of 2 required keys signed"
expect_failure "one key twice does not meet a threshold of two" "threshold not met: 1 of 2" \
  "$cairn" verify-signature --trust alice.asc,robot.key.pub --threshold 2 data data.sig gpg.sig
"$cairn" sign --key "$alice" --key robot.key --dsse --payload-type application/vnd.in-toto+json data >/dev/null
expect_contains "DSSE envelope signed by both keys" \
  "$("$cairn" verify-signature --trust alice.asc,robot.key.pub --threshold 2 \
    --payload-type application/vnd.in-toto+json data data.dsse.json)" "good: 2 of 2"
json=$("$cairn" --json verify-signature --trust alice.asc,robot.key.pub --threshold 2 data data.dsse.json)
expect_contains "--json lists the signers" "$json" "\"keyid\":\"$robot\""
expect_failure "DSSE with another payload type" "payload type 'application/vnd.in-toto+json' is not accepted" \
  "$cairn" verify-signature --trust alice.asc --payload-type application/x-other data data.dsse.json
sed 's/"payloadType":"application\/vnd.in-toto+json"/"payloadType":"application\/x-other"/' data.dsse.json >changed.json
expect_failure "DSSE with a changed payloadType" "bad signature" \
  "$cairn" verify-signature --trust alice.asc,robot.key.pub data changed.json
printf 'other payload' >other
expect_failure "DSSE over another file" "payload is not the content of other" \
  "$cairn" verify-signature --trust alice.asc other data.dsse.json

# --- co-signing one DSSE envelope, one key after another -----------------------------------------
# Alice signs on her machine; the robot adds its signature to the envelope she wrote.
in_toto=application/vnd.in-toto+json
"$cairn" sign --key "$alice" --dsse --payload-type "$in_toto" -o cosigned.json data >/dev/null
expect_failure "Alice's signature alone does not meet a threshold of two" "threshold not met: 1 of 2 required keys" \
  "$cairn" verify-signature --trust alice.asc,robot.key.pub --threshold 2 data cosigned.json
payload_before=$(grep -o '"payload":"[^"]*","payloadType":"[^"]*"' cosigned.json)
alice_before=$(grep -o "{\"keyid\":\"$alice\",\"sig\":\"[^\"]*\"}" cosigned.json)
expect_contains "--append says what it wrote" \
  "$("$cairn" sign --key robot.key --dsse --append cosigned.json data)" "wrote cosigned.json (2 signatures)"
expect_eq "--append keeps the payload and its type" \
  "$(grep -o '"payload":"[^"]*","payloadType":"[^"]*"' cosigned.json)" "$payload_before"
expect_contains "--append keeps Alice's signature as it was, first" "$(grep -o '"signatures":.*' cosigned.json)" \
  "\"signatures\":[$alice_before,{\"keyid\":\"$robot\""
expect_contains "the co-signed envelope meets a threshold of two" \
  "$("$cairn" verify-signature --trust alice.asc,robot.key.pub --threshold 2 --payload-type "$in_toto" \
    data cosigned.json)" "good: 2 of 2 required keys signed data"
expect_eq "it verifies as the envelope both keys signed at once" \
  "$("$cairn" verify-signature --trust alice.asc,robot.key.pub --threshold 2 data cosigned.json | sed 1,2d)" \
  "$("$cairn" verify-signature --trust alice.asc,robot.key.pub --threshold 2 data data.dsse.json | sed 1,2d)"
# Only Alice's OpenPGP signature differs (it records when it was made); Ed25519 is deterministic.
without_alice() { sed "s/{\"keyid\":\"$alice\",\"sig\":\"[^\"]*\"}/ALICE/" "$1"; }
expect_eq "and is byte for byte that envelope, apart from Alice's signature" \
  "$(cmp <(without_alice cosigned.json) <(without_alice data.dsse.json) && echo same)" "same"

# Each refusal names the envelope and the reason, and leaves the envelope as it was.
cp cosigned.json cosigned.before
printf '{"payload":"' >broken.json
expect_failure "--append to a malformed envelope" "broken.json: envelope: " \
  "$cairn" sign --key robot.key --dsse --append broken.json data
printf '{"payload":"aGk=","payloadType":"t"}' >unsigned.json
expect_failure "--append to an envelope without a signature list" \
  "unsigned.json: envelope: \"signatures\": missing" \
  "$cairn" sign --key robot.key --dsse --append unsigned.json data
expect_failure "--append over another file (--append implies --dsse)" \
  "cosigned.json: the envelope's payload is not the content of other" \
  "$cairn" sign --key robot.key --append cosigned.json -o other.dsse.json other
expect_eq "a refused --append writes nothing" "$(test -e other.dsse.json && echo written || echo nothing)" "nothing"
expect_failure "--append with another --payload-type" \
  "cosigned.json: the envelope's payload type is '$in_toto', not 'application/x-other'" \
  "$cairn" sign --key robot.key --dsse --payload-type application/x-other --append cosigned.json data
expect_failure "--append by a key that already signed" "cosigned.json: key $alice has already signed this envelope" \
  "$cairn" sign --key "$alice" --dsse --append cosigned.json data
expect_failure "one key given twice" "key $robot is given twice" \
  "$cairn" sign --key robot.key --key robot.key --dsse --payload-type "$in_toto" -o twice.json data
sed 's/^{/{"x-origin":"ci",/' cosigned.json >extended.json
expect_failure "--append to an envelope with a field Cairn would drop" \
  "extended.json: the envelope has a field Cairn does not keep (\"x-origin\"); rewriting it would drop it" \
  "$cairn" sign --key "$alice" --dsse --append extended.json data
expect_eq "refused appends leave the envelope unchanged" "$(cmp -s cosigned.json cosigned.before && echo same)" "same"

# --- encrypted Ed25519 key files --------------------------------------------------------------
printf 'correct horse battery\n' >passphrase
printf 'wrong horse\n' >wrong-passphrase
line=$("$cairn" key generate --ed25519 sealed.key --encrypt --passphrase-file passphrase)
sealed=$(echo "$line" | awk '{print $2}')
expect_contains "an encrypted key file is encrypted PKCS#8" "$(head -1 sealed.key)" "BEGIN ENCRYPTED PRIVATE KEY"
if openssl pkey -in sealed.key -passin file:passphrase -noout 2>/dev/null; then
  pass "openssl opens cairn's encrypted key with the passphrase"
else
  fail "openssl cannot open cairn's encrypted key"
fi
"$cairn" sign --key sealed.key --passphrase-file passphrase data >/dev/null
if openssl pkeyutl -verify -rawin -pubin -inkey sealed.key.pub -in data -sigfile data.ed25519.sig >/dev/null; then
  pass "a signature by the encrypted key verifies with openssl"
else
  fail "openssl rejects the encrypted key's signature"
fi
expect_contains "key list with the passphrase names the key" \
  "$("$cairn" key list --passphrase-file passphrase sealed.key)" "$sealed"
expect_failure "a wrong passphrase" "sealed.key: wrong passphrase, or the key file is damaged" \
  "$cairn" sign --key sealed.key --passphrase-file wrong-passphrase data
expect_failure "an encrypted key and no terminal" \
  "sealed.key is encrypted and there is no terminal to ask for its passphrase on: give --passphrase-file FILE" \
  setsid "$cairn" sign --key sealed.key data
set +e
message=$("$cairn" key generate --ed25519 other.key --passphrase-file passphrase 2>&1)
status=$?
set -e
expect_eq "--passphrase-file without --encrypt is a usage error" "$status" "2"
expect_contains "--passphrase-file without --encrypt says why" "$message" "--passphrase-file requires --encrypt"
openssl genpkey -algorithm ed25519 -aes-256-cbc -pass file:passphrase -out openssl-sealed.key 2>/dev/null
chmod 600 openssl-sealed.key
openssl pkey -in openssl-sealed.key -passin file:passphrase -pubout -out openssl-sealed.pub
"$cairn" sign --key openssl-sealed.key --passphrase-file passphrase -o openssl-sealed.ed25519.sig data >/dev/null
expect_contains "cairn signs with a key openssl encrypted" \
  "$("$cairn" verify-signature --trust openssl-sealed.pub data openssl-sealed.ed25519.sig 2>&1 || true)" "good: 1 of 1"

# --- bad input ------------------------------------------------------------------------------
printf 'garbage' >garbage.sig
expect_failure "garbage signature" "garbage.sig: not a signature: neither a DSSE envelope, an OpenPGP signature nor" \
  "$cairn" verify-signature --trust alice.asc data garbage.sig
head -c 40 data.sig >truncated.sig
expect_failure "truncated signature" "truncated or damaged" "$cairn" verify-signature --trust alice.asc data truncated.sig
head -c 63 data.ed25519.sig >truncated.ed25519.sig
expect_failure "truncated Ed25519 signature" "truncated.ed25519.sig: not a signature: " \
  "$cairn" verify-signature --trust robot.key.pub data truncated.ed25519.sig
printf 'x' >>data
expect_failure "signature over other bytes" "cairn: refused: data.sig (an OpenPGP signature): $alice: bad signature" \
  "$cairn" verify-signature --trust alice.asc data data.sig
expect_failure "unpinned key" "unknown key" "$cairn" verify-signature --trust robot.key.pub data gpg.sig
chmod 644 robot.key
expect_failure "private key readable by others" "robot.key is readable by others (mode 0644); chmod 600 it" \
  "$cairn" sign --key robot.key data
expect_failure "pinning a private key" "a private key; pin its public key" \
  "$cairn" verify-signature --trust robot.key data data.ed25519.sig
expect_failure "no such signing key" "no OpenPGP secret key matches 'nobody@example.org'" \
  "$cairn" sign --key nobody@example.org data

finish_checks
