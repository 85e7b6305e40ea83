// The log on disk: batches of appends agree with an in-memory tree on every root, tile, bundle
// and proof; it reopens where it was; a crash between the tiles and the checkpoint loses the
// batch and nothing else; and it refuses another key, another origin and a tampered tile.
#include "cairn/registry/log.h"

#include "cairn/core/file.h"

#include "support/must.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace cairn::registry {
namespace {

namespace fs = std::filesystem;

using cairn::test_support::must;

signing::Ed25519PrivateKey log_key(char seed = 'k') {
  return must(signing::Ed25519PrivateKey::from_seed(std::string(32, seed)));
}

std::vector<std::string> entries(std::uint64_t first, std::uint64_t count, std::string_view tag = "entry") {
  std::vector<std::string> list;
  for (std::uint64_t i = first; i < first + count; ++i) list.push_back(fmt::format("{} {}", tag, i));
  return list;
}

Checkpoint opened(const TransparencyLog& log) {
  NoteVerifier verifier = must(parse_verifier_key(log.verifier_key()));
  return must(parse_checkpoint(must(open_note(log.checkpoint(), verifier))));
}

class LogTest : public testing::Test {
 protected:
  std::unique_ptr<TransparencyLog> open_log() {
    return must(TransparencyLog::open(dir(), "example.org/log", log_key()));
  }
  fs::path dir() const { return scratch_.path() / "log"; }

