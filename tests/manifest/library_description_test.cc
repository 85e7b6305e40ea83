// library.json and unikernel.json as read from a checkout, the source globs, the tree a library
// signs, the check of a checkout against its signed entry, and finding the library folders.
#include "cairn/manifest/library_description.h"

#include "cairn/core/canonical_json.h"
#include "cairn/core/file.h"
#include "manifest_test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace cairn::manifest {
namespace {

using namespace testing;
namespace fs = std::filesystem;

// A throw-away folder to write a library or a checkout into, file by file.
class Folder {
 public:
  Folder() : directory_(make_temporary_directory("cairn-library-test-")) {}

  const fs::path& path() const { return directory_.path(); }
  void write(const std::string& relative, std::string_view content) const {
    fs::create_directories((path() / relative).parent_path());
    must(write_file_atomically(path() / relative, content));
  }
  void write_json(const std::string& relative, const Json& json) const { write(relative, json.dump(2)); }

 private:
  TemporaryDirectory directory_;
};

Json library_json() {
  return {{"name", "net"},
          {"version", "1.2.0"},
          {"license", "Apache-2.0"},
          {"description", "a network stack"},
          {"depends", {{"tcp", "^1"}, {"dns", ">=0.3, <1"}}},
          {"sources", {"src/*.c", "include/**"}},
          {"targets", {"hvt", "spt"}}};
}

// --- library.json ---

TEST(ReadLibraryDescription, ReadsEveryField) {
  Folder library;
  library.write_json("library.json", library_json());

  LibraryDescription description = must(read_library_description(library.path()));

  EXPECT_EQ(description.name, "net");
  EXPECT_EQ(description.version, "1.2.0");
  EXPECT_EQ(description.license, "Apache-2.0");
  EXPECT_EQ(description.description, "a network stack");
  EXPECT_EQ(description.depends, (std::map<std::string, std::string>{{"dns", ">=0.3, <1"}, {"tcp", "^1"}}));
  EXPECT_EQ(description.sources, (std::vector<std::string>{"src/*.c", "include/**"}));
  EXPECT_EQ(description.targets, (std::vector<std::string>{"hvt", "spt"}));
}

TEST(ReadLibraryDescription, LeavesTheOptionalFieldsEmpty) {
  Folder library;
  library.write_json("library.json", {{"name", "net"}, {"version", "1.2.0"}, {"license", "MIT"}});

  LibraryDescription description = must(read_library_description(library.path()));

  EXPECT_EQ(description.description, "");
  EXPECT_TRUE(description.depends.empty());
  EXPECT_TRUE(description.sources.empty());
  EXPECT_TRUE(description.targets.empty());
}

TEST(ReadLibraryDescription, RefusesAMissingRequiredFieldNamingItAndTheFile) {
  for (const char* field : {"name", "version", "license"}) {
    Folder library;
    Json json = library_json();
    json.erase(field);
    library.write_json("library.json", json);

    auto description = read_library_description(library.path());

    expect_error(description, ErrorCode::malformed, fmt::format("\"{}\": missing", field));
    if (!description.ok()) {
      EXPECT_EQ(description.error().message().rfind((library.path() / "library.json").string() + ": ", 0), 0u)
          << description.error().message();
    }
  }
}

TEST(ReadLibraryDescription, RefusesFieldsOfTheWrongType) {
  struct Case {
    const char* field;
    Json value;
    const char* error;
  };
  const Case cases[] = {
      {"name", 5, "\"name\": must be a string"},
      {"version", Json::array({1, 2, 0}), "\"version\": must be a string"},
      {"license", nullptr, "\"license\": must be a string"},
      {"description", true, "\"description\": must be a string"},
      {"depends", Json::array({"tcp"}), "\"depends\": must be an object"},
      {"depends", {{"tcp", 1}}, "\"depends.tcp\": must be a string"},
      {"sources", "src/*.c", "\"sources\": must be an array"},
      {"sources", Json::array({"src/*.c", 7}), "\"sources[1]\": must be a string"},
      {"targets", Json::object(), "\"targets\": must be an array"},
  };
  for (const Case& bad : cases) {
    Folder library;
    Json json = library_json();
    json[bad.field] = bad.value;
    library.write_json("library.json", json);

    expect_error(read_library_description(library.path()), ErrorCode::malformed, bad.error);
  }
}

TEST(ReadLibraryDescription, RefusesAVersionThatIsNotSemver) {
  Folder library;
  Json json = library_json();
  json["version"] = "1.2";
  library.write_json("library.json", json);

  expect_error(read_library_description(library.path()), ErrorCode::malformed,
               "\"version\": '1.2' is not a semantic version");
}

TEST(ReadLibraryDescription, RefusesADependencyConstraintThatDoesNotParse) {
  Folder library;
  Json json = library_json();
  json["depends"]["tcp"] = "~>1.2";
  library.write_json("library.json", json);

  expect_error(read_library_description(library.path()), ErrorCode::malformed, "\"depends.tcp\": constraint '~>1.2'");
}

TEST(ReadLibraryDescription, RefusesNamesThatAreNotLibraryNames) {
  for (const char* name : {"", "net/tcp", ".net"}) {
    Folder library;
    Json json = library_json();
    json["name"] = name;
    library.write_json("library.json", json);

    expect_error(read_library_description(library.path()), ErrorCode::malformed,
                 fmt::format("\"name\": '{}' is not a library name", name));
  }
}

TEST(ReadLibraryDescription, RefusesADocumentThatIsNotAnObject) {
  Folder library;
  library.write("library.json", "[\"net\", \"1.2.0\"]");

  expect_error(read_library_description(library.path()), ErrorCode::malformed,
               "library.json: the document must be an object");
}

TEST(ReadLibraryDescription, RefusesTextThatIsNotJson) {
  Folder library;
  library.write("library.json", "{\"name\": \"net\",");

  auto description = read_library_description(library.path());

  ASSERT_FALSE(description.ok());
  EXPECT_EQ(description.error().code(), ErrorCode::malformed) << description.error().message();
}

TEST(ReadLibraryDescription, SaysWhenTheFolderHasNoLibraryJson) {
  Folder library;

  expect_error(read_library_description(library.path()), ErrorCode::not_found, "library.json: no such file");
}

// --- unikernel.json ---

Json unikernel_json() {
  return {{"name", "web"},
          {"version", "0.1.0"},
          {"target", "hvt"},
          {"main", {"main.cc", "src/routes.cc"}},
          {"requires", {{"net", "^1.2"}, {"tls", "~2.1"}}},
          {"devices", {{"net", {"service0", "admin"}}, {"block", {"storage"}}}},
          {"memory_mib", 16}};
}

TEST(ReadUnikernelDescription, ReadsTheFileOrTheFolderHoldingIt) {
  Folder app;
  app.write_json("unikernel.json", unikernel_json());

  UnikernelDescription from_folder = must(read_unikernel_description(app.path()));
  UnikernelDescription from_file = must(read_unikernel_description(app.path() / "unikernel.json"));

  EXPECT_EQ(from_folder.name, "web");
  EXPECT_EQ(from_folder.version, "0.1.0");
  EXPECT_EQ(from_folder.target, "hvt");
  EXPECT_EQ(from_folder.main, (std::vector<std::string>{"main.cc", "src/routes.cc"}));
  EXPECT_EQ(from_folder.requires_, (std::map<std::string, std::string>{{"net", "^1.2"}, {"tls", "~2.1"}}));
  EXPECT_EQ(from_folder.devices.net, (std::vector<std::string>{"service0", "admin"}));
  EXPECT_EQ(from_folder.devices.block, (std::vector<std::string>{"storage"}));
  EXPECT_EQ(from_folder.memory_mib, 16);
  EXPECT_EQ(from_file.name, from_folder.name);
  EXPECT_EQ(from_file.requires_, from_folder.requires_);
  EXPECT_EQ(from_file.digest, from_folder.digest);
}

TEST(ReadUnikernelDescription, RequiresNothingButNameVersionTargetAndMain) {
  Folder app;
  app.write_json("unikernel.json", {{"name", "web"}, {"version", "1.0.0"}, {"target", "spt"}, {"main", {"main.cc"}}});

  UnikernelDescription description = must(read_unikernel_description(app.path()));

  EXPECT_EQ(description.name, "web");
  EXPECT_TRUE(description.requires_.empty());
  EXPECT_TRUE(description.devices.net.empty());
  EXPECT_TRUE(description.devices.block.empty());
  EXPECT_FALSE(description.memory_mib.has_value());
}

// The digest a lock records is of the content, not of its spelling.
TEST(ReadUnikernelDescription, DigestsTheCanonicalJsonOfTheFile) {
  Folder spaced, compact, changed;
  spaced.write_json("unikernel.json", unikernel_json());
  compact.write("unikernel.json", unikernel_json().dump());
  Json other = unikernel_json();
  other["requires"]["tls"] = "^2";
  changed.write_json("unikernel.json", other);

  Digest digest = must(read_unikernel_description(spaced.path())).digest;

  EXPECT_EQ(digest, Digest::sha256_of(must(canonical_json(unikernel_json()))));
  EXPECT_EQ(must(read_unikernel_description(compact.path())).digest, digest);
  EXPECT_NE(must(read_unikernel_description(changed.path())).digest, digest);
}

// Read strictly: a typo or a wrong type must not silently change an image.
TEST(ReadUnikernelDescription, RefusesUnknownKeysAndWrongValuesNamingTheKey) {
  struct Case {
    const char* what;
    std::function<void(Json&)> change;
    const char* expected;
  };
  const Case cases[] = {
      {"missing name", [](Json& j) { j.erase("name"); }, "\"name\": missing"},
      {"unknown key", [](Json& j) { j["device"] = Json::object(); }, "device"},
      {"unknown device kind", [](Json& j) { j["devices"]["nett"] = Json::array(); }, "nett"},
      {"bad requirement", [](Json& j) { j["requires"]["net"] = "^"; }, "\"requires.net\": constraint '^'"},
      {"version not semver", [](Json& j) { j["version"] = "1.0"; }, "\"version\""},
      {"unknown target", [](Json& j) { j["target"] = "xen"; }, "\"target\": 'xen'"},
      {"main empty", [](Json& j) { j["main"] = Json::array(); }, "\"main\": must name at least one source"},
      {"main escapes", [](Json& j) { j["main"] = {"../main.cc"}; }, "\"main[0]\""},
      {"main absolute", [](Json& j) { j["main"] = {"/etc/passwd"}; }, "\"main[0]\""},
      {"main not strings", [](Json& j) { j["main"] = {1}; }, "\"main[0]\": must be a string"},
      {"device name", [](Json& j) { j["devices"]["net"] = {"service-0"}; }, "\"devices.net[0]\": 'service-0'"},
      {"device twice", [](Json& j) { j["devices"]["block"] = {"admin"}; }, "device 'admin' is declared twice"},
      {"memory zero", [](Json& j) { j["memory_mib"] = 0; }, "\"memory_mib\": must be 1..65536"},
      {"memory text", [](Json& j) { j["memory_mib"] = "16"; }, "\"memory_mib\""},
      {"name with a slash", [](Json& j) { j["name"] = "a/b"; }, "is not an image name"},
  };
  for (const auto& test : cases) {
    SCOPED_TRACE(test.what);
    Folder app;
    Json json = unikernel_json();
    test.change(json);
    app.write_json("unikernel.json", json);
    expect_error(read_unikernel_description(app.path()), ErrorCode::malformed, test.expected);
  }
}

// "assets": a folder of the app whose files the build bakes in (builder/assets.h).
TEST(ReadUnikernelDescription, ReadsTheAssetsFolderAndDigestsIt) {
  Folder with, without;
  Json json = unikernel_json();
  json["assets"] = "web/site";
  with.write_json("unikernel.json", json);
  with.write("web/site/index.html", "<p>hi</p>");
  without.write_json("unikernel.json", unikernel_json());

  UnikernelDescription description = must(read_unikernel_description(with.path()));

  EXPECT_EQ(description.assets, "web/site");
  EXPECT_EQ(description.digest, Digest::sha256_of(must(canonical_json(json))));
  EXPECT_NE(description.digest, must(read_unikernel_description(without.path())).digest);
  EXPECT_EQ(must(read_unikernel_description(without.path())).assets, "");
}

TEST(ReadUnikernelDescription, RefusesAnAssetsFolderOutsideTheAppOrLeftOutOfItsTree) {
  struct Case {
    const char* assets;
    const char* expected;
  };
  const Case cases[] = {
      {"/srv/site", "\"assets\": '/srv/site' must be a folder inside the app folder"},
      {"../site", "\"assets\": '../site' must be a folder inside the app folder"},
      {"site/../../x", "\"assets\": 'site/../../x' must be a folder inside the app folder"},
      {"site/", "\"assets\": 'site/' must be a folder inside the app folder"},
      {"", "\"assets\": must name a folder of the app"},
      {".site", "\"assets\": '.site' has a hidden name"},
      {"web/.hidden", "\"assets\": 'web/.hidden' has a hidden name"},
      {"_build", "\"assets\": '_build' is inside _build/"},
  };
  for (const auto& test : cases) {
    SCOPED_TRACE(test.assets);
    Folder app;
    Json json = unikernel_json();
    json["assets"] = test.assets;
    app.write_json("unikernel.json", json);
    expect_error(read_unikernel_description(app.path()), ErrorCode::malformed, test.expected);
  }
  Folder typed;
  Json json = unikernel_json();
  json["assets"] = {"site"};
  typed.write_json("unikernel.json", json);
  expect_error(read_unikernel_description(typed.path()), ErrorCode::malformed, "\"assets\": must be a string");
}

TEST(ReadUnikernelDescription, RefusesAnAssetsFolderThatIsMissingAFileOrASymlink) {
  Folder app;
  app.write("main.cc", "int x;");
  app.write("real/index.html", "<p>hi</p>");
  fs::create_directory_symlink("real", app.path() / "linked");
  fs::create_directory_symlink(app.path() / "real", app.path() / "outer");
  auto with_assets = [&](const char* folder) {
    Json json = unikernel_json();
    json["assets"] = folder;
    app.write_json("unikernel.json", json);
    return read_unikernel_description(app.path());
  };

  expect_error(with_assets("public"), ErrorCode::not_found, "\"assets\": 'public' is not in the app folder");
  expect_error(with_assets("main.cc"), ErrorCode::refused, "\"assets\": 'main.cc': ");
  expect_error(with_assets("main.cc"), ErrorCode::refused, "is a file, not a folder");
  expect_error(with_assets("linked"), ErrorCode::refused, "\"assets\": 'linked': ");
  expect_error(with_assets("linked"), ErrorCode::refused, "is a symlink");
  expect_error(with_assets("outer/sub"), ErrorCode::refused, "is a symlink");
  EXPECT_EQ(must(with_assets("real")).assets, "real");
}

// --- library.json's "build" ---

TEST(ReadLibraryDescription, ReadsTheBuildSection) {
  Folder library;
  library.write_json("library.json",
                     {{"name", "kernel"},
                      {"version", "0.1.0"},
                      {"license", "MIT"},
                      {"sources", {"**"}},
                      {"build",
                       {{"include", {"include", "runtime/include"}},
                        {"sources", {"runtime/src/*.cc"}},
                        {"per_target", {{"spt", {{"sources", {"spt/*.cc"}}, {"linker_script", "spt/image.ld"}}}}}}}});

  LibraryDescription description = must(read_library_description(library.path()));

  ASSERT_TRUE(description.build.has_value());
  EXPECT_EQ(description.build->include, (std::vector<std::string>{"include", "runtime/include"}));
  EXPECT_EQ(description.build->sources, (std::vector<std::string>{"runtime/src/*.cc"}));
  ASSERT_TRUE(description.build->per_target.contains("spt"));
  EXPECT_EQ(description.build->per_target.at("spt").sources, (std::vector<std::string>{"spt/*.cc"}));
  EXPECT_EQ(description.build->per_target.at("spt").linker_script, "spt/image.ld");
}

TEST(ReadLibraryDescription, RefusesABuildSectionThatLeavesTheFolderOrHasUnknownKeys) {
  struct Case {
    Json build;
    const char* expected;
  };
  const Case cases[] = {
      {{{"include", {"../other/include"}}}, "\"build.include[0]\""},
      {{{"include", {"/usr/include"}}}, "\"build.include[0]\""},
      {{{"includes", {"include"}}}, "includes"},
      {{{"per_target", {{"xen", Json::object()}}}}, "\"build.per_target.xen\""},
      {{{"per_target", {{"spt", {{"linker_script", "../image.ld"}}}}}}, "\"build.per_target.spt.linker_script\""},
      {{{"per_target", {{"spt", {{"ldscript", "image.ld"}}}}}}, "ldscript"},
  };
  for (const auto& test : cases) {
    SCOPED_TRACE(test.build.dump());
    Folder library;
    library.write_json("library.json",
                       {{"name", "kernel"}, {"version", "0.1.0"}, {"license", "MIT"}, {"build", test.build}});
    expect_error(read_library_description(library.path()), ErrorCode::malformed, test.expected);
  }
}

TEST(ReadLibraryDescription, RefusesUnknownTopLevelKeys) {
  Folder library;
  library.write_json("library.json",
                     {{"name", "x"}, {"version", "0.1.0"}, {"license", "MIT"}, {"depend", Json::object()}});

  expect_error(read_library_description(library.path()), ErrorCode::malformed, "depend");
}

// --- Source globs ---

TEST(GlobMatches, GlobsMatchComponentsAndDoubleStars) {
  EXPECT_TRUE(glob_matches("include/**/*.h", "include/a.h"));
  EXPECT_TRUE(glob_matches("include/**/*.h", "include/x/y/a.h"));
  EXPECT_FALSE(glob_matches("include/**/*.h", "include/a.cc"));
  EXPECT_TRUE(glob_matches("runtime/**", "runtime/a/b.cc"));
  EXPECT_FALSE(glob_matches("src/*.cc", "src/x/a.cc"));
  EXPECT_TRUE(glob_matches("src/?.cc", "src/a.cc"));
  EXPECT_FALSE(glob_matches("src/?.cc", "src/ab.cc"));
}

TEST(GlobMatches, MatchesAPathWithoutWildcardsOnlyExactly) {
  EXPECT_TRUE(glob_matches("src/a.c", "src/a.c"));
  EXPECT_FALSE(glob_matches("src/a.c", "src/a.cc"));
  EXPECT_FALSE(glob_matches("src/a.c", "src/a"));
  EXPECT_FALSE(glob_matches("src/a.c", "a.c"));
  EXPECT_FALSE(glob_matches("src/a.c", "lib/src/a.c"));
}

TEST(GlobMatches, StarMatchesAnyCharactersWithinOneComponent) {
  // At the start of a component, in its middle and at its end.
  EXPECT_TRUE(glob_matches("*.c", "net.c"));
  EXPECT_TRUE(glob_matches("*.c", ".c"));
  EXPECT_FALSE(glob_matches("*.c", "net.h"));
  EXPECT_TRUE(glob_matches("src/net_*_test.c", "src/net_tcp_test.c"));
  EXPECT_TRUE(glob_matches("src/net_*_test.c", "src/net__test.c"));
  EXPECT_FALSE(glob_matches("src/net_*_test.c", "src/net_tcp.c"));
  EXPECT_TRUE(glob_matches("src/net*", "src/network.c"));
  EXPECT_TRUE(glob_matches("*", "README"));
  // Never across a '/'.
  EXPECT_FALSE(glob_matches("*.c", "src/net.c"));
  EXPECT_FALSE(glob_matches("src/net*", "src/net/tcp.c"));
  EXPECT_FALSE(glob_matches("*", "src/net.c"));
  EXPECT_FALSE(glob_matches("src*c", "src/net.c"));
}

TEST(GlobMatches, StarStaysAWildcardWhereTheNameHoldsAStar) {
  // A '*' in a file name matched the glob's '*' as a literal, which then could not stretch.
  EXPECT_TRUE(glob_matches("*.h", "*a.h"));
  EXPECT_TRUE(glob_matches("src/a*", "src/a*b"));
  EXPECT_TRUE(glob_matches("src/*", "src/*"));
  EXPECT_FALSE(glob_matches("src/*.c", "src/*.h"));
}

TEST(GlobMatches, QuestionMarkMatchesOneCharacterButNotASlash) {
  EXPECT_TRUE(glob_matches("?.c", "a.c"));
  EXPECT_FALSE(glob_matches("?.c", ".c"));
  EXPECT_FALSE(glob_matches("?.c", "ab.c"));
  EXPECT_TRUE(glob_matches("src/net.?", "src/net.h"));
  EXPECT_TRUE(glob_matches("src/n?t.c", "src/nut.c"));
  EXPECT_FALSE(glob_matches("src?net.c", "src/net.c"));
}

TEST(GlobMatches, DoubleStarComponentMatchesZeroOrMoreComponents) {
  // At the start.
  EXPECT_TRUE(glob_matches("**/*.h", "a.h"));
  EXPECT_TRUE(glob_matches("**/*.h", "x/y/a.h"));
  EXPECT_FALSE(glob_matches("**/*.h", "x/y/a.c"));
  // In the middle.
  EXPECT_TRUE(glob_matches("include/**/detail/*.h", "include/detail/a.h"));
  EXPECT_TRUE(glob_matches("include/**/detail/*.h", "include/x/y/detail/a.h"));
  EXPECT_FALSE(glob_matches("include/**/detail/*.h", "include/x/a.h"));
  EXPECT_FALSE(glob_matches("include/**/detail/*.h", "src/detail/a.h"));
  // At the end.
  EXPECT_TRUE(glob_matches("runtime/**", "runtime/a.c"));
  EXPECT_TRUE(glob_matches("runtime/**", "runtime/x/y/z.c"));
  EXPECT_FALSE(glob_matches("runtime/**", "runtimes/a.c"));
  EXPECT_FALSE(glob_matches("runtime/**", "lib/runtime/a.c"));
  // Alone.
  EXPECT_TRUE(glob_matches("**", "a.c"));
  EXPECT_TRUE(glob_matches("**", "x/y/a.c"));
}

TEST(GlobMatches, ManyDoubleStarsTakeTimeInProportionToGlobTimesPath) {
  // Trying every split point for every "**" took exponential time: eight of them against a path
  // 31 folders deep kept `cairn manifest dev` busy for seconds, twelve for more than a minute.
  std::string glob;
  for (int i = 0; i < 24; ++i) glob += "**/";
  std::string deep;
  for (int i = 0; i < 64; ++i) deep += "d/";
  EXPECT_FALSE(glob_matches(glob + "x", deep + "y"));
  EXPECT_TRUE(glob_matches(glob + "x", deep + "x"));
  EXPECT_TRUE(glob_matches(glob + "d/**/x", deep + "x"));
}

// A plain recursive matcher, memoised, to compare the fast one with: "**" takes each possible
// number of components.
bool reference_match(const std::vector<std::string>& glob, std::size_t g, const std::vector<std::string>& path,
                     std::size_t p, std::map<std::pair<std::size_t, std::size_t>, bool>& memo) {
  if (auto it = memo.find({g, p}); it != memo.end()) return it->second;
  bool result = false;
  if (g == glob.size()) {
    result = p == path.size();
  } else if (glob[g] == "**") {
    for (std::size_t skip = p; skip <= path.size() && !result; ++skip)
      result = reference_match(glob, g + 1, path, skip, memo);
  } else if (p < path.size()) {
    // Within a component the glob text is a literal, "*" or "?" over a two-letter alphabet.
    const std::string& pattern = glob[g];
    const std::string& name = path[p];
    bool component = pattern == "*" || (pattern == "?" && name.size() == 1) || pattern == name;
    result = component && reference_match(glob, g + 1, path, p + 1, memo);
  }
  memo[{g, p}] = result;
  return result;
}

TEST(GlobMatches, AgreesWithAPlainRecursiveMatcherOnRandomGlobs) {
  std::mt19937 random(20261202);
  const std::vector<std::string> glob_parts = {"**", "*", "?", "a", "b", "ab"};
  const std::vector<std::string> path_parts = {"a", "b", "ab", "ba"};
  auto join = [](const std::vector<std::string>& parts) {
    std::string text;
    for (const auto& part : parts) text += (text.empty() ? "" : "/") + part;
    return text;
  };
  for (int round = 0; round < 5000; ++round) {
    std::vector<std::string> glob(1 + random() % 6), path(1 + random() % 7);
    for (auto& part : glob) part = glob_parts[random() % glob_parts.size()];
    for (auto& part : path) part = path_parts[random() % path_parts.size()];
    std::map<std::pair<std::size_t, std::size_t>, bool> memo;
    EXPECT_EQ(glob_matches(join(glob), join(path)), reference_match(glob, 0, path, 0, memo))
        << join(glob) << " against " << join(path);
  }
}

TEST(GlobMatches, DoubleStarInsideAComponentIsAStar) {
  EXPECT_TRUE(glob_matches("src/**.c", "src/net.c"));
  EXPECT_FALSE(glob_matches("src/**.c", "src/net/tcp.c"));
  EXPECT_TRUE(glob_matches("src/a**", "src/abc"));
  EXPECT_FALSE(glob_matches("src/a**", "src/a/b"));
}

// --- The tree a library signs, and the check of a checkout against it ---

// A library folder with sources its globs select and files they do not.
class LibraryTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    library_.write_json("library.json", library_json());
    library_.write("src/a.c", "int a;\n");
    library_.write("src/b.c", "int b;\n");
    library_.write("src/notes.txt", "not a source\n");
    library_.write("include/net/net.h", "#pragma once\n");
    library_.write("README.md", "# net\n");
    library_.write("tests/net_test.c", "int main(void) { return 0; }\n");
  }

  LibraryEntry signed_entry() const { return must(make_library_entry(library_.path(), test_now + one_year)); }

  Folder library_;
};

