// DSSE: PAE and envelopes against the specification's published vectors, signing and verifying
// with both key types, and the ways an envelope can be malformed or tampered with.
//
// Vectors come from secure-systems-lab/dsse:
//   - protocol.md, "Test Vectors": PAE of "hello world" as http://example.com/HelloWorld, and an
//     ECDSA P-256 / SHA-256 signature over it (raw r||s);
//   - testvectors/vectors.json (commit 82043adf78bb4e67c208f9ffa72b38804ea6a0c4): envelopes
//     signed with the RFC 8032 test keys, each expected to be accepted or rejected.
#include "cairn/signing/dsse.h"

#include "cairn/core/base64.h"
#include "cairn/core/file.h"
#include "signing_test_support.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

namespace cairn::signing {
namespace {

using testing::GnupgHome;
using testing::make_temporary_directory;

std::string from_hex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return bytes;
}

// --- protocol.md ---------------------------------------------------------------------------

TEST(Dsse, PaeMatchesTheSpecificationExample) {
  EXPECT_EQ(dsse::pae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(dsse::pae("", ""), "DSSEv1 0  0 ");
}

// Verifies a raw r||s P-256 signature with OpenSSL, for the specification's ECDSA example.
bool verify_p256(const char* x_decimal, const char* y_decimal, std::string_view message, std::string_view signature) {
  auto free_bn = [](BIGNUM* n) { BN_free(n); };
  BIGNUM* x_raw = nullptr;
  BIGNUM* y_raw = nullptr;
  BN_dec2bn(&x_raw, x_decimal);
  BN_dec2bn(&y_raw, y_decimal);
  std::unique_ptr<BIGNUM, decltype(free_bn)> x(x_raw, free_bn), y(y_raw, free_bn);
  unsigned char point[65] = {0x04};
  BN_bn2binpad(x.get(), point + 1, 32);
  BN_bn2binpad(y.get(), point + 33, 32);

  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> builder(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point);
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(builder.get()),
                                                                 OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key_raw = nullptr;
  if (EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key_raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return false;
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(key_raw, EVP_PKEY_free);

  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG_set0(sig.get(), BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_size = i2d_ECDSA_SIG(sig.get(), &der);
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(der, [](unsigned char* p) { OPENSSL_free(p); });

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
         EVP_DigestVerify(md.get(), der, static_cast<std::size_t>(der_size),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

TEST(Dsse, SpecificationEcdsaSignatureVerifiesOverOurPae) {
  // The example envelope of protocol.md; Cairn does not sign with ECDSA, but its PAE must be the
  // bytes that the specification's signature covers.
  auto envelope = dsse::parse_envelope(
                      R"({"payload": "aGVsbG8gd29ybGQ=", "payloadType": "http://example.com/HelloWorld",
                          "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]})")
                      .value();
  ASSERT_EQ(envelope.signatures.size(), 1u);
  EXPECT_EQ(envelope.payload, "hello world");
  EXPECT_TRUE(verify_p256("46950820868899156662930047687818585632848591499744589407958293238635476079160",
                          "5640078356564379163099075877009565129882514886557779369047442380624545832820",
                          dsse::pae(envelope.payload_type, envelope.payload), envelope.signatures[0].sig));
  EXPECT_FALSE(verify_p256("46950820868899156662930047687818585632848591499744589407958293238635476079160",
                           "5640078356564379163099075877009565129882514886557779369047442380624545832820",
                           dsse::pae("http://example.com/HelloWorld2", envelope.payload), envelope.signatures[0].sig));
}

// --- testvectors/vectors.json --------------------------------------------------------------

constexpr std::string_view seed_a = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view seed_b = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr std::string_view statement_b64 = "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEifQ==";
constexpr std::string_view sig_a =
    "2WAfaHm5jluo0w+0rk8uVkluELJYWjSmU9x7EUzx+AyteDGJ4/nqyJXfmAUVFIAoQafWm7AxBZNw5M9ixNHiCA==";
constexpr std::string_view sig_b =
    "c1+67/aT0yqEpwx8PsVY3MLHsj9D0CZ014/Fv/QlG59P+9CobUZ7xECJ/V3USG0Ob9CiE5LjReEZUzNF2l7eBw==";
constexpr std::string_view in_toto_pae_hex =
    "445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203433207b225f74797065223a2268747470"
    "733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d";

struct Vector {
  std::string id;
  std::string envelope;  // "A"/"B" in keyids stand for the two RFC 8032 keys
  std::vector<std::string> trusted;
  std::size_t threshold;
  std::vector<std::string> supported_payload_types;
  std::string pae_hex;
  bool accept;
};

std::string envelope_json(std::string_view payload, std::string_view type,
                          std::vector<std::pair<std::string, std::string_view>> signatures) {
  std::string json = fmt::format(R"({{"payload":"{}","payloadType":"{}","signatures":[)", payload, type);
  for (std::size_t i = 0; i < signatures.size(); ++i) {
    if (i > 0) json += ",";
    json += signatures[i].first.empty()
                ? fmt::format(R"({{"sig":"{}"}})", signatures[i].second)
                : fmt::format(R"({{"keyid":"{}","sig":"{}"}})", signatures[i].first, signatures[i].second);
  }
  return json + "]}";
}

std::vector<Vector> dsse_vectors() {
  const std::string in_toto(dsse::in_toto_payload_type);
  return {
      {"single-signature",
       envelope_json(statement_b64, in_toto, {{"A", sig_a}}),
       {"A"},
       1,
       {in_toto},
       std::string(in_toto_pae_hex),
       true},
      {"url-safe-base64",
       envelope_json(
           "-_-_Pj8=", in_toto,
           {{"A", "P-_KHICeR7tI6S_YyejJTRtrXhcQyQ2LYPaL8h90KjC9qN8HU_svOQ6TuDOT1HIrsGW886DbWNWcCmX5twLrAw=="}}),
       {"A"},
       1,
       {in_toto},
       "445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203520fbffbf3e3f",
       true},
      {"payload-type-swapped",
       envelope_json(statement_b64, "application/vnd.example.other+json", {{"A", sig_a}}),
       {"A"},
       1,
       {in_toto, "application/vnd.example.other+json"},
       "",
       false},
      {"non-ascii-payload-type",
       envelope_json(
           statement_b64, "application/vnd.ex\xc3\xa4mple+json",
           {{"A", "xmSk/ug66ysT7ayhkCIjhAq42zgZXSsEWuzUaNL7w2eGAdF/NU6/fRXPtmfN+5DNSAs5/i2lUnHjbbjPsu0tAw=="}}),
       {"A"},
       1,
       {"application/vnd.ex\xc3\xa4mple+json"},
       "445353457631203239206170706c69636174696f6e2f766e642e6578c3a46d706c652b6a736f6e203433207b225f74797065223a226874"
       "7470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227d",
       true},
      {"empty-payload",
       envelope_json(
           "", in_toto,
           {{"A", "gSggCAaTLTYyRH6FIDBem6meyIynsYy8RTHVzwx9tnTb7Bg/1jMWnuVgI/gffqmbsC2VX5/jHfkkDqsj7CDbDg=="}}),
       {"A"},
       1,
       {in_toto},
       "445353457631203238206170706c69636174696f6e2f766e642e696e2d746f746f2b6a736f6e203020",
       true},
      {"empty-payload-type",
       envelope_json(
           statement_b64, "",
           {{"A", "iC3q/+3Rm0+lpAJRueDmDh15PnwCfxKmS0NAfKsbv+zgulXQC/WM9trc+j1XEqlwDIg/vf/uNfebeD6sxInrDg=="}}),
       {"A"},
       1,
       {in_toto},
       "445353457631203020203433207b225f74797065223a2268747470733a2f2f696e2d746f746f2e696f2f53746174656d656e742f7631227"
       "d",
       false},
      {"threshold-two-distinct-keys",
       envelope_json(statement_b64, in_toto, {{"A", sig_a}, {"B", sig_b}}),
       {"A", "B"},
       2,
       {in_toto},
       std::string(in_toto_pae_hex),
       true},
      {"threshold-two-one-key-twice",
       envelope_json(statement_b64, in_toto, {{"A", sig_a}, {"A", sig_a}}),
       {"A", "B"},
       2,
       {in_toto},
       std::string(in_toto_pae_hex),
       false},
      {"threshold-two-without-keyids",
       envelope_json(statement_b64, in_toto, {{"", sig_a}, {"", sig_b}}),
       {"A", "B"},
       2,
       {in_toto},
       std::string(in_toto_pae_hex),
       true},
  };
}

TEST(Dsse, PublishedTestVectorsAreAcceptedOrRejectedAsSpecified) {
  auto key_a = Ed25519PrivateKey::from_seed(from_hex(seed_a)).value();
  auto key_b = Ed25519PrivateKey::from_seed(from_hex(seed_b)).value();
  EXPECT_EQ(key_a.public_key().raw(), from_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
  EXPECT_EQ(key_b.public_key().raw(), from_hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"));
  auto keyid_of = [&](const std::string& label) { return label == "A" ? key_a.keyid() : key_b.keyid(); };

  for (const Vector& vector : dsse_vectors()) {
    SCOPED_TRACE(vector.id);
    // The vectors name keys "A" and "B"; Cairn's key ids are the SHA-256 of the public key.
    std::string json = vector.envelope;
    for (std::string label : {"A", "B"}) {
      std::string from = fmt::format(R"("keyid":"{}")", label);
      for (std::size_t at = json.find(from); at != std::string::npos; at = json.find(from)) {
        json.replace(at, from.size(), fmt::format(R"("keyid":"{}")", keyid_of(label)));
      }
    }
    auto envelope = dsse::parse_envelope(json);
    ASSERT_TRUE(envelope.ok()) << envelope.error().message();
    if (!vector.pae_hex.empty()) {
      EXPECT_EQ(dsse::pae(envelope->payload_type, envelope->payload), from_hex(vector.pae_hex));
    }

    std::vector<PinnedKeyFile> files;
    for (const auto& label : vector.trusted) {
      files.push_back({label, (label == "A" ? key_a : key_b).public_key().raw()});
    }
    auto keys = TrustedKeys::from_files(files).value();
    auto verdict = dsse::verify(*envelope, keys, vector.threshold, vector.supported_payload_types);
    EXPECT_EQ(verdict.ok(), vector.accept) << (verdict.ok() ? "accepted" : verdict.error().message());
    if (verdict.ok()) {
      EXPECT_EQ(verdict->signers.size(), vector.threshold);
    }
  }
}

// --- Cairn's own envelopes -----------------------------------------------------------------

class DsseTest : public ::testing::Test {
 protected:
  Result<TrustedKeys> trust(const std::vector<PinnedKeyFile>& files) const {
    TrustedKeysOptions options;
    options.gnupg_cache_directory = work.path() / "cache";
    return TrustedKeys::from_files(files, options);
  }

  TemporaryDirectory work = make_temporary_directory();
  Ed25519PrivateKey robot = Ed25519PrivateKey::generate().value();
  std::string statement = R"({"_type":"https://in-toto.io/Statement/v1","subject":[]})";
};

TEST_F(DsseTest, SignsAndVerifiesWithEd25519AndOpenPgp) {
  GnupgHome keyring;
  std::string maintainer = keyring.generate_key("Maintainer <maintainer@example.org>");
  auto openpgp = OpenPgpSigner::open(maintainer, keyring.path()).value();
  std::vector<const Signer*> signers = {&openpgp, &robot};
  auto envelope = dsse::sign(dsse::in_toto_payload_type, statement, signers).value();
  ASSERT_EQ(envelope.signatures.size(), 2u);
  EXPECT_EQ(envelope.signatures[0].keyid, maintainer);
  EXPECT_EQ(envelope.signatures[1].keyid, robot.keyid());

  std::string json = dsse::serialize_envelope(envelope).value();
  auto parsed = dsse::parse_envelope(json).value();
  EXPECT_EQ(parsed.payload, statement);
  EXPECT_EQ(dsse::serialize_envelope(parsed).value(), json);

  auto keys = trust({{"maintainer.asc", keyring.export_public(maintainer)}, {"robot.pub", robot.public_key().to_pem()}})
                  .value();
  std::vector<std::string> accepted = {std::string(dsse::in_toto_payload_type)};
  auto report = dsse::verify(parsed, keys, 2, accepted).value();
  ASSERT_EQ(report.signers.size(), 2u);
  EXPECT_EQ(report.signers[0], (VerifiedSignature{maintainer, SignatureMethod::openpgp}));
  EXPECT_EQ(report.signers[1], (VerifiedSignature{robot.keyid(), SignatureMethod::ed25519}));

  // Without key ids the method is taken from the signature's size.
  for (auto& signature : parsed.signatures) signature.keyid.clear();
  EXPECT_EQ(dsse::verify(parsed, keys, 2, accepted).value().signers.size(), 2u);
}

TEST_F(DsseTest, RejectsEnvelopeWithChangedPayloadType) {
  std::vector<const Signer*> signers = {&robot};
  auto envelope = dsse::sign(dsse::in_toto_payload_type, statement, signers).value();
  envelope.payload_type = "application/vnd.example.other+json";
  auto keys = trust({{"robot.pub", robot.public_key().to_pem()}}).value();
  auto verdict = dsse::verify(envelope, keys, 1);
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.error().code(), ErrorCode::refused);
  EXPECT_EQ(verdict.error().message(),
            "threshold not met: 0 of 1 required keys signed (" + robot.keyid() + ": bad signature)");
}

TEST_F(DsseTest, RejectsPayloadTypeTheCallerDoesNotAccept) {
  std::vector<const Signer*> signers = {&robot};
  auto envelope = dsse::sign("application/vnd.example.other+json", statement, signers).value();
  auto keys = trust({{"robot.pub", robot.public_key().to_pem()}}).value();
  std::vector<std::string> accepted = {std::string(dsse::in_toto_payload_type)};
  auto verdict = dsse::verify(envelope, keys, 1, accepted);
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.error().message(),
            "envelope payload type 'application/vnd.example.other+json' is not accepted (expected "
            "'application/vnd.in-toto+json')");
}

TEST_F(DsseTest, RejectsSignatureThatNamesNoPinnedKey) {
  auto stranger = Ed25519PrivateKey::generate().value();
  std::vector<const Signer*> signers = {&stranger};
  auto envelope = dsse::sign(dsse::in_toto_payload_type, statement, signers).value();
  auto keys = trust({{"robot.pub", robot.public_key().to_pem()}}).value();
  auto verdict = dsse::verify(envelope, keys, 1);
  ASSERT_FALSE(verdict.ok());
  EXPECT_NE(verdict.error().message().find(stranger.keyid() + ": unknown key"), std::string::npos)
      << verdict.error().message();
  envelope.signatures[0].keyid = "some-other-tool's-key-name";
  EXPECT_NE(dsse::verify(envelope, keys, 1).error().message().find("some-other-tool's-key-name: unknown key"),
            std::string::npos);
}

TEST_F(DsseTest, RejectsNonBase64Fields) {
  auto payload = dsse::parse_envelope(R"({"payload":"not base64!","payloadType":"t","signatures":[]})");
  ASSERT_FALSE(payload.ok());
  EXPECT_EQ(payload.error().code(), ErrorCode::malformed);
  EXPECT_NE(payload.error().message().find("envelope: \"payload\": not base64"), std::string::npos)
      << payload.error().message();

  auto sig = dsse::parse_envelope(R"({"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"a b"}]})");
  ASSERT_FALSE(sig.ok());
  EXPECT_EQ(sig.error().code(), ErrorCode::malformed);
  EXPECT_NE(sig.error().message().find("envelope: \"signatures[0].sig\": not base64"), std::string::npos)
      << sig.error().message();

  // Mixing the two alphabets in one field is neither.
  EXPECT_FALSE(dsse::parse_envelope(R"({"payload":"+_+_","payloadType":"t","signatures":[]})").ok());
}

TEST_F(DsseTest, RejectsMissingMistypedAndDuplicatedFields) {
  for (std::string_view json : {
           R"({"payloadType":"t","signatures":[]})",
           R"({"payload":"aGk=","signatures":[]})",
           R"({"payload":"aGk=","payloadType":"t"})",
           R"({"payload":"aGk=","payloadType":7,"signatures":[]})",
           R"({"payload":"aGk=","payloadType":"t","signatures":{}})",
           R"({"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k"}]})",
           R"({"payload":"aGk=","payloadType":"t","signatures":[{"keyid":5,"sig":"aGk="}]})",
           R"({"payload":"aGk=","payload":"aGk=","payloadType":"t","signatures":[]})",
           R"([])",
           R"({"payload":"aGk=","payloadType":"t","signatures":[]})"
           "trailing",
       }) {
    auto envelope = dsse::parse_envelope(json);
    ASSERT_FALSE(envelope.ok()) << json;
    EXPECT_EQ(envelope.error().code(), ErrorCode::malformed) << json;
  }
}

TEST_F(DsseTest, EnvelopeWithoutSignaturesMeetsNoThreshold) {
  auto envelope = dsse::parse_envelope(R"({"payload":"aGk=","payloadType":"t","signatures":[]})").value();
  auto keys = trust({{"robot.pub", robot.public_key().to_pem()}}).value();
  EXPECT_EQ(dsse::verify(envelope, keys, 1).error().message(),
            "threshold not met: 0 of 1 required keys signed (no signatures)");
}

// --- co-signing: adding signatures to an envelope ------------------------------------------

// A signer that names a key without holding one: its "signature" is a label over the data. It
// counts its calls, so a test can tell that nothing was signed, and can be told to fail.
class FakeSigner : public Signer {
 public:
  explicit FakeSigner(std::string keyid, bool fails = false) : keyid_(std::move(keyid)), fails_(fails) {}
  SignatureMethod method() const override { return SignatureMethod::openpgp; }
  const std::string& keyid() const override { return keyid_; }
  Result<Signature> sign(std::string_view data) const override {
    ++calls;
    if (fails_) return make_error(ErrorCode::internal, "{}: the smartcard was removed", keyid_);
    return Signature{keyid_, SignatureMethod::openpgp, fmt::format("signed by {}: {}", keyid_, data)};
  }

  mutable int calls = 0;

 private:
  std::string keyid_;
  bool fails_;
};

constexpr std::string_view fingerprint = "6B0E7CB9F6B94EB75850093C7B05F0BEB546E404";

TEST_F(DsseTest, CoSigningKeyAfterKeyGivesTheEnvelopeSigningAtOnceGives) {
  auto maintainer = Ed25519PrivateKey::generate().value();
  std::vector<const Signer*> both = {&maintainer, &robot};
  std::string at_once =
      dsse::serialize_envelope(dsse::sign(dsse::in_toto_payload_type, statement, both).value()).value();

  std::vector<const Signer*> first = {&maintainer};
  std::string maintainer_only =
      dsse::serialize_envelope(dsse::sign(dsse::in_toto_payload_type, statement, first).value()).value();
  auto envelope = dsse::parse_envelope(maintainer_only).value();
  std::vector<const Signer*> second = {&robot};
  ASSERT_TRUE(dsse::add_signatures(envelope, second).ok());

  // Ed25519 signatures are deterministic, so the two envelopes are the same bytes.
  EXPECT_EQ(dsse::serialize_envelope(envelope).value(), at_once);
  auto keys =
      trust({{"maintainer.pub", maintainer.public_key().to_pem()}, {"robot.pub", robot.public_key().to_pem()}}).value();
  auto report = dsse::verify(envelope, keys, 2).value();
  ASSERT_EQ(report.signers.size(), 2u);
  EXPECT_EQ(report.signers[0].keyid, maintainer.keyid());
  EXPECT_EQ(report.signers[1].keyid, robot.keyid());
}

TEST_F(DsseTest, CoSignersAtTheSameMomentAllLandInTheEnvelopeFile) {
  // Each co-signer reads the file, adds its signature and writes it back. Without the lock around
  // that, the last write wins and the others' signatures are lost.
  std::vector<const Signer*> first = {&robot};
  std::filesystem::path path = work.path() / "statement.dsse.json";
  std::string text = dsse::serialize_envelope(dsse::sign(dsse::in_toto_payload_type, statement, first).value()).value();
  ASSERT_TRUE(write_file_atomically(path, text + "\n").ok());

  constexpr int co_signers = 8;
  std::vector<Ed25519PrivateKey> keys;
  for (int i = 0; i < co_signers; ++i) keys.push_back(Ed25519PrivateKey::generate().value());
  std::atomic<int> ready = 0;
  std::vector<std::string> failures(co_signers);
  std::vector<std::thread> threads;
  for (int i = 0; i < co_signers; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < co_signers) std::this_thread::yield();
      std::vector<const Signer*> signer = {&keys[i]};
      auto written = dsse::cosign_file(path, statement, "statement.json", dsse::in_toto_payload_type, signer);
      if (!written.ok()) failures[i] = written.error().message();
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& failure : failures) EXPECT_EQ(failure, "");

  auto envelope = dsse::parse_envelope(read_file(path, 1 << 20).value()).value();
  EXPECT_EQ(envelope.signatures.size(), std::size_t{co_signers + 1});
  std::vector<PinnedKeyFile> pinned = {{"robot.pub", robot.public_key().to_pem()}};
  for (int i = 0; i < co_signers; ++i) pinned.push_back({fmt::format("{}.pub", i), keys[i].public_key().to_pem()});
  EXPECT_EQ(dsse::verify(envelope, trust(pinned).value(), co_signers + 1).value().signers.size(),
            std::size_t{co_signers + 1});
}

TEST_F(DsseTest, CoSigningAFileRefusesAnotherPayloadOrTypeAndLeavesTheFileAlone) {
  std::vector<const Signer*> first = {&robot};
  std::filesystem::path path = work.path() / "statement.dsse.json";
  std::string text = dsse::serialize_envelope(dsse::sign(dsse::in_toto_payload_type, statement, first).value()).value();
  ASSERT_TRUE(write_file_atomically(path, text + "\n").ok());
  auto other = Ed25519PrivateKey::generate().value();
  std::vector<const Signer*> second = {&other};

  auto wrong_payload = dsse::cosign_file(path, "something else", "other.json", "", second);
  ASSERT_FALSE(wrong_payload.ok());
  EXPECT_EQ(wrong_payload.error().message(),
            fmt::format("{}: the envelope's payload is not the content of other.json", path.string()));
  auto wrong_type = dsse::cosign_file(path, statement, "statement.json", "application/x-other", second);
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.error().code(), ErrorCode::refused);
  EXPECT_EQ(read_file(path, 1 << 20).value(), text + "\n");
}

TEST_F(DsseTest, AddsSignaturesAfterTheOthersWithoutCheckingOrChangingThem) {
  // URL-safe payload, a signature by another tool's key name and one without a key id: none of
  // them is Cairn's to judge when adding a signature.
  auto envelope =
      dsse::parse_envelope(R"({"payload":"-_-_Pj8=","payloadType":"application/vnd.example+json","signatures":[)"
                           R"({"keyid":"some-other-tool's-key-name","sig":"aGk="},{"sig":"AAAA"}]})")
          .value();
  const dsse::Envelope before = envelope;
  FakeSigner first("sha256:" + std::string(64, 'a'));
  FakeSigner second{std::string(fingerprint)};
  std::vector<const Signer*> signers = {&first, &second};
  ASSERT_TRUE(dsse::add_signatures(envelope, signers).ok());

  EXPECT_EQ(envelope.payload, "\xfb\xff\xbf\x3e\x3f");
  EXPECT_EQ(envelope.payload, before.payload);
  EXPECT_EQ(envelope.payload_type, before.payload_type);
  ASSERT_EQ(envelope.signatures.size(), 4u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(envelope.signatures[i].keyid, before.signatures[i].keyid);
    EXPECT_EQ(envelope.signatures[i].sig, before.signatures[i].sig);
  }
  std::string signed_bytes = dsse::pae("application/vnd.example+json", "\xfb\xff\xbf\x3e\x3f");
  EXPECT_EQ(envelope.signatures[2].keyid, first.keyid());
  EXPECT_EQ(envelope.signatures[2].sig, "signed by " + first.keyid() + ": " + signed_bytes);
  EXPECT_EQ(envelope.signatures[3].keyid, second.keyid());
  EXPECT_EQ(envelope.signatures[3].sig, "signed by " + second.keyid() + ": " + signed_bytes);

  // Written out and read back, the new list is the old one followed by the new signatures.
  auto reread = dsse::parse_envelope(dsse::serialize_envelope(envelope).value()).value();
  ASSERT_EQ(reread.signatures.size(), 4u);
  EXPECT_EQ(reread.signatures[0].keyid, "some-other-tool's-key-name");
  EXPECT_EQ(reread.signatures[1].sig, before.signatures[1].sig);
  EXPECT_EQ(reread.signatures[3].keyid, second.keyid());
}

TEST_F(DsseTest, RefusesToAddASecondSignatureByTheSameKey) {
  std::vector<const Signer*> signers = {&robot};
  auto envelope = dsse::sign(dsse::in_toto_payload_type, statement, signers).value();
  std::string before = dsse::serialize_envelope(envelope).value();

  auto added = dsse::add_signatures(envelope, signers);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code(), ErrorCode::already_exists);
  EXPECT_EQ(added.error().message(), "key " + robot.keyid() + " has already signed this envelope");
  EXPECT_EQ(dsse::serialize_envelope(envelope).value(), before);
}

TEST_F(DsseTest, RecognizesAKeyThatSignedUnderAnotherSpellingOfItsId) {
  auto envelope = dsse::parse_envelope(R"({"payload":"aGk=","payloadType":"t","signatures":[)"
                                       R"({"keyid":"0x6b0e7cb9f6b94eb75850093c7b05f0beb546e404","sig":"aGk="}]})")
                      .value();
  FakeSigner maintainer{std::string(fingerprint)};
  std::vector<const Signer*> signers = {&maintainer};
  auto added = dsse::add_signatures(envelope, signers);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().message(), fmt::format("key {} has already signed this envelope", fingerprint));
  EXPECT_EQ(maintainer.calls, 0);
  EXPECT_EQ(envelope.signatures.size(), 1u);
}

