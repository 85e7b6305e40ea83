// XDG folders (see xdg.h).
#include "cairn/core/xdg.h"

#include <cstdlib>

namespace cairn {

namespace fs = std::filesystem;

namespace {

Result<fs::path> xdg_directory(const char* variable, const char* fallback) {
  if (const char* value = std::getenv(variable); value != nullptr && value[0] == '/') return fs::path(value) / "cairn";
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/') {
    return fs::path(home) / fallback / "cairn";
  }
  return make_error(ErrorCode::not_found, "neither ${} nor $HOME is set to an absolute path", variable);
}

}  // namespace

Result<fs::path> state_directory() {
  return xdg_directory("XDG_STATE_HOME", ".local/state");
}
Result<fs::path> cache_directory() {
  return xdg_directory("XDG_CACHE_HOME", ".cache");
}

}  // namespace cairn
