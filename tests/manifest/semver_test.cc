// Semantic versions and constraints, as tables in the manner of Cargo's and npm's own tests.
#include "cairn/manifest/semver.h"

#include <gtest/gtest.h>

#include <array>
#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace cairn::manifest {
namespace {

Version v(std::string_view text) { return Version::parse(text).value(); }

TEST(Version, OrdersBySemverPrecedenceIgnoringBuildMetadata) {
  const char* ascending[] = {"1.0.0-alpha",      "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                             "1.0.0-beta.2",     "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
                             "1.0.1",            "1.1.0",         "2.0.0",            "10.0.0"};
  for (std::size_t i = 0; i + 1 < std::size(ascending); ++i) {
    EXPECT_LT(v(ascending[i]), v(ascending[i + 1])) << ascending[i] << " < " << ascending[i + 1];
  }
  EXPECT_EQ(v("1.0.0+build.1"), v("1.0.0+build.2"));
  EXPECT_EQ(v("1.2.3-rc.1+b5").to_string(), "1.2.3-rc.1+b5");
}

TEST(Version, RejectsMalformedVersions) {
  for (const char* text : {"1", "1.2", "01.2.3", "1.2.3-", "1.2.3-01", "v1.2.3", "1.2.3.4", "1.a.3", ""}) {
    auto parsed = Version::parse(text);
    EXPECT_FALSE(parsed.ok()) << text;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.error().code(), ErrorCode::malformed);
    }
  }
}

struct Row {
  const char* constraint;
  const char* version;
  bool matches;
};

TEST(Constraint, MatchesLikeCargo) {
  const Row rows[] = {
      {"^1.2.3", "1.2.3", true},   {"^1.2.3", "1.9.0", true},   {"^1.2.3", "2.0.0", false},
      {"^1.2.3", "1.2.2", false},  {"^1.2", "1.2.0", true},     {"^1", "1.99.0", true},
      {"^0.2.3", "0.2.9", true},   {"^0.2.3", "0.3.0", false},  {"^0.0.3", "0.0.3", true},
      {"^0.0.3", "0.0.4", false},  {"^0.0", "0.0.9", true},     {"^0.0", "0.1.0", false},
      {"^0", "0.9.0", true},       {"^0.1", "0.1.5", true},     {"^0.1", "0.2.0", false},
      {"~1.2.3", "1.2.9", true},   {"~1.2.3", "1.3.0", false},  {"~1.2", "1.2.0", true},
      {"~1", "1.9.0", true},       {"~1", "2.0.0", false},      {"=1.2.3", "1.2.3", true},
      {"=1.2.3", "1.2.4", false},  {"=1.2", "1.2.7", true},     {"=1.2", "1.3.0", false},
      {">1.2.3", "1.2.4", true},   {">1.2.3", "1.2.3", false},  {">1.2", "1.3.0", true},
      {">1.2", "1.2.9", false},    {">=1.2.3", "1.2.3", true},  {"<2", "1.9.9", true},
      {"<2", "2.0.0", false},      {"<=1.2", "1.2.9", true},    {"<=1.2", "1.3.0", false},
      {"1.2.3", "1.5.0", true},    {"*", "3.4.5", true},        {">=1, <2", "1.5.0", true},
      {">=1, <2", "2.0.0", false}, {">=1, <2 || =3.0.0", "3.0.0", true}, {">=1, <2 || =3.0.0", "2.5.0", false},
      {"^1", "2.0.0-rc.1", false}, {"^1", "1.5.0-rc.1", false}, {"^1.5.0-rc.1", "1.5.0-rc.2", true},
      {"^1.5.0-rc.1", "1.5.0", true}, {"^1.5.0-rc.1", "1.6.0-rc.1", false}, {"<2.0.0", "2.0.0-alpha", false},
  };
  for (const Row& row : rows) {
    auto constraint = Constraint::parse(row.constraint);
    ASSERT_TRUE(constraint.ok()) << row.constraint << ": " << constraint.error().message();
    EXPECT_EQ(constraint->matches(v(row.version)), row.matches) << row.constraint << " vs " << row.version;
  }
}

TEST(Constraint, RejectsMalformedConstraints) {
  for (const char* text : {"", "^", ">=1,", "^1.x.3", "~>1.2", "=1.2.3.4", "<*", "1 || "}) {
    auto parsed = Constraint::parse(text);
    EXPECT_FALSE(parsed.ok()) << text;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.error().code(), ErrorCode::malformed) << text;
    }
  }
}

