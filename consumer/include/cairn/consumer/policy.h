// The verification policy of `cairn verify`: per image-name pattern, what a consumer requires of an
// image before using it. A JSON file, read strictly (unknown fields are refused, so a typo cannot
// switch a check off):
//
//   {"_type": "cairn-verify-policy", "version": 1,
//    "images": [
//      {"match": "registry.example.org/web/*",
//       "signers": {"keys": ["publisher.pub", ...], "threshold": 1},
//       "manifest": {"root": "root.json", "location": "https://registry.example.org/manifest/" (or a folder),
//                    "development": false} | "skip",
//       "log": {"vkey": "<name>+<hex>+<base64>"} | {"vkey_file": "log.vkey"} | "skip",
//       "rebuilds": {"threshold": 2, "keys": ["rebuilder-a.pub", ...]},
//       "advisories": "deny" | "warn" | "allow",
//       "yanked": "deny" | "warn" | "allow"}]}
//
// Deny by default: "signers" is required; a check the policy leaves out is still made, and fails
// for want of its pin ("the policy pins no log key") unless the policy says "skip" for it;
// development manifests, yanked libraries and advisories are refused unless allowed. Rebuilds are
// required only when "rebuilds" names a threshold. Key files are relative to the policy's folder.
//
// Patterns: "*" matches within one path segment, "**" across segments; the first entry whose
// pattern matches one of the names the image is known by (verify.h says which) applies.
#pragma once

#include "cairn/core/result.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::consumer {

inline constexpr std::string_view policy_type = "cairn-verify-policy";
inline constexpr std::size_t max_policy_size = 1 << 20;

// What to do about a finding: refuse the image, report it and go on, or say nothing.
enum class Allowance { deny, warn, allow };
std::string_view to_string(Allowance allowance);

struct ManifestPin {
  std::filesystem::path root;  // the root.json to pin (absolute)
  std::string location;        // folder or URL; empty: the registry's /manifest/ for registry references
  bool development = false;    // accept images built from a development manifest
};

struct ImagePolicy {
  std::string match;
  std::vector<std::filesystem::path> signer_keys;  // absolute
  std::size_t threshold = 1;
  std::optional<ManifestPin> manifest;  // nullopt with skip_manifest: "skip"
  bool skip_manifest = false;
  std::optional<std::string> log_vkey;  // a C2SP verifier key
  bool skip_log = false;
  std::size_t rebuilds = 0;  // 0: no rebuild attestations required
  std::vector<std::filesystem::path> rebuilder_keys;
  Allowance advisories = Allowance::deny;
  Allowance yanked = Allowance::deny;
};

struct Policy {
  std::filesystem::path file;
  std::vector<ImagePolicy> images;

  // The first entry whose pattern matches one of `names`, or nullptr.
  const ImagePolicy* for_image(const std::vector<std::string>& names) const;
};

// Parses a policy's text; relative key paths are taken from `base` (the policy file's folder).
Result<Policy> parse_policy(std::string_view text, const std::filesystem::path& base);
// Reads and parses the policy file `file`.
Result<Policy> read_policy(const std::filesystem::path& file);

// Whether `name` matches `pattern` ("*" within a segment, "**" across segments, else literal).
bool matches_pattern(std::string_view pattern, std::string_view name);

}  // namespace cairn::consumer
