// Recognising and verifying signature files (see signature_file.h).
#include "cairn/signing/signature_file.h"

#include "cairn/signing/dsse.h"
#include "cairn/signing/ed25519.h"

namespace cairn::signing {

namespace {

bool has_ed25519_key(const TrustedKeys& keys) {
  for (const auto& keyid : keys.keyids()) {
    if (keys.method_of(keyid) == SignatureMethod::ed25519) return true;
  }
  return false;
}

// The first byte of a binary OpenPGP signature packet (tag 2): old format 0b10'0010'xx (any of
// its four length types) or new format 0b11'000010.
bool begins_openpgp_signature_packet(std::string_view content) {
  if (content.empty()) return false;
  auto first = static_cast<unsigned char>(content.front());
  return (first & 0xfc) == 0x88 || first == 0xc2;
}

std::string context(const SignatureFile& file, SignatureFileKind kind) {
  return fmt::format("{} ({})", file.name, describe(kind));
}

}  // namespace

std::string_view describe(SignatureFileKind kind) {
  switch (kind) {
    case SignatureFileKind::dsse_envelope: return "a DSSE envelope";
    case SignatureFileKind::openpgp: return "an OpenPGP signature";
    case SignatureFileKind::ed25519: return "a raw Ed25519 signature";
  }
  return "a signature";
}

Result<SignatureFileKind> recognize_signature_file(std::string_view content, bool ed25519_pinned) {
  if (content.size() == ed25519_signature_size && ed25519_pinned) return SignatureFileKind::ed25519;
  std::size_t start = content.find_first_not_of(" \t\r\n");
  std::string_view text = start == std::string_view::npos ? std::string_view() : content.substr(start);
  if (text.starts_with("{")) return SignatureFileKind::dsse_envelope;
  if (text.starts_with("-----BEGIN PGP SIGNATURE-----") || begins_openpgp_signature_packet(content)) {
    return SignatureFileKind::openpgp;
  }
  if (content.size() == ed25519_signature_size) return SignatureFileKind::ed25519;
  return make_error(ErrorCode::malformed,
                    "not a signature: neither a DSSE envelope, an OpenPGP signature nor 64 raw Ed25519 bytes "
                    "({} bytes)",
                    content.size());
}

Result<SignatureFilesReport> verify_signature_files(std::string_view data, std::string_view data_name,
                                                    const std::vector<SignatureFile>& files, const TrustedKeys& keys,
                                                    std::size_t threshold, std::string_view payload_type) {
  if (files.empty()) return make_error(ErrorCode::invalid_argument, "no signature file given");
  bool ed25519_pinned = has_ed25519_key(keys);
  SignatureFilesReport report;
  for (const SignatureFile& file : files) {
    SignatureFileKind kind = CAIRN_TRY(recognize_signature_file(file.content, ed25519_pinned).with_context(file.name));
    report.kinds.push_back(kind);
  }

  if (report.kinds.front() == SignatureFileKind::dsse_envelope) {
    const SignatureFile& file = files.front();
    std::string where = context(file, SignatureFileKind::dsse_envelope);
    if (files.size() != 1) {
      return make_error(ErrorCode::invalid_argument,
                        "{}: an envelope is verified on its own, not with other signatures", where);
    }
    dsse::Envelope envelope = CAIRN_TRY(dsse::parse_envelope(file.content).with_context(where));
    if (envelope.payload != data) {
      return make_error(ErrorCode::refused, "{}: the envelope's payload is not the content of {}", where, data_name);
    }
    std::vector<std::string> accepted;
    if (!payload_type.empty()) accepted.emplace_back(payload_type);
    report.threshold = CAIRN_TRY(dsse::verify(envelope, keys, threshold, accepted).with_context(where));
    return report;
  }

  if (!payload_type.empty()) {
    return make_error(ErrorCode::invalid_argument, "a payload type applies to DSSE envelopes only");
  }
  std::vector<SignatureCheck> checks;
  for (std::size_t i = 0; i < files.size(); ++i) {
    SignatureFileKind kind = report.kinds[i];
    std::string where = context(files[i], kind);
    if (kind == SignatureFileKind::dsse_envelope) {
      return make_error(ErrorCode::invalid_argument, "{}: an envelope is verified on its own", where);
    }
    Signature signature;
    signature.method = kind == SignatureFileKind::ed25519 ? SignatureMethod::ed25519 : SignatureMethod::openpgp;
    signature.bytes = files[i].content;
    for (auto& check : keys.check(data, signature)) {
      if (check.failure) check.failure = std::move(*check.failure).with_context(where);
      checks.push_back(std::move(check));
    }
  }
  // One signature against a threshold of one: its own error (malformed, refused) says it best.
  if (threshold == 1 && checks.size() == 1 && !checks.front().good()) return std::move(*checks.front().failure);
  report.threshold = CAIRN_TRY(count_threshold(std::move(checks), keys, threshold));
  return report;
}

}  // namespace cairn::signing
