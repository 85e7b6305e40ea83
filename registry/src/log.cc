// The transparency log on disk (see log.h).
#include "cairn/registry/log.h"

#include "cairn/core/file.h"
#include "cairn/core/unique_handle.h"

#include "sqlite.h"

#include <algorithm>
#include <cstring>

namespace cairn::registry {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_tile_size = tile_width * sizeof(Hash);
constexpr std::size_t max_bundle_size = tile_width * (2 + max_entry_size);

std::string bytes_of(const Hash& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

std::vector<Hash> hashes_of(std::string_view data) {
  std::vector<Hash> hashes(data.size() / sizeof(Hash));
  for (std::size_t i = 0; i < hashes.size(); ++i)
    std::memcpy(hashes[i].data(), data.data() + i * sizeof(Hash), sizeof(Hash));
  return hashes;
}

// The root of a complete subtree over `hashes` (a power of two of them).
Hash subtree_root(std::vector<Hash> hashes) {
  while (hashes.size() > 1) {
    for (std::size_t i = 0; i < hashes.size() / 2; ++i) hashes[i] = node_hash(hashes[2 * i], hashes[2 * i + 1]);
    hashes.resize(hashes.size() / 2);
  }
  return hashes.front();
}

}  // namespace

TransparencyLog::TransparencyLog(fs::path directory, std::string origin, signing::Ed25519PrivateKey key)
    : directory_(std::move(directory)), origin_(std::move(origin)), key_(std::move(key)) {}

TransparencyLog::~TransparencyLog() = default;

Result<std::unique_ptr<TransparencyLog>> TransparencyLog::open(const fs::path& directory, std::string origin,
                                                               signing::Ed25519PrivateKey key) {
  std::unique_ptr<TransparencyLog> log(new TransparencyLog(directory, std::move(origin), std::move(key)));
  CAIRN_TRY(log->load().with_context(fmt::format("the log in {}", directory.string())));
  return log;
}

std::string TransparencyLog::verifier_key() const {
  return registry::verifier_key(origin_, key_.public_key());
}

Result<void> TransparencyLog::load() {
  std::error_code error;
  fs::create_directories(directory_ / "tile", error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", (directory_ / "tile").string(), error.message());
  if (!index_) {
    sql::Database db = CAIRN_TRY(sql::Database::open(directory_ / "index.sqlite", "the log index"));
    CAIRN_TRY(db.execute("CREATE TABLE IF NOT EXISTS leaves (hash BLOB PRIMARY KEY, leaf_index INTEGER NOT NULL)"));
    CAIRN_TRY(db.execute("CREATE TABLE IF NOT EXISTS lookup (key TEXT NOT NULL, leaf_index INTEGER NOT NULL,"
                         " PRIMARY KEY (key, leaf_index)) WITHOUT ROWID"));
    index_ = std::make_unique<sql::Database>(std::move(db));
  }

  NoteVerifier verifier = CAIRN_TRY(parse_verifier_key(verifier_key()));
  fs::path checkpoint_file = directory_ / "checkpoint";
  size_ = 0;
  {
    std::lock_guard lock(cache_mutex_);
    cache_.clear();  // tiles past a checkpoint may be rewritten
  }
  partial_.clear();
  partial_entries_.clear();
  if (fs::exists(checkpoint_file, error)) {
    checkpoint_ = CAIRN_TRY(read_file(checkpoint_file, max_note_size));
    std::string text = CAIRN_TRY(open_note(checkpoint_, verifier).with_context(checkpoint_file.string()));
    Checkpoint checkpoint = CAIRN_TRY(parse_checkpoint(text).with_context(checkpoint_file.string()));
    if (checkpoint.origin != origin_) {
      return make_error(ErrorCode::refused, "{} is a checkpoint of '{}', not of '{}'", checkpoint_file.string(),
                        checkpoint.origin, origin_);
    }
    size_ = checkpoint.size;
  }
  // The rightmost, partial tile of every level, and the partial entry bundle.
  for (unsigned level = 0; level * tile_height < 64 && (size_ >> (level * tile_height)) > 0; ++level) {
    std::uint64_t count = size_ >> (level * tile_height);
    partial_.emplace_back();
    if (count % tile_width != 0) {
      Tile tile{level, count / tile_width, static_cast<unsigned>(count % tile_width), false};
      std::string data = CAIRN_TRY(read_file(directory_ / tile_path(tile), max_tile_size));
      if (data.size() != tile.width * sizeof(Hash)) {
        return make_error(ErrorCode::malformed, "{}: {} bytes, not {}", tile_path(tile), data.size(),
                          tile.width * sizeof(Hash));
      }
      partial_.back() = hashes_of(data);
    }
  }
  if (size_ % tile_width != 0) {
    Tile bundle{0, size_ / tile_width, static_cast<unsigned>(size_ % tile_width), true};
    std::string data = CAIRN_TRY(read_file(directory_ / tile_path(bundle), max_bundle_size));
    partial_entries_ = CAIRN_TRY(parse_entry_bundle(data).with_context(tile_path(bundle)));
    if (partial_entries_.size() != bundle.width) {
      return make_error(ErrorCode::malformed, "{}: {} entries, not {}", tile_path(bundle), partial_entries_.size(),
                        bundle.width);
    }
  }
  if (checkpoint_.empty()) {
    // A new log: the signed checkpoint of the empty tree.
    Checkpoint empty{origin_, 0, empty_tree_root(), {}};
    std::string text = CAIRN_TRY(format_checkpoint(empty));
    checkpoint_ = CAIRN_TRY(sign_note(text, origin_, key_));
    CAIRN_TRY(write_file_atomically(checkpoint_file, checkpoint_));
  } else {
    // What the tiles say must be what the checkpoint signed.
    std::string text = CAIRN_TRY(open_note(checkpoint_, verifier));
    Checkpoint checkpoint = CAIRN_TRY(parse_checkpoint(text));
    Hash root = CAIRN_TRY(tree_root(*this, size_));
    if (root != checkpoint.root) {
      return make_error(ErrorCode::refused, "the tiles give root {} for {} leaves; the checkpoint signed {}",
                        to_base64(root), size_, to_base64(checkpoint.root));
    }
  }
  // Rows of a batch whose checkpoint was never written (a crash) are not part of the log.
  sql::Statement forget = CAIRN_TRY(index_->prepare("DELETE FROM leaves WHERE leaf_index >= ?"));
  sql::bind(forget, 1, static_cast<std::int64_t>(size_));
  CAIRN_TRY(index_->run(forget, "drop uncommitted rows"));
  sql::Statement forget_keys = CAIRN_TRY(index_->prepare("DELETE FROM lookup WHERE leaf_index >= ?"));
  sql::bind(forget_keys, 1, static_cast<std::int64_t>(size_));
  return index_->run(forget_keys, "drop uncommitted lookup rows");
}

Result<void> TransparencyLog::write_tile(const Tile& tile, std::string_view data,
                                         std::vector<fs::path>& written) const {
  fs::path path = directory_ / tile_path(tile);
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", path.parent_path().string(), error.message());
  CAIRN_TRY(write_file_atomically(path, data));
  written.push_back(path);
  return {};
}

Result<AppendResult> TransparencyLog::append(std::span<const std::string> entries,
                                             std::span<const std::string> keys) {
  if (!keys.empty() && keys.size() != entries.size()) {
    return make_error(ErrorCode::invalid_argument, "{} lookup keys for {} entries", keys.size(), entries.size());
  }
  for (const auto& entry : entries) {
    if (entry.size() > max_entry_size) {
      return make_error(ErrorCode::limit_exceeded, "a log entry of {} bytes (at most {})", entry.size(),
                        max_entry_size);
    }
  }
  AppendResult result;
  result.first_index = size_;
  if (entries.empty()) {
    result.size = size_;
    result.checkpoint = checkpoint_;
    return result;
  }
  auto appended = [&]() -> Result<void> {
    std::vector<fs::path> written;
    std::vector<std::uint64_t> counts;  // hashes at each tile level so far
    for (unsigned level = 0; level < partial_.size(); ++level) counts.push_back(size_ >> (level * tile_height));
    // Adds a hash at tile level `level`; a tile that fills up is written and its root goes up.
    auto push = [&](auto& self, unsigned level, const Hash& hash) -> Result<void> {
      if (partial_.size() <= level) {
        partial_.emplace_back();
        counts.push_back(0);
      }
      partial_[level].push_back(hash);
      ++counts[level];
      if (partial_[level].size() < tile_width) return {};
      std::string data;
      for (const Hash& h : partial_[level]) data += bytes_of(h);
      CAIRN_TRY(write_tile({level, counts[level] / tile_width - 1, tile_width, false}, data, written));
      Hash root = subtree_root(partial_[level]);
      partial_[level].clear();
      return self(self, level + 1, root);
    };
    std::uint64_t entry_count = size_;
    for (const auto& entry : entries) {
      partial_entries_.push_back(entry);
      ++entry_count;
      if (partial_entries_.size() == tile_width) {
        std::string bundle = CAIRN_TRY(entry_bundle(partial_entries_));
        CAIRN_TRY(write_tile({0, entry_count / tile_width - 1, tile_width, true}, bundle, written));
        partial_entries_.clear();
      }
      CAIRN_TRY(push(push, 0, leaf_hash(entry)));
    }
    for (unsigned level = 0; level < partial_.size(); ++level) {
      if (partial_[level].empty()) continue;
      std::string data;
      for (const Hash& h : partial_[level]) data += bytes_of(h);
      Tile tile{level, counts[level] / tile_width, static_cast<unsigned>(partial_[level].size()), false};
      CAIRN_TRY(write_tile(tile, data, written));
    }
    if (!partial_entries_.empty()) {
      std::string bundle = CAIRN_TRY(entry_bundle(partial_entries_));
      Tile tile{0, entry_count / tile_width, static_cast<unsigned>(partial_entries_.size()), true};
      CAIRN_TRY(write_tile(tile, bundle, written));
    }

    // The index, then the checkpoint: only that makes the batch part of the log.
    sql::Transaction transaction = CAIRN_TRY(sql::Transaction::begin(*index_));
    sql::Statement insert = CAIRN_TRY(index_->prepare("INSERT OR IGNORE INTO leaves (hash, leaf_index) VALUES (?, ?)"));
    for (std::size_t i = 0; i < entries.size(); ++i) {
      sql::bind_blob(insert, 1, bytes_of(leaf_hash(entries[i])));
      sql::bind(insert, 2, static_cast<std::int64_t>(result.first_index + i));
      CAIRN_TRY(index_->run(insert, "insert a leaf"));
      sqlite3_reset(insert.get());
    }
    sql::Statement insert_key =
        CAIRN_TRY(index_->prepare("INSERT OR IGNORE INTO lookup (key, leaf_index) VALUES (?, ?)"));
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].empty()) continue;
      sql::bind(insert_key, 1, keys[i]);
      sql::bind(insert_key, 2, static_cast<std::int64_t>(result.first_index + i));
      CAIRN_TRY(index_->run(insert_key, "insert a lookup key"));
      sqlite3_reset(insert_key.get());
    }
    CAIRN_TRY(transaction.commit());

