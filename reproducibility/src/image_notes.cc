// Writing and reading the Solo5 ABI and MFT notes of an image (see image_notes.h). The byte
// layouts are those of kernel/include/cairn/abi/ (elf_abi.h, mft_abi.h).
#include "cairn/reproducibility/image_notes.h"

#include "cairn/core/canonical_json.h"
#include "cairn/core/file.h"
#include "cairn/core/json_reader.h"

#include <cairn/abi/elf_abi.h>
#include <cairn/abi/mft_abi.h>
#include <elf.h>

#include <cstring>
#include <set>

namespace cairn::reproducibility {

namespace {

// The string stored in PT_INTERP: an executable interpreter that cannot exist, so that an image
// started as a Linux program fails at once instead of running host-side.
constexpr std::string_view fake_interpreter{"/nonexistent/cairn/\0", 20};

// The name of Cairn's own notes (6 bytes with its NUL, padded to 8 like Solo5's).
constexpr char cairn_note_name[] = "Cairn";
static_assert(sizeof(cairn_note_name) == sizeof(SOLO5_NOTE_NAME));

// Parses the descriptor of a `.note.cairn` strictly.
Result<BuildNote> parse_build_note(std::string_view descriptor) {
  descriptor = descriptor.substr(0, descriptor.find('\0'));
  Json json = CAIRN_TRY(parse_json(descriptor));
  JsonReader reader(json);
  CAIRN_TRY(reader.allow_only({"dependencies", "manifest", "memory_mib"}));
  BuildNote note;
  note.dependencies = CAIRN_TRY(reader.digest("dependencies"));
  note.manifest = CAIRN_TRY(reader.digest("manifest"));
  if (auto memory = CAIRN_TRY(reader.find("memory_mib"))) note.memory_mib = CAIRN_TRY(memory->as_integer());
  return note;
}

// Solo5 note header: n_namesz, n_descsz, n_type, then "Solo5\0" padded to 8 bytes.
std::string note_header(std::uint32_t descriptor_size, std::uint32_t type) {
  std::string bytes;
  auto put32 = [&bytes](std::uint32_t value) { bytes.append(reinterpret_cast<const char*>(&value), 4); };
  put32(sizeof(SOLO5_NOTE_NAME));
  put32(descriptor_size);
  put32(type);
  bytes.append(SOLO5_NOTE_NAME, sizeof(SOLO5_NOTE_NAME));
  bytes.append(2, '\0');
  return bytes;
}

// Offset of the manifest within the MFT descriptor: struct mft is 8-byte aligned and the
// descriptor starts 20 bytes into the note.
constexpr std::size_t manifest_padding = 4;
static_assert((SOLO5_NOTE_HEADER_SIZE + manifest_padding) % alignof(mft) == 0);

bool is_alphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string_view to_string(AbiTarget target) {
  switch (target) {
    case AbiTarget::hvt: return "hvt";
    case AbiTarget::spt: return "spt";
    case AbiTarget::virtio: return "virtio";
    case AbiTarget::muen: return "muen";
    case AbiTarget::genode: return "genode";
    case AbiTarget::xen: return "xen";
  }
  return "unknown";
}

std::string_view to_string(DeviceType type) {
  return type == DeviceType::net ? "net" : "block";
}

Result<Device> parse_device(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return make_error(ErrorCode::invalid_argument, "device '{}': expected net:NAME or block:NAME", text);
  }
  std::string_view kind = text.substr(0, colon);
  Device device;
  device.name = std::string(text.substr(colon + 1));
  if (kind == "net") {
    device.type = DeviceType::net;
  } else if (kind == "block") {
    device.type = DeviceType::block;
  } else {
    return make_error(ErrorCode::invalid_argument, "device '{}': unknown type '{}' (expected net or block)", text,
                      kind);
  }
  return device;
}

Result<void> check_devices(const std::vector<Device>& devices) {
  if (devices.size() > MFT_MAX_ENTRIES - 1) {
    return make_error(ErrorCode::limit_exceeded, "{} devices declared; an image can have at most {}", devices.size(),
                      MFT_MAX_ENTRIES - 1);
  }
  std::set<std::string> seen;
  for (const Device& device : devices) {
    if (device.name.empty() || device.name.size() > MFT_NAME_MAX) {
      return make_error(ErrorCode::invalid_argument, "device name '{}' must have 1 to {} characters", device.name,
                        MFT_NAME_MAX);
    }
    for (char c : device.name) {
      if (!is_alphanumeric(c)) {
        return make_error(ErrorCode::invalid_argument, "device name '{}' may hold only letters and digits",
                          device.name);
      }
    }
    if (!seen.insert(device.name).second) {
      return make_error(ErrorCode::invalid_argument, "device name '{}' is declared twice", device.name);
    }
  }
  return {};
}

std::string abi_note(AbiTarget target, std::uint32_t abi_version) {
  abi1_info info{static_cast<std::uint32_t>(target), abi_version, 0, 0};
  std::string bytes = note_header(sizeof info, ABI1_NOTE_TYPE);
  bytes.append(reinterpret_cast<const char*>(&info), sizeof info);
  return bytes;
}

Result<std::string> manifest_note(const std::vector<Device>& devices) {
  CAIRN_TRY(check_devices(devices));
  // Built field by field into a byte string: the descriptor sits at offset 4 of the padding, so
  // the bytes are never viewed in place as the (8-byte aligned) structures.
  std::string descriptor(manifest_padding, '\0');
  auto append = [&descriptor](const auto& value) {
    descriptor.append(reinterpret_cast<const char*>(&value), sizeof value);
  };
  const std::uint32_t header[2] = {MFT_VERSION, static_cast<std::uint32_t>(devices.size()) + 1};
  static_assert(sizeof header == sizeof(mft));
  append(header);
  auto make_entry = [](std::string_view name, mft_type_t type) {
    mft_entry entry;
    std::memset(&entry, 0, sizeof entry);  // padding included: the note's bytes are reproducible
    std::memcpy(entry.name, name.data(), name.size());
    entry.type = type;
    return entry;
  };
  append(make_entry("", MFT_RESERVED_FIRST));
  for (const Device& device : devices) {
    append(make_entry(device.name, device.type == DeviceType::net ? MFT_DEV_NET_BASIC : MFT_DEV_BLOCK_BASIC));
  }
  std::string bytes = note_header(static_cast<std::uint32_t>(descriptor.size()), MFT1_NOTE_TYPE);
  bytes += descriptor;
  return bytes;
}

Result<std::string> build_note(const BuildNote& note) {
  Json json = {{"dependencies", note.dependencies.to_string()}, {"manifest", note.manifest.to_string()}};
  if (note.memory_mib) json["memory_mib"] = *note.memory_mib;
  std::string descriptor = CAIRN_TRY(canonical_json(json));
  while (descriptor.size() % 4 != 0) descriptor.push_back('\0');
  std::string bytes;
  auto put32 = [&bytes](std::uint32_t value) { bytes.append(reinterpret_cast<const char*>(&value), 4); };
  put32(sizeof(cairn_note_name));
  put32(static_cast<std::uint32_t>(descriptor.size()));
  put32(cairn_build_note_type);
  bytes.append(cairn_note_name, sizeof(cairn_note_name));
  bytes.append(2, '\0');  // the name padded to 8 bytes
  return bytes + descriptor;
}

Result<void> write_notes_object(const std::filesystem::path& output, const ImageNotes& notes) {
  std::string file = CAIRN_TRY(notes_object(notes));
  return write_file_atomically(output, file);
}

Result<std::string> notes_object(const ImageNotes& notes) {
  std::string manifest = CAIRN_TRY(manifest_note(notes.devices));
  std::string abi = abi_note(notes.target, notes.abi_version);
  std::string cairn;
  if (notes.build) cairn = CAIRN_TRY(build_note(*notes.build));

  struct Section {
    const char* name;
    std::uint32_t type;
    std::uint64_t flags;
    std::uint64_t alignment;
    std::string_view content;
  };
  std::vector<Section> sections{
      {".interp", SHT_PROGBITS, SHF_ALLOC, 1, fake_interpreter},
      {".note.solo5.abi", SHT_NOTE, SHF_ALLOC, 4, abi},
      {".note.solo5.manifest", SHT_NOTE, SHF_ALLOC, 8, manifest},
      {".note.GNU-stack", SHT_PROGBITS, 0, 1, {}},  // no executable stack wanted
  };
  if (!cairn.empty()) sections.push_back({".note.cairn", SHT_NOTE, SHF_ALLOC, 4, cairn});
  const std::size_t section_count = sections.size() + 2;  // + null + .shstrtab

  std::string names(1, '\0');
  std::vector<std::uint32_t> name_offsets;
  for (const Section& section : sections) {
    name_offsets.push_back(static_cast<std::uint32_t>(names.size()));
    names.append(section.name).push_back('\0');
  }
  std::uint32_t shstrtab_name = static_cast<std::uint32_t>(names.size());
  names.append(".shstrtab").push_back('\0');

  std::string file(sizeof(Elf64_Ehdr), '\0');
  std::vector<Elf64_Shdr> headers(section_count);
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const Section& section = sections[i];
    while (file.size() % 8 != 0) file.push_back('\0');
    Elf64_Shdr& header = headers[i + 1];
    header.sh_name = name_offsets[i];
    header.sh_type = section.type;
    header.sh_flags = section.flags;
    header.sh_offset = file.size();
    header.sh_size = section.content.size();
    header.sh_addralign = section.alignment;
    file.append(section.content);
  }
  Elf64_Shdr& strings = headers[section_count - 1];
  strings.sh_name = shstrtab_name;
  strings.sh_type = SHT_STRTAB;
  strings.sh_offset = file.size();
  strings.sh_size = names.size();
  strings.sh_addralign = 1;
  file += names;
  while (file.size() % 8 != 0) file.push_back('\0');

