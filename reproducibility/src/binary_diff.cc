// ELF-aware comparison of two builds (see binary_diff.h).
#include "cairn/reproducibility/binary_diff.h"

#include "cairn/core/file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace cairn::reproducibility {

namespace {

constexpr std::size_t max_binary_size = std::size_t{1} << 30;
constexpr std::uint32_t section_type_nobits = 8;
constexpr std::uint32_t section_type_symtab = 2;
constexpr std::size_t max_sections = 65535;
constexpr std::size_t max_symbols = 1 << 20;

template <typename T>
bool read_at(const std::string& bytes, std::uint64_t offset, T& out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(&out, bytes.data() + offset, sizeof(T));  // ELF64 little-endian, as the host
  return true;
}

struct Section {
  std::string name;
  std::uint32_t type = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint32_t link = 0;
  std::uint64_t entry_size = 0;
};

struct ElfFile {
  std::vector<Section> sections;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> symbols;  // name -> (value, size)
};

std::string string_at(const std::string& bytes, const Section& table, std::uint64_t index) {
  // A string table may claim any type, offset and size: only one that lies in the file is read.
  if (table.offset > bytes.size() || bytes.size() - table.offset < table.size || index >= table.size) return {};
  std::uint64_t start = table.offset + index;
  std::uint64_t end = start;
  while (end < table.offset + table.size && bytes[end] != '\0') ++end;
  return bytes.substr(start, end - start);
}

// Reads the section headers and the symbol table; an error says why the file is not usable ELF.
Result<ElfFile> read_elf(const std::string& bytes) {
  auto refuse = [](std::string_view why) { return make_error(ErrorCode::malformed, "{}", why); };
  if (bytes.size() < 64 || bytes.compare(0, 4, "\x7f" "ELF") != 0) return refuse("no ELF header");
  if (bytes[4] != 2 || bytes[5] != 1) return refuse("not ELF64 little-endian");
  std::uint64_t section_offset = 0;
  std::uint16_t entry_size = 0, count = 0, names_index = 0;
  if (!read_at(bytes, 0x28, section_offset) || !read_at(bytes, 0x3a, entry_size) || !read_at(bytes, 0x3c, count) ||
      !read_at(bytes, 0x3e, names_index)) {
    return refuse("a truncated ELF header");
  }
  if (entry_size != 64 || count == 0 || count > max_sections || names_index >= count) {
    return refuse("no usable section headers");
  }
  if (section_offset > bytes.size() || (bytes.size() - section_offset) / 64 < count) {
    return refuse("section headers outside the file");
  }
  ElfFile file;
  std::vector<std::uint32_t> name_offsets;
  for (std::uint16_t i = 0; i < count; ++i) {
    std::uint64_t base = section_offset + std::uint64_t{64} * i;
    Section section;
    std::uint32_t name = 0;
    read_at(bytes, base, name);
    read_at(bytes, base + 4, section.type);
    read_at(bytes, base + 24, section.offset);
    read_at(bytes, base + 32, section.size);
    read_at(bytes, base + 40, section.link);
    read_at(bytes, base + 56, section.entry_size);
    if (section.type != section_type_nobits &&
        (section.offset > bytes.size() || bytes.size() - section.offset < section.size)) {
      return refuse(fmt::format("section {} lies outside the file", i));
    }
    name_offsets.push_back(name);
    file.sections.push_back(section);
  }
  const Section& names = file.sections[names_index];
  for (std::size_t i = 0; i < file.sections.size(); ++i) {
    file.sections[i].name = string_at(bytes, names, name_offsets[i]);
    if (file.sections[i].name.empty() && i != 0) file.sections[i].name = fmt::format("[{}]", i);
  }
  for (const Section& table : file.sections) {
    if (table.type != section_type_symtab || table.entry_size != 24 || table.link >= file.sections.size()) continue;
    const Section& strings = file.sections[table.link];
    std::uint64_t entries = std::min<std::uint64_t>(table.size / 24, max_symbols);
    for (std::uint64_t i = 1; i < entries; ++i) {
      std::uint64_t base = table.offset + 24 * i;
      std::uint32_t name = 0;
      std::uint64_t value = 0, size = 0;
      read_at(bytes, base, name);
      read_at(bytes, base + 8, value);
      read_at(bytes, base + 16, size);
      std::string symbol = string_at(bytes, strings, name);
      if (!symbol.empty()) file.symbols[symbol] = {value, size};
    }
  }
  return file;
}

std::uint64_t count_differences(std::string_view a, std::string_view b) {
  std::uint64_t common = std::min(a.size(), b.size());
  std::uint64_t differing = std::max(a.size(), b.size()) - common;
  for (std::uint64_t i = 0; i < common; ++i) differing += a[i] != b[i];
  return differing;
}

std::string_view contents(const std::string& bytes, const Section& section) {
  if (section.type == section_type_nobits) return {};
  return std::string_view(bytes).substr(section.offset, section.size);
}

}  // namespace

