// Pinned keys from key files, and dispatch of each signature to its method's verifier
// (see trusted_keys.h).
#include "cairn/signing/trusted_keys.h"

#include "cairn/core/file.h"

#include <algorithm>

namespace cairn::signing {

namespace {

constexpr std::size_t max_key_file_size = 1 << 20;

enum class KeyFileKind { openpgp, ed25519 };

// What a key file holds, judged by its content so that file names do not matter.
Result<KeyFileKind> classify(const PinnedKeyFile& file) {
  std::string_view content = file.content;
  if (content.find("-----BEGIN PGP ") != std::string_view::npos) return KeyFileKind::openpgp;
  if (content.find("-----BEGIN ") != std::string_view::npos) return KeyFileKind::ed25519;  // PEM: parse decides
  if (content.size() == ed25519_public_key_size) return KeyFileKind::ed25519;
  // A binary OpenPGP packet starts with a byte whose top bit is set.
  if (!content.empty() && (static_cast<unsigned char>(content.front()) & 0x80) != 0) return KeyFileKind::openpgp;
  return make_error(ErrorCode::malformed,
                    "{}: not a public key (expected an OpenPGP key, a PEM Ed25519 public key or 32 raw bytes)",
                    file.name);
}

}  // namespace

Result<TrustedKeys> TrustedKeys::load(std::span<const std::filesystem::path> files, const TrustedKeysOptions& options) {
  std::vector<PinnedKeyFile> contents;
  for (const auto& path : files) {
    std::string content = CAIRN_TRY(read_file(path, max_key_file_size));
    contents.push_back({path.string(), std::move(content)});
  }
  return from_files(contents, options);
}

Result<TrustedKeys> TrustedKeys::from_files(const std::vector<PinnedKeyFile>& files,
                                            const TrustedKeysOptions& options) {
  if (files.empty()) return make_error(ErrorCode::invalid_argument, "no keys to trust: pin at least one key file");
  TrustedKeys keys;
  std::vector<PinnedKeyFile> openpgp_files;
  for (const auto& file : files) {
    KeyFileKind kind = CAIRN_TRY(classify(file));
    if (kind == KeyFileKind::openpgp) {
      openpgp_files.push_back(file);
    } else {
      Ed25519PublicKey key = CAIRN_TRY(Ed25519PublicKey::parse(file.content, file.name));
      keys.ed25519_.add(std::move(key));
    }
  }
  if (!openpgp_files.empty()) {
    auto verifier = CAIRN_TRY(OpenPgpVerifier::create(openpgp_files, options.gnupg_cache_directory));
    keys.openpgp_ = std::make_unique<OpenPgpVerifier>(std::move(verifier));
  }
  return keys;
}

std::size_t TrustedKeys::size() const {
  return keyids().size();
}

std::vector<std::string> TrustedKeys::keyids() const {
  std::vector<std::string> ids = ed25519_.keyids();
  if (openpgp_) {
    for (auto& id : openpgp_->keyids()) ids.push_back(std::move(id));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::optional<SignatureMethod> TrustedKeys::method_of(std::string_view keyid) const {
  auto pinned = [&](const std::vector<std::string>& ids) {
    return std::find(ids.begin(), ids.end(), keyid) != ids.end();
  };
  if (pinned(ed25519_.keyids())) return SignatureMethod::ed25519;
  if (openpgp_ && pinned(openpgp_->keyids())) return SignatureMethod::openpgp;
  return std::nullopt;
}

std::vector<SignatureCheck> TrustedKeys::check(std::string_view data, const Signature& signature) const {
  const Verifier* verifier = nullptr;
  if (signature.method == SignatureMethod::ed25519 && !ed25519_.empty()) verifier = &ed25519_;
  if (signature.method == SignatureMethod::openpgp && openpgp_) verifier = openpgp_.get();
  if (verifier == nullptr) {
    std::string_view who = signature.keyid.empty() ? std::string_view("signature") : std::string_view(signature.keyid);
    return {
        {signature.keyid, signature.method,
         make_error(ErrorCode::refused, "{}: unknown key (no {} key is pinned)", who, to_string(signature.method))}};
  }
  return verifier->check(data, signature);
}

Result<VerifiedSignature> TrustedKeys::verify(std::string_view data, const Signature& signature) const {
  return single_verified_signature(check(data, signature));
}

}  // namespace cairn::signing
