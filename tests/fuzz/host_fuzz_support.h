// What the host fuzz targets share: stopping the run when an invariant breaks, remembering whether
// an input was accepted, and a private scratch folder for the readers that take files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

namespace cairn::fuzz {

// Prints "fuzz invariant broken: <what>[: <detail>]" and aborts: libFuzzer keeps the input as a
// crash, and the corpus replay test dies with the message.
[[noreturn]] void broken(std::string_view what, std::string_view detail = {});
inline void require(bool holds, std::string_view what) {
  if (!holds) broken(what);
}

// The input as text (the parsers under test take text; any bytes are fair).
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}

// Remembers whether the parser under test accepted the input and returns 0, libFuzzer's only
// answer. The replay test reads it back to check that every seed-* file is a real, accepted input.
int record_outcome(bool accepted);
bool last_input_accepted();

// A folder private to this process, made on first use under $TMPDIR (or /tmp) and removed with
// everything in it at exit. Targets make their own subfolders in it once, not per input.
const std::filesystem::path& scratch_directory();
// scratch_directory()/name, made (empty) on first use.
std::filesystem::path scratch_subdirectory(std::string_view name);

// Replaces the file at `path` with `size` bytes (no fsync: scratch files need not survive a
// crash, and a run writes thousands of them).
void write_scratch_file(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size);

}  // namespace cairn::fuzz
