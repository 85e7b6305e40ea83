// The transparency log on disk: an append-only RFC 6962 tree published as C2SP tlog-tiles, with
// its signed checkpoint and an index of leaf hashes.
//
//   <dir>/checkpoint        the latest checkpoint, a signed note: the size it names is the log's
//   <dir>/tile/...          hash tiles and entry bundles (tiles.h), as any static server serves them
//   <dir>/index.sqlite      leaf hash -> index, for inclusion proofs by hash; lookup key -> index
//                           (SQLite, WAL)
//
// An append is one batch, however many entries it holds: the new and wider tiles and bundles are
// written and synced first, the index rows committed next, and the new checkpoint last, atomically.
// A crash before the checkpoint leaves the log at its previous size: opening it drops index rows
// beyond that size, and the next append rewrites the tiles past it (no checkpoint ever named them).
// Full tiles are never changed once a checkpoint covers them.
#pragma once

#include "cairn/core/result.h"
#include "cairn/registry/checkpoint.h"
#include "cairn/registry/merkle.h"
#include "cairn/registry/tiles.h"
#include "cairn/signing/ed25519.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cairn::registry {

namespace sql {
class Database;
}

struct AppendResult {
  std::uint64_t first_index = 0;  // of the batch's first entry
  std::uint64_t size = 0;         // of the tree after it
  std::string checkpoint;         // the new signed note
};

class TransparencyLog final : public NodeSource {
 public:
  // Opens the log in `directory` (creating an empty one), whose checkpoints are signed by `key`
  // as `origin`. A checkpoint there that `key` did not sign, or for another origin, is refused.
  static Result<std::unique_ptr<TransparencyLog>> open(const std::filesystem::path& directory, std::string origin,
                                                       signing::Ed25519PrivateKey key);
  ~TransparencyLog() override;
  TransparencyLog(const TransparencyLog&) = delete;
  TransparencyLog& operator=(const TransparencyLog&) = delete;

  std::uint64_t size() const { return size_; }
  const std::string& checkpoint() const { return checkpoint_; }
  const std::string& origin() const { return origin_; }
  std::string verifier_key() const;

  // Appends `entries` (each at most 65535 bytes) as one batch with one new checkpoint. `keys`,
  // empty or one per entry (an empty key for none), index the entries for lookup(), in the same
  // transaction as the leaf hashes.
  Result<AppendResult> append(std::span<const std::string> entries, std::span<const std::string> keys = {});

  // The indexes, in order, of the entries appended with `key` (the registry: a manifest digest).
  Result<std::vector<std::uint64_t>> lookup(std::string_view key) const;
  // The entry at `index`, read from its entry bundle.
  Result<std::string> entry(std::uint64_t index) const;

  // The index of the first leaf whose hash is `leaf`, if any.
  Result<std::optional<std::uint64_t>> find(const Hash& leaf) const;
  Result<std::vector<Hash>> inclusion_proof(std::uint64_t index, std::uint64_t tree_size) const;
  Result<std::vector<Hash>> consistency_proof(std::uint64_t old_size, std::uint64_t new_size) const;
  // The bytes of a tile or entry bundle of the current tree (a partial one only at the width
  // the current tree has).
  Result<std::string> read_tile(const Tile& tile) const;

  // NodeSource: complete subtree roots, read from the tiles.
  Result<Hash> node(unsigned level, std::uint64_t index) const override;

 private:
  TransparencyLog(std::filesystem::path directory, std::string origin, signing::Ed25519PrivateKey key);
  Result<void> load();
  Result<void> write_tile(const Tile& tile, std::string_view data, std::vector<std::filesystem::path>& written) const;

  std::filesystem::path directory_;
  std::string origin_;
  signing::Ed25519PrivateKey key_;
  std::uint64_t size_ = 0;
  std::string checkpoint_;
  std::vector<std::vector<Hash>> partial_;  // per tile level: the hashes of its rightmost, partial tile
  std::vector<std::string> partial_entries_;
  std::unique_ptr<sql::Database> index_;

  // Full hash tiles never change: the most recently used ones are kept (at most
  // max_cached_tiles, 16 KiB each with the subtrees inside them), so that proofs read the disk and
  // hash only for tiles not seen lately.
  struct CachedTile {
    std::vector<std::vector<Hash>> levels;  // the tile's 256 hashes, then 128 above them, ... 1
    std::uint64_t last_used = 0;
  };
  mutable std::mutex cache_mutex_;
  mutable std::map<std::pair<unsigned, std::uint64_t>, CachedTile> cache_;
  mutable std::uint64_t cache_clock_ = 0;

 public:
  static constexpr std::size_t max_cached_tiles = 512;
};

}  // namespace cairn::registry
