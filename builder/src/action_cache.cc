// The on-disk action cache (see action_cache.h).
#include "cairn/builder/action_cache.h"

#include "cairn/core/file.h"
#include "cairn/core/xdg.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::builder {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_blob_size = std::size_t{1} << 30;
constexpr std::size_t max_record_size = 16 << 20;

// Writes `data` to a temporary file beside `path` and renames it over `path`. Not fsynced: a
// cache entry lost in a crash is rebuilt, and one torn by it fails its check when read.
Result<void> replace_file(const fs::path& path, std::string_view data, mode_t mode) {
  static std::atomic<unsigned> counter{0};
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", path.parent_path().string(), error.message());
  fs::path temporary = path;
  temporary += fmt::format(".tmp-{}-{}", ::getpid(), counter++);
  {
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd.valid()) return system_error(fmt::format("create {}", temporary.string()), errno);
    if (::fchmod(fd.get(), mode) != 0) return system_error(fmt::format("chmod {}", temporary.string()), errno);
    auto written = write_all(fd.get(), data);
    if (!written.ok()) {
      fs::remove(temporary, error);
      return std::move(written).error().with_context(temporary.string());
    }
  }
  fs::rename(temporary, path, error);
  if (error) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    return make_error(ErrorCode::io, "rename into {}: {}", path.string(), error.message());
  }
  return {};
}

fs::path sharded(const fs::path& folder, const Digest& digest) {
  std::string hex = digest.hex();
  return folder / hex.substr(0, 2) / hex;
}

}  // namespace

Result<ActionCache> ActionCache::open(const fs::path& root) {
  fs::path chosen = root;
  if (chosen.empty()) chosen = CAIRN_TRY(cache_directory()) / "actions";
  std::error_code error;
  for (const char* folder : {"ac", "cas"}) {
    fs::create_directories(chosen / folder, error);
    if (error)
      return make_error(ErrorCode::io, "create the action cache {}: {}", (chosen / folder).string(), error.message());
  }
  return ActionCache(chosen);
}

fs::path ActionCache::blob_path(const Digest& digest) const {
  return sharded(root_ / "cas", digest);
}
fs::path ActionCache::record_path(const Digest& key) const {
  return sharded(root_ / "ac", key);
}

void ActionCache::drop(const fs::path& path) const {
  std::error_code ignored;
  fs::remove(path, ignored);
  ++*corrupted_;
}

Result<Digest> ActionCache::put_blob(const fs::path& file) const {
  std::string content = CAIRN_TRY(read_file(file, max_blob_size));
  Digest digest = Digest::sha256_of(content);
  fs::path path = blob_path(digest);
  std::error_code error;
  if (!fs::exists(path, error)) CAIRN_TRY(replace_file(path, content, 0644));
  return digest;
}

Result<std::optional<fs::path>> ActionCache::checked_blob(const Digest& digest) const {
  fs::path path = blob_path(digest);
  std::error_code error;
  if (!fs::exists(path, error)) return std::optional<fs::path>();
  auto actual = digest_file(path);
  if (!actual.ok() || *actual != digest) {
    drop(path);
    return std::optional<fs::path>();
  }
  return std::optional<fs::path>(path);
}

Result<bool> ActionCache::copy_blob(const Digest& digest, const fs::path& destination, mode_t mode) const {
  fs::path path = blob_path(digest);
  std::error_code error;
  if (!fs::exists(path, error)) return false;
  auto content = read_file(path, max_blob_size);
  if (!content.ok() || Digest::sha256_of(*content) != digest) {
    drop(path);
    return false;
  }
  CAIRN_TRY(replace_file(destination, *content, mode));
  return true;
}

Result<std::optional<Json>> ActionCache::get_record(const Digest& key) const {
  fs::path path = record_path(key);
  std::error_code error;
  if (!fs::exists(path, error)) return std::optional<Json>();
  auto text = read_file(path, max_record_size);
  if (!text.ok()) {
    drop(path);
    return std::optional<Json>();
  }
  auto json = parse_json(*text);
  if (!json.ok() || !json->is_object()) {
    drop(path);
    return std::optional<Json>();
  }
  return std::optional<Json>(std::move(*json));
}

Result<void> ActionCache::put_record(const Digest& key, const Json& record) const {
  std::string text = CAIRN_TRY(canonical_json(record));
  return replace_file(record_path(key), text, 0644);
}

}  // namespace cairn::builder