    size_ = entry_count;
    Hash root = CAIRN_TRY(tree_root(*this, size_));
    std::string text = CAIRN_TRY(format_checkpoint({origin_, size_, root, {}}));
    std::string note = CAIRN_TRY(sign_note(text, origin_, key_));
    CAIRN_TRY(write_file_atomically(directory_ / "checkpoint", note));
    checkpoint_ = std::move(note);
    return {};
  }();
  if (!appended.ok()) {
    // Back to what the last checkpoint says (what is on disk past it is rewritten next time).
    (void)load();
    return std::move(appended).error();
  }
  result.size = size_;
  result.checkpoint = checkpoint_;
  return result;
}

Result<std::optional<std::uint64_t>> TransparencyLog::find(const Hash& leaf) const {
  sql::Statement query = CAIRN_TRY(index_->prepare("SELECT leaf_index FROM leaves WHERE hash = ?"));
  sql::bind_blob(query, 1, bytes_of(leaf));
  bool found = CAIRN_TRY(index_->step(query, "find a leaf"));
  if (!found) return std::optional<std::uint64_t>();
  auto index = static_cast<std::uint64_t>(sqlite3_column_int64(query.get(), 0));
  if (index >= size_) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(index);
}

Result<std::vector<std::uint64_t>> TransparencyLog::lookup(std::string_view key) const {
  sql::Statement query =
      CAIRN_TRY(index_->prepare("SELECT leaf_index FROM lookup WHERE key = ? AND leaf_index < ? ORDER BY leaf_index"));
  sql::bind(query, 1, key);
  sql::bind(query, 2, static_cast<std::int64_t>(size_));
  std::vector<std::uint64_t> indexes;
  while (CAIRN_TRY(index_->step(query, "look up a key"))) {
    indexes.push_back(static_cast<std::uint64_t>(sqlite3_column_int64(query.get(), 0)));
  }
  return indexes;
}