TEST_F(DsseTest, RefusesAKeyGivenTwiceBeforeSigningAnything) {
  FakeSigner other("sha256:" + std::string(64, 'b'));
  FakeSigner maintainer{std::string(fingerprint)};
  std::vector<const Signer*> signers = {&other, &maintainer, &maintainer};
  auto envelope = dsse::parse_envelope(R"({"payload":"aGk=","payloadType":"t","signatures":[]})").value();
  auto added = dsse::add_signatures(envelope, signers);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().code(), ErrorCode::already_exists);
  EXPECT_EQ(added.error().message(), fmt::format("key {} is given twice", fingerprint));
  EXPECT_EQ(other.calls + maintainer.calls, 0);
  EXPECT_TRUE(envelope.signatures.empty());

  // A new envelope is held to the same rule.
  auto signed_twice = dsse::sign("t", "hi", signers);
  ASSERT_FALSE(signed_twice.ok());
  EXPECT_EQ(signed_twice.error().message(), fmt::format("key {} is given twice", fingerprint));
}

TEST_F(DsseTest, LeavesTheEnvelopeUnchangedWhenASignerFails) {
  std::vector<const Signer*> first = {&robot};
  auto envelope = dsse::sign(dsse::in_toto_payload_type, statement, first).value();
  std::string before = dsse::serialize_envelope(envelope).value();

  auto other = Ed25519PrivateKey::generate().value();
  FakeSigner broken{std::string(fingerprint), /*fails=*/true};
  std::vector<const Signer*> signers = {&other, &broken};
  auto added = dsse::add_signatures(envelope, signers);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().message(), fmt::format("{}: the smartcard was removed", fingerprint));
  EXPECT_EQ(dsse::serialize_envelope(envelope).value(), before);
}

TEST_F(DsseTest, ListsTheFieldsParsingLeavesOut) {
  // Fields another tool may add (sigstore once put a "cert" beside each signature) are read past,
  // and named, because serializing the envelope again would drop them.
  auto extended =
      dsse::parse_envelope(R"({"payload":"aGk=","payloadType":"t","x-origin":"ci","signatures":[)"
                           R"({"keyid":"k","sig":"aGk="},{"cert":"-----BEGIN CERTIFICATE-----","sig":"aGk="}]})")
          .value();
  EXPECT_EQ(extended.ignored_fields, (std::vector<std::string>{"x-origin", "signatures[1].cert"}));

  std::vector<const Signer*> signers = {&robot};
  auto own = dsse::sign(dsse::in_toto_payload_type, statement, signers).value();
  EXPECT_TRUE(dsse::parse_envelope(dsse::serialize_envelope(own).value()).value().ignored_fields.empty());
}

}  // namespace
}  // namespace cairn::signing
