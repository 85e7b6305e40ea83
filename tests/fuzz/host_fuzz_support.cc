// Shared pieces of the host fuzz targets (see host_fuzz_support.h).
#include "host_fuzz_support.h"

#include "cairn/core/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace cairn::fuzz {

namespace {

bool last_accepted = false;

}  // namespace

void broken(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "fuzz invariant broken: %.*s%s%.*s\n", static_cast<int>(what.size()), what.data(),
               detail.empty() ? "" : ": ", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

int record_outcome(bool accepted) {
  last_accepted = accepted;
  return 0;
}

bool last_input_accepted() {
  return last_accepted;
}

const std::filesystem::path& scratch_directory() {
  // Destroyed at exit, which removes the folder: libFuzzer ends a run with exit().
  static const TemporaryDirectory directory = [] {
    Result<TemporaryDirectory> made = TemporaryDirectory::create("cairn-fuzz-");
    if (!made) broken("cannot make the scratch folder", made.error().message());
    return std::move(made).value();
  }();
  return directory.path();
}

std::filesystem::path scratch_subdirectory(std::string_view name) {
  std::filesystem::path path = scratch_directory() / name;
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) broken("cannot make a scratch folder", path.string() + ": " + error.message());
  return path;
}

void write_scratch_file(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) {
  UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!file.valid()) broken("cannot write a scratch file", path.string());
  Result<void> written = write_all(file.get(), as_text(data, size));
  if (!written) broken("cannot write a scratch file", written.error().message());
}

}  // namespace cairn::fuzz
