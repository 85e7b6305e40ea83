// Explaining why two builds of one image differ: which ELF sections differ and by how many bytes,
// which symbols changed size or appeared, and, for files that are not ELF, where the bytes start
// to differ. What `cairn rebuild` prints on a mismatch (diffoscope, when installed, adds the full
// report; this is the part that needs no other tool).
//
// Both files are untrusted: every header, offset and size is checked against the file, and a
// malformed ELF is compared as plain bytes with the reason said.
#pragma once

#include "cairn/core/result.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cairn::reproducibility {

struct SectionDifference {
  std::string name;
  std::optional<std::uint64_t> size_a;  // nullopt: the section is not in that file
  std::optional<std::uint64_t> size_b;
  std::uint64_t differing_bytes = 0;  // over the common length, plus the difference in size
};

struct SymbolDifference {
  std::string name;
  std::optional<std::uint64_t> size_a;  // nullopt: not in that file
  std::optional<std::uint64_t> size_b;
};

struct BinaryDifference {
  std::uint64_t size_a = 0;
  std::uint64_t size_b = 0;
  std::uint64_t differing_bytes = 0;  // byte by byte over the common length, plus the size difference
  std::optional<std::uint64_t> first_difference;  // nullopt: identical
  bool elf = false;        // both files were read as ELF64 little-endian
  std::string not_elf;     // why not, when elf is false
  std::vector<SectionDifference> sections;  // the sections that differ, in file A's order
  std::vector<SymbolDifference> symbols;    // symbols whose size changed or that are in one file only
  std::size_t moved_symbols = 0;            // same size, another address (layout moved)

  bool identical() const { return !first_difference.has_value(); }
};

// The files are read whole (at most 1 GiB each).
Result<BinaryDifference> compare_binaries(const std::filesystem::path& a, const std::filesystem::path& b);

// One line per finding, for people: "section .text: 12 of 4527 bytes differ (4527 -> 4535)".
std::vector<std::string> describe(const BinaryDifference& difference, std::size_t max_symbols = 20);

}  // namespace cairn::reproducibility
