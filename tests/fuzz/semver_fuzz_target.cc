// The fuzz target of semantic versions and constraints (host_fuzz_targets.h). The input is lines;
// each is tried as a version and as a constraint.
//
// A version that parses is written back as the same text and reads back as the same version; it
// satisfies `=v`, `^v`, `~v`, `v`, `>=v` and `<=v`, but neither `>v` nor `<v`, and `*` only when it
// is a release. Versions are ordered consistently both ways. Every constraint is asked about every
// version (those of the input and the edges of the 64-bit range), and "a || b" holds exactly when
// a or b does.
#include "cairn/manifest/semver.h"
#include "host_fuzz_support.h"
#include "host_fuzz_targets.h"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

namespace cairn::fuzz {

namespace {

using manifest::Constraint;
using manifest::Version;

// Bounds on the work per input: every constraint meets every version.
constexpr std::size_t max_lines = 16;
constexpr std::size_t max_versions_with_neighbours = 4;
constexpr std::size_t max_constraint_pairs = 3;
constexpr std::uint64_t largest = std::numeric_limits<std::uint64_t>::max();

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= text.size() && lines.size() < max_lines;) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool matches(std::string_view constraint_text, const Version& version) {
  Result<Constraint> constraint = Constraint::parse(constraint_text);
  if (!constraint) broken("a constraint made from a version does not parse", constraint.error().message());
  return constraint->matches(version);
}

void check_version(std::string_view text, const Version& version) {
  require(version.to_string() == text, "a version is not written back as the text it was read from");
  Result<Version> reread = Version::parse(version.to_string());
  require(reread.ok() && *reread == version && reread->build == version.build,
          "a version written back reads as another version");

  std::string written(text);
  for (const char* op : {"=", "^", "~", "", ">=", "<="}) {
    if (!matches(op + written, version)) broken("a version does not satisfy a constraint on itself", op + written);
  }
  for (const char* op : {">", "<"}) {
    if (matches(op + written, version)) broken("a version satisfies a strict constraint on itself", op + written);
  }
  require(matches("*", version) == !version.is_prerelease(), "\"*\" is not exactly the releases");
}

// Versions the input did not spell out: the edges of the range and the neighbours of the first
// few versions.
std::vector<Version> versions_around(const std::vector<Version>& parsed) {
  std::vector<Version> versions = parsed;
  versions.push_back(Version{});
  versions.push_back(Version{largest, largest, largest, {}, {}});
  for (std::size_t i = 0; i < parsed.size() && i < max_versions_with_neighbours; ++i) {
    Version release = parsed[i];
    release.prerelease.clear();
    versions.push_back(release);
    for (std::uint64_t Version::*component : {&Version::major, &Version::minor, &Version::patch}) {
      Version next = release;
      if (next.*component < largest) ++(next.*component);
      versions.push_back(next);
      Version previous = release;
      if (previous.*component > 0) --(previous.*component);
      versions.push_back(previous);
    }
  }
  return versions;
}

void check_order(const std::vector<Version>& versions) {
  for (const Version& a : versions) {
    for (const Version& b : versions) {
      require((a < b) == (b > a) && (a == b) == (b == a), "versions are ordered differently each way round");
      require((a < b) + (a == b) + (a > b) == 1, "two versions are not exactly one of less, equal, greater");
    }
  }
}

bool check_semver(std::string_view text) {
  std::vector<Version> versions;
  std::vector<Constraint> constraints;
  for (std::string_view line : lines_of(text)) {
    if (Result<Version> version = Version::parse(line)) {
      check_version(line, *version);
      versions.push_back(std::move(version).value());
    }
    if (Result<Constraint> constraint = Constraint::parse(line)) constraints.push_back(std::move(constraint).value());
  }
  bool accepted = !versions.empty() || !constraints.empty();
  check_order(versions);

  std::vector<Version> candidates = versions_around(versions);
  for (const Constraint& constraint : constraints) {
    for (const Version& version : candidates) (void)constraint.matches(version);
  }
  std::size_t pairs = std::min(constraints.size(), max_constraint_pairs);
  for (std::size_t i = 0; i < pairs; ++i) {
    for (std::size_t j = 0; j < pairs; ++j) {
      std::string either = constraints[i].text() + " || " + constraints[j].text();
      Result<Constraint> alternatives = Constraint::parse(either);
      if (!alternatives) broken("two constraints joined by || do not parse", either);
      for (const Version& version : candidates) {
        bool expected = constraints[i].matches(version) || constraints[j].matches(version);
        if (alternatives->matches(version) != expected) broken("\"a || b\" is not a or b", either);
      }
    }
  }
  return accepted;
}

}  // namespace

int fuzz_semver(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_semver(as_text(data, size)));
}

}  // namespace cairn::fuzz
