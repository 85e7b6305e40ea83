// The consumer's pieces that need no registry: the policy (read strictly; garbage refused with the
// field named), its patterns, the statement reader, and the record of the newest checkpoint seen
// of a log (first, same, extended, older, unproven; forks of every kind refused).
#include "cairn/consumer/policy.h"
#include "cairn/consumer/seen_checkpoints.h"
#include "cairn/core/file.h"
#include "cairn/registry/checkpoint.h"
#include "cairn/registry/merkle.h"
#include "cairn/reproducibility/provenance.h"

#include "support/must.h"

#include <gtest/gtest.h>

#include <random>

namespace cairn::consumer {
namespace {

using cairn::test_support::must;
namespace fs = std::filesystem;

const std::string good_policy = R"({"_type": "cairn-verify-policy", "version": 1, "images": [
  {"match": "registry.example.org/web/*",
   "signers": {"keys": ["a.pub", "b.pub"], "threshold": 2},
   "manifest": {"root": "root.json", "location": "manifests", "development": true},
   "log": {"vkey": "log+01020304+AQ"},
   "rebuilds": {"threshold": 1, "keys": ["r.pub"]},
   "advisories": "warn", "yanked": "allow"},
  {"match": "**", "signers": {"keys": ["/keys/c.pub"], "threshold": 1}, "manifest": "skip", "log": "skip"}]})";

TEST(Policy, ReadsEveryField) {
  Policy policy = must(parse_policy(good_policy, "/etc/cairn"));
  ASSERT_EQ(policy.images.size(), 2u);
  const ImagePolicy& web = policy.images[0];
  EXPECT_EQ(web.signer_keys, (std::vector<fs::path>{"/etc/cairn/a.pub", "/etc/cairn/b.pub"}));
  EXPECT_EQ(web.threshold, 2u);
  ASSERT_TRUE(web.manifest);
  EXPECT_EQ(web.manifest->root, fs::path("/etc/cairn/root.json"));
  EXPECT_EQ(web.manifest->location, "/etc/cairn/manifests");
  EXPECT_TRUE(web.manifest->development);
  EXPECT_EQ(web.log_vkey, "log+01020304+AQ");
  EXPECT_EQ(web.rebuilds, 1u);
  EXPECT_EQ(web.advisories, Allowance::warn);
  EXPECT_EQ(web.yanked, Allowance::allow);
  const ImagePolicy& rest = policy.images[1];
  EXPECT_EQ(rest.signer_keys, (std::vector<fs::path>{"/keys/c.pub"}));
  EXPECT_TRUE(rest.skip_manifest);
  EXPECT_TRUE(rest.skip_log);
  EXPECT_EQ(rest.advisories, Allowance::deny);  // deny by default
  EXPECT_EQ(rest.yanked, Allowance::deny);
  EXPECT_FALSE(rest.manifest);
  EXPECT_EQ(policy.for_image({"registry.example.org/web/site"})->match, "registry.example.org/web/*");
  EXPECT_EQ(policy.for_image({"registry.example.org/web/a/b"})->match, "**");
}

TEST(Policy, LeftOutChecksStayOn) {
  Policy policy = must(parse_policy(
      R"({"_type": "cairn-verify-policy", "version": 1, "images": [{"match": "*", "signers": {"keys": ["k"], "threshold": 1}}]})",
      "/p"));
  const ImagePolicy& image = policy.images[0];
  EXPECT_FALSE(image.skip_log);
  EXPECT_FALSE(image.skip_manifest);
  EXPECT_FALSE(image.log_vkey);
  EXPECT_FALSE(image.manifest);
  EXPECT_EQ(image.rebuilds, 0u);
}

