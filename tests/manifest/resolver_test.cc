// The resolver: newest versions win, backtracking finds older ones when needed, yanked versions
// are never picked for a new resolution, and conflicts are explained from PubGrub's derivation
// graph in words, naming every version that was ruled out and why.
#include "cairn/manifest/resolver.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

namespace cairn::manifest {
namespace {

class ResolverTest : public ::testing::Test {
 protected:
  void add(const std::string& name, const std::string& version, const std::map<std::string, std::string>& depends = {},
           bool yanked = false) {
    PackageVersion entry;
    entry.version = Version::parse(version).value();
    for (const auto& [dependency, text] : depends)
      entry.depends.emplace_back(dependency, Constraint::parse(text).value());
    entry.yanked = yanked;
    entry.yank_reason = yanked ? "broken" : "";
    index_.add(name, std::move(entry));
  }
  Result<Resolution> resolve(const std::map<std::string, std::string>& requirements,
                             const std::map<std::string, std::string>& preferred = {}) {
    request_ = ResolveRequest{};
    request_.root_name = "app";
    for (const auto& [name, text] : requirements)
      request_.requirements.emplace_back(name, Constraint::parse(text).value());
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
            "cannot resolve the requirements of app: "
            "because http 1.4.0 needs tcp ^2 and app needs http ^1, app needs tcp ^2.\n"
            "And because app needs tcp ^1, there is no solution.");
}

TEST_F(ResolverTest, ExplainsMissingLibrary) {
  add("http", "1.0.0", {{"dns", "^1"}});
  auto resolution = resolve({{"http", "^1"}});
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(resolution.error().message(),
            "cannot resolve the requirements of app: "
            "because http 1.0.0 needs dns ^1 and the manifest has no library 'dns', http 1.0.0 cannot be chosen.\n"
            "And because app needs http ^1, there is no solution.");
}

// Every version of a is ruled out, each for its own reason: the report must name both, not only
// the newest one the search happened to meet first.
TEST_F(ResolverTest, ExplainsThatNoVersionOfALibraryWorks) {
  add("a", "1.0.0", {{"c", "^1"}});
  add("a", "1.1.0", {{"c", "^2"}});
  add("b", "1.0.0", {{"c", "^3"}});
  add("b", "1.2.0", {{"c", "^3"}});
  add("c", "1.0.0");
  add("c", "2.0.0");
  add("c", "3.0.0");
  auto resolution = resolve({{"a", "^1"}, {"b", "^1"}});
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(resolution.error().message(),
            "cannot resolve the requirements of app: "
            "because a 1.0.0 needs c ^1 and a 1.1.0 needs c ^2, every version of a needs c 1.0.0 or 2.0.0.\n"
            "And because every version of b needs c ^3, no version of a can be chosen together with b.\n"
            "And because app needs a ^1 and app needs b ^1, there is no solution.");
}

TEST_F(ResolverTest, ExplainsAConflictThroughAChainOfThreeLibraries) {
  add("web", "2.0.0", {{"http", "^2"}});
  add("http", "2.0.0", {{"tcp", "^3"}});
  add("tcp", "3.0.0", {{"ip", "^2"}});
  add("ip", "1.0.0");
  add("ip", "2.0.0");
  auto resolution = resolve({{"web", "^2"}, {"ip", "^1"}});
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(resolution.error().message(),
            "cannot resolve the requirements of app: "
            "because web 2.0.0 needs http ^2 and http 2.0.0 needs tcp ^3, web 2.0.0 needs tcp ^3.\n"
            "And because tcp 3.0.0 needs ip ^2, web 2.0.0 needs ip ^2.\n"
            "And because app needs ip ^1 and app needs web ^2, there is no solution.");
}

TEST_F(ResolverTest, ExplainsALibraryWhoseOnlyMatchingVersionsAreYanked) {
  add("tls", "1.0.0", {}, /*yanked=*/true);
  add("tls", "1.1.0", {}, /*yanked=*/true);
  add("tls", "2.0.0");
  auto resolution = resolve({{"tls", "^1"}});
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(resolution.error().message(),
            "cannot resolve the requirements of app: "
            "because tls 1.0.0 (broken) and 1.1.0 (broken) are yanked and app needs tls ^1, there is no solution.");
}

TEST_F(ResolverTest, ExplainsAMissingLibraryDeepInTheGraph) {
  add("web", "1.0.0", {{"http", "^1"}});
  add("http", "1.0.0", {{"tcp", "^1"}});
  add("tcp", "1.0.0", {{"dns", "^1"}});
  add("tcp", "1.1.0", {{"dns", "^1"}});
  auto resolution = resolve({{"web", "^1"}});
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(resolution.error().message(),
            "cannot resolve the requirements of app: "
            "because web 1.0.0 needs http ^1 and http 1.0.0 needs tcp ^1, web 1.0.0 needs tcp ^1.\n"
            "Because every version of tcp needs dns ^1 and the manifest has no library 'dns', "
            "no version of tcp can be chosen.\n"
            "Thus, web 1.0.0 cannot be chosen.\n"
            "And because app needs web ^1, there is no solution.");
}

TEST_F(ResolverTest, ExplainsTwoRequirementsOfTheAppThatConflictDirectly) {
  add("log", "1.0.0");
  add("log", "1.5.0");
  add("log", "2.0.0");
  request_.root_name = "app";
  request_.requirements.emplace_back("log", Constraint::parse("^1").value());
  request_.requirements.emplace_back("log", Constraint::parse(">=2").value());
  auto resolution = resolve_dependencies(index_, request_);
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(
      resolution.error().message(),
      "cannot resolve the requirements of app: because app needs log ^1 and app needs log >=2, there is no solution.");
}

TEST_F(ResolverTest, ExplainsARequirementOfTheAppThatEveryVersionOfAnotherContradicts) {
  add("log", "1.0.0");
  add("log", "1.5.0");
  add("log", "2.0.0");
  add("metrics", "1.0.0", {{"log", "^2"}});
  add("metrics", "1.1.0", {{"log", "^2"}});
  auto resolution = resolve({{"log", "~1.5"}, {"metrics", "^1"}});
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(
      resolution.error().message(),
      "cannot resolve the requirements of app: "
      "because every version of metrics needs log ^2 and app needs log ~1.5, no version of metrics can be chosen.\n"
      "And because app needs metrics ^1, there is no solution.");
}

// Each version of foo fails for its own reason, two steps deep: the report proves one branch,
// numbers its conclusion, proves the other and joins them by that number.
TEST_F(ResolverTest, ExplainsBranchesByNumberedLines) {
  add("foo", "1.0.0", {{"a", "^1"}, {"b", "^1"}});
  add("foo", "1.1.0", {{"x", "^1"}, {"y", "^1"}});
  add("a", "1.0.0", {{"b", "^2"}});
  add("b", "1.0.0");
  add("b", "2.0.0");
  add("x", "1.0.0", {{"y", "^2"}});
  add("y", "1.0.0");
  add("y", "2.0.0");
  auto resolution = resolve({{"foo", "^1"}});
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(resolution.error().message(),
            "cannot resolve the requirements of app: "
            "because a 1.0.0 needs b ^2 and foo 1.0.0 needs a ^1, foo 1.0.0 needs b ^2.\n"
            "And because foo 1.0.0 needs b ^1, foo 1.0.0 cannot be chosen. (1)\n"
            "Because x 1.0.0 needs y ^2 and foo 1.1.0 needs x ^1, foo 1.1.0 needs y ^2.\n"
            "And because foo 1.1.0 needs y ^1, foo 1.1.0 cannot be chosen.\n"
            "And because foo 1.0.0 cannot be chosen (1), no version of foo can be chosen.\n"
            "And because app needs foo ^1, there is no solution.");
}

// Each version of a fails on a different library: the report joins them as "need b ^1 or c ^1".
TEST_F(ResolverTest, ExplainsVersionsThatEachNeedSomethingDifferent) {
  add("a", "1.0.0", {{"b", "^1"}});
  add("a", "1.1.0", {{"c", "^1"}});
  add("b", "1.0.0");
  add("b", "2.0.0");
  add("c", "1.0.0");
  add("c", "2.0.0");
  auto resolution = resolve({{"a", "^1"}, {"b", "^2"}, {"c", "^2"}});
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(resolution.error().message(),
            "cannot resolve the requirements of app: "
            "because a 1.0.0 needs b ^1 and a 1.1.0 needs c ^1, every version of a needs b ^1 or c ^1.\n"
            "And because app needs a ^1, app needs b ^1 or c ^1.\n"
            "And because app needs b ^2 and app needs c ^2, there is no solution.");
}

TEST_F(ResolverTest, ExplainsAConstraintNoVersionMeets) {
  add("http", "1.0.0", {{"tcp", "^9"}});
  add("tcp", "1.0.0");
  add("tcp", "2.0.0");
  auto resolution = resolve({{"http", "*"}});
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(resolution.error().message(),
            "cannot resolve the requirements of app: "
            "because http 1.0.0 needs tcp ^9 and no version of tcp matches ^9 (available: 1.0.0, 2.0.0), "
            "http 1.0.0 cannot be chosen.\n"
            "And because app needs http, there is no solution.");
}

TEST_F(ResolverTest, GivesUpAfterMaxSteps) {
  add("a", "1.0.0", {{"b", "^1"}});
  add("b", "1.0.0");
  request_ = ResolveRequest{};
  request_.root_name = "app";
  request_.requirements.emplace_back("a", Constraint::parse("^1").value());
  request_.max_steps = 1;
  auto resolution = resolve_dependencies(index_, request_);
  ASSERT_FALSE(resolution.ok());
  EXPECT_EQ(resolution.error().code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(resolution.error().message(), "resolution of app gave up after 1 steps");
  request_.max_steps = 2;
  EXPECT_EQ(resolve_dependencies(index_, request_)->steps, 2u);
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
// conflict once it jumped past its cause. Learning from conflicts (PubGrub now) takes a few hundred.
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

// Small random indexes (at most 5 libraries x 4 versions, some yanked, some dependencies on a
// library that does not exist, now and then a pin): whenever the resolver answers, its answer
// holds, and whenever it refuses, trying every combination finds no answer either.
TEST(ResolverPropertyTest, RefusesOnlyWhenBruteForceFindsNoSolution) {
  const std::vector<std::string> versions = {"1.0.0", "1.1.0", "2.0.0", "3.0.0"};
  const std::vector<std::string> constraints = {"^1", "^2",     "^3",       ">=1.1.0", "<2.0.0",
                                                "*",  "=1.0.0", "^1 || ^3", "~1.1"};
  std::mt19937 random(7);
  int refused = 0, resolved = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
    std::size_t libraries = 1 + pick(5);
    auto name_of = [](std::size_t i) { return "lib" + std::to_string(i); };
    // The candidates of each library as the brute force sees them: (version, yanked, depends).
    std::vector<std::vector<PackageVersion>> known(libraries);
    PackageIndex index;
    for (std::size_t i = 0; i < libraries; ++i) {
      for (const auto& text : versions) {
        if (pick(3) == 0) continue;
        PackageVersion entry;
        entry.version = Version::parse(text).value();
        entry.yanked = pick(8) == 0;
        for (std::size_t d = pick(3); d > 0; --d) {
          // One dependency in 15 is on a library the index does not have.
          std::string dependency = pick(15) == 0 ? "ghost" : name_of(pick(libraries));
          entry.depends.emplace_back(dependency, Constraint::parse(constraints[pick(constraints.size())]).value());
        }
        known[i].push_back(entry);
        index.add(name_of(i), std::move(entry));
      }
    }
    ResolveRequest request;
    request.root_name = "app";
    for (std::size_t r = 1 + pick(3); r > 0; --r) {
      request.requirements.emplace_back(name_of(pick(libraries)),
                                        Constraint::parse(constraints[pick(constraints.size())]).value());
    }
    if (pick(4) == 0) {
      std::size_t pinned = pick(libraries);
      if (!known[pinned].empty())
        request.preferred[name_of(pinned)] = known[pinned][pick(known[pinned].size())].version;
    }

    // Whether choosing version `choice[i]` of library i (-1: not chosen) meets every requirement.
    auto holds = [&](const std::vector<int>& choice) {
      auto chosen = [&](const std::string& name) -> const PackageVersion* {
        for (std::size_t i = 0; i < libraries; ++i) {
          if (name == name_of(i)) return choice[i] < 0 ? nullptr : &known[i][static_cast<std::size_t>(choice[i])];
        }
        return nullptr;
      };
      for (const auto& [name, constraint] : request.requirements) {
        const PackageVersion* version = chosen(name);
        if (version == nullptr || !constraint.matches(version->version)) return false;
      }
      for (std::size_t i = 0; i < libraries; ++i) {
        if (choice[i] < 0) continue;
        const PackageVersion& version = known[i][static_cast<std::size_t>(choice[i])];
        auto pin = request.preferred.find(name_of(i));
        if (version.yanked && (pin == request.preferred.end() || pin->second != version.version)) return false;
        for (const auto& [name, constraint] : version.depends) {
          const PackageVersion* dependency = chosen(name);
          if (dependency == nullptr || !constraint.matches(dependency->version)) return false;
        }
      }
      return true;
    };
    std::vector<int> choice(libraries, -1);
    std::function<bool(std::size_t)> search = [&](std::size_t i) {
      if (i == libraries) return holds(choice);
      for (int v = -1; v < static_cast<int>(known[i].size()); ++v) {
        choice[i] = v;
        if (search(i + 1)) return true;
      }
      return false;
    };
    bool solvable = search(0);

    auto resolution = resolve_dependencies(index, request);
    if (!resolution.ok()) {
      ++refused;
      EXPECT_EQ(resolution.error().code(), ErrorCode::refused) << "trial " << trial;
      EXPECT_EQ(resolution.error().message().rfind("cannot resolve the requirements of app: ", 0), 0u);
      EXPECT_FALSE(solvable) << "trial " << trial << ": " << resolution.error().message();
      continue;
    }
    ++resolved;
    std::fill(choice.begin(), choice.end(), -1);
    for (const auto& [name, version] : resolution->versions) {
      std::size_t i = static_cast<std::size_t>(std::stoi(name.substr(3)));
      ASSERT_LT(i, libraries) << name;
      for (std::size_t v = 0; v < known[i].size(); ++v) {
        if (known[i][v].version == version) choice[i] = static_cast<int>(v);
      }
    }
    EXPECT_TRUE(holds(choice)) << "trial " << trial;
  }
  // Both outcomes are exercised.
  EXPECT_GT(refused, 200);
  EXPECT_GT(resolved, 200);
}

}  // namespace
}  // namespace cairn::manifest
