// OpenPGP through GPGME against the real gpg: signing from a keyring, verification against pinned
// keys only, interoperability with gpgv and `gpg --verify`, and every way a signature can fail.
#include "cairn/signing/openpgp.h"

#include "signing_test_support.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <thread>

namespace cairn::signing {
namespace {

using testing::GnupgHome;
using testing::make_temporary_directory;
using testing::must_run;
using testing::read_bytes;
using testing::run_command;
using testing::shell_quote;
using testing::write_bytes;

class OpenPgpTest : public ::testing::Test {
 protected:
  OpenPgpTest() {
    write_bytes(data_path(), data);
    // A user keyring that must never matter to verification.
    ::setenv("GNUPGHOME", keyring.path().c_str(), 1);
  }
  ~OpenPgpTest() override { ::unsetenv("GNUPGHOME"); }

  std::filesystem::path data_path() const { return work.path() / "data"; }
  std::filesystem::path cache() const { return work.path() / "cache"; }

  // A verifier pinning the armored public keys `keys`.
  Result<OpenPgpVerifier> pin(const std::vector<std::string>& keys) const {
    std::vector<PinnedKeyFile> files;
    for (std::size_t i = 0; i < keys.size(); ++i) files.push_back({fmt::format("key{}.asc", i), keys[i]});
    return OpenPgpVerifier::create(files, cache());
  }

  static Signature detached(std::string bytes) { return Signature{"", SignatureMethod::openpgp, std::move(bytes)}; }

  // gpg's detached signature over the data file by `signer`, with extra gpg `options`.
  std::string gpg_signature(const std::string& signer, const std::string& options = "") const {
    std::filesystem::path signature = work.path() / "gpg.sig";
    keyring.detach_sign(signer, data_path(), signature, options);
    return read_bytes(signature);
  }

  static void expect_failure(const Result<VerifiedSignature>& result, ErrorCode code, const std::string& part) {
    ASSERT_FALSE(result.ok()) << "verified as " << result->keyid;
    EXPECT_EQ(result.error().code(), code) << result.error().message();
    EXPECT_NE(result.error().message().find(part), std::string::npos) << result.error().message();
  }

  GnupgHome keyring;
  TemporaryDirectory work = make_temporary_directory();
  std::string data = "a release of libexample 1.2.3\n";
};

TEST_F(OpenPgpTest, SignsWithKeyringKeyAndVerifiesWithPinnedKey) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  auto signer = OpenPgpSigner::open(alice, keyring.path()).value();
  EXPECT_EQ(signer.keyid(), alice);
  Signature signature = signer.sign(data).value();
  EXPECT_EQ(signature.keyid, alice);
  EXPECT_EQ(signature.method, SignatureMethod::openpgp);

  auto verifier = pin({keyring.export_public(alice)}).value();
  EXPECT_EQ(verifier.keyids(), std::vector<std::string>{alice});
  EXPECT_EQ(verifier.verify(data, signature).value(), (VerifiedSignature{alice, SignatureMethod::openpgp}));
  EXPECT_EQ(verifier.verify(data, detached(signature.bytes)).value().keyid, alice);

  // A user id that names exactly one key works as well, and the default home is $GNUPGHOME.
  EXPECT_EQ(OpenPgpSigner::open("alice@example.org").value().keyid(), alice);
}

TEST_F(OpenPgpTest, CairnSignatureVerifiesWithGpgvAndGpgVerify) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  write_bytes(work.path() / "data.sig", OpenPgpSigner::open(alice, keyring.path()).value().sign(data).value().bytes);
  must_run(keyring.gpg("--output " + shell_quote((work.path() / "alice.gpg").string()) + " --export " + alice));

  std::string gpgv =
      must_run("gpgv --keyring " + shell_quote((work.path() / "alice.gpg").string()) + " " +
               shell_quote((work.path() / "data.sig").string()) + " " + shell_quote(data_path().string()));
  EXPECT_NE(gpgv.find("Good signature"), std::string::npos) << gpgv;

  GnupgHome other;
  must_run(other.gpg("--import " + shell_quote((work.path() / "alice.gpg").string())));
  std::string verify = must_run(other.gpg("--verify " + shell_quote((work.path() / "data.sig").string()) + " " +
                                          shell_quote(data_path().string())));
  EXPECT_NE(verify.find("Good signature"), std::string::npos) << verify;
}

