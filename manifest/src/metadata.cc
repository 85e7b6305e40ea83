// Reading, writing and signing the four manifest documents (see metadata.h and manifest/README.md).
#include "cairn/manifest/metadata.h"

#include "cairn/core/base64.h"
#include "cairn/signing/ed25519.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>

namespace cairn::manifest {

namespace {

using signing::SignatureMethod;

Error field_error(std::string_view field, std::string_view why) {
  return make_error(ErrorCode::malformed, "\"{}\": {}", field, why);
}

Result<const Json*> member(const Json& object, std::string_view key) {
  auto it = object.find(std::string(key));
  if (it == object.end()) return field_error(key, "missing");
  return &*it;
}

Result<std::string> get_string(const Json& object, std::string_view key) {
  const Json* value = CAIRN_TRY(member(object, key));
  if (!value->is_string()) return field_error(key, "must be a string");
  return value->get<std::string>();
}

Result<std::int64_t> get_integer(const Json& object, std::string_view key) {
  const Json* value = CAIRN_TRY(member(object, key));
  if (!value->is_number_integer()) return field_error(key, "must be an integer");
  return value->get<std::int64_t>();
}

Result<const Json*> get_object(const Json& object, std::string_view key) {
  const Json* value = CAIRN_TRY(member(object, key));
  if (!value->is_object()) return field_error(key, "must be an object");
  return value;
}

Result<Digest> get_digest(const Json& object, std::string_view key) {
  std::string text = CAIRN_TRY(get_string(object, key));
  auto digest = Digest::parse(text);
  if (!digest.ok()) return field_error(key, digest.error().message());
  return std::move(digest).value();
}

Result<std::uint64_t> get_size(const Json& object, std::string_view key) {
  std::int64_t value = CAIRN_TRY(get_integer(object, key));
  if (value < 0) return field_error(key, "must not be negative");
  return static_cast<std::uint64_t>(value);
}

Result<std::map<std::string, std::string>> get_string_map(const Json& object, std::string_view key) {
  std::map<std::string, std::string> result;
  auto it = object.find(std::string(key));
  if (it == object.end()) return result;
  if (!it->is_object()) return field_error(key, "must be an object");
  for (const auto& [name, value] : it->items()) {
    if (!value.is_string()) return field_error(fmt::format("{}.{}", key, name), "must be a string");
    result[name] = value.get<std::string>();
  }
  return result;
}

Result<std::vector<std::string>> get_string_list(const Json& object, std::string_view key) {
  std::vector<std::string> result;
  auto it = object.find(std::string(key));
  if (it == object.end()) return result;
  if (!it->is_array()) return field_error(key, "must be an array");
  for (const auto& value : *it) {
    if (!value.is_string()) return field_error(key, "must hold only strings");
    result.push_back(value.get<std::string>());
  }
  return result;
}

// The header every signed part shares.
void write_header(Json& out, std::string_view type, std::int64_t version, std::int64_t expires) {
  out["_type"] = type;
  out["spec_version"] = spec_version;
  out["version"] = version;
  out["expires"] = format_rfc3339(expires);
}

Result<void> read_header(const Json& signed_part, std::int64_t& version, std::int64_t& expires) {
  version = CAIRN_TRY(get_integer(signed_part, "version"));
  std::string text = CAIRN_TRY(get_string(signed_part, "expires"));
  auto parsed = parse_rfc3339(text);
  if (!parsed.ok()) return field_error("expires", parsed.error().message());
  expires = *parsed;
  return {};
}

Json role_to_json(const Role& role) { return {{"keyids", role.keyids}, {"threshold", role.threshold}}; }

Result<Role> role_from_json(const Json& value, std::string_view name, const std::map<std::string, KeyMaterial>& keys) {
  if (!value.is_object()) return field_error(name, "must be an object");
  Role role;
  role.keyids = CAIRN_TRY(get_string_list(value, "keyids").with_context(name));
  std::int64_t threshold = CAIRN_TRY(get_integer(value, "threshold").with_context(name));
  std::set<std::string> distinct(role.keyids.begin(), role.keyids.end());
  if (distinct.size() != role.keyids.size()) return field_error(name, "lists a key twice");
  if (threshold < 1 || static_cast<std::size_t>(threshold) > role.keyids.size()) {
    return field_error(name, fmt::format("threshold {} must be between 1 and its {} keys", threshold, role.keyids.size()));
  }
  role.threshold = static_cast<std::size_t>(threshold);
  for (const auto& keyid : role.keyids) {
    if (!keys.contains(keyid)) return field_error(name, fmt::format("key {} is not in \"keys\"", keyid));
  }
  return role;
}

Result<signing::TrustedKeys> trusted_keys(const RootMetadata& root, const std::vector<std::string>& keyids) {
  std::vector<signing::PinnedKeyFile> files;
  for (const auto& keyid : keyids) {
    auto it = root.keys.find(keyid);
    if (it == root.keys.end()) return make_error(ErrorCode::malformed, "key {} is not in root's keys", keyid);
    files.push_back({keyid, it->second.public_key});
  }
  return signing::TrustedKeys::from_files(files);
}

}  // namespace

Clock system_clock() {
  return [] {
    return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  };
}

Result<std::int64_t> parse_rfc3339(std::string_view text) {
  auto bad = [&] {
    return make_error(ErrorCode::malformed, "'{}' is not an RFC 3339 UTC time like 2027-01-01T00:00:00Z", text);
  };
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != 'Z') {
    return bad();
  }
  auto number = [&](std::size_t at, std::size_t length, int& out) {
    out = 0;
    for (std::size_t i = at; i < at + length; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day) || !number(11, 2, hour) ||
      !number(14, 2, minute) || !number(17, 2, second)) {
    return bad();
  }
  static constexpr int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (year < 1970 || month < 1 || month > 12 || day < 1 ||
      day > days_in_month[month - 1] + (month == 2 && leap ? 1 : 0) || hour > 23 || minute > 59 || second > 59) {
    return bad();
  }
  std::tm time{};
  time.tm_year = year - 1900;
  time.tm_mon = month - 1;
  time.tm_mday = day;
  time.tm_hour = hour;
  time.tm_min = minute;
  time.tm_sec = second;
  return static_cast<std::int64_t>(timegm(&time));
}