  TemporaryDirectory scratch_ = std::move(TemporaryDirectory::create("cairn-log-test-")).value();
};

TEST_F(LogTest, ANewLogSignsTheEmptyTree) {
  auto log = open_log();

  Checkpoint checkpoint = opened(*log);

  EXPECT_EQ(log->size(), 0u);
  EXPECT_EQ(checkpoint.origin, "example.org/log");
  EXPECT_EQ(checkpoint.size, 0u);
  EXPECT_EQ(checkpoint.root, empty_tree_root());
  EXPECT_EQ(must(read_file(dir() / "checkpoint", 1 << 20)), log->checkpoint());
}

TEST_F(LogTest, BatchesAgreeWithAnInMemoryTreeOnEveryRootTileBundleAndProof) {
  auto log = open_log();
  MemoryTree memory;
  std::vector<std::string> all;
  std::vector<std::pair<std::uint64_t, Hash>> checkpoints;
  for (std::uint64_t batch : {1, 3, 300, 1, 600, 55, 256}) {
    std::vector<std::string> more = entries(all.size(), batch);
    AppendResult result = must(log->append(more));
    EXPECT_EQ(result.first_index, all.size());
    for (const auto& entry : more) memory.append(leaf_hash(entry));
    all.insert(all.end(), more.begin(), more.end());
    Checkpoint checkpoint = opened(*log);
    ASSERT_EQ(checkpoint.size, all.size());
    ASSERT_EQ(checkpoint.root, must(tree_root(memory, all.size())));
    checkpoints.emplace_back(checkpoint.size, checkpoint.root);
  }
  std::uint64_t size = all.size();  // 1216

  for (const Tile& tile : tiles_of(size)) {
    EXPECT_EQ(must(read_file(dir() / tile_path(tile), 1 << 20)), must(tile_data(memory, tile))) << tile_path(tile);
  }
  for (std::uint64_t n = 0; n * tile_width < size; ++n) {
    Tile bundle{0, n, static_cast<unsigned>(std::min<std::uint64_t>(tile_width, size - n * tile_width)), true};
    std::vector<std::string> expected(all.begin() + static_cast<std::ptrdiff_t>(n * tile_width),
                                      all.begin() + static_cast<std::ptrdiff_t>(n * tile_width + bundle.width));
    EXPECT_EQ(must(parse_entry_bundle(must(read_file(dir() / tile_path(bundle), 1 << 24)))), expected);
  }
  for (std::uint64_t index : {0u, 1u, 255u, 256u, 700u, 1215u}) {
    EXPECT_EQ(must(log->inclusion_proof(index, size)), must(inclusion_proof(memory, index, size)));
    EXPECT_EQ(must(log->find(leaf_hash(all[index]))), index);
  }
  EXPECT_FALSE(must(log->find(leaf_hash("never appended"))).has_value());
  for (std::size_t i = 1; i < checkpoints.size(); ++i) {
    auto [old_size, old_root] = checkpoints[i - 1];
    auto [new_size, new_root] = checkpoints[i];
    std::vector<Hash> proof = must(log->consistency_proof(old_size, new_size));
    EXPECT_TRUE(verify_consistency(old_size, new_size, old_root, new_root, proof).ok())
        << old_size << " -> " << new_size;
  }
  // A partial tile is served at any width up to what the tree has, cut from the wider one.
  EXPECT_EQ(must(log->read_tile({0, 4, 10, false})), must(tile_data(memory, {0, 4, 10, false})));
  EXPECT_EQ(must(log->read_tile({0, 0, 10, false})), must(tile_data(memory, {0, 0, 10, false})));
  EXPECT_FALSE(log->read_tile({0, 4, 193, false}).ok());  // beyond the tree
  EXPECT_EQ(must(parse_entry_bundle(must(log->read_tile({0, 4, 3, true})))), entries(1024, 3));
}

TEST_F(LogTest, ReopensWhereItWasAndGoesOn) {
  {
    auto log = open_log();
    must(log->append(entries(0, 700)));
  }
  auto log = open_log();
  EXPECT_EQ(log->size(), 700u);
  must(log->append(entries(700, 10)));

  MemoryTree memory;
  for (const auto& entry : entries(0, 710)) memory.append(leaf_hash(entry));
  EXPECT_EQ(opened(*log).root, must(tree_root(memory, 710)));
}

TEST_F(LogTest, ACrashBeforeTheCheckpointLosesThatBatchAndNothingElse) {
  std::string before;
  Hash root_before{};
  {
    auto log = open_log();
    must(log->append(entries(0, 300)));
    before = log->checkpoint();
    root_before = opened(*log).root;
    must(log->append(entries(300, 500, "lost")));  // tiles and index written...
  }
  ASSERT_TRUE(write_file_atomically(dir() / "checkpoint", before).ok());  // ...but not its checkpoint

  auto log = open_log();
  EXPECT_EQ(log->size(), 300u);
  EXPECT_FALSE(must(log->find(leaf_hash("lost 300"))).has_value());
  must(log->append(entries(300, 500, "kept")));

  MemoryTree memory;
  for (const auto& entry : entries(0, 300)) memory.append(leaf_hash(entry));
  for (const auto& entry : entries(300, 500, "kept")) memory.append(leaf_hash(entry));
  Checkpoint after = opened(*log);
  EXPECT_EQ(after.root, must(tree_root(memory, 800)));
  EXPECT_TRUE(verify_consistency(300, 800, root_before, after.root, must(log->consistency_proof(300, 800))).ok());
  EXPECT_EQ(must(log->find(leaf_hash("kept 300"))), 300u);
}

TEST_F(LogTest, LooksUpEntriesByKeyAndReadsThemBack) {
  std::vector<std::string> batch = entries(0, 300);
  std::vector<std::string> keys(300);
  keys[5] = keys[260] = "sha256:aaaa";
  keys[299] = "sha256:bbbb";
  {
    auto log = open_log();
    must(log->append(batch, keys));
    std::vector<std::string> lost = entries(300, 2, "lost");
    std::vector<std::string> lost_keys = {"sha256:aaaa", ""};
    std::string before = log->checkpoint();
    must(log->append(lost, lost_keys));
    ASSERT_TRUE(write_file_atomically(dir() / "checkpoint", before).ok());  // a crash before its checkpoint
  }
  auto log = open_log();
  EXPECT_EQ(must(log->lookup("sha256:aaaa")), (std::vector<std::uint64_t>{5, 260}));
  EXPECT_EQ(must(log->lookup("sha256:bbbb")), (std::vector<std::uint64_t>{299}));
  EXPECT_TRUE(must(log->lookup("sha256:cccc")).empty());
  EXPECT_EQ(must(log->entry(5)), batch[5]);
  EXPECT_EQ(must(log->entry(260)), batch[260]);  // from the partial bundle
  EXPECT_EQ(must(log->entry(299)), batch[299]);
  EXPECT_EQ(log->entry(300).error().code(), ErrorCode::not_found);
  EXPECT_EQ(log->append(batch, std::vector<std::string>(2)).error().code(), ErrorCode::invalid_argument);
}

TEST_F(LogTest, RefusesAnotherKeyAnotherOriginATamperedTileAndAnOversizedEntry) {
  {
    auto log = open_log();
    must(log->append(entries(0, 20)));
    EXPECT_EQ(log->append(std::vector<std::string>{std::string(65536, 'x')}).error().code(), ErrorCode::limit_exceeded);
    EXPECT_EQ(log->size(), 20u);
  }
  EXPECT_EQ(TransparencyLog::open(dir(), "example.org/log", log_key('z')).error().code(), ErrorCode::refused);
  EXPECT_EQ(TransparencyLog::open(dir(), "example.org/other", log_key()).error().code(), ErrorCode::refused);

  std::string tile = must(read_file(dir() / "tile/0/000.p/20", 1 << 20));
  tile[5] ^= 1;
  ASSERT_TRUE(write_file_atomically(dir() / "tile/0/000.p/20", tile).ok());
  auto tampered = TransparencyLog::open(dir(), "example.org/log", log_key());
  ASSERT_FALSE(tampered.ok());
  EXPECT_NE(tampered.error().message().find("the checkpoint signed"), std::string::npos) << tampered.error().message();
}

}  // namespace
}  // namespace cairn::registry