TEST_F(OpenPgpTest, VerifiesBinaryAndArmoredSignaturesMadeByGpg) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  auto verifier = pin({keyring.export_public(alice)}).value();
  EXPECT_EQ(verifier.verify(data, detached(gpg_signature(alice))).value().keyid, alice);
  std::string armored = gpg_signature(alice, "--armor");
  ASSERT_TRUE(armored.starts_with("-----BEGIN PGP SIGNATURE-----"));
  EXPECT_EQ(verifier.verify(data, detached(armored)).value().keyid, alice);
}

TEST_F(OpenPgpTest, RejectsGarbageSignature) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  auto verifier = pin({keyring.export_public(alice)}).value();
  expect_failure(verifier.verify(data, detached("this is not a signature\n")), ErrorCode::malformed,
                 "not an OpenPGP detached signature");
  expect_failure(verifier.verify(data, detached("")), ErrorCode::malformed, "not an OpenPGP detached signature");
}

TEST_F(OpenPgpTest, RejectsTruncatedSignature) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  auto verifier = pin({keyring.export_public(alice)}).value();
  std::string signature = gpg_signature(alice);
  expect_failure(verifier.verify(data, detached(signature.substr(0, signature.size() / 2))), ErrorCode::malformed,
                 "truncated or damaged OpenPGP signature");
}

TEST_F(OpenPgpTest, RejectsSignatureOverOtherBytes) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  auto verifier = pin({keyring.export_public(alice)}).value();
  expect_failure(verifier.verify(data + "!", detached(gpg_signature(alice))), ErrorCode::refused,
                 alice + ": bad signature");
}

TEST_F(OpenPgpTest, RejectsSignatureByUnpinnedKey) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  std::string mallory = keyring.generate_key("Mallory <mallory@example.org>");
  auto verifier = pin({keyring.export_public(alice)}).value();
  // Mallory's key is in the user's keyring ($GNUPGHOME), which must not widen trust.
  expect_failure(verifier.verify(data, detached(gpg_signature(mallory))), ErrorCode::refused,
                 mallory + ": unknown key (not among the pinned keys)");
  // Naming a key that is not pinned fails before gpg runs.
  expect_failure(verifier.verify(data, Signature{mallory, SignatureMethod::openpgp, gpg_signature(mallory)}),
                 ErrorCode::refused, mallory + ": unknown key");
}

TEST_F(OpenPgpTest, RejectsSignatureByExpiredKey) {
  // Made on 2020-01-01 to expire a day later, and used while it was still valid.
  std::string expired = keyring.generate_key("Expired <expired@example.org>", "1d", "20200101T000000!");
  auto verifier = pin({keyring.export_public(expired)}).value();
  std::string signature = gpg_signature(expired, "--faked-system-time 20200101T120000!");
  expect_failure(verifier.verify(data, detached(signature)), ErrorCode::refused, expired + ": key expired");
}

TEST_F(OpenPgpTest, RejectsSignatureByRevokedKey) {
  std::string revoked = keyring.generate_key("Revoked <revoked@example.org>");
  std::string signature = gpg_signature(revoked);
  keyring.revoke(revoked);
  auto verifier = pin({keyring.export_public(revoked)}).value();
  expect_failure(verifier.verify(data, detached(signature)), ErrorCode::refused, revoked + ": key revoked");
  // And Cairn will not sign with it either.
  auto signer = OpenPgpSigner::open(revoked, keyring.path());
  ASSERT_FALSE(signer.ok());
  EXPECT_EQ(signer.error().message(), revoked + ": the key is revoked");
}

TEST_F(OpenPgpTest, RejectsExpiredSignature) {
  std::string signer = keyring.generate_key("Dated <dated@example.org>", "never", "20200101T000000!");
  auto verifier = pin({keyring.export_public(signer)}).value();
  std::string signature = gpg_signature(signer, "--faked-system-time 20200101T120000! --default-sig-expire 1d");
  expect_failure(verifier.verify(data, detached(signature)), ErrorCode::refused,
                 signer + ": signature expired at 2020-01-02T12:00:00Z");
}