const Role* RootMetadata::maintainers_of(std::string_view library) const {
  if (auto it = maintainers.find(std::string(library)); it != maintainers.end()) return &it->second;
  if (auto it = maintainers.find("*"); it != maintainers.end()) return &it->second;
  return nullptr;
}

std::string LibraryEntry::path() const { return fmt::format("libraries/{}/{}.json", name, library_version); }

Result<SignedDocument> parse_signed_document(std::string_view text, std::string_view expected_type,
                                             std::string_view name) {
  auto parsed = [&]() -> Result<SignedDocument> {
    Json document = CAIRN_TRY(parse_json(text));
    if (!document.is_object()) return make_error(ErrorCode::malformed, "not a JSON object");
    for (const auto& [key, value] : document.items()) {
      if (key != "signed" && key != "signatures") {
        return make_error(ErrorCode::malformed, "unexpected member \"{}\" (expected signed, signatures)", key);
      }
    }
    SignedDocument result;
    result.signed_part = *CAIRN_TRY(get_object(document, "signed"));
    const Json* signatures = CAIRN_TRY(member(document, "signatures"));
    result.signatures = CAIRN_TRY(signing::signatures_from_json(*signatures));
    const Json& signed_part = result.signed_part;
    result.type = CAIRN_TRY(get_string(signed_part, "_type"));
    if (result.type != expected_type) {
      return make_error(ErrorCode::malformed, "\"_type\" is \"{}\", expected \"{}\"", result.type, expected_type);
    }
    std::string spec = CAIRN_TRY(get_string(signed_part, "spec_version"));
    if (spec.substr(0, spec.find('.')) != "1") {
      return make_error(ErrorCode::unsupported,
                        "unknown spec_version \"{}\": this cairn reads manifest format 1.x only; upgrade cairn", spec);
    }
    std::int64_t version = 0, expires = 0;
    CAIRN_TRY(read_header(signed_part, version, expires));
    if (version < 1) return field_error("version", "must be at least 1");
    result.canonical_signed = CAIRN_TRY(canonical_json(signed_part));
    return result;
  }();
  return std::move(parsed).with_context(name);
}

Result<std::string> serialize_document(const SignedDocument& document) {
  Json signatures = Json::array();
  for (const auto& signature : document.signatures) signatures.push_back(signing::to_json(signature));
  Json whole = {{"signed", document.signed_part}, {"signatures", signatures}};
  std::string text = CAIRN_TRY(canonical_json(whole));
  text.push_back('\n');
  return text;
}

