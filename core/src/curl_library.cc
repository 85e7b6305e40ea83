// libcurl opened on first use (see curl_library.h).
#include "curl_library.h"

#include <dlfcn.h>

#include <mutex>
#include <optional>

namespace cairn {

namespace {

// The soname of libcurl's ABI 4, which every libcurl 7.x and 8.x keeps.
constexpr const char* soname = "libcurl.so.4";

template <typename Function>
Result<void> look_up(void* handle, const char* name, Function& function) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) return make_error(ErrorCode::unsupported, "{} has no {}: it is too old", soname, name);
  function = reinterpret_cast<Function>(symbol);
  return {};
}

Result<const CurlLibrary*> load() {
  // Never closed: curl keeps global state (OpenSSL, name resolution) for the process's life.
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return make_error(ErrorCode::not_found, "cannot load {} for downloads ({}); install Debian's libcurl4", soname,
                      why != nullptr ? why : "unknown reason");
  }
  static CurlLibrary library;
  CAIRN_TRY(look_up(handle, "curl_global_init", library.global_init));
  CAIRN_TRY(look_up(handle, "curl_easy_init", library.easy_init));
  CAIRN_TRY(look_up(handle, "curl_easy_setopt", library.easy_setopt));
  CAIRN_TRY(look_up(handle, "curl_easy_perform", library.easy_perform));
  CAIRN_TRY(look_up(handle, "curl_easy_getinfo", library.easy_getinfo));
  CAIRN_TRY(look_up(handle, "curl_easy_cleanup", library.easy_cleanup));
  CAIRN_TRY(look_up(handle, "curl_easy_strerror", library.easy_strerror));
  CAIRN_TRY(look_up(handle, "curl_slist_append", library.slist_append));
  CAIRN_TRY(look_up(handle, "curl_slist_free_all", library.slist_free_all));
  if (CURLcode code = library.global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    return make_error(ErrorCode::internal, "curl_global_init failed: {}", library.easy_strerror(code));
  }
  return &library;
}

}  // namespace

Result<const CurlLibrary*> curl_library() {
  static std::once_flag once;
  static std::optional<Result<const CurlLibrary*>> outcome;
  std::call_once(once, [] { outcome.emplace(load()); });
  return *outcome;
}

}  // namespace cairn
