// The resolver: newest versions win, backtracking finds older ones when needed, yanked versions
// are never picked for a new resolution, and conflicts are explained as chains in words.
#include "cairn/manifest/resolver.h"

#include <gtest/gtest.h>

#include <random>

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

// A synthetic graph (as in bench/resolve_bench.cc, but 1 dependency in 100 lagging a major behind)
// on which plain conflict-directed backjumping thrashed past 300,000 steps: it forgot each
// conflict once it jumped past its cause. Learned nogoods resolve it in a few hundred.
TEST_F(ResolverTest, LearnsFromConflictsInsteadOfThrashing) {
  std::mt19937 random(1);
  const int libraries = 150;
  auto name_of = [](int i) { return "lib" + std::to_string(i); };
  for (int i = 0; i < libraries; ++i) {
    for (int k = 0; k < 10; ++k) {
      PackageVersion entry;
      entry.version = Version::parse(fmt::format("{}.{}.0", k / 4 + 1, k % 4)).value();
      int count = i == 0 ? 0 : static_cast<int>(random() % 6);
      for (int d = 0; d < count; ++d) {
        int dependency = static_cast<int>(random() % static_cast<unsigned>(i));
        int major = k / 4 + 1;
        if (k == 9 && random() % 8 == 0) {
          major = 9;
        } else if (major > 1 && random() % 100 == 0) {
          major -= 1;
        }
        entry.depends.emplace_back(name_of(dependency), Constraint::parse(fmt::format("^{}", major)).value());
      }
      index_.add(name_of(i), std::move(entry));
    }
  }
  ResolveRequest request;
  request.root_name = "app";
  request.max_steps = 100'000;
  for (int i = libraries - 20; i < libraries; ++i) {
    request.requirements.emplace_back(name_of(i), Constraint::parse("*").value());
  }

  auto resolution = resolve_dependencies(index_, request);

  ASSERT_TRUE(resolution.ok()) << resolution.error().message();
  EXPECT_LT(resolution->steps, 5'000u);
  // Every requirement of the app and of every chosen version holds.
  for (const auto& [name, constraint] : request.requirements) {
    EXPECT_TRUE(constraint.matches(resolution->versions.at(name))) << name;
  }
  for (const auto& [name, version] : resolution->versions) {
    for (const auto& candidate : *index_.versions(name)) {
      if (candidate.version != version) continue;
      for (const auto& [dependency, constraint] : candidate.depends) {
        ASSERT_TRUE(resolution->versions.contains(dependency)) << name << " needs " << dependency;
        EXPECT_TRUE(constraint.matches(resolution->versions.at(dependency))) << name << " needs " << dependency;
      }
    }
  }
}

}  // namespace
}  // namespace cairn::manifest
