// Signature records, key ids and the parts of the Signer/Verifier interfaces shared by both
// methods (see signer.h).
#include "cairn/signing/signer.h"

#include "cairn/core/base64.h"
#include "cairn/core/digest.h"
#include "cairn/signing/ed25519.h"
#include "cairn/signing/openpgp.h"

#include <cctype>
#include <system_error>

namespace cairn::signing {

std::string_view to_string(SignatureMethod method) {
  return method == SignatureMethod::openpgp ? "openpgp" : "ed25519";
}

Result<SignatureMethod> parse_signature_method(std::string_view name) {
  if (name == "openpgp") return SignatureMethod::openpgp;
  if (name == "ed25519") return SignatureMethod::ed25519;
  return make_error(ErrorCode::refused, "unknown signature method '{}' (expected openpgp or ed25519)", name);
}

Result<std::string> normalize_keyid(std::string_view text) {
  if (text.starts_with("sha256:")) {
    auto digest = Digest::parse(text);
    if (!digest.ok()) return make_error(ErrorCode::malformed, "key id '{}': {}", text, digest.error().message());
    return digest->to_string();
  }
  std::string hex;
  std::string_view rest = text;
  if (rest.starts_with("0x") || rest.starts_with("0X")) rest.remove_prefix(2);
  for (char c : rest) {
    if (c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return make_error(ErrorCode::malformed,
                        "key id '{}' is neither an OpenPGP fingerprint (40 hex digits) nor sha256:<hex>", text);
    }
    hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (hex.size() == 8 || hex.size() == 16) {
    return make_error(ErrorCode::invalid_argument,
                      "key id '{}' is a short OpenPGP key id; give the full fingerprint (40 hex digits)", text);
  }
  if (hex.size() != 40 && hex.size() != 64) {
    return make_error(ErrorCode::malformed,
                      "key id '{}' is neither an OpenPGP fingerprint (40 hex digits) nor sha256:<hex>", text);
  }
  return hex;
}

Json to_json(const Signature& signature) {
  return {{"keyid", signature.keyid}, {"method", to_string(signature.method)}, {"sig", base64_encode(signature.bytes)}};
}

Result<Signature> signature_from_json(const JsonReader& value) {
  std::string keyid = CAIRN_TRY(value.string("keyid"));
  JsonReader method_field = CAIRN_TRY(value.at("method"));
  std::string method_name = CAIRN_TRY(method_field.as_string());
  JsonReader sig_field = CAIRN_TRY(value.at("sig"));
  std::string sig = CAIRN_TRY(sig_field.as_string());
  std::string key = keyid.empty() ? std::string() : fmt::format(" (key {})", keyid);
  SignatureMethod method = CAIRN_TRY(parse_signature_method(method_name).with_context(method_field.where() + key));
  std::string bytes = CAIRN_TRY(base64_decode(sig).with_context(sig_field.where() + key));
  if (!keyid.empty()) {
    keyid = CAIRN_TRY(normalize_keyid(keyid));
    if ((method == SignatureMethod::ed25519) != keyid.starts_with("sha256:")) {
      return make_error(ErrorCode::malformed, "key id {} cannot name an {} key", keyid, to_string(method));
    }
  }
  return Signature{std::move(keyid), method, std::move(bytes)};
}

Result<std::vector<Signature>> signatures_from_json(const JsonReader& value) {
  std::vector<Signature> signatures;
  for (const JsonReader& element : CAIRN_TRY(value.elements())) {
    Signature signature = CAIRN_TRY(signature_from_json(element));
    signatures.push_back(std::move(signature));
  }
  return signatures;
}

Result<VerifiedSignature> single_verified_signature(std::vector<SignatureCheck> checks) {
  if (checks.empty()) return make_error(ErrorCode::malformed, "no signature found");
  for (auto& check : checks) {
    if (!check.good()) return std::move(*check.failure);
  }
  if (checks.size() > 1) {
    return make_error(ErrorCode::malformed, "{} signatures in one place where one was expected", checks.size());
  }
  return VerifiedSignature{std::move(checks.front().keyid), checks.front().method};
}

Result<VerifiedSignature> Verifier::verify(std::string_view data, const Signature& signature) const {
  return single_verified_signature(check(data, signature));
}

Result<std::unique_ptr<Signer>> open_signer(std::string_view id, const std::filesystem::path& gnupg_home,
                                            const PassphraseSource& passphrase) {
  std::error_code error;
  std::filesystem::path path(id);
  if (std::filesystem::is_regular_file(path, error)) {
    auto key = CAIRN_TRY(Ed25519PrivateKey::load(path, passphrase));
    return std::unique_ptr<Signer>(std::make_unique<Ed25519PrivateKey>(std::move(key)));
  }
  if (id.find('/') != std::string_view::npos || id.ends_with(".pem") || id.ends_with(".key")) {
    return make_error(ErrorCode::not_found, "{}: no such key file", id);
  }
  auto signer = CAIRN_TRY(OpenPgpSigner::open(id, gnupg_home));
  return std::unique_ptr<Signer>(std::make_unique<OpenPgpSigner>(std::move(signer)));
}

}  // namespace cairn::signing
