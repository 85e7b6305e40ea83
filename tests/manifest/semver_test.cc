// Semantic versions and constraints, as tables in the manner of Cargo's and npm's own tests.
#include "cairn/manifest/semver.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cairn::manifest
