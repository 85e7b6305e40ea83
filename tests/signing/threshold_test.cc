// Threshold verification over pinned keys of both methods, and the signature records and key ids
// it reads: distinct keys counted once, every failure named, unknown methods rejected.
#include "cairn/signing/threshold.h"

#include "cairn/core/base64.h"
#include "signing_test_support.h"

#include <gtest/gtest.h>

namespace cairn::signing {
namespace {

using testing::GnupgHome;
using testing::make_temporary_directory;
using testing::must_run;
using testing::read_bytes;
using testing::shell_quote;
using testing::write_bytes;

// --- signature records and key ids ---------------------------------------------------------

Result<Signature> record(const nlohmann::json& json) { return signature_from_json(JsonReader(json)); }
Result<std::vector<Signature>> records(const nlohmann::json& json) {
  return signatures_from_json(JsonReader(json, "signatures"));
}

TEST(SignatureRecord, RoundTripsThroughJson) {
  Signature signature{"sha256:" + std::string(64, 'a'), SignatureMethod::ed25519, std::string("\x00\x01\xff", 3)};
  nlohmann::json json = to_json(signature);
  EXPECT_EQ(json.dump(), R"({"keyid":"sha256:)" + std::string(64, 'a') + R"(","method":"ed25519","sig":"AAH/"})");
  Signature parsed = record(json).value();
  EXPECT_EQ(parsed.keyid, signature.keyid);
  EXPECT_EQ(parsed.method, signature.method);
  EXPECT_EQ(parsed.bytes, signature.bytes);
}

TEST(SignatureRecord, RejectsUnknownMethod) {
  auto parsed = records(nlohmann::json::parse(R"([
      {"keyid": "", "method": "ed25519", "sig": "AAAA"},
      {"keyid": "", "method": "x509", "sig": "AAAA"}])"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code(), ErrorCode::refused);
  EXPECT_EQ(parsed.error().message(),
            "\"signatures[1].method\": unknown signature method 'x509' (expected openpgp or ed25519)");
}

TEST(SignatureRecord, RejectsNonBase64SigAndMissingOrMistypedFields) {
  auto not_base64 = record(nlohmann::json::parse(R"({"keyid":"","method":"openpgp","sig":"AA=A"})"));
  ASSERT_FALSE(not_base64.ok());
  EXPECT_EQ(not_base64.error().code(), ErrorCode::malformed);
  EXPECT_NE(not_base64.error().message().find("\"sig\": not base64"), std::string::npos)
      << not_base64.error().message();
  for (std::string_view json :
       {R"({"method":"openpgp","sig":"AAAA"})", R"({"keyid":"","sig":"AAAA"})", R"({"keyid":"","method":"openpgp"})",
        R"({"keyid":1,"method":"openpgp","sig":"AAAA"})", R"("signature")"}) {
    auto parsed = record(nlohmann::json::parse(json));
    ASSERT_FALSE(parsed.ok()) << json;
    EXPECT_EQ(parsed.error().code(), ErrorCode::malformed) << json;
  }
  // An OpenPGP signature cannot carry an Ed25519 key id, nor the reverse.
  EXPECT_FALSE(
      record({{"keyid", "sha256:" + std::string(64, 'a')}, {"method", "openpgp"}, {"sig", "AAAA"}}).ok());
  EXPECT_FALSE(record({{"keyid", std::string(40, 'A')}, {"method", "ed25519"}, {"sig", "AAAA"}}).ok());
}

TEST(KeyId, NormalizesOpenPgpFingerprintsAndKeepsSha256Ids) {
  EXPECT_EQ(normalize_keyid("6b0e 7cb9 f6b9 4eb7 5850  093c 7b05 f0be b546 e404").value(),
            "6B0E7CB9F6B94EB75850093C7B05F0BEB546E404");
  EXPECT_EQ(normalize_keyid("0x6B0E7CB9F6B94EB75850093C7B05F0BEB546E404").value(),
            "6B0E7CB9F6B94EB75850093C7B05F0BEB546E404");
  std::string sha = "sha256:" + std::string(64, 'b');
  EXPECT_EQ(normalize_keyid(sha).value(), sha);
  EXPECT_EQ(normalize_keyid("sha256:" + std::string(64, 'B')).error().code(), ErrorCode::malformed);
  EXPECT_EQ(normalize_keyid("7B05F0BEB546E404").error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(normalize_keyid("not a key").error().code(), ErrorCode::malformed);
}

// --- thresholds ----------------------------------------------------------------------------

class ThresholdTest : public ::testing::Test {
 protected:
  ThresholdTest() { write_bytes(data_path(), data); }

  std::filesystem::path data_path() const { return work.path() / "data"; }

  Result<TrustedKeys> trust(const std::vector<PinnedKeyFile>& files) const {
    TrustedKeysOptions options;
    options.gnupg_cache_directory = work.path() / "cache";
    return TrustedKeys::from_files(files, options);
  }
  static PinnedKeyFile pin(const Ed25519PrivateKey& key) {
    return {key.keyid().substr(7, 8) + ".pub", key.public_key().to_pem()};
  }

  // A gpg detached signature over the data by `signer`, as a record without key id.
  Signature gpg_signature(const GnupgHome& keyring, const std::string& signer, const std::string& options = "") const {
    std::filesystem::path path = work.path() / "gpg.sig";
    keyring.detach_sign(signer, data_path(), path, options);
    return Signature{"", SignatureMethod::openpgp, read_bytes(path)};
  }

  TemporaryDirectory work = make_temporary_directory();
  std::string data = "snapshot.json version 7\n";
  Ed25519PrivateKey alice = Ed25519PrivateKey::generate().value();
  Ed25519PrivateKey bob = Ed25519PrivateKey::generate().value();
  Ed25519PrivateKey carol = Ed25519PrivateKey::generate().value();
};

TEST_F(ThresholdTest, CountsDistinctKeysThatSigned) {
  auto keys = trust({pin(alice), pin(bob), pin(carol)}).value();
  EXPECT_EQ(keys.size(), 3u);
  std::vector<Signature> signatures = {alice.sign(data).value(), bob.sign(data).value()};
  auto report = verify_threshold(data, signatures, keys, 2).value();
  ASSERT_EQ(report.signers.size(), 2u);
  EXPECT_EQ(report.signers[0].keyid, alice.keyid());
  EXPECT_EQ(report.signers[1].keyid, bob.keyid());
  EXPECT_TRUE(report.not_counted.empty());
  auto three = verify_threshold(data, signatures, keys, 3);
  ASSERT_FALSE(three.ok());
  EXPECT_EQ(three.error().code(), ErrorCode::refused);
  EXPECT_TRUE(three.error().message().starts_with("threshold not met: 2 of 3 required keys signed"));
}

TEST_F(ThresholdTest, RejectsDuplicateSignaturesThatInflateTheCount) {
  auto keys = trust({pin(alice), pin(bob)}).value();
  Signature once = alice.sign(data).value();
  Signature unnamed = once;
  unnamed.keyid.clear();
  std::vector<Signature> signatures = {once, once, unnamed};
  auto verdict = verify_threshold(data, signatures, keys, 2);
  ASSERT_FALSE(verdict.ok());
  std::string again = alice.keyid() + ": another signature by the same key (each key counts once)";
  EXPECT_EQ(verdict.error().message(), "threshold not met: 1 of 2 required keys signed (" + alice.keyid() + ": good; " +
                                           again + "; " + again + ")");
}

TEST_F(ThresholdTest, NamesEveryKeyAndReasonWhenNotMet) {
  auto keys = trust({pin(alice), pin(bob)}).value();
  Signature bad = bob.sign("other bytes").value();
  Signature stranger = carol.sign(data).value();
  std::vector<Signature> signatures = {alice.sign(data).value(), bad, stranger};
  auto verdict = verify_threshold(data, signatures, keys, 2);
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.error().message(),
            fmt::format("threshold not met: 1 of 2 required keys signed ({}: good; {}: bad signature; {}: unknown key "
                        "(not among the pinned keys))",
                        alice.keyid(), bob.keyid(), carol.keyid()));
  // With the threshold at one, the same set passes and says what did not count.
  auto report = verify_threshold(data, signatures, keys, 1).value();
  EXPECT_EQ(report.signers.size(), 1u);
  EXPECT_EQ(report.not_counted.size(), 2u);
}

TEST_F(ThresholdTest, RejectsThresholdsThatMakeNoSense) {
  auto keys = trust({pin(alice), pin(bob)}).value();
  std::vector<Signature> signatures = {alice.sign(data).value()};
  auto zero = verify_threshold(data, signatures, keys, 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code(), ErrorCode::invalid_argument);
  auto too_many = verify_threshold(data, signatures, keys, 3);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().message(), "a threshold of 3 can never be met by 2 pinned keys");
}

TEST_F(ThresholdTest, SignatureOfAMethodWithNoPinnedKeyIsUnknown) {
  auto keys = trust({pin(alice)}).value();
  std::vector<Signature> signatures = {Signature{"", SignatureMethod::openpgp, "whatever"}};
  auto verdict = verify_threshold(data, signatures, keys, 1);
  ASSERT_FALSE(verdict.ok());
  EXPECT_NE(verdict.error().message().find("unknown key (no openpgp key is pinned)"), std::string::npos);
}

TEST_F(ThresholdTest, MixesOpenPgpAndEd25519Keys) {
  GnupgHome keyring;
  std::string maintainer = keyring.generate_key("Maintainer <maintainer@example.org>");
  auto keys = trust({pin(alice), {"maintainer.asc", keyring.export_public(maintainer)}}).value();
  EXPECT_EQ(keys.method_of(maintainer), SignatureMethod::openpgp);
  EXPECT_EQ(keys.method_of(alice.keyid()), SignatureMethod::ed25519);
  EXPECT_EQ(keys.method_of(bob.keyid()), std::nullopt);
  std::vector<Signature> signatures = {gpg_signature(keyring, maintainer), alice.sign(data).value()};
  auto report = verify_threshold(data, signatures, keys, 2).value();
  ASSERT_EQ(report.signers.size(), 2u);
  EXPECT_EQ(report.signers[0], (VerifiedSignature{maintainer, SignatureMethod::openpgp}));
}

TEST_F(ThresholdTest, TwoSignaturesByOneOpenPgpKeyCountOnce) {
  GnupgHome keyring;
  std::string maintainer = keyring.generate_key("Maintainer <maintainer@example.org>");
  auto keys = trust({pin(alice), {"maintainer.asc", keyring.export_public(maintainer)}}).value();
  Signature first = gpg_signature(keyring, maintainer, "--digest-algo SHA256");
  Signature second = gpg_signature(keyring, maintainer, "--digest-algo SHA512");
  ASSERT_NE(first.bytes, second.bytes);
  std::vector<Signature> signatures = {first, second};
  auto verdict = verify_threshold(data, signatures, keys, 2);
  ASSERT_FALSE(verdict.ok());
  EXPECT_NE(verdict.error().message().find("1 of 2 required keys signed"), std::string::npos)
      << verdict.error().message();
}

TEST_F(ThresholdTest, TwoSubkeysOfOneOpenPgpKeyCountOnce) {
  GnupgHome keyring;
  must_run(keyring.gpg("--quick-gen-key 'Dana <dana@example.org>' ed25519 cert never"));
  std::string dana = keyring.fingerprint_of("dana@example.org");
  must_run(keyring.gpg("--quick-add-key " + dana + " ed25519 sign never"));
  must_run(keyring.gpg("--quick-add-key " + dana + " ed25519 sign never"));
  auto keys = trust({pin(alice), {"dana.asc", keyring.export_public(dana)}}).value();
  EXPECT_EQ(keys.size(), 2u);
  std::string listing = must_run(keyring.gpg("--with-colons --list-keys " + dana));
  std::vector<std::string> subkeys;
  for (std::size_t at = listing.find("\nsub:"); at != std::string::npos; at = listing.find("\nsub:", at + 1)) {
    std::size_t fpr = listing.find("\nfpr:", at);
    std::size_t start = listing.find_first_not_of(':', fpr + 5);
    subkeys.push_back(listing.substr(start, listing.find(':', start) - start));
  }
  ASSERT_EQ(subkeys.size(), 2u);
  // "!" makes gpg use exactly that subkey.
  std::vector<Signature> signatures = {gpg_signature(keyring, subkeys[0] + "!"),
                                       gpg_signature(keyring, subkeys[1] + "!")};
  ASSERT_NE(signatures[0].bytes, signatures[1].bytes);
  for (const auto& signature : signatures) EXPECT_EQ(keys.verify(data, signature).value().keyid, dana);
  auto verdict = verify_threshold(data, signatures, keys, 2);
  ASSERT_FALSE(verdict.ok());
  EXPECT_NE(verdict.error().message().find(dana + ": another signature by the same key"), std::string::npos)
      << verdict.error().message();
}

TEST_F(ThresholdTest, LoadsKeyFilesOfEveryKind) {
  GnupgHome keyring;
  std::string maintainer = keyring.generate_key("Maintainer <maintainer@example.org>");
  std::filesystem::path armored = work.path() / "maintainer.asc";
  std::filesystem::path binary = work.path() / "maintainer.gpg";
  std::filesystem::path pem = work.path() / "alice.pub";
  std::filesystem::path raw = work.path() / "bob.raw";
  write_bytes(armored, keyring.export_public(maintainer));
  must_run(keyring.gpg("--output " + shell_quote(binary.string()) + " --export " + maintainer));
  write_bytes(pem, alice.public_key().to_pem());
  write_bytes(raw, bob.public_key().raw());
  TrustedKeysOptions options;
  options.gnupg_cache_directory = work.path() / "cache";
  for (const auto& openpgp : {armored, binary}) {
    std::vector<std::filesystem::path> files = {openpgp, pem, raw};
    auto keys = TrustedKeys::load(files, options).value();
    std::vector<std::string> expected = {maintainer, alice.keyid(), bob.keyid()};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(keys.keyids(), expected);
  }
  write_bytes(work.path() / "notes.txt", "not a key\n");
  std::vector<std::filesystem::path> bad = {work.path() / "notes.txt"};
  auto loaded = TrustedKeys::load(bad, options);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::malformed);
  EXPECT_NE(loaded.error().message().find("notes.txt: not a public key"), std::string::npos);
}

}  // namespace
}  // namespace cairn::signing