  Elf64_Ehdr elf{};
  std::memcpy(elf.e_ident, ELFMAG, SELFMAG);
  elf.e_ident[EI_CLASS] = ELFCLASS64;
  elf.e_ident[EI_DATA] = ELFDATA2LSB;
  elf.e_ident[EI_VERSION] = EV_CURRENT;
  elf.e_ident[EI_OSABI] = ELFOSABI_NONE;
  elf.e_type = ET_REL;
  elf.e_machine = EM_X86_64;
  elf.e_version = EV_CURRENT;
  elf.e_ehsize = sizeof(Elf64_Ehdr);
  elf.e_shentsize = sizeof(Elf64_Shdr);
  elf.e_shnum = static_cast<Elf64_Half>(section_count);
  elf.e_shstrndx = static_cast<Elf64_Half>(section_count - 1);
  elf.e_shoff = file.size();
  std::memcpy(file.data(), &elf, sizeof elf);
  file.append(reinterpret_cast<const char*>(headers.data()), headers.size() * sizeof(Elf64_Shdr));
  return file;
}

namespace {

// A bounds-checked view of an image file.
class ElfFile {
 public:
  explicit ElfFile(std::string bytes) : bytes_(std::move(bytes)) {}

  template <typename T>
  Result<T> read(std::uint64_t offset, std::string_view what) const {
    if (offset > bytes_.size() || bytes_.size() - offset < sizeof(T)) {
      return make_error(ErrorCode::malformed, "{} at offset {} lies past the end of the file ({} bytes)", what, offset,
                        bytes_.size());
    }
    T value;
    std::memcpy(&value, bytes_.data() + offset, sizeof(T));
    return value;
  }
  Result<std::string_view> slice(std::uint64_t offset, std::uint64_t size, std::string_view what) const {
    if (offset > bytes_.size() || bytes_.size() - offset < size) {
      return make_error(ErrorCode::malformed, "{} lies past the end of the file", what);
    }
    return std::string_view(bytes_).substr(offset, size);
  }

