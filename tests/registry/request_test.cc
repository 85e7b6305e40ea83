// The registry's request readers (request.h) and its storage (store.h) without HTTP.
#include "cairn/core/file.h"
#include "cairn/registry/request.h"
#include "cairn/registry/store.h"
#include "support/must.h"

#include <gtest/gtest.h>

#include <fstream>

namespace cairn::registry {
namespace {

using test_support::must;
namespace fs = std::filesystem;

TEST(RouteTest, ReadsEveryEndpointAndNothingElse) {
  std::string digest = Digest::sha256_of("x").to_string();
  Route blob = parse_route("/v2/a/b/blobs/" + digest);
  EXPECT_EQ(blob.kind, Route::blob);
  EXPECT_EQ(blob.repository, "a/b");
  EXPECT_EQ(blob.argument, digest);
  EXPECT_EQ(parse_route("/v2/a/blobs/uploads/").kind, Route::uploads);
  Route upload = parse_route("/v2/a/blobs/uploads/0123");
  EXPECT_EQ(upload.kind, Route::upload);
  EXPECT_EQ(upload.argument, "0123");
  // A repository may itself be called "blobs" or "manifests".
  Route tricky = parse_route("/v2/x/blobs/blobs/uploads/");
  EXPECT_EQ(tricky.kind, Route::uploads);
  EXPECT_EQ(tricky.repository, "x/blobs");
  EXPECT_EQ(parse_route("/v2/x/manifests/manifests/v1").repository, "x/manifests");
  EXPECT_EQ(parse_route("/v2/a/tags/list").kind, Route::tags);
  EXPECT_EQ(parse_route("/v2/a/referrers/" + digest).kind, Route::referrers);
  for (const char* path : {"/v2", "/v3/a/blobs/x", "/v2/a/blobs/", "/v2/tags/list", "/v2/a/manifests/",
                           "/v2/a/things/x", "/v2/blobs/x", "/"}) {
    EXPECT_EQ(parse_route(path).kind, Route::none) << path;
  }
  for (const std::string& path : std::vector<std::string>{"/v2/", "/v2/a/b/blobs/" + digest, "/v2/a/blobs/uploads/",
                                                           "/log/checkpoint"}) {
    EXPECT_EQ(route_path(parse_route(path)), path);
  }
}

TEST(RangeTest, OneSatisfiableRangeOnly) {
  auto range = parse_byte_range("bytes=2-5", 10);
  ASSERT_TRUE(range);
  EXPECT_EQ(range->first, 2u);
  EXPECT_EQ(range->last, 5u);
  EXPECT_EQ(parse_byte_range("bytes=8-100", 10)->last, 9u);
  EXPECT_EQ(parse_byte_range("bytes=-3", 10)->first, 7u);
  EXPECT_EQ(parse_byte_range("bytes=-30", 10)->first, 0u);
  EXPECT_EQ(parse_byte_range("bytes=4-", 10)->last, 9u);
  for (const char* bad : {"bytes=10-", "bytes=5-4", "bytes=-0", "bytes=0-1,3-4", "items=0-1", "bytes=a-b",
                          "bytes=01-2", "bytes=", "bytes=99999999999999999999-"}) {
    EXPECT_FALSE(parse_byte_range(bad, 10)) << bad;
  }
  EXPECT_FALSE(parse_byte_range("bytes=0-0", 0));
  EXPECT_EQ(parse_content_range_start("1024-2047"), 1024u);
  EXPECT_EQ(parse_content_range_start("bytes 0-9"), 0u);
  EXPECT_FALSE(parse_content_range_start("9-1"));
  EXPECT_FALSE(parse_content_range_start("1024"));
}

TEST(LogEntryTest, CanonicalFiveFieldsOnly) {
  std::string digest = Digest::sha256_of("x").to_string();
  LogEntry entry;
  entry.envelope = Digest::sha256_of("e");
  entry.manifest = Digest::sha256_of("m");
  entry.repository = "team/app";
  entry.signers = {"a", "b"};
  entry.tag = "v1";
  std::string bytes = log_entry_bytes(entry);
  LogEntry parsed = must(parse_log_entry(bytes));
  EXPECT_EQ(log_entry_bytes(parsed), bytes);
  auto refused = [&](std::string text) { return !parse_log_entry(text).ok(); };
  EXPECT_TRUE(refused(bytes.substr(0, bytes.size() - 1)));
  EXPECT_TRUE(refused(std::string(bytes).insert(1, " ")));  // not canonical
  std::string unsorted = bytes;
  unsorted.replace(unsorted.find("\"a\",\"b\""), 7, "\"b\",\"a\"");
  EXPECT_TRUE(refused(unsorted));
  std::string bad_name = bytes;
  bad_name.replace(bad_name.find("team/app"), 8, "team/../x");
  EXPECT_TRUE(refused(bad_name));
  EXPECT_TRUE(refused(bytes.substr(0, bytes.size() - 1) + ",\"extra\":1}"));
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_.emplace(must(TemporaryDirectory::create("cairn-store-test.")));
    root_ = directory_->path();
  }
  std::optional<TemporaryDirectory> directory_;
  fs::path root_;
};

TEST_F(StoreTest, AnUploadSurvivesACrashBetweenWriteAndRecord) {
  std::string id;
  {
    auto store = must(RegistryStore::open(root_));
    id = must(store->start_upload("a"));
    UploadWriter writer = must(store->append_upload("a", id));
    must(writer.write("hello "));
    EXPECT_EQ(must(writer.finish()), 6u);
  }
  // Bytes written after the last record, as a crash leaves them.
  std::ofstream(root_ / "uploads" / id, std::ios::app) << "garbage";
  auto store = must(RegistryStore::open(root_));
  EXPECT_EQ(must(store->upload_status("a", id)).size, 6u);
  EXPECT_FALSE(store->append_upload("a", id, 3).ok());  // not at the end
  UploadWriter writer = must(store->append_upload("a", id, 6));
  must(writer.write("world"));
  must(writer.finish());
  EXPECT_EQ(store->finish_upload("a", id, Digest::sha256_of("hello garbage")).error().code(), ErrorCode::malformed);
  must(store->finish_upload("a", id, Digest::sha256_of("hello world")));
  BlobFile blob = must(store->blob("a", Digest::sha256_of("hello world")));
  EXPECT_EQ(must(read_file(blob.path, 100)), "hello world");
  EXPECT_FALSE(store->blob("b", Digest::sha256_of("hello world")).ok());
  EXPECT_FALSE(fs::exists(root_ / "uploads" / id));
}

TEST_F(StoreTest, AManifestNeedsItsBlobsInItsRepository) {
  auto store = must(RegistryStore::open(root_));
  std::string id = must(store->start_upload("a"));
  {
    UploadWriter writer = must(store->append_upload("a", id));
    must(writer.write("{}"));
  }
  must(store->finish_upload("a", id, Digest::sha256_of("{}")));
  std::string config = Digest::sha256_of("{}").to_string();
  std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                         R"("config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":")" +
                         config + R"(","size":2},"layers":[]})";
  EXPECT_EQ(store->put_manifest("b", "v1", "", manifest).error().code(), ErrorCode::refused);
  PutManifestResult put = must(store->put_manifest("a", "v1", "application/vnd.oci.image.manifest.v1+json", manifest));
  EXPECT_EQ(put.digest, Digest::sha256_of(manifest));
  EXPECT_EQ(*store->tagged("a", "v1"), put.digest);
  EXPECT_EQ(store->put_manifest("a", "v2", "application/vnd.oci.image.index.v1+json", manifest).error().code(),
            ErrorCode::malformed);
  // Reopened, it is all still there.
  store.reset();
  store = must(RegistryStore::open(root_));
  EXPECT_EQ(must(store->manifest("a", "v1")).first.digest, put.digest);
}

TEST(TokenPrefixTest, APrefixIsAPathNotAString) {
  EXPECT_TRUE(prefix_covers("team", "team"));
  EXPECT_TRUE(prefix_covers("team", "team/app"));
  EXPECT_FALSE(prefix_covers("team", "teamster"));
  EXPECT_FALSE(prefix_covers("team/app", "team"));
}

}  // namespace
}  // namespace cairn::registry