TEST(Policy, RefusesWhatItDoesNotUnderstand) {
  struct Case {
    std::string text;
    std::string named;  // a part of the error
  };
  const std::string head = R"({"_type": "cairn-verify-policy", "version": 1, "images": [)";
  const std::string signers = R"("signers": {"keys": ["k"], "threshold": 1})";
  const std::vector<Case> cases = {
      {head + R"({"match": "*", )" + signers + R"(, "lgo": "skip"}]})", "lgo"},
      {head + R"({"match": "*", "signers": {"keys": ["k"], "threshold": 2}}]})", "threshold 2 with 1 keys"},
      {head + R"({"match": "*", "signers": {"keys": ["k"], "threshold": 0}}]})", "threshold 0"},
      {head + R"({"match": "*"}]})", "signers"},
      {head + R"({"match": "", )" + signers + "}]}", "empty pattern"},
      {head + R"({"match": "*", )" + signers + R"(, "log": "off"}]})", "\"skip\""},
      {head + R"({"match": "*", )" + signers + R"(, "log": {}}]})", "exactly one of vkey and vkey_file"},
      {head + R"({"match": "*", )" + signers + R"(, "advisories": "ignore"}]})", "not deny, warn or allow"},
      {head + R"({"match": "*", )" + signers + R"(, "rebuilds": {"threshold": 3, "keys": ["r"]}}]})", "cannot be met"},
      {head + "]}", "no entry"},
      {R"({"_type": "cairn-verify-policy", "version": 2, "images": []})", "version 2"},
      {R"({"_type": "policy", "version": 1, "images": []})", "_type"},
      {R"([1, 2])", ""},
      {"{\"_type\": \"cairn-verify-policy\", \"version\": 1, \"images\": [{\"match\": \"*\", \"signers\": ", ""},
  };
  for (const Case& item : cases) {
    auto policy = parse_policy(item.text, "/p");
    ASSERT_FALSE(policy.ok()) << item.text;
    EXPECT_NE(policy.error().message().find(item.named), std::string::npos)
        << "wanted '" << item.named << "' in: " << policy.error().message();
  }
}

TEST(Policy, RandomBytesAreRefusedNeverCrash) {
  std::mt19937 random(13);
  for (int round = 0; round < 500; ++round) {
    std::string text = good_policy;
    for (int flips = 0; flips < 1 + round % 8; ++flips) {
      text[random() % text.size()] = static_cast<char>(random() % 256);
    }
    auto policy = parse_policy(text, "/p");
    if (policy.ok()) {
      EXPECT_FALSE(policy->images.empty());
    }
  }
}

TEST(Pattern, StarStaysInASegmentTwoStarsCross) {
  EXPECT_TRUE(matches_pattern("r.example/web/*", "r.example/web/site"));
  EXPECT_FALSE(matches_pattern("r.example/web/*", "r.example/web/a/b"));
  EXPECT_TRUE(matches_pattern("r.example/**", "r.example/web/a/b"));
  EXPECT_TRUE(matches_pattern("127.0.0.1:*/demo/*", "127.0.0.1:5000/demo/hello"));
  EXPECT_FALSE(matches_pattern("127.0.0.1:*/demo/*", "127.0.0.1:5000/other/hello"));
  EXPECT_TRUE(matches_pattern("hello", "hello"));
  EXPECT_FALSE(matches_pattern("hello", "hello2"));
  EXPECT_TRUE(matches_pattern("*", "hello"));
  EXPECT_FALSE(matches_pattern("*", "demo/hello"));
  EXPECT_TRUE(matches_pattern("**", "demo/hello"));
  // A hostile pattern does not make matching explode: stars are bounded.
  EXPECT_FALSE(matches_pattern("*a*a*a*a*a*a*a*a*a*a*b", std::string(4000, 'a')));
}