Result<SignedDocument> make_document(Json signed_part) {
  SignedDocument document;
  document.type = signed_part.value("_type", "");
  document.canonical_signed = CAIRN_TRY(canonical_json(signed_part));
  document.signed_part = std::move(signed_part);
  return document;
}

Result<void> sign_document(SignedDocument& document, const signing::Signer& signer) {
  signing::Signature signature = CAIRN_TRY(signer.sign(document.canonical_signed));
  std::erase_if(document.signatures, [&](const auto& old) { return old.keyid == signature.keyid; });
  document.signatures.push_back(std::move(signature));
  std::sort(document.signatures.begin(), document.signatures.end(),
            [](const auto& a, const auto& b) { return a.keyid < b.keyid; });
  return {};
}

Json to_json(const RootMetadata& root) {
  Json out;
  write_header(out, "root", root.version, root.expires);
  Json keys = Json::object();
  for (const auto& [keyid, key] : root.keys) {
    keys[keyid] = {{"method", signing::to_string(key.method)},
                   {"public", key.method == SignatureMethod::ed25519 ? base64_encode(key.public_key) : key.public_key}};
  }
  out["keys"] = keys;
  out["roles"] = {{"root", role_to_json(root.root)},
                  {"snapshot", role_to_json(root.snapshot)},
                  {"timestamp", role_to_json(root.timestamp)}};
  Json maintainers = Json::object();
  for (const auto& [library, role] : root.maintainers) maintainers[library] = role_to_json(role);
  out["maintainers"] = maintainers;
  if (root.development) out["development"] = true;
  return out;
}

Result<RootMetadata> root_from_json(const Json& signed_part) {
  RootMetadata root;
  CAIRN_TRY(read_header(signed_part, root.version, root.expires));
  const Json* keys = CAIRN_TRY(get_object(signed_part, "keys"));
  for (const auto& [keyid, value] : keys->items()) {
    std::string context = fmt::format("keys.{}", keyid);
    if (!value.is_object()) return field_error(context, "must be an object");
    KeyMaterial key;
    std::string method = CAIRN_TRY(get_string(value, "method").with_context(context));
    key.method = CAIRN_TRY(signing::parse_signature_method(method).with_context(context));
    std::string public_text = CAIRN_TRY(get_string(value, "public").with_context(context));
    if (key.method == SignatureMethod::ed25519) {
      key.public_key = CAIRN_TRY(base64_decode(public_text).with_context(context + ".public"));
    } else {
      key.public_key = public_text;
    }
    // The id must be the id of the material: nobody may relabel a key.
    auto pinned = signing::TrustedKeys::from_files({{keyid, key.public_key}});
    if (!pinned.ok()) return pinned.error().with_context(context);
    if (pinned->keyids() != std::vector<std::string>{keyid}) {
      return make_error(ErrorCode::malformed, "\"{}\": the key's id is {}, not {}", context,
                        pinned->keyids().empty() ? "(none)" : pinned->keyids().front(), keyid);
    }
    root.keys[keyid] = std::move(key);
  }
  const Json* roles = CAIRN_TRY(get_object(signed_part, "roles"));
  for (auto [name, role] : {std::pair{"root", &root.root}, {"snapshot", &root.snapshot}, {"timestamp", &root.timestamp}}) {
    const Json* value = CAIRN_TRY(member(*roles, name).with_context("roles"));
    *role = CAIRN_TRY(role_from_json(*value, fmt::format("roles.{}", name), root.keys));
  }
  const Json* maintainers = CAIRN_TRY(get_object(signed_part, "maintainers"));
  for (const auto& [library, value] : maintainers->items()) {
    root.maintainers[library] = CAIRN_TRY(role_from_json(value, fmt::format("maintainers.{}", library), root.keys));
  }
  if (auto it = signed_part.find("development"); it != signed_part.end()) {
    if (!it->is_boolean()) return field_error("development", "must be true or false");
    root.development = it->get<bool>();
  }
  return root;
}

