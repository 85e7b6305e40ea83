// Signature files are recognised by their content, never by their names.
#include "cairn/signing/signature_file.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::signing {
namespace {

SignatureFileKind recognized(std::string_view content, bool ed25519_pinned) {
  Result<SignatureFileKind> kind = recognize_signature_file(content, ed25519_pinned);
  EXPECT_TRUE(kind.ok()) << kind.error().message();
  return kind.ok() ? *kind : SignatureFileKind::dsse_envelope;
}

TEST(SignatureFile, SixtyFourBytesWithAnEd25519KeyPinnedAreARawSignatureWhateverTheyBeginWith) {
  for (char first : {'{', '\x88', '\xc2', '-', 'A'}) {
    std::string raw(64, '\x01');
    raw[0] = first;
    EXPECT_EQ(recognized(raw, true), SignatureFileKind::ed25519) << static_cast<int>(first);
  }
}

TEST(SignatureFile, RecognisesEnvelopesAndOpenPgpSignatures) {
  EXPECT_EQ(recognized(" \n{\"payload\":\"\",\"payloadType\":\"t\",\"signatures\":[]}", true),
            SignatureFileKind::dsse_envelope);
  EXPECT_EQ(recognized("-----BEGIN PGP SIGNATURE-----\n\nwnUEABYKAB0WIQ==\n-----END PGP SIGNATURE-----\n", true),
            SignatureFileKind::openpgp);
  for (char tag : {'\x88', '\x89', '\x8a', '\x8b', '\xc2'}) {
    std::string packet(119, '\x04');
    packet[0] = tag;
    EXPECT_EQ(recognized(packet, true), SignatureFileKind::openpgp) << static_cast<int>(tag);
  }
  // Without an Ed25519 key pinned, 64 bytes that look like an OpenPGP packet go to OpenPGP, and
  // other 64 bytes are still a raw Ed25519 signature (refused later: no such key is pinned).
  EXPECT_EQ(recognized(std::string(1, '\x88') + std::string(63, '\x01'), false), SignatureFileKind::openpgp);
  EXPECT_EQ(recognized(std::string(64, '\x01'), false), SignatureFileKind::ed25519);
}

TEST(SignatureFile, RefusesWhatIsNoneOfThemSayingWhatItAccepts) {
  for (std::string_view content : {std::string_view("garbage"), std::string_view(), std::string_view("\x01\x02", 2)}) {
    Result<SignatureFileKind> kind = recognize_signature_file(content, true);
    ASSERT_FALSE(kind.ok());
    EXPECT_EQ(kind.error().code(), ErrorCode::malformed);
    EXPECT_NE(kind.error().message().find("neither a DSSE envelope, an OpenPGP signature nor 64 raw Ed25519 bytes"),
              std::string::npos);
  }
  EXPECT_FALSE(recognize_signature_file(std::string(63, '\x01'), true).ok());
  EXPECT_FALSE(recognize_signature_file(std::string(65, '\x01'), true).ok());
}

}  // namespace
}  // namespace cairn::signing
