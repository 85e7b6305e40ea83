// DSSE envelopes: PAE, the JSON envelope, signing and threshold verification (see dsse.h).
#include "cairn/signing/dsse.h"

#include "cairn/core/base64.h"
#include "cairn/core/canonical_json.h"
#include "cairn/core/file.h"
#include "cairn/core/json_reader.h"

#include <algorithm>
#include <initializer_list>
#include <iterator>

namespace cairn::signing::dsse {

namespace {

// DSSE lets signers use either alphabet and requires verifiers to accept both; each alphabet is
// still decoded strictly.
Result<std::string> decode_either_alphabet(std::string_view text) {
  auto standard = base64_decode(text, Base64Alphabet::standard);
  if (standard.ok()) return standard;
  auto url_safe = base64_decode(text, Base64Alphabet::url_safe);
  if (url_safe.ok()) return url_safe;
  return std::move(standard).error();
}

// Appends to `ignored` the fields of `object` that are not among `known`, as "<prefix><name>".
void list_ignored_fields(const Json& object, std::initializer_list<std::string_view> known, std::string_view prefix,
                         std::vector<std::string>& ignored) {
  for (const auto& item : object.items()) {
    if (std::find(known.begin(), known.end(), item.key()) == known.end()) {
      ignored.push_back(fmt::format("{}{}", prefix, item.key()));
    }
  }
}

// The key id `keyid` names, in Cairn's one spelling when it has one ("0xab12…" and "AB12…" are
// the same key); another tool's key name is compared as it is.
std::string comparable_keyid(const std::string& keyid) {
  auto normalized = normalize_keyid(keyid);
  return normalized.ok() ? std::move(normalized).value() : keyid;
}

}  // namespace

std::string pae(std::string_view payload_type, std::string_view payload) {
  return fmt::format("DSSEv1 {} {} {} {}", payload_type.size(), payload_type, payload.size(), payload);
}

Result<Envelope> parse_envelope(std::string_view text) {
  auto parsed = [&]() -> Result<Envelope> {
    Json json = CAIRN_TRY(parse_json(text));
    JsonReader document(json);
    CAIRN_TRY(document.require_object());
    Envelope envelope;
    list_ignored_fields(json, {"payload", "payloadType", "signatures"}, "", envelope.ignored_fields);
    envelope.payload_type = CAIRN_TRY(document.string("payloadType"));
    JsonReader payload = CAIRN_TRY(document.at("payload"));
    std::string payload_text = CAIRN_TRY(payload.as_string());
    envelope.payload = CAIRN_TRY(decode_either_alphabet(payload_text).with_context(payload.where()));
    JsonReader signatures = CAIRN_TRY(document.array("signatures"));
    for (const JsonReader& entry : CAIRN_TRY(signatures.elements())) {
      CAIRN_TRY(entry.require_object());
      list_ignored_fields(entry.json(), {"keyid", "sig"}, entry.path() + ".", envelope.ignored_fields);
      EnvelopeSignature signature;
      signature.keyid = CAIRN_TRY(entry.string_or("keyid", ""));
      JsonReader sig = CAIRN_TRY(entry.at("sig"));
      std::string sig_text = CAIRN_TRY(sig.as_string());
      signature.sig = CAIRN_TRY(decode_either_alphabet(sig_text).with_context(sig.where()));
      envelope.signatures.push_back(std::move(signature));
    }
    return envelope;
  };
  return parsed().with_context("envelope");
}

Result<std::string> serialize_envelope(const Envelope& envelope) {
  Json signatures = Json::array();
  for (const auto& signature : envelope.signatures) {
    Json entry = {{"sig", base64_encode(signature.sig)}};
    if (!signature.keyid.empty()) entry["keyid"] = signature.keyid;
    signatures.push_back(std::move(entry));
  }
  Json document = {{"payload", base64_encode(envelope.payload)},
                   {"payloadType", envelope.payload_type},
                   {"signatures", std::move(signatures)}};
  return canonical_json(document).with_context("envelope");
}

Result<void> add_signatures(Envelope& envelope, std::span<const Signer* const> signers) {
  std::vector<std::string> signed_by;
  for (const auto& signature : envelope.signatures) {
    if (!signature.keyid.empty()) signed_by.push_back(comparable_keyid(signature.keyid));
  }
  for (std::size_t i = 0; i < signers.size(); ++i) {
    const std::string& keyid = signers[i]->keyid();
    if (std::find(signed_by.begin(), signed_by.end(), keyid) != signed_by.end()) {
      return make_error(ErrorCode::already_exists, "key {} has already signed this envelope", keyid);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (signers[j]->keyid() == keyid) return make_error(ErrorCode::already_exists, "key {} is given twice", keyid);
    }
  }
  // Sign everything before touching the envelope, so that a failing signer leaves it unchanged.
  std::string signed_bytes = pae(envelope.payload_type, envelope.payload);
  std::vector<EnvelopeSignature> added;
  for (const Signer* signer : signers) {
    Signature signature = CAIRN_TRY(signer->sign(signed_bytes));
    added.push_back({std::move(signature.keyid), std::move(signature.bytes)});
  }
  envelope.signatures.insert(envelope.signatures.end(), std::make_move_iterator(added.begin()),
                             std::make_move_iterator(added.end()));
  return {};
}

Result<Envelope> cosign_file(const std::filesystem::path& path, std::string_view payload, std::string_view payload_name,
                             std::string_view payload_type, std::span<const Signer* const> signers,
                             const std::filesystem::path& output, const FileLockOptions& lock_options) {
  FileLockOptions options = lock_options;
  options.create = false;
  options.record_holder = false;
  std::string activity = fmt::format("co-signing {}", path.string());
  for (;;) {
    FileLock lock = CAIRN_TRY(FileLock::acquire(path, activity, options));
    // Another co-signer may have replaced the file while we waited: lock the new one instead.
    if (!lock.still_at_path()) continue;
    std::string text = CAIRN_TRY(read_file(path, max_envelope_file_size));
    Envelope envelope = CAIRN_TRY(parse_envelope(text).with_context(path.string()));
    if (!envelope.ignored_fields.empty()) {
      return make_error(ErrorCode::unsupported,
                        "{}: the envelope has a field Cairn does not keep (\"{}\"); rewriting it would drop it",
                        path.string(), envelope.ignored_fields.front());
    }
    if (envelope.payload != payload) {
      return make_error(ErrorCode::refused, "{}: the envelope's payload is not the content of {}", path.string(),
                        payload_name);
    }
    if (!payload_type.empty() && envelope.payload_type != payload_type) {
      return make_error(ErrorCode::refused, "{}: the envelope's payload type is '{}', not '{}'", path.string(),
                        envelope.payload_type, payload_type);
    }
    CAIRN_TRY(add_signatures(envelope, signers).with_context(path.string()));
    std::string written = CAIRN_TRY(serialize_envelope(envelope));
    CAIRN_TRY(write_file_atomically(output.empty() ? path : output, written + "\n", 0644));
    return envelope;
  }
}

Result<Envelope> sign(std::string_view payload_type, std::string payload, std::span<const Signer* const> signers) {
  if (signers.empty()) return make_error(ErrorCode::invalid_argument, "an envelope needs at least one signer");
  Envelope envelope{std::string(payload_type), std::move(payload), {}, {}};
  CAIRN_TRY(add_signatures(envelope, signers));
  return envelope;
}

Result<ThresholdReport> verify(const Envelope& envelope, const TrustedKeys& keys, std::size_t threshold,
                               std::span<const std::string> accepted_payload_types) {
  std::string signed_bytes = pae(envelope.payload_type, envelope.payload);
  std::vector<SignatureCheck> checks;
  for (const auto& entry : envelope.signatures) {
    Signature signature{"", SignatureMethod::ed25519, entry.sig};
    if (!entry.keyid.empty()) {
      // The key id only chooses the key to try; the verifier still decides.
      auto keyid = normalize_keyid(entry.keyid);
      std::optional<SignatureMethod> method = keyid.ok() ? keys.method_of(*keyid) : std::nullopt;
      if (!method) {
        checks.push_back({entry.keyid, SignatureMethod::ed25519,
                          make_error(ErrorCode::refused, "{}: unknown key (not among the pinned keys)", entry.keyid)});
        continue;
      }
      signature.keyid = *keyid;
      signature.method = *method;
    } else if (entry.sig.size() != ed25519_signature_size) {
      signature.method = SignatureMethod::openpgp;  // never 64 bytes long
    }
    for (auto& check : keys.check(signed_bytes, signature)) checks.push_back(std::move(check));
  }
  ThresholdReport report = CAIRN_TRY(count_threshold(std::move(checks), keys, threshold));
  if (!accepted_payload_types.empty() && std::find(accepted_payload_types.begin(), accepted_payload_types.end(),
                                                   envelope.payload_type) == accepted_payload_types.end()) {
    std::string accepted;
    for (const auto& type : accepted_payload_types)
      accepted += fmt::format("{}'{}'", accepted.empty() ? "" : ", ", type);
    return make_error(ErrorCode::refused, "envelope payload type '{}' is not accepted (expected {})",
                      envelope.payload_type, accepted);
  }
  return report;
}

}  // namespace cairn::signing::dsse
