// DSSE envelopes: PAE, the JSON envelope, signing and threshold verification (see dsse.h).
#include "cairn/signing/dsse.h"

#include "cairn/core/base64.h"
#include "cairn/core/canonical_json.h"

#include <algorithm>
#include <initializer_list>
#include <iterator>

namespace cairn::signing::dsse {

namespace {

// DSSE lets signers use either alphabet and requires verifiers to accept both; each alphabet is
// still decoded strictly.
Result<std::string> decode_either_alphabet(std::string_view text, std::string_view field) {
  auto standard = base64_decode(text, Base64Alphabet::standard);
  if (standard.ok()) return standard;
  auto url_safe = base64_decode(text, Base64Alphabet::url_safe);
  if (url_safe.ok()) return url_safe;
  return std::move(standard).error().with_context(fmt::format("envelope {}", field));
}

Result<std::string> string_field(const Json& object, const char* name, std::string_view where) {
  auto it = object.find(name);
  if (it == object.end()) return make_error(ErrorCode::malformed, "envelope {}has no \"{}\"", where, name);
  if (!it->is_string()) return make_error(ErrorCode::malformed, "envelope {}\"{}\" is not a string", where, name);
  return it->get<std::string>();
}

// Appends to `ignored` the fields of `object` that are not among `known`, as "<prefix><name>".
void list_ignored_fields(const Json& object, std::initializer_list<std::string_view> known,
                         std::string_view prefix, std::vector<std::string>& ignored) {
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

Result<Envelope> parse_envelope(std::string_view json) {
  Json document = CAIRN_TRY(parse_json(json).with_context("envelope"));
  if (!document.is_object()) return make_error(ErrorCode::malformed, "envelope: not a JSON object");
  Envelope envelope;
  list_ignored_fields(document, {"payload", "payloadType", "signatures"}, "", envelope.ignored_fields);
  envelope.payload_type = CAIRN_TRY(string_field(document, "payloadType", ""));
  std::string payload = CAIRN_TRY(string_field(document, "payload", ""));
  envelope.payload = CAIRN_TRY(decode_either_alphabet(payload, "payload"));
  auto signatures = document.find("signatures");
  if (signatures == document.end() || !signatures->is_array()) {
    return make_error(ErrorCode::malformed, "envelope \"signatures\" is missing or not an array");
  }
  for (std::size_t i = 0; i < signatures->size(); ++i) {
    const Json& entry = (*signatures)[i];
    std::string where = fmt::format("signatures[{}] ", i);
    if (!entry.is_object()) return make_error(ErrorCode::malformed, "envelope {}is not an object", where);
    list_ignored_fields(entry, {"keyid", "sig"}, fmt::format("signatures[{}].", i), envelope.ignored_fields);
    EnvelopeSignature signature;
    if (entry.contains("keyid")) signature.keyid = CAIRN_TRY(string_field(entry, "keyid", where));
    std::string sig = CAIRN_TRY(string_field(entry, "sig", where));
    signature.sig = CAIRN_TRY(decode_either_alphabet(sig, fmt::format("{}\"sig\"", where)));
    envelope.signatures.push_back(std::move(signature));
  }
  return envelope;
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
