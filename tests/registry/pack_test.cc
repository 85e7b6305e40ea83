// Packing a build as an OCI artifact: the same build gives the same manifest bytes whatever the
// folder, the time or the scratch space; what does not match its recorded digest is refused.
#include "cairn/registry/pack.h"

#include "cairn/core/canonical_json.h"
#include "cairn/core/file.h"
#include "cairn/core/tree.h"
#include "cairn/manifest/lock.h"
#include "cairn/registry/oci.h"

#include "support/must.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

namespace cairn::registry {
namespace {

namespace fs = std::filesystem;
using cairn::test_support::must;

fs::path built_hello() { return fs::path(CAIRN_BIN_DIR).parent_path() / "images" / "hello.spt"; }

// A build folder as `cairn build` leaves it, with its libraries and app in a store.
class PackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(built_hello())) << built_hello();
    store_ = root_.path() / "store";
    Digest net = add_tree({{"library.json", "{\"name\":\"net\"}"}, {"src/net.cc", "int net;"}});
    Digest kernel = add_tree({{"library.json", "{\"name\":\"kernel\"}"}, {"boot.cc", "int boot;"}});
    app_ = add_tree({{"unikernel.json", "{}"}, {"main.cc", "int main;"}});

    lock_.repository = Digest::sha256_of("root").to_string();
    lock_.snapshot_version = 3;
    lock_.snapshot_created = 1767225600;  // 2026-01-01T00:00:00Z
    lock_.libraries["net"].version = "1.2.0";
    lock_.libraries["net"].tree = net;
    lock_.libraries["kernel"].version = "0.9.1";
    lock_.libraries["kernel"].tree = kernel;
    build_ = make_build(root_.path() / "app" / "_build" / "hello");
  }

  Digest add_tree(const std::vector<std::pair<std::string, std::string>>& files) {
    fs::path staging = root_.path() / "staging";
    fs::remove_all(staging);
    for (const auto& [path, content] : files) {
      fs::create_directories((staging / path).parent_path());
      must(write_scratch_file(staging / path, content));
    }
    Digest tree = must(hash_tree(staging));
    fs::create_directories(store_);
    fs::rename(staging, store_ / tree.hex());
    return tree;
  }

  fs::path make_build(const fs::path& build) {
    fs::create_directories(build);
    fs::copy_file(built_hello(), build / "hello.spt");
    Digest image = must(digest_file(build / "hello.spt"));
    Json statement = must(parse_json(fmt::format(
        R"({{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1",
             "subject":[{{"name":"hello.spt","digest":{{"sha256":"{}"}}}}],
             "predicate":{{"buildDefinition":{{
               "externalParameters":{{"unikernel":{{"name":"hello","version":"1.0.0"}}}},
               "resolvedDependencies":[{{"name":"app","digest":{{"sha256":"{}"}}}}]}}}}}})",
        image.hex(), app_.hex())));
    must(write_scratch_file(build / "provenance.json", must(canonical_json(statement)) + "\n"));
    must(manifest::write_lock(build / "cairn.lock", lock_));
    return build;
  }

  PackOptions options() const { return {.store = store_, .scratch = {}}; }

  TemporaryDirectory root_ = must(TemporaryDirectory::create("cairn-pack-test-"));
  fs::path store_;
  Digest app_ = Digest::sha256_of("");
  manifest::LockFile lock_;
  fs::path build_;
};

TEST_F(PackTest, TheSameBuildGivesTheSameManifestAnywhereAnyTime) {
  PackedArtifact first = must(pack_build(build_, options()));
  // Another folder, other timestamps, other scratch space, a second later.
  fs::path elsewhere = make_build(root_.path() / "elsewhere" / "x" / "_build" / "hello");
  for (const auto& entry : fs::recursive_directory_iterator(root_.path())) {
    fs::last_write_time(entry.path(), fs::file_time_type::clock::now() + std::chrono::hours(24 * 400));
  }
  fs::create_directories(root_.path() / "other-scratch");
  PackedArtifact second = must(pack_build(elsewhere, {.store = store_, .scratch = root_.path() / "other-scratch"}));

  EXPECT_EQ(first.manifest, second.manifest);
  EXPECT_EQ(first.manifest_digest, second.manifest_digest);
  EXPECT_EQ(first.manifest_digest, Digest::sha256_of(first.manifest));
  EXPECT_EQ(must(canonical_json(must(parse_json(first.manifest)))), first.manifest);
}

