// Semantic versions (semver 2.0) and the constraints library descriptions write on them.
//
// Constraint grammar (Cargo's meaning): alternatives joined by "||", each a comma-separated list
// of comparators that must all hold. A comparator is `=V`, `>V`, `>=V`, `<V`, `<=V`, `^V`, `~V`,
// a bare `V` (same as `^V`) or `*`. V may be partial ("1", "1.2"): `^1.2` is >=1.2.0 <2.0.0,
// `^0.2.3` is >=0.2.3 <0.3.0, `^0.0.3` is =0.0.3, `~1.2.3` is >=1.2.3 <1.3.0, `=1.2` is
// >=1.2.0 <1.3.0. A pre-release version satisfies a constraint only when one of its comparators
// names a pre-release of the same major.minor.patch (so ^1 never picks 2.0.0-rc.1). Components
// are 64-bit and bounds never wrap: ">1.18446744073709551615" is >=2.0.0, and
// "^18446744073709551615.0.0" has no upper bound.
#pragma once

#include "cairn/core/result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::manifest {

struct Version {
  std::uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers; empty for a release
  std::string build;                    // ignored by comparisons

  // Parses "1.2.3", "1.2.3-rc.1+build.5"; no leading zeros, no "v" prefix.
  static Result<Version> parse(std::string_view text);
  std::string to_string() const;
  bool is_prerelease() const { return !prerelease.empty(); }

  // semver 2.0 precedence (build metadata ignored).
  friend std::strong_ordering operator<=>(const Version& a, const Version& b);
  friend bool operator==(const Version& a, const Version& b) { return std::is_eq(a <=> b); }
};

class Constraint {
 public:
  // Parses the grammar above; errors (malformed) quote the constraint.
  static Result<Constraint> parse(std::string_view text);
  // Whether `version` satisfies the constraint.
  bool matches(const Version& version) const;
  // The text it was parsed from, for messages.
  const std::string& text() const { return text_; }

 private:
  enum class Op { eq, gt, ge, lt, le };
  struct Comparator {
    Op op;
    Version version;
  };
  using Conjunction = std::vector<Comparator>;

  static Result<void> parse_comparator(std::string_view text, Conjunction& out);
  static bool matches_conjunction(const Conjunction& conjunction, const Version& version);

  std::string text_;
  std::vector<Conjunction> alternatives_;
};

}  // namespace cairn::manifest
