// The static assets generator on its own (builder/assets.h): content types, ETags, the gzip forms
// kept only when smaller, the sorted table, the same bytes from the same folder, the refusals and
// limits, and the generated code compiled on the host with find() exercised.
#include "cairn/builder/assets.h"
#include "cairn/core/file.h"
#include "cairn/core/subprocess.h"

#include <zlib.h>

#include "support/must.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

namespace cairn::builder {
namespace {

namespace fs = std::filesystem;

using cairn::test_support::must;

void write(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string random_bytes(std::size_t size) {
  std::mt19937 generator(7);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(generator() & 0xff);
  return bytes;
}

std::string repeated_text(std::size_t size) {
  std::string text;
  while (text.size() < size) text += "<p>Cairn bakes static assets into images.</p>\n";
  return text.substr(0, size);
}

// The bytes a gzip stream decompresses to, through zlib directly (not the code under test).
std::string gunzip(const std::string& compressed) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 16 + MAX_WBITS), Z_OK);
  std::string output;
  char buffer[4096];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    output.append(buffer, sizeof buffer - stream.avail_out);
  }
  EXPECT_EQ(status, Z_STREAM_END);
  EXPECT_EQ(stream.avail_in, 0u);  // nothing after the gzip member
  inflateEnd(&stream);
  return output;
}

std::string read(const fs::path& path) {
  return must(read_file(path, 1 << 24));
}

class AssetsTest : public ::testing::Test {
 protected:
  fs::path site() const { return folder_.path() / "app" / "site"; }
  fs::path glue(std::string_view name = "gen") const { return folder_.path() / name; }
  const fs::path& root() const { return folder_.path(); }

 private:
  TemporaryDirectory folder_ = must(TemporaryDirectory::create("cairn-assets-test-"));
};

