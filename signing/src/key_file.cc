// Recognising, reading and exporting key files (see key_file.h).
#include "cairn/signing/key_file.h"

#include "cairn/core/file.h"
#include "cairn/signing/ed25519.h"
#include "cairn/signing/openpgp.h"

namespace cairn::signing {

namespace {

constexpr std::size_t max_key_file_size = 1 << 20;

}  // namespace

KeyFileKind classify_key_file(std::string_view content) {
  if (content.find("-----BEGIN PRIVATE KEY-----") != std::string_view::npos ||
      content.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos) {
    return KeyFileKind::ed25519_private;
  }
  // Armor, or a binary OpenPGP packet (its first byte has the high bit set); 32 raw bytes are an
  // Ed25519 public key whatever they begin with.
  if (content.find("-----BEGIN PGP") != std::string_view::npos ||
      (!content.empty() && content.size() != ed25519_public_key_size &&
       (static_cast<unsigned char>(content.front()) & 0x80) != 0)) {
    return KeyFileKind::openpgp_public;
  }
  return KeyFileKind::ed25519_public;
}

Result<std::vector<KeyFileEntry>> read_key_file(const std::filesystem::path& path, const PassphraseSource& passphrase) {
  std::string content = CAIRN_TRY(read_file(path, max_key_file_size));
  std::vector<KeyFileEntry> entries;
  switch (classify_key_file(content)) {
    case KeyFileKind::ed25519_private: {
      Ed25519PrivateKey key = CAIRN_TRY(Ed25519PrivateKey::load(path, passphrase));
      entries.push_back({SignatureMethod::ed25519, key.keyid(), true, {}, {}});
      break;
    }
    case KeyFileKind::ed25519_public: {
      Ed25519PublicKey key = CAIRN_TRY(Ed25519PublicKey::parse(content, path.string()));
      entries.push_back({SignatureMethod::ed25519, key.keyid(), false, {}, {}});
      break;
    }
    case KeyFileKind::openpgp_public: {
      OpenPgpVerifier verifier = CAIRN_TRY(OpenPgpVerifier::create({{path.string(), content}}));
      for (const auto& key : verifier.keys()) {
        entries.push_back({SignatureMethod::openpgp, key.fingerprint, false, key.user_ids, key.subkey_fingerprints});
      }
      break;
    }
  }
  return entries;
}

Result<std::string> export_public_key(std::string_view id, const PassphraseSource& passphrase) {
  std::filesystem::path path(id);
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return export_openpgp_public_key(id);
  std::string content = CAIRN_TRY(read_file(path, max_key_file_size));
  switch (classify_key_file(content)) {
    case KeyFileKind::ed25519_private: {
      Ed25519PrivateKey key = CAIRN_TRY(Ed25519PrivateKey::load(path, passphrase));
      return key.public_key().to_pem();
    }
    case KeyFileKind::ed25519_public: {
      Ed25519PublicKey key = CAIRN_TRY(Ed25519PublicKey::parse(content, path.string()));
      return key.to_pem();
    }
    case KeyFileKind::openpgp_public: break;
  }
  return make_error(ErrorCode::invalid_argument,
                    "{}: holds OpenPGP keys, which are exported from the keyring by fingerprint", path.string());
}

}  // namespace cairn::signing