TEST_F(OpenPgpTest, RejectsSignedMessageInPlaceOfDetachedSignature) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  auto verifier = pin({keyring.export_public(alice)}).value();
  must_run(keyring.gpg("--local-user " + alice + " --output " + shell_quote((work.path() / "inline.gpg").string()) +
                       " --sign " + shell_quote(data_path().string())));
  expect_failure(verifier.verify(data, detached(read_bytes(work.path() / "inline.gpg"))), ErrorCode::malformed,
                 "an OpenPGP signed message");
}

TEST_F(OpenPgpTest, RejectsDetachedSignatureCarryingItsOwnData) {
  // A good signature over old bytes followed by a literal data packet holding those bytes: a tool
  // that verified the embedded data instead of `data` would accept anything.
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  auto verifier = pin({keyring.export_public(alice)}).value();
  std::string signature = gpg_signature(alice);
  std::string literal = std::string("b") + '\0' + std::string(4, '\0') + data;
  std::string packet = std::string(1, '\xcb') + static_cast<char>(literal.size()) + literal;
  ASSERT_LT(literal.size(), 192u);
  expect_failure(verifier.verify("other bytes", detached(signature + packet)), ErrorCode::malformed,
                 "OpenPGP signature");
}

TEST_F(OpenPgpTest, SignatureBySubkeyCountsForPrimaryKey) {
  must_run(keyring.gpg("--quick-gen-key 'Carol <carol@example.org>' ed25519 cert never"));
  std::string carol = keyring.fingerprint_of("carol@example.org");
  must_run(keyring.gpg("--quick-add-key " + carol + " ed25519 sign never"));
  auto verifier = pin({keyring.export_public(carol)}).value();
  ASSERT_EQ(verifier.keys().size(), 1u);
  ASSERT_EQ(verifier.keys().front().subkey_fingerprints.size(), 1u);
  EXPECT_EQ(verifier.verify(data, detached(gpg_signature(carol))).value().keyid, carol);
  Signature by_cairn = OpenPgpSigner::open(carol, keyring.path()).value().sign(data).value();
  EXPECT_EQ(verifier.verify(data, by_cairn).value().keyid, carol);
}

TEST_F(OpenPgpTest, ReportsEverySignatureInOneDetachedFile) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  std::string bob = keyring.generate_key("Bob <bob@example.org>");
  auto verifier = pin({keyring.export_public(alice), keyring.export_public(bob)}).value();
  std::string both = gpg_signature(alice, "--local-user " + bob);
  auto checks = verifier.check(data, detached(both));
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_TRUE(checks[0].good() && checks[1].good());
  std::set<std::string> signers = {checks[0].keyid, checks[1].keyid};
  EXPECT_EQ(signers, (std::set<std::string>{alice, bob}));
  // Where exactly one signature is expected, two are an error.
  expect_failure(verifier.verify(data, detached(both)), ErrorCode::malformed, "2 signatures");
}

TEST_F(OpenPgpTest, RejectsSignatureThatNamesAnotherPinnedKey) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  std::string bob = keyring.generate_key("Bob <bob@example.org>");
  auto verifier = pin({keyring.export_public(alice), keyring.export_public(bob)}).value();
  expect_failure(verifier.verify(data, Signature{alice, SignatureMethod::openpgp, gpg_signature(bob)}),
                 ErrorCode::refused, "signature names key " + alice + " but was made by " + bob);
}

TEST_F(OpenPgpTest, RefusesToPinSecretKeysOrFilesWithoutKeys) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  auto secret = pin({must_run(keyring.gpg("--armor --export-secret-keys " + alice))});
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(secret.error().message().find("key0.asc: holds a secret key"), std::string::npos);

  auto garbage = pin({"\x99 not a key at all"});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code(), ErrorCode::malformed);
  EXPECT_NE(garbage.error().message().find("key0.asc"), std::string::npos) << garbage.error().message();
}