TEST_F(LibraryTreeTest, HoldsLibraryJsonAndTheFilesItsGlobsSelectSortedByPath) {
  LibraryDescription description = must(read_library_description(library_.path()));

  std::vector<TreeEntry> tree = must(library_tree(library_.path(), description));

  std::vector<std::string> paths;
  for (const auto& entry : tree) paths.push_back(entry.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"include/net/net.h", "library.json", "src/a.c", "src/b.c"}));
  ASSERT_TRUE(tree[2].content_digest.has_value());
  EXPECT_EQ(*tree[2].content_digest, Digest::sha256_of("int a;\n"));
}

TEST_F(LibraryTreeTest, HoldsLibraryJsonEvenWithoutSources) {
  LibraryDescription description = must(read_library_description(library_.path()));
  description.sources.clear();

  std::vector<TreeEntry> tree = must(library_tree(library_.path(), description));

  ASSERT_EQ(tree.size(), 1u);
  EXPECT_EQ(tree[0].path, "library.json");
}

TEST_F(LibraryTreeTest, EntryDescribesTheTreeEveryFileAndTheLibrary) {
  LibraryDescription description = must(read_library_description(library_.path()));

  LibraryEntry entry = signed_entry();

  EXPECT_EQ(entry.tree, must(tree_digest(must(library_tree(library_.path(), description)))));
  EXPECT_EQ(entry.files.size(), 4u);
  EXPECT_EQ(entry.files.at("src/b.c"), Digest::sha256_of("int b;\n"));
  EXPECT_FALSE(entry.files.contains("README.md"));
  EXPECT_EQ(entry.name, "net");
  EXPECT_EQ(entry.library_version, "1.2.0");
  EXPECT_EQ(entry.license, "Apache-2.0");
  EXPECT_EQ(entry.description, "a network stack");
  EXPECT_EQ(entry.depends, description.depends);
  EXPECT_EQ(entry.targets, description.targets);
  EXPECT_EQ(entry.expires, test_now + one_year);
}