// --- Bounds at the largest components: a bound one above 2^64-1 must not wrap around to 0. ---

constexpr std::uint64_t max_component = std::numeric_limits<std::uint64_t>::max();
const std::string max_text = std::to_string(max_component);  // "18446744073709551615"

// The constraint `text`; one that does not parse fails the test and matches nothing.
Constraint must_parse(const std::string& text) {
  auto constraint = Constraint::parse(text);
  if (!constraint.ok()) ADD_FAILURE() << text << ": " << constraint.error().message();
  return constraint.ok() ? std::move(constraint).value() : Constraint::parse("<0.0.0").value();
}

bool matches(const std::string& constraint, const std::string& version) {
  return must_parse(constraint).matches(v(version));
}

TEST(Constraint, TildeOnTheLargestMinorMatchesThatMinor) {
  const std::string tilde = "~1." + max_text + ".0";
  EXPECT_TRUE(matches(tilde, "1." + max_text + ".0"));
  EXPECT_TRUE(matches(tilde, "1." + max_text + "." + max_text));
  EXPECT_FALSE(matches(tilde, "1.5.0"));
  EXPECT_FALSE(matches(tilde, "2.0.0"));
}

TEST(Constraint, GreaterThanAPartialWithTheLargestMinorStartsAtTheNextMajor) {
  const std::string greater = ">1." + max_text;
  EXPECT_FALSE(matches(greater, "1.5.0"));
  EXPECT_FALSE(matches(greater, "1." + max_text + "." + max_text));
  EXPECT_FALSE(matches(greater, "2.0.0-rc.1"));
  EXPECT_TRUE(matches(greater, "2.0.0"));
  EXPECT_TRUE(matches(greater, max_text + ".0.0"));
}

TEST(Constraint, CaretOnTheLargestMajorHasNoUpperBound) {
  const std::string caret = "^" + max_text + ".0.0";
  EXPECT_TRUE(matches(caret, max_text + ".0.0"));
  EXPECT_TRUE(matches(caret, max_text + ".7.1"));
  EXPECT_TRUE(matches(caret, max_text + "." + max_text + "." + max_text));
  EXPECT_FALSE(matches(caret, "18446744073709551614.9.9"));
  EXPECT_FALSE(matches(caret, "1.0.0"));
}

TEST(Constraint, GreaterThanTheLargestPrefixMatchesNothing) {
  const std::string largest = max_text + "." + max_text + "." + max_text;
  for (const std::string& greater : {">" + max_text, ">" + max_text + ".x", ">" + max_text + "." + max_text}) {
    EXPECT_FALSE(matches(greater, largest)) << greater;
    EXPECT_FALSE(matches(greater, "0.0.0")) << greater;
    EXPECT_FALSE(matches(greater, "1.0.0")) << greater;
  }
}

TEST(Constraint, AtMostOrEqualToAPrefixWithTheLargestComponentIncludesEveryVersionUnderIt) {
  EXPECT_TRUE(matches("<=" + max_text, max_text + "." + max_text + "." + max_text));
  EXPECT_TRUE(matches("<=" + max_text, "0.0.1"));
  EXPECT_TRUE(matches("<=1." + max_text, "1." + max_text + ".3"));
  EXPECT_FALSE(matches("<=1." + max_text, "2.0.0"));
  EXPECT_TRUE(matches("=1." + max_text, "1." + max_text + ".3"));
  EXPECT_FALSE(matches("=1." + max_text, "2.0.0"));
}

// The components at which a bound one above could wrap: 0, 1 and the two largest a component holds.
constexpr std::array<std::uint64_t, 4> edge_components = {0, 1, max_component - 1, max_component};

std::vector<Version> edge_versions() {
  std::vector<Version> versions;
  for (std::uint64_t major : edge_components) {
    for (std::uint64_t minor : edge_components) {
      for (std::uint64_t patch : edge_components) {
        Version version;
        version.major = major;
        version.minor = minor;
        version.patch = patch;
        versions.push_back(version);
      }
    }
  }
  return versions;
}

std::array<std::uint64_t, 3> numbers_of(const Version& version) {
  return {version.major, version.minor, version.patch};
}