TEST_F(OpenPgpTest, KeepsOnePrivateHomePerSetOfPinnedKeys) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  std::string bob = keyring.generate_key("Bob <bob@example.org>");
  std::string alice_key = keyring.export_public(alice);
  auto first = pin({alice_key}).value();
  auto second = pin({alice_key}).value();
  EXPECT_EQ(first.home(), second.home());
  EXPECT_EQ(first.home().parent_path(), cache());
  struct stat info {};
  ASSERT_EQ(::stat(first.home().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0700u);

  auto both = pin({alice_key, keyring.export_public(bob)}).value();
  EXPECT_NE(both.home(), first.home());
  // The home holds the pinned keys and nothing from the user's keyring.
  std::string listing = must_run("gpg --homedir " + shell_quote(first.home().string()) + " --with-colons --list-keys");
  EXPECT_NE(listing.find(alice), std::string::npos);
  EXPECT_EQ(listing.find(bob), std::string::npos);
  // No gpg-agent was started for it, and no half-built home is left behind.
  EXPECT_FALSE(std::filesystem::exists(first.home() / "S.gpg-agent"));
  for (const auto& entry : std::filesystem::directory_iterator(cache())) {
    EXPECT_FALSE(entry.path().filename().string().starts_with(".building-")) << entry.path();
  }
}

TEST_F(OpenPgpTest, ConcurrentVerifiersShareOneHome) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  std::string alice_key = keyring.export_public(alice);
  std::string signature = gpg_signature(alice);
  std::vector<std::thread> threads;
  std::vector<std::string> homes(4);
  std::vector<std::string> verified(4);
  for (std::size_t i = 0; i < homes.size(); ++i) {
    threads.emplace_back([&, i] {
      auto verifier = pin({alice_key});
      if (!verifier.ok()) return;
      homes[i] = verifier->home().string();
      auto result = verifier->verify(data, detached(signature));
      if (result.ok()) verified[i] = result->keyid;
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < homes.size(); ++i) {
    EXPECT_EQ(verified[i], alice);
    EXPECT_EQ(std::filesystem::path(homes[i]).parent_path(), cache()) << "verifier " << i << " used " << homes[i];
  }
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(cache())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(OpenPgpTest, RebuildsADamagedHome) {
  std::string alice = keyring.generate_key("Alice <alice@example.org>");
  std::string alice_key = keyring.export_public(alice);
  std::filesystem::path home = pin({alice_key}).value().home();
  write_bytes(home / "cairn-pinned-keys.json", "{", 0600);
  auto verifier = pin({alice_key}).value();
  EXPECT_EQ(verifier.home(), home);
  EXPECT_EQ(verifier.verify(data, detached(gpg_signature(alice))).value().keyid, alice);
}

TEST_F(OpenPgpTest, GeneratesListsAndExportsKeys) {
  OpenPgpKeyOptions options;
  options.home = keyring.path();
  options.no_passphrase = true;
  options.expires_seconds = 30 * 24 * 3600;
  std::string dave = generate_openpgp_key("Dave <dave@example.org>", options).value();
  EXPECT_EQ(dave.size(), 40u);

  auto keys = list_openpgp_secret_keys(keyring.path()).value();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].fingerprint, dave);
  EXPECT_EQ(keys[0].user_ids, std::vector<std::string>{"Dave <dave@example.org>"});
  EXPECT_EQ(keys[0].algorithm, "ed25519");
  EXPECT_TRUE(keys[0].can_sign);
  EXPECT_NE(keys[0].expires, 0);

  std::string exported = export_openpgp_public_key(dave, keyring.path()).value();
  EXPECT_TRUE(exported.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
  auto verifier = pin({exported}).value();
  Signature signature = OpenPgpSigner::open(dave, keyring.path()).value().sign(data).value();
  EXPECT_EQ(verifier.verify(data, signature).value().keyid, dave);
}

TEST_F(OpenPgpTest, OpenSignerRefusesMissingAmbiguousAndShortIds) {
  keyring.generate_key("Alice <alice@example.org>");
  keyring.generate_key("Bob <bob@example.org>");
  auto missing = OpenPgpSigner::open("nobody@example.org", keyring.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::not_found);
  auto ambiguous = OpenPgpSigner::open("example.org", keyring.path());
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code(), ErrorCode::invalid_argument);
  EXPECT_NE(ambiguous.error().message().find("matches 2 OpenPGP secret keys"), std::string::npos);
  auto short_id = OpenPgpSigner::open("0CA4333C2EB30132", keyring.path());
  ASSERT_FALSE(short_id.ok());
  EXPECT_NE(short_id.error().message().find("short OpenPGP key id"), std::string::npos);
}

}  // namespace
}  // namespace cairn::signing