TEST(Provenance, ReadsWhatItWritesAndRefusesStrangers) {
  reproducibility::Provenance provenance;
  provenance.subject_name = "hello.spt";
  provenance.subject_digest = Digest::sha256_of("image");
  provenance.external_parameters = {{"unikernel", {{"name", "hello"}}}};
  reproducibility::ResourceDescriptor library;
  library.name = "kernel";
  library.uri = "cairn-library:kernel@0.1.0";
  library.digest = Digest::sha256_of("tree");
  library.annotations = {{"version", "0.1.0"}};
  provenance.resolved_dependencies.push_back(library);
  reproducibility::ResourceDescriptor lock;
  lock.name = "cairn.lock";
  lock.content = "{\"lock\": true}\n";
  lock.digest = Digest::sha256_of(*lock.content);
  provenance.byproducts.push_back(lock);
  provenance.builder_id = "urn:test";
  std::string text = must(canonical_json(reproducibility::provenance_statement(provenance)));
  reproducibility::Provenance read = must(reproducibility::parse_provenance_statement(text));
  EXPECT_EQ(read.subject_name, "hello.spt");
  EXPECT_EQ(read.subject_digest, provenance.subject_digest);
  ASSERT_EQ(read.resolved_dependencies.size(), 1u);
  EXPECT_EQ(read.resolved_dependencies[0].uri, library.uri);
  EXPECT_EQ(read.resolved_dependencies[0].digest, library.digest);
  ASSERT_NE(reproducibility::find_descriptor(read.byproducts, "cairn.lock"), nullptr);
  EXPECT_EQ(reproducibility::find_descriptor(read.byproducts, "cairn.lock")->content, lock.content);
  EXPECT_EQ(must(canonical_json(reproducibility::provenance_statement(read))), text);

  Json statement = must(parse_json(text));
  auto refused = [](Json changed) {
    return !reproducibility::parse_provenance_statement(must(canonical_json(changed))).ok();
  };
  Json changed = statement;
  changed["subject"][0]["name"] = "../escape";
  EXPECT_TRUE(refused(changed));
  changed = statement;
  changed["subject"].push_back(statement["subject"][0]);
  EXPECT_TRUE(refused(changed));
  changed = statement;
  changed["predicateType"] = "https://slsa.dev/provenance/v0.2";
  EXPECT_TRUE(refused(changed));
  changed = statement;
  changed["subject"][0]["digest"] = {{"sha1", "00"}};
  EXPECT_TRUE(refused(changed));
  changed = statement;
  changed["predicate"]["runDetails"]["byproducts"][0]["content"] = "!!!";
  EXPECT_TRUE(refused(changed));
  EXPECT_FALSE(reproducibility::parse_provenance_statement("not json").ok());
}

// A log in memory whose checkpoints this test signs.
struct TestLog {
  registry::MemoryTree tree;
  std::string name = "test.example/log";
  signing::Ed25519PrivateKey key = must(signing::Ed25519PrivateKey::from_seed(std::string(32, '\x07')));

  std::string vkey() const { return registry::verifier_key(name, key.public_key()); }
  registry::NoteVerifier verifier() const { return must(registry::parse_verifier_key(vkey())); }
  void grow(std::uint64_t size, std::string_view prefix = "entry ") {
    while (tree.size() < size) tree.append(registry::leaf_hash(std::string(prefix) + std::to_string(tree.size())));
  }
  registry::Checkpoint checkpoint(std::uint64_t size) const {
    registry::Checkpoint checkpoint;
    checkpoint.origin = name;
    checkpoint.size = size;
    checkpoint.root = must(registry::tree_root(tree, size));
    return checkpoint;
  }
  std::string note(const registry::Checkpoint& checkpoint) const {
    return must(registry::sign_note(must(registry::format_checkpoint(checkpoint)), name, key));
  }
  ConsistencyProver prover() const {
    return [this](std::uint64_t first, std::uint64_t second) -> Result<std::optional<std::vector<registry::Hash>>> {
      std::vector<registry::Hash> proof = CAIRN_TRY(registry::consistency_proof(tree, first, second));
      return std::optional<std::vector<registry::Hash>>(std::move(proof));
    };
  }
};

ConsistencyProver offline() {
  return [](std::uint64_t, std::uint64_t) -> Result<std::optional<std::vector<registry::Hash>>> {
    return std::optional<std::vector<registry::Hash>>{};
  };
}

