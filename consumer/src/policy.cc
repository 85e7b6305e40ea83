// The verification policy (see policy.h).
#include "cairn/consumer/policy.h"

#include "cairn/core/file.h"
#include "cairn/core/json_reader.h"

#include <fmt/format.h>

namespace cairn::consumer {

namespace fs = std::filesystem;

namespace {

Result<Allowance> read_allowance(const JsonReader& entry, std::string_view key) {
  // (Read without CAIRN_TRY: g++ 12 warns, wrongly, that the short string may be uninitialized
  // when compared right after the statement expression.)
  Result<std::string> text = entry.string_or(key, "deny");
  if (!text.ok()) return std::move(text).error();
  for (Allowance allowance : {Allowance::deny, Allowance::warn, Allowance::allow}) {
    if (*text == to_string(allowance)) return allowance;
  }
  return entry.error(fmt::format("{}: '{}' is not deny, warn or allow", key, *text));
}

Result<std::vector<fs::path>> read_key_files(const JsonReader& reader, std::string_view key, const fs::path& base) {
  std::vector<std::string> names = CAIRN_TRY(reader.strings(key));
  std::vector<fs::path> files;
  for (const std::string& name : names) {
    if (name.empty()) return reader.error(fmt::format("{}: an empty file name", key));
    files.push_back(base / name);
  }
  return files;
}

// A member that is either the string "skip" or an object; nullopt for "skip", the object otherwise.
Result<std::optional<JsonReader>> object_or_skip(const JsonReader& entry, std::string_view key, bool& skip) {
  std::optional<JsonReader> member = CAIRN_TRY(entry.find(key));
  skip = false;
  if (!member) return std::optional<JsonReader>{};
  if (member->json().is_string()) {
    if (member->json().get<std::string>() == "skip") {
      skip = true;
      return std::optional<JsonReader>{};
    }
    return member->error("must be an object, or \"skip\" to not make this check");
  }
  CAIRN_TRY(member->require_object());
  return member;
}

Result<ImagePolicy> read_image_policy(const JsonReader& entry, const fs::path& base) {
  CAIRN_TRY(entry.allow_only({"match", "signers", "manifest", "log", "rebuilds", "advisories", "yanked"}));
  ImagePolicy policy;
  policy.match = CAIRN_TRY(entry.string("match"));
  if (policy.match.empty()) return entry.error("match: an empty pattern");

  JsonReader signers = CAIRN_TRY(entry.object("signers"));
  CAIRN_TRY(signers.allow_only({"keys", "threshold"}));
  policy.signer_keys = CAIRN_TRY(read_key_files(signers, "keys", base));
  std::uint64_t threshold = CAIRN_TRY(signers.count("threshold"));
  if (threshold == 0 || threshold > policy.signer_keys.size()) {
    return signers.error(fmt::format("threshold {} with {} keys: it must be 1 to the number of keys", threshold,
                                     policy.signer_keys.size()));
  }
  policy.threshold = threshold;

  std::optional<JsonReader> manifest = CAIRN_TRY(object_or_skip(entry, "manifest", policy.skip_manifest));
  if (manifest) {
    CAIRN_TRY(manifest->allow_only({"root", "location", "development"}));
    ManifestPin pin;
    std::string root = CAIRN_TRY(manifest->string("root"));
    if (root.empty()) return manifest->error("root: an empty file name");
    pin.root = base / root;
    pin.location = CAIRN_TRY(manifest->string_or("location", ""));
    // A folder is relative to the policy's folder, as key files are; a URL stays as written.
    bool url = pin.location.starts_with("http://") || pin.location.starts_with("https://");
    if (!pin.location.empty() && !url) pin.location = (base / pin.location).string();
    pin.development = CAIRN_TRY(manifest->boolean_or("development", false));
    policy.manifest = std::move(pin);
  }

  std::optional<JsonReader> log = CAIRN_TRY(object_or_skip(entry, "log", policy.skip_log));
  if (log) {
    CAIRN_TRY(log->allow_only({"vkey", "vkey_file"}));
    std::optional<std::string> vkey = CAIRN_TRY(log->optional_string("vkey"));
    std::optional<std::string> vkey_file = CAIRN_TRY(log->optional_string("vkey_file"));
    if (vkey.has_value() == vkey_file.has_value()) return log->error("give exactly one of vkey and vkey_file");
    if (vkey_file) {
      std::string text = CAIRN_TRY(read_file(base / *vkey_file, 4096).with_context("log.vkey_file"));
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      vkey = std::move(text);
    }
    policy.log_vkey = std::move(vkey);
  }

  if (std::optional<JsonReader> rebuilds = CAIRN_TRY(entry.find("rebuilds"))) {
    CAIRN_TRY(rebuilds->allow_only({"threshold", "keys"}));
    policy.rebuilder_keys = CAIRN_TRY(read_key_files(*rebuilds, "keys", base));
    std::uint64_t count = CAIRN_TRY(rebuilds->count("threshold"));
    if (count > policy.rebuilder_keys.size()) {
      return rebuilds->error(
          fmt::format("threshold {} with {} rebuilder keys: it cannot be met", count, policy.rebuilder_keys.size()));
    }
    policy.rebuilds = count;
  }
  policy.advisories = CAIRN_TRY(read_allowance(entry, "advisories"));
  policy.yanked = CAIRN_TRY(read_allowance(entry, "yanked"));
  return policy;
}

bool match_from(std::string_view pattern, std::string_view name) {
  while (!pattern.empty()) {
    if (pattern.starts_with("**")) {
      std::string_view rest = pattern.substr(2);
      for (std::size_t skip = 0; skip <= name.size(); ++skip) {
        if (match_from(rest, name.substr(skip))) return true;
      }
      return false;
    }
    if (pattern.front() == '*') {
      std::string_view rest = pattern.substr(1);
      for (std::size_t skip = 0; skip <= name.size(); ++skip) {
        if (match_from(rest, name.substr(skip))) return true;
        if (skip < name.size() && name[skip] == '/') break;
      }
      return false;
    }
    if (name.empty() || name.front() != pattern.front()) return false;
    pattern.remove_prefix(1);
    name.remove_prefix(1);
  }
  return name.empty();
}

}  // namespace

std::string_view to_string(Allowance allowance) {
  switch (allowance) {
    case Allowance::deny:
      return "deny";
    case Allowance::warn:
      return "warn";
    case Allowance::allow:
      return "allow";
  }
  return "deny";
}

bool matches_pattern(std::string_view pattern, std::string_view name) {
  // Patterns come from the policy and names from a reference: both short. Bounding the pattern's
  // stars keeps the backtracking small even for a hostile pair.
  std::size_t stars = 0;
  for (char c : pattern) stars += c == '*';
  if (stars > 8 || name.size() > 4096) return false;
  return match_from(pattern, name);
}

const ImagePolicy* Policy::for_image(const std::vector<std::string>& names) const {
  for (const ImagePolicy& image : images) {
    for (const std::string& name : names) {
      if (matches_pattern(image.match, name)) return &image;
    }
  }
  return nullptr;
}

Result<Policy> parse_policy(std::string_view text, const fs::path& base) {
  Json json = CAIRN_TRY(parse_json(text));
  JsonReader document(json);
  CAIRN_TRY(document.allow_only({"_type", "version", "images"}));
  std::string type = CAIRN_TRY(document.string("_type"));
  if (type != policy_type) return document.error(fmt::format("_type is '{}', not {}", type, policy_type));
  std::int64_t version = CAIRN_TRY(document.integer("version"));
  if (version != 1) {
    return make_error(ErrorCode::unsupported, "policy version {}: this cairn reads version 1", version);
  }
  Policy policy;
  for (const JsonReader& entry : CAIRN_TRY(document.elements_of("images"))) {
    ImagePolicy image = CAIRN_TRY(read_image_policy(entry, base));
    policy.images.push_back(std::move(image));
  }
  if (policy.images.empty()) return document.error("images: no entry, so no image could pass");
  return policy;
}

Result<Policy> read_policy(const fs::path& file) {
  std::string text = CAIRN_TRY(read_file(file, max_policy_size));
  fs::path base = fs::absolute(file).parent_path();
  Result<Policy> policy = parse_policy(text, base);
  if (!policy.ok()) return std::move(policy).error().with_context(file.string());
  policy->file = file;
  return policy;
}

}  // namespace cairn::consumer
