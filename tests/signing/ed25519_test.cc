// Ed25519 through OpenSSL: RFC 8032 known answers, key files and their permissions, and
// interoperability with `openssl pkeyutl -rawin` in both directions.
#include "cairn/signing/ed25519.h"

#include "cairn/core/digest.h"

#include "signing_test_support.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

namespace cairn::signing {
namespace {

using testing::make_temporary_directory;
using testing::must_run;
using testing::read_bytes;
using testing::shell_quote;
using testing::write_bytes;

std::string from_hex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return bytes;
}

// RFC 8032, section 7.1, TEST 1 (the empty message) and TEST 2 (one byte, 0x72).
constexpr std::string_view test1_secret = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view test1_public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view test1_signature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe2465"
    "5141438e7a100b";
constexpr std::string_view test2_secret = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr std::string_view test2_signature =
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb0"
    "0d291612bb0c00";

TEST(Ed25519, SignsRfc8032TestVectors) {
  auto key1 = Ed25519PrivateKey::from_seed(from_hex(test1_secret)).value();
  EXPECT_EQ(key1.public_key().raw(), from_hex(test1_public));
  EXPECT_EQ(key1.sign("").value().bytes, from_hex(test1_signature));
  auto key2 = Ed25519PrivateKey::from_seed(from_hex(test2_secret)).value();
  EXPECT_EQ(key2.sign("\x72").value().bytes, from_hex(test2_signature));
}

TEST(Ed25519, KeyIdIsSha256OfRawPublicKey) {
  auto key = Ed25519PublicKey::from_raw(from_hex(test1_public)).value();
  EXPECT_EQ(key.keyid(), Digest::sha256_of(from_hex(test1_public)).to_string());
  EXPECT_TRUE(key.keyid().starts_with("sha256:"));
}

TEST(Ed25519, SignatureVerifiesAndFailsOverOtherBytes) {
  auto key = Ed25519PrivateKey::generate().value();
  Signature signature = key.sign("the artifact").value();
  EXPECT_EQ(signature.keyid, key.keyid());
  EXPECT_EQ(signature.method, SignatureMethod::ed25519);
  EXPECT_EQ(signature.bytes.size(), ed25519_signature_size);
  EXPECT_TRUE(key.public_key().verify("the artifact", signature.bytes).ok());
  auto other = key.public_key().verify("the artifacT", signature.bytes);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code(), ErrorCode::refused);
  EXPECT_EQ(other.error().message(), key.keyid() + ": bad signature");
}

TEST(Ed25519, RejectsTruncatedAndGarbageSignatures) {
  auto key = Ed25519PrivateKey::generate().value();
  std::string signature = key.sign("data").value().bytes;
  auto truncated = key.public_key().verify("data", signature.substr(0, 63));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code(), ErrorCode::malformed);
  EXPECT_NE(truncated.error().message().find("63 bytes, expected 64"), std::string::npos);
  auto garbage = key.public_key().verify("data", std::string(64, '\xff'));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code(), ErrorCode::refused);
}

