// Manifest repositories whose root and maintainers use OpenPGP keys (made by the real gpg in a
// throw-away GnuPG home): verified end to end like Ed25519 ones, and a bad OpenPGP signature or
// an OpenPGP key root.json does not list is refused, each with its own message.
#include "../signing/signing_test_support.h"
#include "manifest_test_support.h"

#include <gtest/gtest.h>

namespace cairn::manifest {
namespace {

using namespace testing;
using signing::testing::GnupgHome;

// A key of `gnupg` that signs through gpg-agent, listed in root.json by its armored public key.
TestKey make_openpgp_key(const GnupgHome& gnupg, const std::string& user_id) {
  std::string fingerprint = gnupg.generate_key(user_id);
  auto signer = std::make_shared<signing::OpenPgpSigner>(must(signing::OpenPgpSigner::open(fingerprint, gnupg.path())));
  return {signer, {signing::SignatureMethod::openpgp, gnupg.export_public(fingerprint)}};
}

// A document's file with the signature bytes of its first signature changed (one bit of the
// last byte, inside the signature value, so the packet still parses).
std::string with_damaged_signature(const std::string& text) {
  Json document = must(parse_json(text));
  std::string bytes = must(base64_decode(document["signatures"][0]["sig"].get<std::string>()));
  bytes.back() = static_cast<char>(bytes.back() ^ 0x01);
  document["signatures"][0]["sig"] = base64_encode(bytes);
  return must(canonical_json(document)) + "\n";
}

class OpenPgpRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_key_ = make_openpgp_key(gnupg_, "Cairn Root <root@example.org>");
    maintainer_key_ = make_openpgp_key(gnupg_, "Cairn Maintainer <maintainer@example.org>");
    // The repository's root and its default maintainers become the OpenPGP keys; snapshot and
    // timestamp keep their Ed25519 keys.
    RootMetadata& root = repo_.root;
    root.keys.erase(repo_.root_key.keyid());
    root.keys.erase(repo_.maintainer_key.keyid());
    repo_.root_key = root_key_;
    repo_.maintainer_key = maintainer_key_;
    root.keys[root_key_.keyid()] = root_key_.material;
    root.keys[maintainer_key_.keyid()] = maintainer_key_.material;
    root.root = {{root_key_.keyid()}, 1};
    root.maintainers["*"] = {{maintainer_key_.keyid()}, 1};
    repo_.write_root();
    repo_.add_library({"tcp", "1.0.0"});
    repo_.add_library({"http", "1.0.0", {{"tcp", "^1"}}});
    repo_.publish();
  }

  PrivateXdg xdg_;  // the private GnuPG homes of the pinned keys go under its cache folder
  GnupgHome gnupg_;
  TestRepository repo_;
  TestKey root_key_, maintainer_key_;
};

TEST_F(OpenPgpRootTest, VerifiesEndToEndAndPinsTheRoot) {
  Result<VerifiedRepository> verified = repo_.verify();
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  ASSERT_EQ(verified->libraries.size(), 2u);
  for (const auto& library : verified->libraries) {
    EXPECT_EQ(library.signers, std::vector<std::string>{maintainer_key_.keyid()}) << library.entry.name;
  }
  EXPECT_EQ(verified->root.keys.at(root_key_.keyid()).method, signing::SignatureMethod::openpgp);

  // The same through the trust store: pinned on first use, found by location afterwards.
  Repository repository = must(Repository::open(repo_.path().string()));
  VerifyOptions options;
  options.clock = fixed_clock();
  Result<VerifiedRepository> pinned = update_repository(repository, repo_.pinned_root(), options);
  ASSERT_TRUE(pinned.ok()) << pinned.error().message();
  Result<VerifiedRepository> again = update_repository(repository, std::nullopt, options);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->state.root_version, 1);
}

TEST_F(OpenPgpRootTest, RotatesToANewRootSignedByTheOldAndTheNewOpenPgpKeys) {
  TestKey next_root_key = make_openpgp_key(gnupg_, "Cairn Next Root <next-root@example.org>");
  repo_.root.version = 2;
  repo_.root.keys[next_root_key.keyid()] = next_root_key.material;
  repo_.root.root = {{next_root_key.keyid()}, 1};
  repo_.write_root({&root_key_, &next_root_key});
  Result<VerifiedRepository> verified = repo_.verify();
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->state.root_version, 2);

  // Signed by the new key only: the old root's threshold is not met.
  repo_.root.version = 2;
  repo_.write_root({&next_root_key});
  expect_error(repo_.verify(), ErrorCode::refused, "root/2.root.json (signatures of the old root, version 1)");
}

TEST_F(OpenPgpRootTest, RefusesARootWithABadOpenPgpSignature) {
  TrustState trusted = repo_.trusted();
  trusted.root_document = with_damaged_signature(trusted.root_document);
  Result<VerifiedRepository> verified = repo_.verify(trusted);
  expect_error(verified, ErrorCode::refused, "trusted root: root signatures: threshold not met");
  expect_error(verified, ErrorCode::refused, root_key_.keyid() + ": bad signature");
}

TEST_F(OpenPgpRootTest, RefusesARootSignedByAnOpenPgpKeyItDoesNotList) {
  TestKey stranger = make_openpgp_key(gnupg_, "Cairn Stranger <stranger@example.org>");
  repo_.write_root({&stranger});
  Result<VerifiedRepository> verified = repo_.verify();
  expect_error(verified, ErrorCode::refused, "trusted root: root signatures: threshold not met");
  expect_error(verified, ErrorCode::refused, stranger.keyid() + ": unknown key");
}

TEST_F(OpenPgpRootTest, RefusesAnEntryWithABadOpenPgpMaintainerSignature) {
  repo_.write("libraries/tcp/1.0.0.json", with_damaged_signature(repo_.read("libraries/tcp/1.0.0.json")));
  repo_.publish();
  Result<VerifiedRepository> verified = repo_.verify();
  expect_error(verified, ErrorCode::refused, "libraries/tcp/1.0.0.json: maintainer of library 'tcp' signatures");
  expect_error(verified, ErrorCode::refused, maintainer_key_.keyid() + ": bad signature");
}

TEST_F(OpenPgpRootTest, RefusesAnEntrySignedByTheOpenPgpRootKeyInsteadOfAMaintainer) {
  repo_.add_library({"tcp", "1.0.0"}, {&root_key_});
  repo_.publish();
  expect_error(repo_.verify(), ErrorCode::refused,
               "libraries/tcp/1.0.0.json: signed by key " + root_key_.keyid() + ", which is not a maintainer");
}

}  // namespace
}  // namespace cairn::manifest