Result<std::string> TransparencyLog::entry(std::uint64_t index) const {
  if (index >= size_) return make_error(ErrorCode::not_found, "the log has {} entries, not {}", size_, index + 1);
  std::uint64_t bundle = index / tile_width;
  auto width = static_cast<unsigned>(std::min<std::uint64_t>(tile_width, size_ - bundle * tile_width));
  std::string data = CAIRN_TRY(read_tile(Tile{0, bundle, width, true}));
  std::vector<std::string> entries = CAIRN_TRY(parse_entry_bundle(data));
  if (entries.size() != width) return make_error(ErrorCode::malformed, "entry bundle {} holds {} entries", bundle, entries.size());
  return entries[index % tile_width];
}

Result<std::vector<Hash>> TransparencyLog::inclusion_proof(std::uint64_t index, std::uint64_t tree_size) const {
  if (tree_size > size_) {
    return make_error(ErrorCode::not_found, "the log has {} leaves, not {}", size_, tree_size);
  }
  return registry::inclusion_proof(*this, index, tree_size);
}

Result<std::vector<Hash>> TransparencyLog::consistency_proof(std::uint64_t old_size, std::uint64_t new_size) const {
  if (new_size > size_) {
    return make_error(ErrorCode::not_found, "the log has {} leaves, not {}", size_, new_size);
  }
  return registry::consistency_proof(*this, old_size, new_size);
}

