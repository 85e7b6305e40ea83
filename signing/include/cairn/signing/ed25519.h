// Ed25519 through OpenSSL's EVP interface, for automation that signs with key files.
//
// Signatures are "pure" Ed25519 over the whole message (RFC 8032), 64 raw bytes: exactly what
// `openssl pkeyutl -sign -rawin` writes and `openssl pkeyutl -verify -rawin` checks.
// Key files: the private key is PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----", as `openssl genpkey
// -algorithm ed25519` writes it, or "-----BEGIN ENCRYPTED PRIVATE KEY-----" with a passphrase, as
// it writes with `-aes-256-cbc -pass ...`) and must not be accessible to group or others;
// the public key is PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----", as
// `openssl pkey -pubout` writes it) or the 32 raw key bytes.
#pragma once

#include "cairn/core/result.h"
#include "cairn/signing/passphrase.h"
#include "cairn/signing/signer.h"

#include <openssl/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::signing {

inline constexpr std::size_t ed25519_public_key_size = 32;
inline constexpr std::size_t ed25519_signature_size = 64;

class Ed25519PublicKey {
 public:
  // The key whose 32 raw bytes are `raw`.
  static Result<Ed25519PublicKey> from_raw(std::string_view raw);
  // Parses a public key file's content (PEM SubjectPublicKeyInfo or 32 raw bytes); `name` is
  // used in errors. A private key, or a key of another type, is refused with a clear message.
  static Result<Ed25519PublicKey> parse(std::string_view content, std::string_view name);
  static Result<Ed25519PublicKey> load(const std::filesystem::path& path);

  // "sha256:<hex of SHA-256 of raw()>".
  const std::string& keyid() const { return keyid_; }
  const std::string& raw() const { return raw_; }
  // PEM SubjectPublicKeyInfo, as `openssl pkey -pubout` writes it.
  std::string to_pem() const;

  // Checks a raw signature over `data`: malformed when it is not 64 bytes, refused
  // ("sha256:…: bad signature") when it does not verify.
  Result<void> verify(std::string_view data, std::string_view signature) const;

 private:
  Ed25519PublicKey(std::shared_ptr<EVP_PKEY> key, std::string raw);

  std::shared_ptr<EVP_PKEY> key_;  // shared: copies of a public key share the read-only EVP_PKEY
  std::string raw_;
  std::string keyid_;
};

class Ed25519PrivateKey final : public Signer {
 public:
  // A new random key.
  static Result<Ed25519PrivateKey> generate();
  // The key with the 32-byte RFC 8032 secret `seed` (for test vectors).
  static Result<Ed25519PrivateKey> from_seed(std::string_view seed);
  // Parses PKCS#8 PEM; `name` is used in errors. An encrypted key takes its passphrase from
  // `passphrase` (a wrong one is refused, code refused).
  static Result<Ed25519PrivateKey> parse(std::string_view pem, std::string_view name,
                                         const PassphraseSource& passphrase = {});
  // Reads a private key file, refusing one that group or others may access
  // ("key.pem is readable by others (mode 0644); chmod 600 it", code invalid_argument).
  static Result<Ed25519PrivateKey> load(const std::filesystem::path& path, const PassphraseSource& passphrase = {});

  // Writes `path` (PKCS#8 PEM, mode 0600; encrypted with AES-256-CBC and a PBKDF2 key, as
  // `openssl pkcs8 -topk8 -v2 aes-256-cbc` does, when `passphrase` is not empty) and `path`.pub
  // (public PEM, mode 0644), each atomically; refuses to replace either if it exists (code
  // already_exists).
  Result<void> save(const std::filesystem::path& path, std::string_view passphrase = {}) const;

  const Ed25519PublicKey& public_key() const { return public_key_; }
  // PKCS#8 PEM, encrypted when `passphrase` is not empty.
  std::string to_pem(std::string_view passphrase = {}) const;

  SignatureMethod method() const override { return SignatureMethod::ed25519; }
  const std::string& keyid() const override { return public_key_.keyid(); }
  Result<Signature> sign(std::string_view data) const override;

 private:
  Ed25519PrivateKey(std::shared_ptr<EVP_PKEY> key, Ed25519PublicKey public_key);
  static Result<Ed25519PrivateKey> from_key(std::shared_ptr<EVP_PKEY> key, std::string_view name);

  std::shared_ptr<EVP_PKEY> key_;
  Ed25519PublicKey public_key_;
};

// Verifies Ed25519 signatures against a set of pinned public keys. A signature that names a key
// is checked against that key only; one without a key id is tried against every pinned key.
class Ed25519Verifier final : public Verifier {
 public:
  // Pins `key`; pinning the same key twice keeps one.
  void add(Ed25519PublicKey key);
  bool empty() const { return keys_.empty(); }

  SignatureMethod method() const override { return SignatureMethod::ed25519; }
  std::vector<std::string> keyids() const override;
  std::vector<SignatureCheck> check(std::string_view data, const Signature& signature) const override;

 private:
  std::vector<Ed25519PublicKey> keys_;
};

}  // namespace cairn::signing