TEST_F(LibraryTreeTest, VerifyAcceptsTheTreeItsEntrySigned) {
  LibraryEntry entry = signed_entry();

  EXPECT_TRUE(verify_library_tree(library_.path(), entry).ok());
}

TEST_F(LibraryTreeTest, VerifyIgnoresFilesTheGlobsDoNotSelect) {
  LibraryEntry entry = signed_entry();
  library_.write("README.md", "# net, rewritten\n");
  library_.write("src/extra.txt", "not a source either\n");

  EXPECT_TRUE(verify_library_tree(library_.path(), entry).ok());
}

TEST_F(LibraryTreeTest, VerifyNamesAFileThatDiffers) {
  LibraryEntry entry = signed_entry();
  library_.write("src/a.c", "int a = 1;\n");

  expect_error(verify_library_tree(library_.path(), entry), ErrorCode::refused,
               "library 'net' 1.2.0: src/a.c differs from the signed entry (content " +
                   Digest::sha256_of("int a = 1;\n").to_string() + ", signed " +
                   Digest::sha256_of("int a;\n").to_string() + ")");
}

TEST_F(LibraryTreeTest, VerifyNamesAMissingFile) {
  LibraryEntry entry = signed_entry();
  fs::remove(library_.path() / "src/b.c");

  expect_error(verify_library_tree(library_.path(), entry), ErrorCode::refused,
               "library 'net' 1.2.0: src/b.c is missing");
}

