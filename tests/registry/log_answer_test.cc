// The client's side of the log submission: the entry's exact bytes, and the checks of the log's
// answer (a checkpoint signed by the log's key, an inclusion proof of exactly that leaf) that
// come before log.json is written.
#include "cairn/registry/checkpoint.h"
#include "cairn/registry/merkle.h"
#include "cairn/registry/publish.h"

#include "support/must.h"

#include <gtest/gtest.h>

namespace cairn::registry {
namespace {

using cairn::test_support::must;

signing::Ed25519PrivateKey log_key(char seed = 3) { return must(signing::Ed25519PrivateKey::from_seed(std::string(32, seed))); }

struct LogAnswer {
  std::string leaf;
  std::string answer;
  std::string vkey;
};

// A log of `size` entries holding `leaf` at `index`, and its answer to the submission.
LogAnswer answer_for(std::uint64_t index, std::uint64_t size, char seed = 3) {
  Reference reference = must(parse_reference("http://127.0.0.1:5000/cairn/hello:v1"));
  LogAnswer result;
  result.leaf = must(canonical_json(
      log_entry(reference, Digest::sha256_of("m"), Digest::sha256_of("e"), {"zz-key", "aa-key"})));
  MemoryTree tree;
  for (std::uint64_t i = 0; i < size; ++i) tree.append(leaf_hash(i == index ? result.leaf : "other " + std::to_string(i)));
  Checkpoint checkpoint;
  checkpoint.origin = "127.0.0.1:5000/log";
  checkpoint.size = size;
  checkpoint.root = must(tree_root(tree, size));
  signing::Ed25519PrivateKey key = log_key(seed);
  std::string note = must(sign_note(must(format_checkpoint(checkpoint)), "127.0.0.1:5000/log", key));
  Json proof = Json::array();
  for (const Hash& hash : must(inclusion_proof(tree, index, size))) proof.push_back(to_base64(hash));
  result.answer = must(canonical_json(Json{{"index", index}, {"checkpoint", note}, {"inclusion_proof", proof}}));
  result.vkey = verifier_key("127.0.0.1:5000/log", log_key().public_key()) + "\n";
  return result;
}

TEST(LogEntry, IsCanonicalWithSortedSigners) {
  Reference reference = must(parse_reference("http://h:1/cairn/hello:v1"));
  std::string leaf = must(canonical_json(log_entry(reference, Digest::sha256_of("m"), Digest::sha256_of("e"), {"b", "a"})));
  EXPECT_EQ(leaf, "{\"envelope\":\"" + Digest::sha256_of("e").to_string() + "\",\"manifest\":\"" +
                      Digest::sha256_of("m").to_string() +
                      "\",\"repository\":\"cairn/hello\",\"signers\":[\"a\",\"b\"],\"tag\":\"v1\"}");
}

TEST(LogAnswer, AGoodAnswerBecomesLogJson) {
  LogAnswer log = answer_for(5, 13);
  Json written = must(verify_log_answer(log.leaf, log.answer, log.vkey));
  EXPECT_EQ(written["index"], 5);
  EXPECT_EQ(written["entry"]["repository"], "cairn/hello");
  EXPECT_EQ(written["vkey"], log.vkey.substr(0, log.vkey.size() - 1));
  EXPECT_EQ(written["inclusion_proof"].size(), must(parse_json(log.answer))["inclusion_proof"].size());
  EXPECT_TRUE(verify_log_answer(answer_for(0, 1).leaf, answer_for(0, 1).answer, log.vkey).ok());
}

TEST(LogAnswer, RefusesACheckpointSignedByAnotherKey) {
  LogAnswer log = answer_for(2, 4, /*seed=*/9);
  EXPECT_FALSE(verify_log_answer(log.leaf, log.answer, log.vkey).ok());
}

TEST(LogAnswer, RefusesAProofOfAnotherLeafOrIndex) {
  LogAnswer log = answer_for(2, 7);
  std::string other_leaf = log.leaf;
  other_leaf.replace(other_leaf.find("cairn/hello"), 11, "cairn/hellp");
  EXPECT_FALSE(verify_log_answer(other_leaf, log.answer, log.vkey).ok());

  Json answer = must(parse_json(log.answer));
  answer["index"] = 3;
  EXPECT_FALSE(verify_log_answer(log.leaf, must(canonical_json(answer)), log.vkey).ok());
  answer["index"] = 7;  // outside the tree
  EXPECT_EQ(verify_log_answer(log.leaf, must(canonical_json(answer)), log.vkey).error().code(), ErrorCode::refused);

  answer = must(parse_json(log.answer));
  std::string first = answer["inclusion_proof"][0];
  first[0] = first[0] == 'A' ? 'B' : 'A';
  answer["inclusion_proof"][0] = first;
  EXPECT_FALSE(verify_log_answer(log.leaf, must(canonical_json(answer)), log.vkey).ok());
}

TEST(LogAnswer, RefusesMalformedAnswers) {
  LogAnswer log = answer_for(0, 3);
  EXPECT_FALSE(verify_log_answer(log.leaf, "not json", log.vkey).ok());
  EXPECT_FALSE(verify_log_answer(log.leaf, "{}", log.vkey).ok());
  EXPECT_FALSE(verify_log_answer(log.leaf, log.answer, "garbage").ok());
}

}  // namespace
}  // namespace cairn::registry