TEST_F(PackTest, ManifestHoldsConfigImageProvenanceAndEveryTree) {
  PackedArtifact artifact = must(pack_build(build_, options()));
  ImageManifest manifest = must(parse_manifest(artifact.manifest));

  EXPECT_EQ(manifest.artifact_type, cairn_artifact_type);
  EXPECT_EQ(manifest.annotations.at(std::string(annotation_created)), "2026-01-01T00:00:00Z");
  EXPECT_EQ(manifest.config.media_type, cairn_config_media_type);
  Json config = must(parse_canonical_json(artifact.config.bytes));
  EXPECT_EQ(config["target"], "spt");
  EXPECT_EQ(config["image"], "hello.spt");
  EXPECT_TRUE(config["devices"].is_array());
  ASSERT_EQ(manifest.layers.size(), 5u);  // image, provenance, kernel, net, the app
  EXPECT_EQ(manifest.layers[0].annotations.at(std::string(annotation_title)), "hello.spt");
  EXPECT_EQ(manifest.layers[0].digest, must(digest_file(build_ / "hello.spt")));
  EXPECT_EQ(manifest.layers[1].media_type, in_toto_media_type);
  EXPECT_EQ(manifest.layers[2].annotations.at(std::string(annotation_library_name)), "kernel");
  EXPECT_EQ(manifest.layers[2].annotations.at(std::string(annotation_title)), "kernel-0.9.1.tar.gz");
  EXPECT_EQ(manifest.layers[3].annotations.at(std::string(annotation_library_tree)),
            lock_.libraries["net"].tree.to_string());
  EXPECT_EQ(manifest.layers[4].annotations.at(std::string(annotation_library_tree)), app_.to_string());
  for (std::size_t i = 2; i < manifest.layers.size(); ++i) {
    EXPECT_EQ(manifest.layers[i].media_type, oci_tar_gzip_media_type);
    EXPECT_EQ(must(digest_file(artifact.layers[i].file)), manifest.layers[i].digest);
  }
}

TEST_F(PackTest, NoTimeWithoutSnapshotCreated) {
  lock_.snapshot_created.reset();
  fs::path build = make_build(root_.path() / "undated");
  ImageManifest manifest = must(parse_manifest(must(pack_build(build, options())).manifest));
  EXPECT_FALSE(manifest.annotations.contains(std::string(annotation_created)));
}

TEST_F(PackTest, RefusesAnImageThatIsNotTheOneTheProvenanceNames) {
  std::string image = must(read_file(build_ / "hello.spt", 1 << 24));
  image[image.size() - 1] ^= 1;
  must(write_scratch_file(build_ / "hello.spt", image));
  Result<PackedArtifact> packed = pack_build(build_, options());
  ASSERT_FALSE(packed.ok());
  EXPECT_EQ(packed.error().code(), ErrorCode::refused);
}

TEST_F(PackTest, RefusesAStoreTreeThatChanged) {
  must(write_scratch_file(store_ / lock_.libraries["net"].tree.hex() / "src" / "net.cc", "int changed;"));
  Result<PackedArtifact> packed = pack_build(build_, options());
  ASSERT_FALSE(packed.ok());
  EXPECT_NE(packed.error().message().find("library 'net'"), std::string::npos) << packed.error().message();
}

TEST_F(PackTest, NamesALibraryMissingFromTheStore) {
  fs::remove_all(store_ / lock_.libraries["kernel"].tree.hex());
  Result<PackedArtifact> packed = pack_build(build_, options());
  ASSERT_FALSE(packed.ok());
  EXPECT_EQ(packed.error().code(), ErrorCode::not_found);
  EXPECT_NE(packed.error().message().find("library 'kernel' 0.9.1"), std::string::npos);
}

TEST_F(PackTest, WritesAnOciImageLayout) {
  PackedArtifact artifact = must(pack_build(build_, options()));
  std::vector<const Blob*> blobs = {&artifact.config};
  for (const Blob& layer : artifact.layers) blobs.push_back(&layer);
  fs::path layout = root_.path() / "layout";
  must(write_oci_layout(layout, blobs, {{artifact.manifest, std::string(cairn_artifact_type), "v1"}}));

  EXPECT_EQ(must(read_file(layout / "oci-layout", 100)), R"({"imageLayoutVersion":"1.0.0"})");
  Json index = must(parse_json(must(read_file(layout / "index.json", 1 << 20))));
  EXPECT_EQ(index["manifests"][0]["digest"], artifact.manifest_digest.to_string());
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "v1");
  for (const Blob* blob : blobs) {
    EXPECT_EQ(must(digest_file(layout / "blobs" / "sha256" / blob->descriptor.digest.hex())),
              blob->descriptor.digest);
  }
  EXPECT_EQ(write_oci_layout(layout, blobs, {}).error().code(), ErrorCode::already_exists);
}

TEST(Manifest, RoundTripsAndRefusesOtherSchemas) {
  ImageManifest manifest;
  manifest.artifact_type = "application/x";
  manifest.config = Descriptor::of(oci_empty_media_type, oci_empty_blob);
  manifest.layers = {Descriptor::of("application/y", "bytes")};
  manifest.subject = Descriptor::of(oci_manifest_media_type, "{}");
  manifest.annotations = {{"b", "2"}, {"a", "1"}};
  std::string text = must(serialize_manifest(manifest));
  ImageManifest parsed = must(parse_manifest(text));
  EXPECT_EQ(must(serialize_manifest(parsed)), text);
  EXPECT_LT(text.find("\"a\":\"1\""), text.find("\"b\":\"2\""));

  EXPECT_EQ(parse_manifest(R"({"schemaVersion":1,"config":{},"layers":[]})").error().code(), ErrorCode::unsupported);
  EXPECT_FALSE(parse_manifest(R"({"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:ab","size":1}})").ok());
  EXPECT_FALSE(parse_manifest("[").ok());
}

}  // namespace
}  // namespace cairn::registry
