// Reading, writing and signing the four manifest documents (see metadata.h and manifest/README.md).
#include "cairn/manifest/metadata.h"

#include "cairn/core/base64.h"
#include "cairn/core/json_reader.h"
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

// The header every signed part shares.
void write_header(Json& out, std::string_view type, std::int64_t version, std::int64_t expires) {
  out["_type"] = type;
  out["spec_version"] = spec_version;
  out["version"] = version;
  out["expires"] = format_rfc3339(expires);
}

Result<void> read_header(const JsonReader& signed_part, std::int64_t& version, std::int64_t& expires) {
  version = CAIRN_TRY(signed_part.integer("version"));
  JsonReader expires_field = CAIRN_TRY(signed_part.at("expires"));
  std::string text = CAIRN_TRY(expires_field.as_string());
  auto parsed = parse_rfc3339(text);
  if (!parsed.ok()) return expires_field.error(parsed.error().message());
  expires = *parsed;
  return {};
}

Json role_to_json(const Role& role) {
  return {{"keyids", role.keyids}, {"threshold", role.threshold}};
}

Result<Role> role_from_json(const JsonReader& value, const std::map<std::string, KeyMaterial>& keys) {
  CAIRN_TRY(value.require_object());
  Role role;
  role.keyids = CAIRN_TRY(value.strings_or_empty("keyids"));
  std::int64_t threshold = CAIRN_TRY(value.integer("threshold"));
  std::set<std::string> distinct(role.keyids.begin(), role.keyids.end());
  if (distinct.size() != role.keyids.size()) return value.error("lists a key twice");
  if (threshold < 1 || static_cast<std::size_t>(threshold) > role.keyids.size()) {
    return value.error(fmt::format("threshold {} must be between 1 and its {} keys", threshold, role.keyids.size()));
  }
  role.threshold = static_cast<std::size_t>(threshold);
  for (const auto& keyid : role.keyids) {
    if (!keys.contains(keyid)) return value.error(fmt::format("key {} is not in \"keys\"", keyid));
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
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[19] != 'Z') {
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

std::string LibraryEntry::path() const {
  return fmt::format("libraries/{}/{}.json", name, library_version);
}

Result<SignedDocument> parse_signed_document(std::string_view text, std::string_view expected_type,
                                             std::string_view name) {
  auto parsed = [&]() -> Result<SignedDocument> {
    Json json = CAIRN_TRY(parse_json(text));
    JsonReader document(json);
    CAIRN_TRY(document.allow_only({"signed", "signatures"}));
    SignedDocument result;
    JsonReader signed_part = CAIRN_TRY(document.object("signed"));
    result.signed_part = signed_part.json();
    JsonReader signatures = CAIRN_TRY(document.at("signatures"));
    result.signatures = CAIRN_TRY(signing::signatures_from_json(signatures));
    result.type = CAIRN_TRY(signed_part.string("_type"));
    if (result.type != expected_type) {
      return make_error(ErrorCode::malformed, "\"_type\" is \"{}\", expected \"{}\"", result.type, expected_type);
    }
    std::string spec = CAIRN_TRY(signed_part.string("spec_version"));
    if (spec.substr(0, spec.find('.')) != "1") {
      return make_error(ErrorCode::unsupported,
                        "unknown spec_version \"{}\": this cairn reads manifest format 1.x only; upgrade cairn", spec);
    }
    std::int64_t version = 0, expires = 0;
    CAIRN_TRY(read_header(signed_part, version, expires));
    if (version < 1) return field_error("signed.version", "must be at least 1");
    result.canonical_signed = CAIRN_TRY(canonical_json(result.signed_part));
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

Result<RootMetadata> root_from_json(const Json& json) {
  JsonReader signed_part(json, "signed");
  RootMetadata root;
  CAIRN_TRY(read_header(signed_part, root.version, root.expires));
  JsonReader keys = CAIRN_TRY(signed_part.object("keys"));
  for (const auto& [keyid, value] : CAIRN_TRY(keys.members())) {
    KeyMaterial key;
    JsonReader method = CAIRN_TRY(value.at("method"));
    std::string method_name = CAIRN_TRY(method.as_string());
    key.method = CAIRN_TRY(signing::parse_signature_method(method_name).with_context(method.where()));
    JsonReader public_field = CAIRN_TRY(value.at("public"));
    std::string public_text = CAIRN_TRY(public_field.as_string());
    if (key.method == SignatureMethod::ed25519) {
      key.public_key = CAIRN_TRY(base64_decode(public_text).with_context(public_field.where()));
    } else {
      key.public_key = public_text;
    }
    // The id must be the id of the material: nobody may relabel a key.
    auto pinned = signing::TrustedKeys::from_files({{keyid, key.public_key}});
    if (!pinned.ok()) return pinned.error().with_context(value.where());
    if (pinned->keyids() != std::vector<std::string>{keyid}) {
      return value.error(fmt::format("the key's id is {}, not {}",
                                     pinned->keyids().empty() ? "(none)" : pinned->keyids().front(), keyid));
    }
    root.keys[keyid] = std::move(key);
  }
  JsonReader roles = CAIRN_TRY(signed_part.object("roles"));
  for (auto [name, role] :
       {std::pair{"root", &root.root}, {"snapshot", &root.snapshot}, {"timestamp", &root.timestamp}}) {
    JsonReader value = CAIRN_TRY(roles.at(name));
    *role = CAIRN_TRY(role_from_json(value, root.keys));
  }
  JsonReader maintainers = CAIRN_TRY(signed_part.object("maintainers"));
  for (const auto& [library, value] : CAIRN_TRY(maintainers.members())) {
    root.maintainers[library] = CAIRN_TRY(role_from_json(value, root.keys));
  }
  root.development = CAIRN_TRY(signed_part.boolean_or("development", false));
  return root;
}

Json to_json(const ArchiveRef& archive) {
  return {{"url", archive.url}, {"digest", archive.digest.to_string()}, {"size", archive.size}};
}

Result<ArchiveRef> archive_from_json(const JsonReader& archive) {
  ArchiveRef reference;
  reference.url = CAIRN_TRY(archive.string("url"));
  reference.digest = CAIRN_TRY(archive.digest("digest"));
  reference.size = CAIRN_TRY(archive.count("size"));
  return reference;
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
  if (entry.archive) out["archive"] = to_json(*entry.archive);
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

Result<LibraryEntry> entry_from_json(const Json& json) {
  JsonReader signed_part(json, "signed");
  LibraryEntry entry;
  CAIRN_TRY(read_header(signed_part, entry.version, entry.expires));
  entry.name = CAIRN_TRY(signed_part.string("name"));
  entry.library_version = CAIRN_TRY(signed_part.string("library_version"));
  if (entry.name.empty() || entry.name.find_first_of("/\\") != std::string::npos || entry.name[0] == '.') {
    return field_error("signed.name", fmt::format("'{}' is not a library name", entry.name));
  }
  if (entry.library_version.empty() || entry.library_version.find('/') != std::string::npos ||
      entry.library_version[0] == '.') {
    return field_error("signed.library_version", fmt::format("'{}' is not a version", entry.library_version));
  }
  entry.license = CAIRN_TRY(signed_part.string("license"));
  entry.description = CAIRN_TRY(signed_part.string_or("description", ""));
  entry.tree = CAIRN_TRY(signed_part.digest("tree"));
  for (const auto& [path, value] : CAIRN_TRY(signed_part.members_of("files"))) {
    Digest digest = CAIRN_TRY(value.as_digest());
    entry.files.emplace(path, digest);
  }
  if (std::optional<JsonReader> archive = CAIRN_TRY(signed_part.find("archive"))) {
    entry.archive = CAIRN_TRY(archive_from_json(*archive));
  }
  entry.depends = CAIRN_TRY(signed_part.string_map_or_empty("depends"));
  entry.targets = CAIRN_TRY(signed_part.strings_or_empty("targets"));
  entry.yanked = CAIRN_TRY(signed_part.optional_string("yanked"));
  for (const JsonReader& value : CAIRN_TRY(signed_part.elements_of("advisories"))) {
    Advisory advisory;
    advisory.id = CAIRN_TRY(value.string("id"));
    advisory.affected = CAIRN_TRY(value.string("affected"));
    advisory.summary = CAIRN_TRY(value.string("summary"));
    entry.advisories.push_back(std::move(advisory));
  }
  return entry;
}

Json to_json(const SnapshotMetadata& snapshot) {
  Json out;
  write_header(out, "snapshot", snapshot.version, snapshot.expires);
  if (snapshot.created) out["created"] = format_rfc3339(*snapshot.created);
  Json meta = Json::object();
  for (const auto& [path, file] : snapshot.meta) {
    meta[path] = {{"digest", file.digest.to_string()}, {"length", file.length}};
  }
  out["meta"] = meta;
  return out;
}

Result<SnapshotMetadata> snapshot_from_json(const Json& json) {
  JsonReader signed_part(json, "signed");
  SnapshotMetadata snapshot;
  CAIRN_TRY(read_header(signed_part, snapshot.version, snapshot.expires));
  if (std::optional<JsonReader> created = CAIRN_TRY(signed_part.find("created"))) {
    std::string text = CAIRN_TRY(created->as_string());
    auto parsed = parse_rfc3339(text);
    if (!parsed.ok()) return created->error(parsed.error().message());
    snapshot.created = *parsed;
  }
  JsonReader meta = CAIRN_TRY(signed_part.object("meta"));
  for (const auto& [path, value] : CAIRN_TRY(meta.members())) {
    CAIRN_TRY(value.require_object());
    if (auto problem = check_relative_path(path)) return value.error(*problem);
    if (path.rfind("libraries/", 0) != 0) return value.error("not under libraries/");
    MetaFile file;
    file.digest = CAIRN_TRY(value.digest("digest"));
    file.length = CAIRN_TRY(value.count("length"));
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

Result<TimestampMetadata> timestamp_from_json(const Json& json) {
  JsonReader signed_part(json, "signed");
  TimestampMetadata timestamp;
  CAIRN_TRY(read_header(signed_part, timestamp.version, timestamp.expires));
  JsonReader snapshot = CAIRN_TRY(signed_part.object("snapshot"));
  timestamp.snapshot.digest = CAIRN_TRY(snapshot.digest("digest"));
  timestamp.snapshot.length = CAIRN_TRY(snapshot.count("length"));
  timestamp.snapshot_version = CAIRN_TRY(snapshot.integer("version"));
  if (timestamp.snapshot_version < 1) return field_error("signed.snapshot.version", "must be at least 1");
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
    return make_error(ErrorCode::invalid_argument, "{}: holds {} keys; give one key per file", name,
                      pinned.keyids().size());
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

Result<signing::ThresholdReport> verify_role(const SignedDocument& document, const RootMetadata& root, const Role& role,
                                             std::string_view role_name, std::string_view what) {
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
      return make_error(ErrorCode::refused, "{}: signed by key {}, which is not a {} key; {}", what, signature.keyid,
                        role_name, report.error().message());
    }
  }
  return make_error(ErrorCode::refused, "{}: {} signatures: {}", what, role_name, report.error().message());
}

}  // namespace cairn::manifest