Result<Hash> TransparencyLog::node(unsigned level, std::uint64_t index) const {
  unsigned tile_level = level / tile_height, height = level % tile_height;
  std::uint64_t available = tile_level * tile_height < 64 ? size_ >> (tile_level * tile_height) : 0;
  std::uint64_t first = index << height, count = std::uint64_t{1} << height;
  if ((first >> height) != index || first + count > available) {
    return make_error(ErrorCode::not_found, "no complete node at level {} index {} in a tree of {} leaves", level,
                      index, size_);
  }
  std::uint64_t tile_index = first / tile_width, offset = first % tile_width;
  if ((tile_index + 1) * tile_width > available) {
    // In the rightmost, partial tile, kept in memory.
    const std::vector<Hash>& partial = partial_.at(tile_level);
    if (offset + count > partial.size()) {
      return make_error(ErrorCode::internal, "tile level {} holds {} partial hashes", tile_level, partial.size());
    }
    return subtree_root(std::vector<Hash>(partial.begin() + static_cast<std::ptrdiff_t>(offset),
                                          partial.begin() + static_cast<std::ptrdiff_t>(offset + count)));
  }
  // A full tile: from the cache, with every subtree inside it computed once.
  std::unique_lock lock(cache_mutex_);
  auto cached = cache_.find({tile_level, tile_index});
  if (cached == cache_.end()) {
    lock.unlock();
    Tile tile{tile_level, tile_index, tile_width, false};
    std::string data = CAIRN_TRY(read_file(directory_ / tile_path(tile), max_tile_size));
    if (data.size() != max_tile_size) {
      return make_error(ErrorCode::malformed, "{}: {} bytes, not {}", tile_path(tile), data.size(), max_tile_size);
    }
    CachedTile loaded;
    loaded.levels.push_back(hashes_of(data));
    while (loaded.levels.back().size() > 1) {
      const std::vector<Hash>& below = loaded.levels.back();
      std::vector<Hash> above(below.size() / 2);
      for (std::size_t i = 0; i < above.size(); ++i) above[i] = node_hash(below[2 * i], below[2 * i + 1]);
      loaded.levels.push_back(std::move(above));
    }
    lock.lock();
    if (cache_.size() >= max_cached_tiles) {
      auto oldest = std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
        return a.second.last_used < b.second.last_used;
      });
      cache_.erase(oldest);
    }
    cached = cache_.insert_or_assign({tile_level, tile_index}, std::move(loaded)).first;
  }
  cached->second.last_used = ++cache_clock_;
  return cached->second.levels[height][offset >> height];
}

Result<std::string> TransparencyLog::read_tile(const Tile& tile) const {
  // A tile is served at the width asked, cut from the current tile when that is wider: the
  // first W hashes (or entries) of a tile never change.
  std::uint64_t available;
  if (tile.entries) {
    available = size_;
  } else {
    available = tile.level * tile_height < 64 ? size_ >> (tile.level * tile_height) : 0;
  }
  if (tile.index * tile_width + tile.width > available) {
    return make_error(ErrorCode::not_found, "{} is not part of a tree of {} leaves", tile_path(tile), size_);
  }
  std::uint64_t have = std::min<std::uint64_t>(tile_width, available - tile.index * tile_width);
  Tile stored{tile.level, tile.index, static_cast<unsigned>(have), tile.entries};
  std::string data =
      CAIRN_TRY(read_file(directory_ / tile_path(stored), tile.entries ? max_bundle_size : max_tile_size));
  if (!tile.entries) return data.substr(0, std::size_t{tile.width} * sizeof(Hash));
  std::vector<std::string> bundle = CAIRN_TRY(parse_entry_bundle(data).with_context(tile_path(stored)));
  bundle.resize(std::min<std::size_t>(bundle.size(), tile.width));
  return entry_bundle(bundle);
}

}  // namespace cairn::registry
