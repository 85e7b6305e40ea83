// Verifying a lock's library trees from a checkout or the store (see sources.h).
#include "cairn/manifest/sources.h"

#include "cairn/manifest/library_description.h"
#include "cairn/manifest/store.h"

namespace cairn::manifest {

namespace fs = std::filesystem;

Result<std::map<std::string, fs::path>> verify_sources(const Repository& repository, const VerifiedRepository& verified,
                                                       const LockFile& lock, const fs::path& checkout) {
  std::map<std::string, fs::path> in_checkout;
  if (!checkout.empty()) {
    for (const auto& directory : CAIRN_TRY(find_library_directories(checkout))) {
      LibraryDescription description = CAIRN_TRY(read_library_description(directory));
      in_checkout[description.name] = directory;
    }
  }
  std::map<std::string, fs::path> trees;
  for (const auto& [name, locked] : lock.libraries) {
    const VerifiedLibrary* library = verified.find(name, locked.version);
    if (library == nullptr) {
      return make_error(ErrorCode::refused, "{} {} is locked but not in the verified manifest", name, locked.version);
    }
    if (auto it = in_checkout.find(name); it != in_checkout.end()) {
      CAIRN_TRY(verify_library_tree(it->second, library->entry));
      trees.emplace(name, it->second);
    } else if (library->entry.archive) {
      fs::path stored = CAIRN_TRY(fetch_library(repository, library->entry));
      trees.emplace(name, std::move(stored));
    }
  }
  return trees;
}

}  // namespace cairn::manifest
