// Reading manifest files from folders and URLs with size and time limits (libcurl).
#include "cairn/manifest/repository.h"

#include "cairn/core/file.h"
#include "cairn/core/tree.h"

#include <memory>

namespace cairn::manifest {

namespace fs = std::filesystem;

namespace {

bool has_scheme(std::string_view text) {
  return text.find("://") != std::string_view::npos;
}

}  // namespace

Result<Repository> Repository::open(std::string_view location, TransferLimits limits) {
  Repository repository;
  repository.location_ = std::string(location);
  repository.limits_ = limits;
  std::string_view path = location;
  if (path.substr(0, 7) == "file://") {
    path.remove_prefix(7);
  } else if (has_scheme(path)) {
    if (path.substr(0, 7) != "http://" && path.substr(0, 8) != "https://") {
      return make_error(ErrorCode::invalid_argument, "{}: a manifest repository is a folder or an http(s):// URL",
                        location);
    }
    repository.base_url_ = std::string(location);
    if (repository.base_url_.back() != '/') repository.base_url_.push_back('/');
    return repository;
  }
  repository.directory_ = fs::path(path);
  std::error_code error;
  if (!fs::is_directory(repository.directory_, error)) {
    return make_error(ErrorCode::not_found, "{}: no such manifest repository folder", location);
  }
  return repository;
}

Result<std::string> Repository::fetch(std::string_view relative, std::uint64_t max_size) const {
  if (auto problem = check_relative_path(relative); problem) {
    return make_error(ErrorCode::refused, "{}: {}", relative, *problem);
  }
  if (is_remote()) return fetch_url(base_url_ + std::string(relative), max_size, limits_);
  fs::path path = directory_ / std::string(relative);
  std::error_code error;
  if (!fs::exists(path, error)) return make_error(ErrorCode::not_found, "{}: not found", path.string());
  auto size = fs::file_size(path, error);
  if (!error && size > max_size) {
    return make_error(ErrorCode::limit_exceeded, "{}: {} bytes, larger than its limit of {} bytes", path.string(), size,
                      max_size);
  }
  return read_file(path, max_size);
}

Result<void> Repository::download(std::string_view reference, const fs::path& destination,
                                  std::uint64_t max_size) const {
  if (has_scheme(reference)) return download_url(reference, destination, max_size, limits_);
  if (auto problem = check_relative_path(reference); problem) {
    return make_error(ErrorCode::refused, "archive url '{}': {}", reference, *problem);
  }
  if (is_remote()) return download_url(base_url_ + std::string(reference), destination, max_size, limits_);
  std::string content = CAIRN_TRY(fetch(reference, max_size));
  return write_file_atomically(destination, content);
}

}  // namespace cairn::manifest