Json to_json(const LibraryEntry& entry) {
  Json out;
  write_header(out, "library", entry.version, entry.expires);
  out["name"] = entry.name;
  out["library_version"] = entry.library_version;
  out["license"] = entry.license;
  if (!entry.description.empty()) out["description"] = entry.description;
  out["tree"] = entry.tree.to_string();
  Json files = Json::object();
  for (const auto& [path, digest] : entry.files) files[path] = digest.to_string();
  out["files"] = files;
  if (entry.archive) {
    out["archive"] = {{"url", entry.archive->url},
                      {"digest", entry.archive->digest.to_string()},
                      {"size", entry.archive->size}};
  }
  out["depends"] = entry.depends;
  out["targets"] = entry.targets;
  if (entry.yanked) out["yanked"] = *entry.yanked;
  Json advisories = Json::array();
  for (const auto& advisory : entry.advisories) {
    advisories.push_back({{"id", advisory.id}, {"affected", advisory.affected}, {"summary", advisory.summary}});
  }
  out["advisories"] = advisories;
  return out;
}

Result<LibraryEntry> entry_from_json(const Json& signed_part) {
  LibraryEntry entry;
  CAIRN_TRY(read_header(signed_part, entry.version, entry.expires));
  entry.name = CAIRN_TRY(get_string(signed_part, "name"));
  entry.library_version = CAIRN_TRY(get_string(signed_part, "library_version"));
  if (entry.name.empty() || entry.name.find_first_of("/\\") != std::string::npos || entry.name[0] == '.') {
    return field_error("name", fmt::format("'{}' is not a library name", entry.name));
  }
  if (entry.library_version.empty() || entry.library_version.find('/') != std::string::npos ||
      entry.library_version[0] == '.') {
    return field_error("library_version", fmt::format("'{}' is not a version", entry.library_version));
  }
  entry.license = CAIRN_TRY(get_string(signed_part, "license"));
  if (signed_part.contains("description")) entry.description = CAIRN_TRY(get_string(signed_part, "description"));
  entry.tree = CAIRN_TRY(get_digest(signed_part, "tree"));
  if (signed_part.contains("files")) {
    const Json* files = CAIRN_TRY(get_object(signed_part, "files"));
    for (const auto& [path, value] : files->items()) {
      if (!value.is_string()) return field_error("files." + path, "must be a digest string");
      auto digest = Digest::parse(value.get<std::string>());
      if (!digest.ok()) return field_error("files." + path, digest.error().message());
      entry.files.emplace(path, *digest);
    }
  }
  if (signed_part.contains("archive")) {
    const Json* archive = CAIRN_TRY(get_object(signed_part, "archive"));
    ArchiveRef ref;
    ref.url = CAIRN_TRY(get_string(*archive, "url").with_context("archive"));
    ref.digest = CAIRN_TRY(get_digest(*archive, "digest").with_context("archive"));
    ref.size = CAIRN_TRY(get_size(*archive, "size").with_context("archive"));
    entry.archive = std::move(ref);
  }
  entry.depends = CAIRN_TRY(get_string_map(signed_part, "depends"));
  entry.targets = CAIRN_TRY(get_string_list(signed_part, "targets"));
  if (signed_part.contains("yanked")) entry.yanked = CAIRN_TRY(get_string(signed_part, "yanked"));
  if (auto it = signed_part.find("advisories"); it != signed_part.end()) {
    if (!it->is_array()) return field_error("advisories", "must be an array");
    for (const auto& value : *it) {
      if (!value.is_object()) return field_error("advisories", "must hold objects");
      Advisory advisory;
      advisory.id = CAIRN_TRY(get_string(value, "id").with_context("advisories"));
      advisory.affected = CAIRN_TRY(get_string(value, "affected").with_context("advisories"));
      advisory.summary = CAIRN_TRY(get_string(value, "summary").with_context("advisories"));
      entry.advisories.push_back(std::move(advisory));
    }
  }
  return entry;
}

Json to_json(const SnapshotMetadata& snapshot) {
  Json out;
  write_header(out, "snapshot", snapshot.version, snapshot.expires);
  Json meta = Json::object();
  for (const auto& [path, file] : snapshot.meta) {
    meta[path] = {{"digest", file.digest.to_string()}, {"length", file.length}};
  }
  out["meta"] = meta;
  return out;
}

Result<SnapshotMetadata> snapshot_from_json(const Json& signed_part) {
  SnapshotMetadata snapshot;
  CAIRN_TRY(read_header(signed_part, snapshot.version, snapshot.expires));
  const Json* meta = CAIRN_TRY(get_object(signed_part, "meta"));
  for (const auto& [path, value] : meta->items()) {
    std::string context = "meta." + path;
    if (!value.is_object()) return field_error(context, "must be an object");
    if (auto problem = check_relative_path(path)) return field_error(context, *problem);
    if (path.rfind("libraries/", 0) != 0) return field_error(context, "not under libraries/");
    MetaFile file;
    file.digest = CAIRN_TRY(get_digest(value, "digest").with_context(context));
    file.length = CAIRN_TRY(get_size(value, "length").with_context(context));
    snapshot.meta.emplace(path, file);
  }
  return snapshot;
}