TEST_F(LibraryTreeTest, VerifyNamesAnExtraFile) {
  LibraryEntry entry = signed_entry();
  library_.write("src/c.c", "int c;\n");

  expect_error(verify_library_tree(library_.path(), entry), ErrorCode::refused,
               "library 'net' 1.2.0: src/c.c is not in the signed entry");
}

TEST_F(LibraryTreeTest, VerifyNamesTheTreeWhenOnlyAFileModeChanged) {
  LibraryEntry entry = signed_entry();
  fs::permissions(library_.path() / "src/a.c", fs::perms::owner_exec, fs::perm_options::add);

  expect_error(verify_library_tree(library_.path(), entry), ErrorCode::refused, "library 'net' 1.2.0: tree digest ");
  expect_error(verify_library_tree(library_.path(), entry), ErrorCode::refused, "(a file's mode changed?)");
}

// --- Finding the libraries of a checkout ---

TEST(FindLibraryDirectories, FindsEveryFolderHoldingALibraryJsonSorted) {
  Folder checkout;
  for (const char* file : {"net/library.json", "crypto/library.json", "crypto/aes/library.json", "library.json"}) {
    checkout.write(file, "{}");
  }
  checkout.write("docs/readme.md", "no library here\n");

  std::vector<fs::path> found = must(find_library_directories(checkout.path()));

  EXPECT_EQ(found, (std::vector<fs::path>{checkout.path(), checkout.path() / "crypto", checkout.path() / "crypto/aes",
                                          checkout.path() / "net"}));
}

TEST(FindLibraryDirectories, SkipsHiddenBuildAndTestFolders) {
  Folder checkout;
  for (const char* file : {"net/library.json", ".git/x/library.json", "net/.cache/library.json", "build/library.json",
                           "build-clang/net/library.json", "_build/library.json", "tests/fixture/library.json",
                           "net/tests/library.json"}) {
    checkout.write(file, "{}");
  }

  std::vector<fs::path> found = must(find_library_directories(checkout.path()));

  EXPECT_EQ(found, std::vector<fs::path>{checkout.path() / "net"});
}

TEST(FindLibraryDirectories, RefusesACheckoutThatDoesNotExist) {
  Folder parent;

  expect_error(find_library_directories(parent.path() / "missing"), ErrorCode::io,
               "list " + (parent.path() / "missing").string());
}

}  // namespace
}  // namespace cairn::manifest
