// Filling and checking the content-addressed store (see store.h).
#include "cairn/manifest/store.h"

#include "cairn/core/file.h"
#include "cairn/core/tree.h"
#include "cairn/core/xdg.h"
#include "cairn/reproducibility/archive.h"

namespace cairn::manifest {

namespace fs = std::filesystem;

Result<fs::path> store_directory() {
  return CAIRN_TRY(cache_directory()) / "store";
}

Result<fs::path> fetch_library(const Repository& repository, const LibraryEntry& entry, const fs::path& store) {
  auto fetched = [&]() -> Result<fs::path> {
    fs::path root = store;
    if (root.empty()) root = CAIRN_TRY(store_directory());
    fs::path final_path = root / entry.tree.hex();
    std::error_code error;
    if (fs::is_directory(final_path, error)) {
      Digest digest = CAIRN_TRY(hash_tree(final_path));
      if (digest == entry.tree) return final_path;
      return make_error(ErrorCode::refused, "{}: store copy has tree {}, not {}; remove it", final_path.string(),
                        digest.to_string(), entry.tree.to_string());
    }
    if (!entry.archive) return make_error(ErrorCode::not_found, "no archive in the entry and no copy in the store");
    fs::create_directories(root, error);
    if (error) return make_error(ErrorCode::io, "create {}: {}", root.string(), error.message());
    TemporaryDirectory work = CAIRN_TRY(TemporaryDirectory::create(".fill-", root));
    fs::path archive = work.path() / "archive.tar.gz";
    CAIRN_TRY(repository.download(entry.archive->url, archive, entry.archive->size));
    auto size = fs::file_size(archive, error);
    if (error || size != entry.archive->size) {
      return make_error(ErrorCode::refused, "archive is {} bytes, the entry signed {}", size, entry.archive->size);
    }
    Digest digest = CAIRN_TRY(digest_file(archive));
    if (digest != entry.archive->digest) {
      return make_error(ErrorCode::refused, "archive digest {} differs from the signed {}", digest.to_string(),
                        entry.archive->digest.to_string());
    }
    reproducibility::ExtractLimits limits;
    auto report = CAIRN_TRY(reproducibility::extract_archive(archive, work.path() / "tree", limits));
    if (report.tree != entry.tree) {
      return make_error(ErrorCode::refused, "archive unpacks to tree {}, the entry signed {}", report.tree.to_string(),
                        entry.tree.to_string());
    }
    fs::rename(work.path() / "tree", final_path, error);
    if (error && !fs::is_directory(final_path)) {
      return make_error(ErrorCode::io, "rename into {}: {}", final_path.string(), error.message());
    }
    CAIRN_TRY(sync_directory(root));
    return final_path;
  }();
  return std::move(fetched).with_context(fmt::format("library '{}' {}", entry.name, entry.library_version));
}

}  // namespace cairn::manifest
