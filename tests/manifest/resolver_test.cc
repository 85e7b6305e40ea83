// The resolver: newest versions win, backtracking finds older ones when needed, yanked versions
// are never picked for a new resolution, and conflicts are explained as chains in words.
#include "cairn/manifest/resolver.h"

#include <gtest/gtest.h>

namespace cairn::manifest {
namespace {

class ResolverTest : public ::testing::Test {
 protected:
  void add(const std::string& name, const std::string& version, std::map<std::string, std::string> depends = {},
           bool yanked = false) {
    PackageVersion entry;
    entry.version = Version::parse(version).value();
    for (const auto& [dependency, text] : depends) entry.depends.emplace_back(dependency, Constraint::parse(text).value());
    entry.yanked = yanked;
    entry.yank_reason = yanked ? "broken" : "";
    index_.add(name, std::move(entry));
  }
  Result<Resolution> resolve(std::map<std::string, std::string> requirements,
                             std::map<std::string, std::string> preferred = {}) {
    request_ = ResolveRequest{};
    request_.root_name = "app";
    for (const auto& [name, text] : requirements) request_.requirements.emplace_back(name, Constraint::parse(text).value());
    for (const auto& [name, text] : preferred) request_.preferred[name] = Version::parse(text).value();
    return resolve_dependencies(index_, request_);
  }
  static std::string version_of(const Resolution& resolution, const std::string& name) {
    return resolution.versions.at(name).to_string();
  }

  PackageIndex index_;
  ResolveRequest request_;
};

TEST_F(ResolverTest, ChoosesNewestSatisfyingVersions) {
  add("http", "1.0.0", {{"tcp", "^1"}});
  add("http", "1.4.0", {{"tcp", "^1.2"}});
  add("http", "2.0.0", {{"tcp", "^2"}});
  add("tcp", "1.1.0");
  add("tcp", "1.3.0");
  add("tcp", "2.0.0");
  Resolution resolution = resolve({{"http", "^1"}}).value();
  EXPECT_EQ(version_of(resolution, "http"), "1.4.0");
  EXPECT_EQ(version_of(resolution, "tcp"), "1.3.0");
}

TEST_F(ResolverTest, BacktracksToAnOlderVersionWhenTheNewestConflicts) {
  add("http", "1.4.0", {{"tcp", "^2"}});
  add("http", "1.3.0", {{"tcp", "^1"}});
  add("tcp", "1.0.0");
  add("tcp", "2.0.0");
  Resolution resolution = resolve({{"http", "^1"}, {"tcp", "^1"}}).value();
  EXPECT_EQ(version_of(resolution, "http"), "1.3.0");
  EXPECT_EQ(version_of(resolution, "tcp"), "1.0.0");
}

TEST_F(ResolverTest, BacktracksAcrossLevels) {
  add("a", "2.0.0", {{"b", "^2"}});
  add("a", "1.0.0", {{"b", "^1"}});
  add("b", "2.0.0", {{"c", "^2"}});
  add("b", "1.0.0", {{"c", "^1"}});
  add("c", "1.0.0");
  add("c", "2.0.0");
  add("d", "1.0.0", {{"c", "^1"}});
  Resolution resolution = resolve({{"a", "*"}, {"d", "^1"}}).value();
  EXPECT_EQ(version_of(resolution, "a"), "1.0.0");
  EXPECT_EQ(version_of(resolution, "c"), "1.0.0");
}

TEST_F(ResolverTest, ExplainsConflictAsAChainInWords) {
  add("http", "1.4.0", {{"tcp", "^2"}});
  add("tcp", "1.0.0");
  add("tcp", "2.0.0");
  auto resolution = resolve({{"http", "^1"}, {"tcp", "^1"}});
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(resolution.error().code(), ErrorCode::refused);
  EXPECT_EQ(resolution.error().message(),
            "cannot resolve the requirements of app: app needs http ^1; http 1.4.0 needs tcp ^2; app needs tcp ^1; "
            "no version of tcp satisfies them all (available: 1.0.0, 2.0.0)");
}

TEST_F(ResolverTest, ExplainsMissingLibrary) {
  add("http", "1.0.0", {{"dns", "^1"}});
  auto resolution = resolve({{"http", "^1"}});
  ASSERT_FALSE(resolution.ok());
  EXPECT_NE(resolution.error().message().find("app needs http ^1; http 1.0.0 needs dns ^1; the manifest has no library 'dns'"),
            std::string::npos)
      << resolution.error().message();
}

TEST_F(ResolverTest, NeverChoosesYankedVersionsUnlessPinned) {
  add("http", "1.5.0", {}, /*yanked=*/true);
  add("http", "1.4.0");
  EXPECT_EQ(version_of(resolve({{"http", "^1"}}).value(), "http"), "1.4.0");
  // A lock that already pins the yanked version keeps it.
  EXPECT_EQ(version_of(resolve({{"http", "^1"}}, {{"http", "1.5.0"}}).value(), "http"), "1.5.0");
}

TEST_F(ResolverTest, PrefersPinnedVersionsOverNewerOnes) {
  add("http", "1.5.0");
  add("http", "1.4.0");
  EXPECT_EQ(version_of(resolve({{"http", "^1"}}, {{"http", "1.4.0"}}).value(), "http"), "1.4.0");
}

}  // namespace
}  // namespace cairn::manifest
