// Prints, as one JSON document, what the log code computes for a tree of "entry <i>" leaves:
// roots, inclusion and consistency proofs, and a signed checkpoint with its verifier key, for
// rfc6962_check.py to check against an implementation of its own.
// With --write-log DIR, it appends LEAVES entries to a log on disk in DIR instead (in batches of
// 1, 2, 3, ... entries), saves the log's key as DIR/../log.key, and prints its verifier key, for
// rfc6962_check.py --log and the server test.
// Usage: log_vectors [LEAVES] | log_vectors --write-log DIR LEAVES
#include "cairn/core/canonical_json.h"
#include "cairn/registry/checkpoint.h"
#include "cairn/registry/log.h"
#include "cairn/registry/merkle.h"
#include "support/must.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace cairn;
using namespace cairn::registry;

namespace {

using cairn::test_support::must;

Json hashes(const std::vector<Hash>& list) {
  Json json = Json::array();
  for (const auto& hash : list) json.push_back(to_hex(hash));
  return json;
}

}  // namespace

int write_log(const char* directory, std::uint64_t leaves) {
  auto key = must(signing::Ed25519PrivateKey::from_seed(std::string(32, 'k')));
  // The key beside the log, for a server to open it with.
  std::filesystem::path key_file = std::filesystem::path(directory).parent_path() / "log.key";
  std::filesystem::create_directories(key_file.parent_path());
  if (!std::filesystem::exists(key_file)) must(key.save(key_file));
  auto log = must(TransparencyLog::open(directory, "example.org/log", std::move(key)));
  std::uint64_t next = 0;
  for (std::uint64_t batch = 1; next < leaves; ++batch) {
    std::vector<std::string> entries;
    for (; entries.size() < batch && next < leaves; ++next) entries.push_back("entry " + std::to_string(next));
    must(log->append(entries));
  }
  std::puts(log->verifier_key().c_str());
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--write-log")
    return write_log(argv[2], std::strtoull(argv[3], nullptr, 10));
  std::uint64_t leaves = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 70;
  MemoryTree tree;
  for (std::uint64_t i = 0; i < leaves; ++i) tree.append(leaf_hash("entry " + std::to_string(i)));
  Json roots = Json::array(), inclusion = Json::array(), consistency = Json::array();
  for (std::uint64_t size = 1; size <= leaves; ++size) {
    roots.push_back(to_hex(must(tree_root(tree, size))));
    for (std::uint64_t index = 0; index < size; index += 1 + size / 7) {
      inclusion.push_back(
          {{"index", index}, {"size", size}, {"proof", hashes(must(inclusion_proof(tree, index, size)))}});
    }
    for (std::uint64_t old_size = 1; old_size <= size; old_size += 1 + size / 5) {
      consistency.push_back(
          {{"old", old_size}, {"new", size}, {"proof", hashes(must(consistency_proof(tree, old_size, size)))}});
    }
  }
  auto key = must(signing::Ed25519PrivateKey::from_seed(std::string(32, 'k')));
  Checkpoint checkpoint{"example.org/log", leaves, must(tree_root(tree, leaves)), {}};
  std::string note = must(sign_note(must(format_checkpoint(checkpoint)), "example.org/log", key));
  Json out = {{"leaves", leaves},
              {"roots", roots},
              {"inclusion", inclusion},
              {"consistency", consistency},
              {"note", note},
              {"vkey", verifier_key("example.org/log", key.public_key())},
              {"public_key_pem", key.public_key().to_pem()}};
  std::puts(out.dump().c_str());
  return 0;
}