Json to_json(const TimestampMetadata& timestamp) {
  Json out;
  write_header(out, "timestamp", timestamp.version, timestamp.expires);
  out["snapshot"] = {{"digest", timestamp.snapshot.digest.to_string()},
                     {"length", timestamp.snapshot.length},
                     {"version", timestamp.snapshot_version}};
  return out;
}

Result<TimestampMetadata> timestamp_from_json(const Json& signed_part) {
  TimestampMetadata timestamp;
  CAIRN_TRY(read_header(signed_part, timestamp.version, timestamp.expires));
  const Json* snapshot = CAIRN_TRY(get_object(signed_part, "snapshot"));
  timestamp.snapshot.digest = CAIRN_TRY(get_digest(*snapshot, "digest").with_context("snapshot"));
  timestamp.snapshot.length = CAIRN_TRY(get_size(*snapshot, "length").with_context("snapshot"));
  timestamp.snapshot_version = CAIRN_TRY(get_integer(*snapshot, "version").with_context("snapshot"));
  if (timestamp.snapshot_version < 1) return field_error("snapshot.version", "must be at least 1");
  return timestamp;
}

Result<std::pair<std::string, KeyMaterial>> key_from_public_file(std::string_view content, std::string_view name) {
  KeyMaterial key;
  if (content.find("-----BEGIN PGP") != std::string_view::npos) {
    key.method = SignatureMethod::openpgp;
    key.public_key = std::string(content);
  } else {
    auto parsed = signing::Ed25519PublicKey::parse(content, name);
    if (!parsed.ok()) {
      // A private key file names its public part too.
      auto secret = signing::Ed25519PrivateKey::parse(content, name);
      if (!secret.ok()) return parsed.error();
      key.public_key = secret->public_key().raw();
    } else {
      key.public_key = parsed->raw();
    }
  }
  auto pinned = CAIRN_TRY(signing::TrustedKeys::from_files({{std::string(name), key.public_key}}));
  if (pinned.keyids().size() != 1) {
    return make_error(ErrorCode::invalid_argument, "{}: holds {} keys; give one key per file", name, pinned.keyids().size());
  }
  return std::pair{pinned.keyids().front(), std::move(key)};
}

Result<const signing::TrustedKeys*> RoleKeys::of(const Role& role) {
  std::vector<std::string> keyids = role.keyids;
  std::sort(keyids.begin(), keyids.end());
  auto it = keys_.find(keyids);
  if (it == keys_.end()) {
    signing::TrustedKeys keys = CAIRN_TRY(trusted_keys(root_, keyids));
    it = keys_.emplace(std::move(keyids), std::move(keys)).first;
  }
  return &it->second;
}

Result<signing::ThresholdReport> verify_role(const SignedDocument& document, const RootMetadata& root,
                                             const Role& role, std::string_view role_name, std::string_view what) {
  RoleKeys keys(root);
  return verify_role(document, keys, role, role_name, what);
}

Result<signing::ThresholdReport> verify_role(const SignedDocument& document, RoleKeys& keys, const Role& role,
                                             std::string_view role_name, std::string_view what) {
  const RootMetadata& root = keys.root();
  const signing::TrustedKeys* pinned = CAIRN_TRY(keys.of(role).with_context(what));
  auto report = signing::verify_threshold(document.canonical_signed, document.signatures, *pinned, role.threshold);
  if (report.ok()) return report;
  // Name the most telling cause: a known key that is simply not allowed to sign this.
  for (const auto& signature : document.signatures) {
    bool in_role = std::find(role.keyids.begin(), role.keyids.end(), signature.keyid) != role.keyids.end();
    if (!in_role && root.keys.contains(signature.keyid)) {
      return make_error(ErrorCode::refused, "{}: signed by key {}, which is not a {} key; {}", what,
                        signature.keyid, role_name, report.error().message());
    }
  }
  return make_error(ErrorCode::refused, "{}: {} signatures: {}", what, role_name, report.error().message());
}

}  // namespace cairn::manifest