class SeenCheckpoints : public ::testing::Test {
 protected:
  WitnessOutcome::Kind witness(const TestLog& log, std::uint64_t size, const ConsistencyProver& prove) {
    registry::Checkpoint checkpoint = log.checkpoint(size);
    return must(witness_checkpoint(directory.path(), log.vkey(), log.verifier(), log.note(checkpoint), checkpoint,
                                   prove))
        .kind;
  }
  Result<WitnessOutcome> try_witness(const TestLog& signer, const TestLog& tree, std::uint64_t size,
                                     const ConsistencyProver& prove) {
    registry::Checkpoint checkpoint = tree.checkpoint(size);
    return witness_checkpoint(directory.path(), signer.vkey(), signer.verifier(), signer.note(checkpoint), checkpoint,
                              prove);
  }
  TemporaryDirectory directory = must(TemporaryDirectory::create("cairn-seen-"));
};

TEST_F(SeenCheckpoints, FirstSameExtendedOlderUnproven) {
  TestLog log;
  log.grow(20);
  EXPECT_EQ(witness(log, 5, log.prover()), WitnessOutcome::Kind::first);
  EXPECT_EQ(witness(log, 5, log.prover()), WitnessOutcome::Kind::same);
  EXPECT_EQ(witness(log, 13, log.prover()), WitnessOutcome::Kind::extended);
  EXPECT_EQ(witness(log, 7, log.prover()), WitnessOutcome::Kind::older);
  EXPECT_EQ(witness(log, 13, log.prover()), WitnessOutcome::Kind::same);  // 13 stayed the newest
  EXPECT_EQ(witness(log, 20, offline()), WitnessOutcome::Kind::unproven);
  EXPECT_EQ(witness(log, 13, log.prover()), WitnessOutcome::Kind::same);  // unproven is not kept
}

TEST_F(SeenCheckpoints, ForksAreRefusedNamingBothCheckpoints) {
  TestLog log;
  log.grow(10);
  EXPECT_EQ(witness(log, 10, log.prover()), WitnessOutcome::Kind::first);
  TestLog fork;  // the same key and name, other entries
  fork.grow(10, "forged ");
  auto same_size = try_witness(fork, fork, 10, fork.prover());
  ASSERT_FALSE(same_size.ok());
  EXPECT_NE(same_size.error().message().find("forked"), std::string::npos) << same_size.error().message();
  EXPECT_NE(same_size.error().message().find("size 10"), std::string::npos);
  fork.grow(15, "forged ");
  auto larger = try_witness(fork, fork, 15, fork.prover());
  ASSERT_FALSE(larger.ok());
  EXPECT_NE(larger.error().message().find("forked"), std::string::npos) << larger.error().message();
  // A log that cannot give a proof at all.
  auto no_proof = try_witness(
      log, log, 10 + 0, [](std::uint64_t, std::uint64_t) -> Result<std::optional<std::vector<registry::Hash>>> {
        return make_error(ErrorCode::not_found, "the log has 3 leaves");
      });
  EXPECT_TRUE(no_proof.ok());  // the same checkpoint again needs no proof
  log.grow(12);
  auto refused = try_witness(log, log, 12, [](std::uint64_t, std::uint64_t) -> Result<std::optional<std::vector<registry::Hash>>> {
    return make_error(ErrorCode::not_found, "the log has 3 leaves");
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("no consistency proof"), std::string::npos) << refused.error().message();
  // The honest log still extends what was seen.
  EXPECT_EQ(witness(log, 12, log.prover()), WitnessOutcome::Kind::extended);
}

TEST_F(SeenCheckpoints, ARecordThatNoLongerVerifiesIsAnError) {
  TestLog log;
  log.grow(4);
  EXPECT_EQ(witness(log, 4, log.prover()), WitnessOutcome::Kind::first);
  fs::path file = directory.path() / (Digest::sha256_of(log.vkey()).hex() + ".checkpoint");
  std::string text = must(read_file(file, 1 << 20));
  text[text.size() / 2] ^= 1;
  must(write_file_atomically(file, text));
  auto outcome = try_witness(log, log, 4, log.prover());
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message().find("seen before"), std::string::npos) << outcome.error().message();
}

}  // namespace
}  // namespace cairn::consumer
