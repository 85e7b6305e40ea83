// Signatures in Cairn: the two signature methods, the signature record that manifests and
// envelopes carry, and the Signer / Verifier interfaces that OpenPGP (GPGME) and Ed25519
// (OpenSSL) implement.
//
// Key ids have one spelling each:
//   - an OpenPGP key is named by its primary key's fingerprint: 40 upper-case hex digits, as gpg
//     prints it ("6B0E7CB9F6B94EB75850093C7B05F0BEB546E404"); signatures by any of its subkeys
//     count as signatures by the primary key;
//   - an Ed25519 key is named "sha256:<lower-case hex of SHA-256 of its 32 raw public bytes>".
#pragma once

#include "cairn/core/json_reader.h"
#include "cairn/core/result.h"
#include "cairn/signing/passphrase.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::signing {

enum class SignatureMethod { openpgp, ed25519 };

// "openpgp" or "ed25519", the names used in {"method": ...}.
std::string_view to_string(SignatureMethod method);
// The method named `name`. Any other name is refused (code refused), never skipped:
// "unknown signature method 'x509' (expected openpgp or ed25519)".
Result<SignatureMethod> parse_signature_method(std::string_view name);

// The one spelling of a key id typed by a person: an OpenPGP fingerprint loses spaces and a "0x"
// prefix and becomes upper case; "sha256:<hex>" must already be lower case. Short OpenPGP key ids
// (8 or 16 hex digits) are refused: they are easy to collide.
Result<std::string> normalize_keyid(std::string_view text);

// One signature as Cairn stores it: {"keyid": ..., "method": ..., "sig": base64} in the
// "signatures" list beside a signed object.
struct Signature {
  std::string keyid;  // the key the signer claims; empty when the container has none (a bare .sig)
  SignatureMethod method = SignatureMethod::ed25519;
  std::string bytes;  // OpenPGP: one binary detached signature; Ed25519: the 64 signature bytes
};

// {"keyid": ..., "method": ..., "sig": "<standard base64>"}.
Json to_json(const Signature& signature);
// Parses one signature object. A missing field, a field of the wrong type, a "sig" that is not
// base64 (code malformed) or an unknown method (code refused) fails the whole object.
Result<Signature> signature_from_json(const JsonReader& value);
// Parses a "signatures" array; an error names the entry ("\"signatures[2].method\": ...").
Result<std::vector<Signature>> signatures_from_json(const JsonReader& value);

// A signature that verified: the pinned key that made it (the primary key for OpenPGP).
struct VerifiedSignature {
  std::string keyid;
  SignatureMethod method = SignatureMethod::ed25519;
  friend bool operator==(const VerifiedSignature&, const VerifiedSignature&) = default;
};

// The verdict on one signature. `failure` is empty for a good signature by the pinned key
// `keyid`; otherwise it says why the signature does not count, naming the key
// ("7F3A…: key revoked"), and `keyid` is the key it names or appears to come from (may be empty).
struct SignatureCheck {
  std::string keyid;
  SignatureMethod method = SignatureMethod::ed25519;
  std::optional<Error> failure;

  bool good() const { return !failure.has_value(); }
};

// Makes signatures with one private key. A Signer is used by one thread at a time.
class Signer {
 public:
  virtual ~Signer() = default;
  virtual SignatureMethod method() const = 0;
  // The key id that its signatures verify as (see the top of this file).
  virtual const std::string& keyid() const = 0;
  // A signature over exactly `data`, with keyid() and method() filled in.
  virtual Result<Signature> sign(std::string_view data) const = 0;
};

// Checks signatures of one method against the keys pinned in it, and nothing else.
class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual SignatureMethod method() const = 0;
  // The ids of the pinned keys, sorted.
  virtual std::vector<std::string> keyids() const = 0;
  // Checks `signature` over `data`: one SignatureCheck for each signature it holds (an OpenPGP
  // detached signature may hold several), or one failed check when it holds none that parse.
  virtual std::vector<SignatureCheck> check(std::string_view data, const Signature& signature) const = 0;

  // Succeeds only when `signature` holds exactly one signature and it is good; otherwise the
  // error says why (malformed for garbage, refused for a signature that does not count).
  Result<VerifiedSignature> verify(std::string_view data, const Signature& signature) const;
};

// Turns checks into a single result: the one good signature, or the first failure.
Result<VerifiedSignature> single_verified_signature(std::vector<SignatureCheck> checks);

// Opens the private key `id` for signing: a path to an Ed25519 private key file if a file exists
// there (an encrypted one takes its passphrase from `passphrase`), otherwise an OpenPGP key in the
// user's GnuPG home (`gnupg_home`, or gpg's default: $GNUPGHOME or ~/.gnupg) given by fingerprint
// or by a user id that matches exactly one secret key (gpg-agent asks for its passphrase).
Result<std::unique_ptr<Signer>> open_signer(std::string_view id, const std::filesystem::path& gnupg_home = {},
                                            const PassphraseSource& passphrase = {});

}  // namespace cairn::signing
