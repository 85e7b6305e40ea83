// OpenPGP through GPGME: maintainers sign with the keys they already have (GnuPG keyring,
// gpg-agent, passphrase prompts, smartcards), and verification trusts only pinned keys.
//
// Signing and key management use the user's GnuPG home (`home`, or gpg's default: $GNUPGHOME or
// ~/.gnupg), exactly as gpg would. Signatures are binary detached signatures (what
// `gpg --detach-sign` writes; gpgv and `gpg --verify` accept them).
//
// Verification never looks at the user's keyring or its web of trust. The pinned public keys are
// imported into a private GnuPG home that holds nothing else; a signature counts only if gpg calls
// it good, neither the key nor the signature has expired, the key is not revoked, and the
// (sub)key that made it belongs to a pinned primary key. Because making such a home costs more
// than verifying, one home is kept per set of pinned keys, in
// <cache>/<sha256 of the pinned key material>, created atomically (built beside it, renamed into
// place) with mode 0700, and reused by later verifications with the same keys.
#pragma once

#include "cairn/core/result.h"
#include "cairn/signing/signer.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::signing {

// A key in a GnuPG keyring, as `cairn key list` shows it.
struct OpenPgpKeyInfo {
  std::string fingerprint;                       // primary key, 40 upper-case hex digits
  std::vector<std::string> user_ids;             // "Name <email>"
  std::vector<std::string> subkey_fingerprints;  // every subkey after the primary
  std::string algorithm;                         // of the primary key, as gpg names it ("ed25519")
  std::int64_t created = 0;                      // seconds since the epoch
  std::int64_t expires = 0;                      // 0: never
  bool can_sign = false;                         // some (sub)key can make signatures now
  bool revoked = false;
  bool expired = false;
};

struct OpenPgpKeyOptions {
  std::filesystem::path home;        // empty: gpg's default home
  std::int64_t expires_seconds = 0;  // 0: the key never expires
  bool no_passphrase = false;        // otherwise gpg-agent asks for one, as gpg would
};

// Creates an Ed25519 signing key for `user_id` ("Name <email>") in the keyring and returns its
// fingerprint.
Result<std::string> generate_openpgp_key(std::string_view user_id, const OpenPgpKeyOptions& options);

// The keys in the keyring that have a secret part (the ones that can sign).
Result<std::vector<OpenPgpKeyInfo>> list_openpgp_secret_keys(const std::filesystem::path& home = {});

// The ASCII-armored public key `id` (fingerprint, or a user id matching exactly one key), minimal:
// only self-signatures, which is what pinning needs.
Result<std::string> export_openpgp_public_key(std::string_view id, const std::filesystem::path& home = {});

// Signs with one secret key from the keyring, through gpg-agent.
class OpenPgpSigner final : public Signer {
 public:
  // The secret key `id`: a fingerprint, or a user id that matches exactly one secret key. A key
  // that is revoked, expired, disabled or cannot sign is refused.
  static Result<OpenPgpSigner> open(std::string_view id, const std::filesystem::path& home = {});
  ~OpenPgpSigner() override;
  OpenPgpSigner(OpenPgpSigner&&) noexcept;
  OpenPgpSigner& operator=(OpenPgpSigner&&) = delete;

  SignatureMethod method() const override { return SignatureMethod::openpgp; }
  const std::string& keyid() const override { return fingerprint_; }
  // A binary detached signature over `data`.
  Result<Signature> sign(std::string_view data) const override;

 private:
  struct State;
  OpenPgpSigner(std::unique_ptr<State> state, std::string fingerprint);

  std::unique_ptr<State> state_;
  std::string fingerprint_;
};

// A pinned public key file's content and the name to use in errors (usually its path).
struct PinnedKeyFile {
  std::string name;
  std::string content;  // armored or binary OpenPGP public key(s)
};

// A pinned OpenPGP key as the private home holds it.
struct PinnedOpenPgpKey {
  std::string fingerprint;                       // primary
  std::vector<std::string> subkey_fingerprints;  // signatures by these count as by `fingerprint`
  std::vector<std::string> user_ids;
};

// Where private GnuPG homes are kept: <cache_directory()>/gnupg (see core/xdg.h); empty when
// there is no cache folder (a temporary home is used then).
std::filesystem::path default_gnupg_cache_directory();

class OpenPgpVerifier final : public Verifier {
 public:
  // Pins the public keys in `files` (each may hold several). Reuses or creates the private home
  // for exactly this key material under `cache_directory` (default_gnupg_cache_directory() when
  // empty). If no cache directory can be used, a temporary home lives as long as the verifier.
  // Secret keys and files without a usable public key are refused.
  static Result<OpenPgpVerifier> create(const std::vector<PinnedKeyFile>& files,
                                        const std::filesystem::path& cache_directory = {});
  ~OpenPgpVerifier() override;
  OpenPgpVerifier(OpenPgpVerifier&&) noexcept;
  OpenPgpVerifier& operator=(OpenPgpVerifier&&) = delete;

  const std::vector<PinnedOpenPgpKey>& keys() const { return keys_; }
  const std::filesystem::path& home() const;

  SignatureMethod method() const override { return SignatureMethod::openpgp; }
  std::vector<std::string> keyids() const override;
  std::vector<SignatureCheck> check(std::string_view data, const Signature& signature) const override;

 private:
  struct State;
  OpenPgpVerifier(std::unique_ptr<State> state, std::vector<PinnedOpenPgpKey> keys);
  // The pinned primary fingerprint that `fingerprint` (a primary or subkey fingerprint, or a
  // 16-digit key id) belongs to; empty if none.
  std::string primary_of(std::string_view fingerprint) const;

  std::unique_ptr<State> state_;
  std::vector<PinnedOpenPgpKey> keys_;
};

}  // namespace cairn::signing
