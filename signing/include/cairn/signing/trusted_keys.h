// TrustedKeys: the set of keys a caller pins, from public key files, and the one place that
// decides whether a signature was made by one of them.
//
// A key file may hold an OpenPGP public key (armored or binary, possibly several keys) or an
// Ed25519 public key (PEM SubjectPublicKeyInfo or 32 raw bytes). Nothing else counts: not the
// user's keyring, not its web of trust, not a key id a signature claims.
#pragma once

#include "cairn/core/result.h"
#include "cairn/signing/ed25519.h"
#include "cairn/signing/openpgp.h"
#include "cairn/signing/signer.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::signing {

struct TrustedKeysOptions {
  // Where the private GnuPG homes for pinned OpenPGP keys are kept; empty: the default
  // (see default_gnupg_cache_directory()).
  std::filesystem::path gnupg_cache_directory;
};

class TrustedKeys {
 public:
  // Pins the keys in `files`. Errors name the file: unreadable, not a public key
  // ("a private key: pin the .pub file"), or a key type Cairn does not use.
  static Result<TrustedKeys> load(std::span<const std::filesystem::path> files, const TrustedKeysOptions& options = {});
  // The same from contents already in memory.
  static Result<TrustedKeys> from_files(const std::vector<PinnedKeyFile>& files,
                                        const TrustedKeysOptions& options = {});

  // The number of distinct pinned keys (an OpenPGP key with its subkeys is one).
  std::size_t size() const;
  // Their ids, sorted.
  std::vector<std::string> keyids() const;
  // The method of the pinned key `keyid`; nullopt if no pinned key has that id.
  std::optional<SignatureMethod> method_of(std::string_view keyid) const;

  // Checks `signature` over `data` with the verifier for its method (see Verifier::check).
  std::vector<SignatureCheck> check(std::string_view data, const Signature& signature) const;
  // Exactly one good signature by a pinned key, or why not.
  Result<VerifiedSignature> verify(std::string_view data, const Signature& signature) const;

 private:
  TrustedKeys() = default;

  Ed25519Verifier ed25519_;
  std::unique_ptr<OpenPgpVerifier> openpgp_;  // null when no OpenPGP key is pinned
};

}  // namespace cairn::signing