Result<BinaryDifference> compare_binaries(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::string bytes_a = CAIRN_TRY(read_file(a, max_binary_size));
  std::string bytes_b = CAIRN_TRY(read_file(b, max_binary_size));
  BinaryDifference difference;
  difference.size_a = bytes_a.size();
  difference.size_b = bytes_b.size();
  difference.differing_bytes = count_differences(bytes_a, bytes_b);
  auto mismatch = std::mismatch(bytes_a.begin(), bytes_a.end(), bytes_b.begin(), bytes_b.end());
  if (mismatch.first != bytes_a.end() || mismatch.second != bytes_b.end()) {
    difference.first_difference = static_cast<std::uint64_t>(mismatch.first - bytes_a.begin());
  }
  if (difference.identical()) return difference;

  Result<ElfFile> elf_a = read_elf(bytes_a);
  Result<ElfFile> elf_b = read_elf(bytes_b);
  if (!elf_a.ok() || !elf_b.ok()) {
    difference.not_elf = !elf_a.ok() ? fmt::format("{}: {}", a.filename().string(), elf_a.error().message())
                                     : fmt::format("{}: {}", b.filename().string(), elf_b.error().message());
    return difference;
  }
  difference.elf = true;
  std::map<std::string, const Section*> sections_b;
  for (const Section& section : elf_b->sections) sections_b.emplace(section.name, &section);
  std::map<std::string, bool> seen;
  for (const Section& section : elf_a->sections) {
    if (section.name.empty()) continue;
    seen[section.name] = true;
    auto other = sections_b.find(section.name);
    if (other == sections_b.end()) {
      difference.sections.push_back({section.name, section.size, std::nullopt, section.size});
      continue;
    }
    std::uint64_t differing = count_differences(contents(bytes_a, section), contents(bytes_b, *other->second));
    if (section.type == section_type_nobits) differing = section.size != other->second->size;
    if (differing != 0 || section.size != other->second->size) {
      difference.sections.push_back({section.name, section.size, other->second->size, differing});
    }
  }
  for (const Section& section : elf_b->sections) {
    if (!section.name.empty() && !seen.contains(section.name)) {
      difference.sections.push_back({section.name, std::nullopt, section.size, section.size});
    }
  }
  for (const auto& [name, symbol] : elf_a->symbols) {
    auto other = elf_b->symbols.find(name);
    if (other == elf_b->symbols.end()) {
      difference.symbols.push_back({name, symbol.second, std::nullopt});
    } else if (other->second.second != symbol.second) {
      difference.symbols.push_back({name, symbol.second, other->second.second});
    } else if (other->second.first != symbol.first) {
      ++difference.moved_symbols;
    }
  }
  for (const auto& [name, symbol] : elf_b->symbols) {
    if (!elf_a->symbols.contains(name)) difference.symbols.push_back({name, std::nullopt, symbol.second});
  }
  return difference;
}

std::vector<std::string> describe(const BinaryDifference& difference, std::size_t max_symbols_shown) {
  std::vector<std::string> lines;
  if (difference.identical()) {
    lines.push_back("identical");
    return lines;
  }
  lines.push_back(fmt::format("{} of {} bytes differ (sizes {} and {}), the first at offset {:#x}",
                              difference.differing_bytes, std::max(difference.size_a, difference.size_b),
                              difference.size_a, difference.size_b, *difference.first_difference));
  if (!difference.elf) {
    lines.push_back(fmt::format("not compared as ELF: {}", difference.not_elf));
    return lines;
  }
  auto size = [](const std::optional<std::uint64_t>& value) {
    return value ? fmt::format("{}", *value) : std::string("absent");
  };
  for (const SectionDifference& section : difference.sections) {
    lines.push_back(fmt::format("section {}: {} bytes differ (size {} -> {})", section.name, section.differing_bytes,
                                size(section.size_a), size(section.size_b)));
  }
  std::size_t shown = 0;
  for (const SymbolDifference& symbol : difference.symbols) {
    if (shown++ == max_symbols_shown) {
      lines.push_back(fmt::format("... and {} more symbols", difference.symbols.size() - max_symbols_shown));
      break;
    }
    lines.push_back(fmt::format("symbol {}: size {} -> {}", symbol.name, size(symbol.size_a), size(symbol.size_b)));
  }
  if (difference.moved_symbols > 0) {
    lines.push_back(fmt::format("{} symbols of the same size moved to other addresses", difference.moved_symbols));
  }
  return lines;
}

}  // namespace cairn::reproducibility