TEST(Ed25519, PemRoundTripKeepsTheKey) {
  auto key = Ed25519PrivateKey::generate().value();
  auto parsed = Ed25519PrivateKey::parse(key.to_pem(), "key.pem").value();
  EXPECT_EQ(parsed.keyid(), key.keyid());
  EXPECT_TRUE(key.to_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
  auto public_key = Ed25519PublicKey::parse(key.public_key().to_pem(), "key.pub").value();
  EXPECT_EQ(public_key.keyid(), key.keyid());
  auto raw = Ed25519PublicKey::parse(key.public_key().raw(), "key.raw").value();
  EXPECT_EQ(raw.keyid(), key.keyid());
}

TEST(Ed25519, ReadsPublicKeyPemWithOtherLineEndingsAndRejectsDamagedPem) {
  auto key = Ed25519PrivateKey::generate().value();
  std::string pem = key.public_key().to_pem();
  std::string crlf;
  for (char c : pem) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  EXPECT_EQ(Ed25519PublicKey::parse(crlf, "crlf.pub").value().keyid(), key.keyid());
  std::string damaged = pem;
  damaged[30] = damaged[30] == 'A' ? 'B' : 'A';  // inside the key's base64
  auto parsed = Ed25519PublicKey::parse(damaged, "damaged.pub");
  if (parsed.ok()) {
    EXPECT_NE(parsed->keyid(), key.keyid());  // a different key, never the same one
  }
  std::string cut = pem.substr(0, pem.size() / 2);
  EXPECT_EQ(Ed25519PublicKey::parse(cut, "cut.pub").error().code(), ErrorCode::malformed);
}

TEST(Ed25519, SavesPrivateKeyWithMode0600AndRefusesToOverwrite) {
  auto directory = make_temporary_directory();
  auto key = Ed25519PrivateKey::generate().value();
  std::filesystem::path path = directory.path() / "signer.key";
  ASSERT_TRUE(key.save(path).ok());
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat((path.string() + ".pub").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0644u);
  EXPECT_EQ(Ed25519PrivateKey::load(path).value().keyid(), key.keyid());
  EXPECT_EQ(Ed25519PublicKey::load(path.string() + ".pub").value().keyid(), key.keyid());

  auto again = Ed25519PrivateKey::generate().value().save(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::already_exists);
  EXPECT_EQ(Ed25519PrivateKey::load(path).value().keyid(), key.keyid());
}

// ---- Encrypted key files -------------------------------------------------------------------------

TEST(Ed25519, AnEncryptedKeyFileLoadsOnlyWithItsPassphrase) {
  auto directory = make_temporary_directory();
  auto key = Ed25519PrivateKey::generate().value();
  std::filesystem::path path = directory.path() / "sealed.key";
  ASSERT_TRUE(key.save(path, "correct horse").ok());
  std::string pem = read_bytes(path);
  EXPECT_NE(pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----"), std::string::npos);
  EXPECT_EQ(pem.find(key.to_pem()), std::string::npos);
  write_bytes(directory.path() / "right", "correct horse\n", 0600);
  write_bytes(directory.path() / "wrong", "incorrect horse\n", 0600);

  EXPECT_EQ(Ed25519PrivateKey::load(path, {directory.path() / "right"}).value().keyid(), key.keyid());
  auto wrong = Ed25519PrivateKey::load(path, {directory.path() / "wrong"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), ErrorCode::refused);
  EXPECT_EQ(wrong.error().message(), path.string() + ": wrong passphrase, or the key file is damaged");
  auto unasked = Ed25519PrivateKey::load(path);
  ASSERT_FALSE(unasked.ok());
  EXPECT_EQ(unasked.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(unasked.error().message(), path.string() + " is encrypted: give --passphrase-file FILE");
  // The public key file is written in the clear, for pinning.
  EXPECT_EQ(Ed25519PublicKey::load(path.string() + ".pub").value().keyid(), key.keyid());
}

TEST(Ed25519, ReadsAKeyOpensslEncryptedWithAPassphraseFile) {
  auto directory = make_temporary_directory();
  std::filesystem::path path = directory.path() / "openssl.key";
  std::filesystem::path passphrase = directory.path() / "passphrase";
  write_bytes(passphrase, "s3cret phrase\r\nnot part of it\n", 0600);
  must_run("openssl genpkey -algorithm ed25519 -aes-256-cbc -pass pass:" + shell_quote("s3cret phrase") + " -out " +
           shell_quote(path.string()) + " 2>/dev/null && chmod 600 " + shell_quote(path.string()));
  auto key = Ed25519PrivateKey::load(path, {passphrase});
  ASSERT_TRUE(key.ok()) << key.error().message();
  auto signature = key->sign("payload");
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(key->public_key().verify("payload", signature->bytes).ok());
}

TEST(Ed25519, APassphraseFileMustHoldAPassphrase) {
  auto directory = make_temporary_directory();
  std::filesystem::path path = directory.path() / "sealed.key";
  ASSERT_TRUE(Ed25519PrivateKey::generate().value().save(path, "x").ok());
  write_bytes(directory.path() / "empty", "\n", 0600);
  auto empty = Ed25519PrivateKey::load(path, {directory.path() / "empty"});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::malformed);
  EXPECT_EQ(empty.error().message(), (directory.path() / "empty").string() + ": an empty passphrase");
  EXPECT_EQ(Ed25519PrivateKey::load(path, {directory.path() / "missing"}).error().code(), ErrorCode::not_found);
}

TEST(Ed25519, RefusesPrivateKeyFileReadableByOthers) {
  auto directory = make_temporary_directory();
  std::filesystem::path path = directory.path() / "open.key";
  write_bytes(path, Ed25519PrivateKey::generate().value().to_pem(), 0644);
  auto loaded = Ed25519PrivateKey::load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(loaded.error().message(), path.string() + " is readable by others (mode 0644); chmod 600 it");
  ::chmod(path.c_str(), 0620);
  EXPECT_EQ(Ed25519PrivateKey::load(path).error().code(), ErrorCode::invalid_argument);
  ::chmod(path.c_str(), 0400);
  EXPECT_TRUE(Ed25519PrivateKey::load(path).ok());
}

TEST(Ed25519, RefusesToPinAPrivateKeyOrAnotherKeyType) {
  auto pinned_private = Ed25519PublicKey::parse(Ed25519PrivateKey::generate().value().to_pem(), "signer.key");
  ASSERT_FALSE(pinned_private.ok());
  EXPECT_EQ(pinned_private.error().message(), "signer.key: a private key; pin its public key (signer.key.pub) instead");

  auto directory = make_temporary_directory();
  must_run("openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out " +
           shell_quote((directory.path() / "ec.key").string()));
  must_run("openssl pkey -in " + shell_quote((directory.path() / "ec.key").string()) + " -pubout -out " +
           shell_quote((directory.path() / "ec.pub").string()));
  auto ec = Ed25519PublicKey::load(directory.path() / "ec.pub");
  ASSERT_FALSE(ec.ok());
  EXPECT_EQ(ec.error().code(), ErrorCode::unsupported);
  EXPECT_NE(ec.error().message().find("an EC key"), std::string::npos) << ec.error().message();
}

TEST(Ed25519, SignatureVerifiesWithOpensslPkeyutl) {
  auto directory = make_temporary_directory();
  auto key = Ed25519PrivateKey::generate().value();
  ASSERT_TRUE(key.save(directory.path() / "signer.key").ok());
  std::string data = "bytes signed by Cairn\n";
  write_bytes(directory.path() / "data", data);
  write_bytes(directory.path() / "data.ed25519.sig", key.sign(data).value().bytes);
  std::string output = must_run("openssl pkeyutl -verify -rawin -pubin -inkey " +
                                shell_quote((directory.path() / "signer.key.pub").string()) + " -in " +
                                shell_quote((directory.path() / "data").string()) + " -sigfile " +
                                shell_quote((directory.path() / "data.ed25519.sig").string()));
  EXPECT_NE(output.find("Signature Verified Successfully"), std::string::npos) << output;
}

TEST(Ed25519, VerifiesSignatureMadeByOpensslPkeyutl) {
  auto directory = make_temporary_directory();
  std::string key = shell_quote((directory.path() / "openssl.key").string());
  std::string data = shell_quote((directory.path() / "data").string());
  write_bytes(directory.path() / "data", "bytes signed by openssl\n");
  must_run("openssl genpkey -algorithm ed25519 -out " + key);
  must_run("openssl pkey -in " + key + " -pubout -out " + shell_quote((directory.path() / "openssl.pub").string()));
  must_run("openssl pkeyutl -sign -rawin -inkey " + key + " -in " + data + " -out " +
           shell_quote((directory.path() / "data.sig").string()));
  auto public_key = Ed25519PublicKey::load(directory.path() / "openssl.pub").value();
  EXPECT_TRUE(public_key.verify("bytes signed by openssl\n", read_bytes(directory.path() / "data.sig")).ok());
  // And Cairn reads the private key file openssl wrote (after making it private).
  ::chmod((directory.path() / "openssl.key").c_str(), 0600);
  EXPECT_EQ(Ed25519PrivateKey::load(directory.path() / "openssl.key").value().keyid(), public_key.keyid());
}

TEST(Ed25519, VerifierChecksNamedKeyOrTriesEveryPinnedKey) {
  auto alice = Ed25519PrivateKey::generate().value();
  auto bob = Ed25519PrivateKey::generate().value();
  Ed25519Verifier verifier;
  verifier.add(alice.public_key());
  verifier.add(alice.public_key());  // pinned twice, kept once
  EXPECT_EQ(verifier.keyids(), std::vector<std::string>{alice.keyid()});

  Signature by_alice = alice.sign("data").value();
  EXPECT_EQ(verifier.verify("data", by_alice).value().keyid, alice.keyid());
  by_alice.keyid.clear();
  EXPECT_EQ(verifier.verify("data", by_alice).value().keyid, alice.keyid());

  auto by_bob = verifier.verify("data", bob.sign("data").value());
  ASSERT_FALSE(by_bob.ok());
  EXPECT_EQ(by_bob.error().code(), ErrorCode::refused);
  EXPECT_EQ(by_bob.error().message(), bob.keyid() + ": unknown key (not among the pinned keys)");
}

}  // namespace
}  // namespace cairn::signing
