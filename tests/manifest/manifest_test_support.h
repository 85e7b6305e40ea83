// Test support for the manifest repository: throw-away Ed25519 keys, a repository folder built
// document by document (so a test can sign, tamper, roll back or expire any part of it), a fixed
// clock, and private XDG state and cache folders.
#pragma once

#include "cairn/core/base64.h"
#include "cairn/core/file.h"
#include "cairn/manifest/client.h"
#include "cairn/manifest/metadata.h"
#include "cairn/manifest/publish.h"
#include "cairn/signing/ed25519.h"
#include "support/must.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cairn::manifest::testing {

inline constexpr std::int64_t test_now = 1'767'225'600;  // 2026-01-01T00:00:00Z
inline constexpr std::int64_t one_year = 365 * 24 * 3600;

inline Clock fixed_clock(std::int64_t now = test_now) {
  return [now] { return now; };
}

using cairn::test_support::must;

inline TemporaryDirectory make_temporary_directory(std::string_view prefix = "cairn-manifest-test-") {
  return must(TemporaryDirectory::create(prefix));
}

// Points XDG_STATE_HOME and XDG_CACHE_HOME at a private folder for the test's lifetime.
class PrivateXdg {
 public:
  PrivateXdg() : directory_(make_temporary_directory("cairn-xdg-test-")) {
    ::setenv("XDG_STATE_HOME", (directory_.path() / "state").c_str(), 1);
    ::setenv("XDG_CACHE_HOME", (directory_.path() / "cache").c_str(), 1);
  }
  const std::filesystem::path& path() const { return directory_.path(); }

 private:
  TemporaryDirectory directory_;
};

// A key that signs test documents and the material root.json lists for it (Ed25519 here; the
// OpenPGP tests make theirs from a throw-away GnuPG home).
struct TestKey {
  std::shared_ptr<const signing::Signer> signer;
  KeyMaterial material;
  std::string keyid() const { return signer->keyid(); }
};

inline TestKey make_key() {
  auto key = std::make_shared<signing::Ed25519PrivateKey>(must(signing::Ed25519PrivateKey::generate()));
  return {key, {signing::SignatureMethod::ed25519, key->public_key().raw()}};
}

struct LibrarySpec {
  LibrarySpec(std::string name_, std::string version_, std::map<std::string, std::string> depends_ = {},
              std::optional<std::string> yanked_ = std::nullopt, std::vector<Advisory> advisories_ = {})
      : name(std::move(name_)),
        version(std::move(version_)),
        depends(std::move(depends_)),
        yanked(std::move(yanked_)),
        advisories(std::move(advisories_)) {}
  std::string name;
  std::string version;
  std::map<std::string, std::string> depends;
  std::optional<std::string> yanked;
  std::vector<Advisory> advisories;
};

// A repository folder with one root key, one snapshot key, one timestamp key and a default
// maintainer key ("*"), all valid for a year from test_now.
class TestRepository {
 public:
  TestRepository() : directory_(make_temporary_directory("cairn-repo-test-")) {
    root_key = make_key();
    snapshot_key = make_key();
    timestamp_key = make_key();
    maintainer_key = make_key();
    root.version = 1;
    root.expires = test_now + one_year;
    for (const auto* key : {&root_key, &snapshot_key, &timestamp_key, &maintainer_key}) {
      root.keys[key->keyid()] = key->material;
    }
    root.root = {{root_key.keyid()}, 1};
    root.snapshot = {{snapshot_key.keyid()}, 1};
    root.timestamp = {{timestamp_key.keyid()}, 1};
    root.maintainers["*"] = {{maintainer_key.keyid()}, 1};
    write_root();
  }

  const std::filesystem::path& path() const { return directory_.path(); }

  // Writes root.json and root/<version>.root.json signed by `signers` (default: the root key).
  void write_root(std::vector<const TestKey*> signers = {}) {
    if (signers.empty()) signers = {&root_key};
    std::vector<const signing::Signer*> raw;
    for (const auto* key : signers) raw.push_back(key->signer.get());
    must(manifest::write_root(path(), root, raw));
    if (root.version == 1) root_document = read("root.json");
  }

  // Writes libraries/<name>/<version>.json signed by `signers` (default: the maintainer key).
  LibraryEntry add_library(const LibrarySpec& spec, std::vector<const TestKey*> signers = {}) {
    if (signers.empty()) signers = {&maintainer_key};
    LibraryEntry entry;
    entry.expires = test_now + one_year;
    entry.name = spec.name;
    entry.library_version = spec.version;
    entry.license = "Apache-2.0";
    entry.tree = Digest::sha256_of(spec.name + spec.version);
    entry.depends = spec.depends;
    entry.yanked = spec.yanked;
    entry.advisories = spec.advisories;
    SignedDocument document = must(make_document(to_json(entry)));
    for (const auto* key : signers) must(sign_document(document, *key->signer));
    must(write_document(path() / entry.path(), document));
    return entry;
  }

  // A new snapshot and timestamp over the entries present (versions go up by one each time).
  PublishResult publish(std::int64_t now = test_now) {
    PublishOptions options;
    options.now = now;
    return must(publish_snapshot(path(), *snapshot_key.signer, *timestamp_key.signer, options));
  }

  // root.json version 1 as a user pins it with --root.
  PinnedRoot pinned_root() const { return PinnedRoot{root_document, (path() / "root.json").string()}; }

  TrustState trusted() const {
    TrustState state;
    state.root_document = root_document;
    return state;
  }

  Result<VerifiedRepository> verify(const TrustState& state, std::int64_t now = test_now) const {
    Repository repository = must(Repository::open(path().string()));
    VerifyOptions options;
    options.clock = fixed_clock(now);
    return verify_repository(repository, state, options);
  }
  Result<VerifiedRepository> verify() const { return verify(trusted()); }

  std::string read(const std::string& relative) const {
    return must(read_file(path() / relative, std::size_t{64} << 20));
  }
  void write(const std::string& relative, std::string_view content) const {
    must(write_file_atomically(path() / relative, content));
  }

  RootMetadata root;
  std::string root_document;  // version 1, as pinned out of band
  TestKey root_key, snapshot_key, timestamp_key, maintainer_key;

 private:
  TemporaryDirectory directory_;
};

// Asserts that `result` failed with `code` and a message containing `expected`.
template <typename T>
void expect_error(const Result<T>& result, ErrorCode code, std::string_view expected) {
  ASSERT_FALSE(result.ok()) << "expected an error containing: " << expected;
  EXPECT_EQ(result.error().code(), code) << result.error().message();
  EXPECT_NE(result.error().message().find(expected), std::string::npos) << result.error().message();
}

}  // namespace cairn::manifest::testing