// The first `parts` of major.minor.patch, as a constraint writes them: "1", "1.2" or "1.2.3".
std::string prefix_text(const Version& version, std::size_t parts) {
  auto numbers = numbers_of(version);
  std::string text = std::to_string(numbers[0]);
  for (std::size_t i = 1; i < parts; ++i) text += "." + std::to_string(numbers[i]);
  return text;
}

// Compares the first `parts` components of `a` and `b`, ignoring the rest.
std::strong_ordering compare_prefix(const Version& a, const Version& b, std::size_t parts) {
  auto x = numbers_of(a), y = numbers_of(b);
  for (std::size_t i = 0; i < parts; ++i) {
    if (auto c = x[i] <=> y[i]; c != 0) return c;
  }
  return std::strong_ordering::equal;
}

TEST(Constraint, EveryEdgeVersionMatchesItsOwnExactCaretAndTildeConstraints) {
  for (const Version& version : edge_versions()) {
    const std::string text = version.to_string();
    EXPECT_TRUE(must_parse("=" + text).matches(version)) << "=" << text;
    EXPECT_TRUE(must_parse("^" + text).matches(version)) << "^" << text;
    EXPECT_TRUE(must_parse("~" + text).matches(version)) << "~" << text;
  }
}

// A comparator on a partial version compares only the components written: ">1.2" is every
// version whose major.minor is above 1.2, whatever the numbers are; "1.x" and "1.*" are "1".
TEST(Constraint, ComparatorsCompareOnlyTheWrittenComponentsAtEveryEdge) {
  const std::vector<Version> versions = edge_versions();
  for (const Version& bound : versions) {
    for (std::size_t parts = 1; parts <= 3; ++parts) {
      std::vector<std::string> spellings = {prefix_text(bound, parts)};
      if (parts == 1) {
        spellings.push_back(spellings[0] + ".x");
        spellings.push_back(spellings[0] + ".*");
      }
      for (const std::string& written : spellings) {
        Constraint equal = must_parse("=" + written), greater = must_parse(">" + written),
                   at_least = must_parse(">=" + written), less = must_parse("<" + written),
                   at_most = must_parse("<=" + written);
        for (const Version& version : versions) {
          std::strong_ordering order = compare_prefix(version, bound, parts);
          const std::string where = written + " vs " + version.to_string();
          EXPECT_EQ(equal.matches(version), order == 0) << "=" << where;
          EXPECT_EQ(greater.matches(version), order > 0) << ">" << where;
          EXPECT_EQ(at_least.matches(version), order >= 0) << ">=" << where;
          EXPECT_EQ(less.matches(version), order < 0) << "<" << where;
          EXPECT_EQ(at_most.matches(version), order <= 0) << "<=" << where;
        }
      }
    }
  }
}

// ^ keeps the components up to the first non-zero one written (all of them for "^0.0" and
// "^0.0.3"), ~ keeps major and minor (only the major for "~1"); within those, both allow the
// version written and anything above it.
TEST(Constraint, CaretAndTildeKeepTheirFixedComponentsAtEveryEdge) {
  const std::vector<Version> versions = edge_versions();
  for (const Version& bound : versions) {
    for (std::size_t parts = 1; parts <= 3; ++parts) {
      const std::string written = prefix_text(bound, parts);
      Version lowest = bound;  // the components written, then zeros
      if (parts < 3) lowest.patch = 0;
      if (parts < 2) lowest.minor = 0;
      std::size_t caret_fixed = bound.major > 0 || parts == 1 ? 1 : bound.minor > 0 || parts == 2 ? 2 : 3;
      std::size_t tilde_fixed = parts == 1 ? 1 : 2;
      Constraint caret = must_parse("^" + written), bare = must_parse(written), tilde = must_parse("~" + written);
      for (const Version& version : versions) {
        bool caret_expected = version >= lowest && compare_prefix(version, bound, caret_fixed) == 0;
        bool tilde_expected = version >= lowest && compare_prefix(version, bound, tilde_fixed) == 0;
        const std::string where = written + " vs " + version.to_string();
        EXPECT_EQ(caret.matches(version), caret_expected) << "^" << where;
        EXPECT_EQ(bare.matches(version), caret_expected) << where;
        EXPECT_EQ(tilde.matches(version), tilde_expected) << "~" << where;
      }
    }
  }
}

}  // namespace
}  // namespace cairn::manifest
