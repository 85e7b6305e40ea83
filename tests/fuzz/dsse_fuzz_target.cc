// The fuzz target of DSSE envelopes (host_fuzz_targets.h), verified against one pinned Ed25519
// key made from a fixed seed.
//
// Ed25519 signatures are deterministic and OpenSSL accepts only the one canonical encoding, so the
// pinned key has exactly one valid signature over an envelope's PAE bytes, which the target
// computes. dsse::verify must succeed exactly when the envelope carries those bytes under no key
// id or under the pinned key's id (in any spelling normalize_keyid accepts): the fuzzer cannot
// forge, so any other success is a hole. Accepting a payload type that is listed never changes
// the verdict, and one that is not listed always refuses. An envelope written with
// serialize_envelope reads back as the same envelope, and is written the same again.
//
// The seeds in corpus/dsse/ are signed with this key; tests/fuzz/make_host_corpus.py makes its
// PEM file from the same seed.
#include "cairn/core/canonical_json.h"
#include "cairn/signing/dsse.h"
#include "cairn/signing/ed25519.h"
#include "cairn/signing/trusted_keys.h"
#include "host_fuzz_support.h"
#include "host_fuzz_targets.h"

#include <algorithm>
#include <string>
#include <vector>

namespace cairn::fuzz {

namespace {

using namespace cairn::signing;  // NOLINT: the target drives envelopes, keys and verification

constexpr std::string_view pinned_key_seed = "cairn-fuzz-dsse-pinned-key-seed!";
static_assert(pinned_key_seed.size() == 32);

struct PinnedKey {
  Ed25519PrivateKey key;
  TrustedKeys trusted;
};

const PinnedKey& pinned_key() {
  static const PinnedKey pinned = [] {
    Result<Ed25519PrivateKey> key = Ed25519PrivateKey::from_seed(pinned_key_seed);
    if (!key) broken("cannot make the pinned key", key.error().message());
    Result<TrustedKeys> trusted = TrustedKeys::from_files({{"pinned.pub", key->public_key().raw()}});
    if (!trusted) broken("cannot pin the key", trusted.error().message());
    return PinnedKey{std::move(key).value(), std::move(trusted).value()};
  }();
  return pinned;
}

// Whether a signature entry's key id lets a verifier try the pinned key on it.
bool names_pinned_key_or_none(const std::string& keyid) {
  if (keyid.empty()) return true;
  Result<std::string> normalized = normalize_keyid(keyid);
  return normalized.ok() && *normalized == pinned_key().key.keyid();
}

bool same_envelope(const dsse::Envelope& a, const dsse::Envelope& b) {
  if (a.payload_type != b.payload_type || a.payload != b.payload || a.signatures.size() != b.signatures.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.signatures.size(); ++i) {
    if (a.signatures[i].keyid != b.signatures[i].keyid || a.signatures[i].sig != b.signatures[i].sig) return false;
  }
  return true;
}

void check_verification(const dsse::Envelope& envelope) {
  const PinnedKey& pinned = pinned_key();
  Result<Signature> expected = pinned.key.sign(dsse::pae(envelope.payload_type, envelope.payload));
  if (!expected) broken("the pinned key cannot sign", expected.error().message());
  bool carries_pinned_signature = std::any_of(envelope.signatures.begin(), envelope.signatures.end(), [&](auto& entry) {
    return entry.sig == expected->bytes && names_pinned_key_or_none(entry.keyid);
  });

  Result<ThresholdReport> verified = dsse::verify(envelope, pinned.trusted, 1);
  if (verified && !carries_pinned_signature) broken("an envelope verifies without the pinned key's signature");
  if (!verified && carries_pinned_signature) {
    broken("an envelope with the pinned key's signature does not verify", verified.error().message());
  }
  if (verified) {
    require(verified->signers.size() == 1 && verified->signers.front().keyid == pinned.key.keyid(),
            "a verified envelope names other signers than the pinned key");
  }

  const std::string listed[] = {envelope.payload_type};
  require(dsse::verify(envelope, pinned.trusted, 1, listed).ok() == verified.ok(),
          "accepting the envelope's own payload type changes the verdict");
  const std::string unlisted[] = {envelope.payload_type + "-other"};
  require(!dsse::verify(envelope, pinned.trusted, 1, unlisted).ok(), "an envelope of an unaccepted type verifies");
}

void check_rewrite(const dsse::Envelope& envelope) {
  Result<std::string> written = dsse::serialize_envelope(envelope);
  if (!written) broken("an accepted envelope cannot be written", written.error().message());
  require(parse_canonical_json(*written).ok(), "a written envelope is not canonical JSON");
  Result<dsse::Envelope> reread = dsse::parse_envelope(*written);
  if (!reread) broken("a written envelope does not parse", reread.error().message());
  require(same_envelope(*reread, envelope), "a written envelope reads back as another envelope");
  require(reread->ignored_fields.empty(), "a written envelope has fields Cairn does not keep");
  Result<std::string> again = dsse::serialize_envelope(*reread);
  require(again.ok() && *again == *written, "a written envelope is written differently the second time");
}

bool check_dsse(std::string_view text) {
  Result<dsse::Envelope> envelope = dsse::parse_envelope(text);
  if (!envelope) return false;
  check_verification(*envelope);
  check_rewrite(*envelope);
  return true;
}

}  // namespace

int fuzz_dsse(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_dsse(as_text(data, size)));
}

}  // namespace cairn::fuzz