 private:
  std::string bytes_;
};

}  // namespace

Result<ImageNotes> read_image_notes(const std::filesystem::path& image) {
  constexpr std::size_t max_image_size = 256u << 20;
  std::string bytes = CAIRN_TRY(read_file(image, max_image_size));
  ElfFile file(std::move(bytes));
  auto elf = CAIRN_TRY(file.read<Elf64_Ehdr>(0, "ELF header").with_context(image.string()));
  if (std::memcmp(elf.e_ident, ELFMAG, SELFMAG) != 0 || elf.e_ident[EI_CLASS] != ELFCLASS64 ||
      elf.e_ident[EI_DATA] != ELFDATA2LSB) {
    return make_error(ErrorCode::malformed, "{}: not a 64-bit little-endian ELF file", image.string());
  }
  if (elf.e_phentsize != sizeof(Elf64_Phdr)) {
    return make_error(ErrorCode::malformed, "{}: program header entries of {} bytes (expected {})", image.string(),
                      elf.e_phentsize, sizeof(Elf64_Phdr));
  }
  bool have_abi = false;
  bool have_manifest = false;
  ImageNotes notes;
  for (std::uint16_t i = 0; i < elf.e_phnum; ++i) {
    auto program =
        CAIRN_TRY(file.read<Elf64_Phdr>(elf.e_phoff + std::uint64_t{i} * sizeof(Elf64_Phdr), "program header")
                      .with_context(image.string()));
    if (program.p_type != PT_NOTE || program.p_filesz < SOLO5_NOTE_HEADER_SIZE) continue;
    auto header = CAIRN_TRY(file.read<Elf64_Nhdr>(program.p_offset, "note header").with_context(image.string()));
    auto name = CAIRN_TRY(file.slice(program.p_offset + sizeof(Elf64_Nhdr), sizeof(SOLO5_NOTE_NAME), "note name")
                              .with_context(image.string()));
    if (header.n_namesz == sizeof(cairn_note_name) &&
        name == std::string_view(cairn_note_name, sizeof(cairn_note_name)) && header.n_type == cairn_build_note_type) {
      if (header.n_descsz > program.p_filesz - SOLO5_NOTE_HEADER_SIZE || header.n_descsz > max_build_note_size) {
        return make_error(ErrorCode::malformed, "{}: Cairn note of {} bytes does not fit its segment", image.string(),
                          header.n_descsz);
      }
      std::string_view descriptor =
          CAIRN_TRY(file.slice(program.p_offset + SOLO5_NOTE_HEADER_SIZE, header.n_descsz, "Cairn note")
                        .with_context(image.string()));
      notes.build =
          CAIRN_TRY(parse_build_note(descriptor).with_context(fmt::format("{}: .note.cairn", image.string())));
      continue;
    }
    if (header.n_namesz != sizeof(SOLO5_NOTE_NAME) ||
        name != std::string_view(SOLO5_NOTE_NAME, sizeof(SOLO5_NOTE_NAME))) {
      continue;
    }
    if (header.n_descsz > program.p_filesz - SOLO5_NOTE_HEADER_SIZE) {
      return make_error(ErrorCode::malformed, "{}: Solo5 note of {} bytes does not fit its segment", image.string(),
                        header.n_descsz);
    }
    std::uint64_t descriptor = program.p_offset + SOLO5_NOTE_HEADER_SIZE;
    if (header.n_type == ABI1_NOTE_TYPE) {
      auto info = CAIRN_TRY(file.read<abi1_info>(descriptor, "ABI note").with_context(image.string()));
      if (header.n_descsz != sizeof info) {
        return make_error(ErrorCode::malformed, "{}: ABI note of {} bytes (expected {})", image.string(),
                          header.n_descsz, sizeof info);
      }
      notes.target = static_cast<AbiTarget>(info.abi_target);
      notes.abi_version = info.abi_version;
      have_abi = true;
    } else if (header.n_type == MFT1_NOTE_TYPE) {
      struct ManifestHeader {  // struct mft without its flexible array of entries
        std::uint32_t version;
        std::uint32_t entries;
      };
      static_assert(sizeof(ManifestHeader) == sizeof(mft));
      auto manifest =
          CAIRN_TRY(file.read<ManifestHeader>(descriptor + manifest_padding, "manifest").with_context(image.string()));
      if (manifest.version != MFT_VERSION) {
        return make_error(ErrorCode::unsupported, "{}: manifest version {} (this tool reads {})", image.string(),
                          manifest.version, MFT_VERSION);
      }
      if (manifest.entries < 1 || manifest.entries > MFT_MAX_ENTRIES ||
          header.n_descsz != manifest_padding + sizeof(mft) + manifest.entries * sizeof(mft_entry)) {
        return make_error(ErrorCode::malformed, "{}: manifest with {} entries in a note of {} bytes", image.string(),
                          manifest.entries, header.n_descsz);
      }
      for (std::uint32_t e = 0; e < manifest.entries; ++e) {
        // Field by field: the type is an untrusted 32-bit number, which must not be loaded as the
        // mft_type_t enum before it is known to be one of its values.
        std::uint64_t entry_offset = descriptor + manifest_padding + sizeof(mft) + e * sizeof(mft_entry);
        std::string_view device_name =
            CAIRN_TRY(file.slice(entry_offset + offsetof(mft_entry, name), MFT_NAME_SIZE, "manifest entry name")
                          .with_context(image.string()));
        auto type = CAIRN_TRY(file.read<std::uint32_t>(entry_offset + offsetof(mft_entry, type), "manifest entry type")
                                  .with_context(image.string()));
        if (device_name[MFT_NAME_MAX] != '\0') {
          return make_error(ErrorCode::malformed, "{}: manifest entry {} has an unterminated name", image.string(), e);
        }
        device_name = device_name.substr(0, device_name.find('\0'));
        if (e == 0) {
          if (type != MFT_RESERVED_FIRST || !device_name.empty()) {
            return make_error(ErrorCode::malformed, "{}: manifest entry 0 is not the reserved entry", image.string());
          }
          continue;
        }
        Device device;
        device.name = std::string(device_name);
        if (type == MFT_DEV_NET_BASIC) {
          device.type = DeviceType::net;
        } else if (type == MFT_DEV_BLOCK_BASIC) {
          device.type = DeviceType::block;
        } else {
          return make_error(ErrorCode::unsupported, "{}: manifest entry {} has unknown device type {}", image.string(),
                            e, type);
        }
        notes.devices.push_back(std::move(device));
      }
      have_manifest = true;
    }
  }
  if (!have_abi)
    return make_error(ErrorCode::malformed, "{}: no Solo5 ABI note: not a unikernel image", image.string());
  if (!have_manifest) return make_error(ErrorCode::malformed, "{}: no Solo5 manifest note", image.string());
  return notes;
}

}  // namespace cairn::reproducibility