TEST(AssetContentType, ComesFromTheExtensionInAnyCase) {
  EXPECT_EQ(asset_content_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(asset_content_type("docs/old.htm"), "text/html; charset=utf-8");
  EXPECT_EQ(asset_content_type("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(asset_content_type("css/site.css"), "text/css; charset=utf-8");
  EXPECT_EQ(asset_content_type("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(asset_content_type("app.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(asset_content_type("data.json"), "application/json");
  EXPECT_EQ(asset_content_type("robots.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(asset_content_type("feed.xml"), "application/xml");
  EXPECT_EQ(asset_content_type("logo.svg"), "image/svg+xml");
  EXPECT_EQ(asset_content_type("logo.png"), "image/png");
  EXPECT_EQ(asset_content_type("a.jpg"), "image/jpeg");
  EXPECT_EQ(asset_content_type("a.jpeg"), "image/jpeg");
  EXPECT_EQ(asset_content_type("a.gif"), "image/gif");
  EXPECT_EQ(asset_content_type("a.webp"), "image/webp");
  EXPECT_EQ(asset_content_type("favicon.ico"), "image/x-icon");
  EXPECT_EQ(asset_content_type("app.wasm"), "application/wasm");
  EXPECT_EQ(asset_content_type("f.woff"), "font/woff");
  EXPECT_EQ(asset_content_type("f.woff2"), "font/woff2");
  EXPECT_EQ(asset_content_type("paper.pdf"), "application/pdf");
  EXPECT_EQ(asset_content_type("v.mp4"), "video/mp4");
  EXPECT_EQ(asset_content_type("v.webm"), "video/webm");
  EXPECT_EQ(asset_content_type("t.csv"), "text/csv; charset=utf-8");
  EXPECT_EQ(asset_content_type("README.md"), "text/markdown; charset=utf-8");
  // Anything else, no extension, or a dot only in a folder's name.
  EXPECT_EQ(asset_content_type("archive.tar.gz"), "application/octet-stream");
  EXPECT_EQ(asset_content_type("LICENSE"), "application/octet-stream");
  EXPECT_EQ(asset_content_type("v1.2/LICENSE"), "application/octet-stream");
  EXPECT_EQ(asset_content_type("page.html.bak"), "application/octet-stream");
}

TEST(AssetNames, RefuseWhatAUrlPathCannotCarryRaw) {
  for (std::string_view name : {"a b.html", "what?.html", "a#b", "100%.txt", "say\"hi\".txt", "back\\slash",
                                "tab\there", "new\nline", "del\x7f"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(asset_name_problem(name).has_value());
  }
  EXPECT_EQ(*asset_name_problem("a b.html"), "a space");
  EXPECT_EQ(*asset_name_problem("tab\there"), "a control character (0x09)");
  for (std::string_view name : {"index.html", "caf\xc3\xa9/menu.txt", "a-b_c~d.e+f,g=h@i!j$k&l'm(n)o*p;q:r"}) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(asset_name_problem(name).has_value());
  }
}

TEST_F(AssetsTest, MakesASortedTableWithTypesEtagsAndSizes) {
  write(site() / "index.html", "<h1>hi</h1>");
  write(site() / "css" / "site.css", "body{}");
  write(site() / "Z.txt", "capital letters sort first");
  write(site() / "caf\xc3\xa9.txt", "UTF-8 sorts after ASCII");
  write(site() / "empty.txt", "");

  GeneratedAssets assets = must(write_assets(glue(), site(), "site"));

  std::vector<std::string> paths;
  for (const auto& file : assets.files) paths.push_back(file.path);
  EXPECT_EQ(paths,
            (std::vector<std::string>{"/Z.txt", "/caf\xc3\xa9.txt", "/css/site.css", "/empty.txt", "/index.html"}));
  const AssetFile& index = assets.files[4];
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.size, 11u);
  EXPECT_EQ(index.digest, Digest::sha256_of("<h1>hi</h1>"));
  EXPECT_EQ(index.etag, "\"" + Digest::sha256_of("<h1>hi</h1>").hex() + "\"");
  EXPECT_EQ(assets.files[1].content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(assets.files[3].size, 0u);
  EXPECT_FALSE(assets.files[3].gzip_digest.has_value());  // 0 bytes: nothing is smaller
  EXPECT_EQ(assets.total_size, 11u + 6 + 26 + 23);
  for (const auto& name : {"include/cairn/assets.h", "assets.S", "assets.cc"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(assets.written.contains(name));
    EXPECT_EQ(assets.written.at(name), Digest::sha256_of(read(glue() / name)));
  }

  // The table in that order, pointing at the objects assets.S defines.
  std::string table = read(glue() / "assets.cc");
  std::size_t z = table.find("{\"/Z.txt\", \"text/plain; charset=utf-8\", \"\\\"");
  std::size_t cafe = table.find("{\"/caf\\303\\251.txt\"");
  std::size_t html = table.find("{\"/index.html\", \"text/html; charset=utf-8\", \"\\\"" + index.digest.hex() +
                                "\\\"\", cairn_asset_4, 11ul, nullptr, 0ul}");
  ASSERT_NE(z, std::string::npos) << table;
  ASSERT_NE(cafe, std::string::npos) << table;
  ASSERT_NE(html, std::string::npos) << table;
  EXPECT_LT(z, cafe);
  EXPECT_LT(cafe, html);
  EXPECT_NE(table.find("const unsigned long file_count = 5;"), std::string::npos);
  std::string assembly = read(glue() / "assets.S");
  EXPECT_NE(assembly.find(".section .rodata.cairn_assets,\"a\""), std::string::npos);
  EXPECT_NE(assembly.find("\t.incbin \"app/site/caf\\303\\251.txt\"\n\t.if . - cairn_asset_1 != 23\n"),
            std::string::npos)
      << assembly;
  EXPECT_NE(assembly.find("/* " + index.digest.to_string() + " */"), std::string::npos);
}

TEST_F(AssetsTest, KeepsTheGzipFormOnlyWhenItIsSmaller) {
  std::string text = repeated_text(8000), noise = random_bytes(8000);
  write(site() / "page.html", text);
  write(site() / "noise.bin", noise);

  GeneratedAssets assets = must(write_assets(glue(), site(), "site"));

  ASSERT_EQ(assets.files.size(), 2u);
  const AssetFile& random = assets.files[0];  // "/noise.bin" < "/page.html"
  const AssetFile& page = assets.files[1];
  EXPECT_FALSE(random.gzip_digest.has_value());
  EXPECT_EQ(random.gzip_size, 0u);
  EXPECT_FALSE(fs::exists(glue() / "assets" / "0.gz"));
  EXPECT_FALSE(assets.written.contains("assets/0.gz"));
  ASSERT_TRUE(page.gzip_digest.has_value());
  std::string gzip = read(glue() / "assets" / "1.gz");
  EXPECT_EQ(page.gzip_size, gzip.size());
  EXPECT_LT(gzip.size(), text.size() / 10);
  EXPECT_EQ(*page.gzip_digest, Digest::sha256_of(gzip));
  EXPECT_EQ(assets.written.at("assets/1.gz"), *page.gzip_digest);
  EXPECT_EQ(gunzip(gzip), text);
  // No name, no time: flags 0, MTIME 0, then XFL 2 (level 9).
  ASSERT_GT(gzip.size(), 10u);
  EXPECT_EQ(gzip.substr(0, 4), std::string("\x1f\x8b\x08\x00", 4));
  EXPECT_EQ(gzip.substr(4, 4), std::string(4, '\0'));
  EXPECT_EQ(assets.total_gzip_size, gzip.size());
  std::string table = read(glue() / "assets.cc");
  EXPECT_NE(table.find("cairn_asset_0, 8000ul, nullptr, 0ul}"), std::string::npos) << table;
  EXPECT_NE(table.find(fmt::format("cairn_asset_1, 8000ul, cairn_asset_1_gzip, {}ul}}", gzip.size())),
            std::string::npos)
      << table;
  EXPECT_NE(read(glue() / "assets.S").find("\t.incbin \"gen/assets/1.gz\"\n"), std::string::npos);
}

TEST_F(AssetsTest, TheSameFolderGivesTheSameBytes) {
  write(site() / "index.html", repeated_text(3000));
  write(site() / "img" / "noise.png", random_bytes(1000));
  write(site() / "docs" / "guide.md", repeated_text(500));

  GeneratedAssets first = must(write_assets(glue("one"), site(), "site"));
  fs::last_write_time(site() / "index.html", fs::file_time_type::clock::now() - std::chrono::hours(24));
  GeneratedAssets second = must(write_assets(glue("two"), site(), "site"));

  EXPECT_EQ(first.written, second.written);
  for (const auto& [path, digest] : first.written) {
    SCOPED_TRACE(path);
    EXPECT_EQ(read(glue("one") / path), read(glue("two") / path));
  }
}

// An in-memory GzipMemo that counts what it answers.
class MemoryGzipMemo : public GzipMemo {
 public:
  Result<std::optional<Known>> find(const Digest& input, const fs::path& destination) override {
    auto it = known_.find(input);
    if (it == known_.end()) return std::optional<Known>();
    ++hits;
    if (it->second.first.gzip) write(destination, it->second.second);
    return std::optional<Known>(it->second.first);
  }
  Result<void> remember(const Digest& input, const Known& known, const fs::path& gzip_file) override {
    known_[input] = {known, known.gzip ? read(gzip_file) : std::string()};
    return {};
  }
  int hits = 0;

 private:
  std::map<Digest, std::pair<Known, std::string>> known_;
};

TEST_F(AssetsTest, AMemoOfGzipFormsGivesTheSameBytesWithoutCompressingAgain) {
  write(site() / "index.html", repeated_text(3000));
  write(site() / "noise.bin", random_bytes(1000));
  std::map<std::string, Digest> digests{{"index.html", Digest::sha256_of(repeated_text(3000))},
                                        {"noise.bin", Digest::sha256_of(random_bytes(1000))}};
  MemoryGzipMemo memo;

  GeneratedAssets plain = must(write_assets(glue("plain"), site(), "site"));
  GeneratedAssets first = must(write_assets(glue("one"), site(), "site", {}, {.digests = &digests, .memo = &memo}));
  int hits_before = memo.hits;
  GeneratedAssets second = must(write_assets(glue("two"), site(), "site", {}, {.digests = &digests, .memo = &memo}));

  EXPECT_EQ(hits_before, 0);
  EXPECT_EQ(memo.hits, 2);  // both files, the one whose form was not smaller too
  EXPECT_EQ(first.written, plain.written);
  EXPECT_EQ(second.written, plain.written);
  for (const auto& [path, digest] : plain.written) {
    SCOPED_TRACE(path);
    EXPECT_EQ(read(glue("two") / path), read(glue("plain") / path));
  }
  EXPECT_FALSE(fs::exists(glue("two") / "assets" / "1.gz"));
}

// The digests given are the ones the staged tree was hashed with: a file read now must match.
TEST_F(AssetsTest, RefusesAFileThatIsNotTheOneItsTreeWasHashedWith) {
  write(site() / "index.html", "changed since");
  std::map<std::string, Digest> digests{{"index.html", Digest::sha256_of("hashed as")}};

  auto result = write_assets(glue(), site(), "site", {}, {.digests = &digests, .memo = nullptr});

  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("index.html: changed while it was read"), std::string::npos)
      << result.error().message();
}

TEST_F(AssetsTest, AnEmptyOrAbsentFolderGivesAnEmptyTable) {
  fs::create_directories(site());

  GeneratedAssets empty = must(write_assets(glue("one"), site(), "site"));
  GeneratedAssets absent = must(write_assets(glue("two"), site() / "nothing", "site"));

  EXPECT_TRUE(empty.files.empty());
  EXPECT_EQ(empty.written, absent.written);
  std::string table = read(glue("one") / "assets.cc");
  EXPECT_NE(table.find("const File files[1] = {{nullptr"), std::string::npos) << table;
  EXPECT_NE(table.find("const unsigned long file_count = 0;"), std::string::npos);
  EXPECT_EQ(read(glue("one") / "assets.S").find(".incbin"), std::string::npos);
}

TEST_F(AssetsTest, RefusesNamesAUrlPathCannotCarryNamingTheFile) {
  write(site() / "docs" / "read me.txt", "x");

  auto result = write_assets(glue(), site(), "site");

  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::refused);
  EXPECT_EQ(result.error().message(),
            "the assets folder 'site': docs/read me.txt: the name holds a space, which a URL path cannot carry raw "
            "(rename it)");
}

TEST_F(AssetsTest, RefusesSymlinks) {
  write(site() / "home.html", "x");
  fs::create_symlink("home.html", site() / "index.html");

  auto result = write_assets(glue(), site(), "site");

  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("index.html: a symlink (to 'home.html')"), std::string::npos)
      << result.error().message();
}

TEST_F(AssetsTest, RefusesMoreFilesOrBytesThanTheLimits) {
  write(site() / "a.txt", "12345");
  write(site() / "b.txt", "67890");
  write(site() / "c.txt", "x");

  auto too_many = write_assets(glue(), site(), "site", {.max_files = 2, .max_bytes = 100});
  auto too_big = write_assets(glue(), site(), "site", {.max_files = 10, .max_bytes = 10});
  auto at_the_limits = write_assets(glue(), site(), "site", {.max_files = 3, .max_bytes = 11});

  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(too_many.error().message(),
            "the assets folder 'site': holds 3 files, more than the 2 an image may bake in");
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(too_big.error().message(),
            "the assets folder 'site': holds more than the 10 bytes an image may bake in (at c.txt)");
  EXPECT_TRUE(at_the_limits.ok());
  AssetLimits defaults;
  EXPECT_EQ(defaults.max_files, 100'000u);
  EXPECT_EQ(defaults.max_bytes, 1u << 30);
}

// The generated header, table and assembler file, built by the host's g++ with a small program that
// looks every file up: what the image gets, minus the freestanding flags.
TEST_F(AssetsTest, TheGeneratedCodeBuildsAndFindsEveryFileAndNothingElse) {
  fs::path g = find_in_path("g++");
  if (g.empty()) GTEST_SKIP() << "no g++";
  std::string text = repeated_text(5000);
  write(site() / "index.html", text);
  write(site() / "b" / "x.css", "b{}");
  write(site() / "noise.bin", random_bytes(777));
  must(write_assets(root() / "gen", site(), "site"));
  write(root() / "check.cc", R"(#include <cairn/assets.h>
#include <cstdio>
#include <cstring>
static bool found(const char* path) {
  const cairn::assets::File* file = cairn::assets::find(path, std::strlen(path));
  return file != nullptr && std::strcmp(file->path, path) == 0;
}
int main() {
  std::printf("%lu\n", cairn::assets::file_count);
  for (unsigned long i = 0; i < cairn::assets::file_count; ++i) {
    const auto& f = cairn::assets::files[i];
    std::printf("%s %s %lu %lu %d\n", f.path, f.content_type, f.size, f.gzip_size, found(f.path));
  }
  std::printf("%d %d %d %d %d\n", found("/index.htm"), found("/index.html/"), found("/b"), found("/"),
              found("/zzz"));
  std::printf("%.5s|%.5s\n", reinterpret_cast<const char*>(cairn::assets::find("/index.html", 11)->data),
              reinterpret_cast<const char*>(cairn::assets::find("/b/x.css", 8)->data));
  return 0;
}
)");
  // In root, as the sandbox's /cairn: assets.S reads app/site/... and gen/assets/<n>.gz.
  std::vector<std::string> argv{g.string(), "-std=c++20",    "-Wall",        "-Wextra", "-Werror", "-Igen/include",
                                "check.cc", "gen/assets.cc", "gen/assets.S", "-o",      "check"};
  ProcessExit built = must(run_to_file(argv, root() / "compile.log", nullptr, root()));
  ASSERT_EQ(built.shell_status(), 0) << read(root() / "compile.log");
  ProcessExit ran = must(run_to_file({(root() / "check").string()}, root() / "run.log"));
  ASSERT_EQ(ran.shell_status(), 0);

  GeneratedAssets assets = must(write_assets(root() / "again", site(), "site"));
  EXPECT_EQ(read(root() / "run.log"), fmt::format("3\n"
                                                  "/b/x.css text/css; charset=utf-8 3 0 1\n"
                                                  "/index.html text/html; charset=utf-8 5000 {} 1\n"
                                                  "/noise.bin application/octet-stream 777 0 1\n"
                                                  "0 0 0 0 0\n"
                                                  "<p>Ca|b{{}}\n",
                                                  assets.files[1].gzip_size));
}

}  // namespace
}  // namespace cairn::builder
