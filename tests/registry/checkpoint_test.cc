// Checkpoints and signed notes: the exact bytes of the C2SP forms, round trips, and refusals of
// every malformed or mis-signed note.
#include "cairn/registry/checkpoint.h"

#include "cairn/core/base64.h"

#include "support/must.h"

#include <gtest/gtest.h>

namespace cairn::registry {
namespace {

using cairn::test_support::must;

signing::Ed25519PrivateKey test_key(char seed = 7) {
  return must(signing::Ed25519PrivateKey::from_seed(std::string(32, seed)));
}

Checkpoint sample() {
  Checkpoint checkpoint;
  checkpoint.origin = "registry.example.org/log";
  checkpoint.size = 12345;
  checkpoint.root = leaf_hash("root");
  return checkpoint;
}

TEST(Checkpoint, IsThreeLinesAndRoundTrips) {
  Checkpoint checkpoint = sample();
  checkpoint.extensions = {"extra line"};

  std::string text = must(format_checkpoint(checkpoint));
  Checkpoint parsed = must(parse_checkpoint(text));

  EXPECT_EQ(text, "registry.example.org/log\n12345\n" + to_base64(checkpoint.root) + "\nextra line\n");
  EXPECT_EQ(parsed.origin, checkpoint.origin);
  EXPECT_EQ(parsed.size, 12345u);
  EXPECT_EQ(parsed.root, checkpoint.root);
  EXPECT_EQ(parsed.extensions, checkpoint.extensions);
}

TEST(Checkpoint, RefusesMalformedText) {
  std::string root = to_base64(leaf_hash("root"));
  for (const std::string& text : std::vector<std::string>{
           std::string("origin\n12\n") + root, "origin\n12\n", "\n12\n" + root + "\n", "origin\n012\n" + root + "\n",
           "origin\n-1\n" + root + "\n", "origin\n1 2\n" + root + "\n", "origin\n99999999999999999999\n" + root + "\n",
           "origin\n12\nAAAA\n", "origin\n12\n" + root + "\n\n", std::string("origin\n12\n") + root + "\n\xff\n"}) {
    EXPECT_FALSE(parse_checkpoint(text).ok()) << text;
  }
}

TEST(SignedNote, HasTheC2spFormAndOpensWithItsVerifierKey) {
  signing::Ed25519PrivateKey key = test_key();
  std::string text = must(format_checkpoint(sample()));

  std::string note = must(sign_note(text, "registry.example.org/log", key));
  std::string vkey = verifier_key("registry.example.org/log", key.public_key());
  NoteVerifier verifier = must(parse_verifier_key(vkey));

  ASSERT_TRUE(note.starts_with(text + "\n\xE2\x80\x94 registry.example.org/log "));
  std::string signature = must(base64_decode(note.substr(note.rfind(' ') + 1, note.size() - note.rfind(' ') - 2)));
  ASSERT_EQ(signature.size(), 4u + 64u);
  EXPECT_EQ(vkey.substr(0, vkey.find('+')), "registry.example.org/log");
  EXPECT_EQ(vkey.substr(vkey.find('+') + 1, 8),
            fmt::format("{:08x}", note_key_id("registry.example.org/log", key.public_key())));
  EXPECT_EQ(must(base64_decode(vkey.substr(vkey.rfind('+') + 1))), std::string(1, '\x01') + key.public_key().raw());
  EXPECT_EQ(must(open_note(note, verifier)), text);
}

TEST(SignedNote, IgnoresOtherKeysAndRefusesABadSignatureByItsOwn) {
  signing::Ed25519PrivateKey key = test_key(), other = test_key(9);
  std::string text = must(format_checkpoint(sample()));
  NoteVerifier verifier = must(parse_verifier_key(verifier_key("log", key.public_key())));
  std::string by_other = must(sign_note(text, "witness", other));
  std::string by_both = by_other + must(sign_note(text, "log", key)).substr(text.size() + 1);

  EXPECT_EQ(must(open_note(by_both, verifier)), text);
  EXPECT_EQ(open_note(by_other, verifier).error().code(), ErrorCode::refused);

  std::string tampered = must(sign_note(text, "log", key));
  tampered[tampered.find("12345")] = '2';  // the text changed after signing
  EXPECT_EQ(open_note(tampered, verifier).error().code(), ErrorCode::refused);
  // The right name and key id, another key's signature.
  std::string forged = must(sign_note(text, "log", other));
  std::string blob = must(base64_decode(forged.substr(forged.rfind(' ') + 1, forged.size() - forged.rfind(' ') - 2)));
  std::uint32_t id = note_key_id("log", key.public_key());
  blob.replace(0, 4,
               std::string{static_cast<char>(id >> 24), static_cast<char>(id >> 16), static_cast<char>(id >> 8),
                           static_cast<char>(id)});
  forged = text + "\n\xE2\x80\x94 log " + base64_encode(blob) + "\n";
  EXPECT_EQ(open_note(forged, verifier).error().code(), ErrorCode::refused);
}

TEST(SignedNote, RefusesMalformedNotesAndKeys) {
  signing::Ed25519PrivateKey key = test_key();
  std::string text = must(format_checkpoint(sample()));
  std::string note = must(sign_note(text, "log", key));
  NoteVerifier verifier = must(parse_verifier_key(verifier_key("log", key.public_key())));
  for (const std::string& bad : std::vector<std::string>{
           text, text + "\n", text + "\n-- log AAAA\n", text + "\n\xE2\x80\x94 log\n",
           text + "\n\xE2\x80\x94 log !!!\n", text + "\n\xE2\x80\x94 log AA==\n", note.substr(0, note.size() - 1)}) {
    EXPECT_FALSE(open_note(bad, verifier).ok()) << bad;
  }
  EXPECT_FALSE(sign_note("no newline", "log", key).ok());
  EXPECT_FALSE(sign_note("a\n\nb\n", "log", key).ok());
  EXPECT_FALSE(sign_note(text, "two words", key).ok());
  EXPECT_FALSE(sign_note(text, "a+b", key).ok());
  std::string vkey = verifier_key("log", key.public_key());
  EXPECT_FALSE(parse_verifier_key("log+" + vkey.substr(4, 8)).ok());
  EXPECT_EQ(parse_verifier_key("log+00000000+" + vkey.substr(vkey.rfind('+') + 1)).error().code(), ErrorCode::refused);
  EXPECT_EQ(
      parse_verifier_key("log+" + vkey.substr(4, 8) + "+" + base64_encode(std::string(33, '\x02'))).error().code(),
      ErrorCode::unsupported);
}

}  // namespace
}  // namespace cairn::registry
