// Crafted spt images (see spt_test_image.h).
#include "spt_test_image.h"

#include <cstring>

namespace cairn::tender::testing {

namespace {

constexpr std::uint64_t kPage = 0x1000;
constexpr std::size_t kElfHeaderSize = 64;
constexpr std::size_t kProgramHeaderSize = 56;
constexpr std::uint32_t kPtDynamic = 2, kPtNote = 4;

void put(Bytes& out, std::size_t offset, std::uint64_t value, int size) {
  if (out.size() < offset + size) out.resize(offset + size);
  for (int i = 0; i < size; ++i) out[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
}

void append(Bytes& out, std::uint64_t value, int size) {
  put(out, out.size(), value, size);
}

void append(Bytes& out, const Bytes& more) {
  out.insert(out.end(), more.begin(), more.end());
}

std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

struct ProgramHeader {
  std::uint32_t type = 0, flags = 0;
  std::uint64_t offset = 0, address = 0, file_size = 0, memory_size = 0, align = 0;
};

// A Solo5 note: header, "Solo5\0" padded to 8, `padding` zero bytes, then the content.
Bytes solo5_note(std::uint32_t type, std::uint32_t padding, const Bytes& content) {
  Bytes note;
  append(note, 6, 4);  // n_namesz
  append(note, padding + content.size(), 4);
  append(note, type, 4);
  for (char c : std::string("Solo5\0\0\0", 8)) note.push_back(static_cast<std::uint8_t>(c));
  note.resize(note.size() + padding, 0);
  append(note, content);
  return note;
}

}  // namespace

ImageSpec image_with_code(Bytes code) {
  ImageSpec spec;
  SegmentSpec text;
  text.bytes = std::move(code);
  spec.segments.push_back(std::move(text));
  return spec;
}

Bytes make_manifest(const std::vector<DeviceSpec>& devices) {
  Bytes manifest;
  append(manifest, MFT_VERSION, 4);
  append(manifest, devices.size() + 1, 4);
  struct mft_entry entry;
  std::memset(&entry, 0, sizeof entry);
  entry.type = MFT_RESERVED_FIRST;
  const auto* raw = reinterpret_cast<const std::uint8_t*>(&entry);
  manifest.insert(manifest.end(), raw, raw + sizeof entry);
  for (const DeviceSpec& device : devices) {
    std::memset(&entry, 0, sizeof entry);
    std::strncpy(entry.name, device.name.c_str(), MFT_NAME_SIZE - 1);
    entry.type = static_cast<mft_type_t>(device.type);
    manifest.insert(manifest.end(), raw, raw + sizeof entry);
  }
  return manifest;
}

Bytes build_image(const ImageSpec& spec) {
  std::vector<ProgramHeader> headers;
  for (const SegmentSpec& segment : spec.segments) {
    ProgramHeader header;
    header.type = segment.type;
    header.flags = segment.flags;
    header.address = segment.address;
    header.file_size = segment.bytes.size();
    header.memory_size = segment.memory_size != 0 ? segment.memory_size : segment.bytes.size();
    header.align = segment.align;
    headers.push_back(header);
  }
  std::size_t abi_index = headers.size();
  if (spec.abi_note) headers.push_back({kPtNote, 4, 0, 0, 0, 0, 4});
  std::size_t manifest_index = headers.size();
  if (spec.manifest_note) headers.push_back({kPtNote, 4, 0, 0, 0, 0, 8});
  std::size_t dynamic_index = headers.size();
  if (spec.dynamic_segment) headers.push_back({kPtDynamic, 6, 0, 0, 16, 16, 8});

  Bytes image(kElfHeaderSize + headers.size() * kProgramHeaderSize, 0);
  // Notes and the dynamic table right after the program headers, 8-aligned.
  auto place = [&](std::size_t index, const Bytes& content) {
    image.resize(align_up(image.size(), 8), 0);
    headers[index].offset = image.size();
    headers[index].file_size = content.size();
    headers[index].memory_size = content.size();
    append(image, content);
  };
  if (spec.abi_note) {
    Bytes abi;
    append(abi, spec.abi_target, 4);
    append(abi, spec.abi_version, 4);
    append(abi, 0, 8);
    place(abi_index, solo5_note(ABI1_NOTE_TYPE, 0, abi));
  }
  if (spec.manifest_note) {
    place(manifest_index,
          solo5_note(MFT1_NOTE_TYPE, 4, spec.manifest.empty() ? make_manifest(spec.devices) : spec.manifest));
  }
  if (spec.dynamic_segment) place(dynamic_index, Bytes(16, 0));
  // Segment contents on their own pages, at offsets congruent with their addresses.
  for (std::size_t i = 0; i < spec.segments.size(); ++i) {
    image.resize(align_up(image.size(), kPage) + spec.segments[i].address % kPage, 0);
    headers[i].offset = image.size();
    append(image, spec.segments[i].bytes);
  }

  put(image, 0, 0x464c457f, 4);  // "\x7fELF"
  image[4] = spec.elf_class;
  image[5] = spec.data_encoding;
  image[6] = 1;  // EV_CURRENT
  put(image, 16, spec.type, 2);
  put(image, 18, spec.machine, 2);
  put(image, 20, 1, 4);  // e_version
  put(image, 24, spec.entry, 8);
  put(image, 32, kElfHeaderSize, 8);  // e_phoff
  put(image, 40, 0, 8);               // e_shoff
  put(image, 52, kElfHeaderSize, 2);  // e_ehsize
  put(image, 54, kProgramHeaderSize, 2);
  put(image, 56, headers.size(), 2);
  put(image, 58, 64, 2);  // e_shentsize
  for (std::size_t i = 0; i < headers.size(); ++i) {
    std::size_t at = kElfHeaderSize + i * kProgramHeaderSize;
    put(image, at, headers[i].type, 4);
    put(image, at + 4, headers[i].flags, 4);
    put(image, at + 8, headers[i].offset, 8);
    put(image, at + 16, headers[i].address, 8);
    put(image, at + 24, headers[i].address, 8);  // p_paddr
    put(image, at + 32, headers[i].file_size, 8);
    put(image, at + 40, headers[i].memory_size, 8);
    put(image, at + 48, headers[i].align, 8);
  }
  return image;
}

// --- Guest programs, hand-assembled (x86-64) -------------------------------------------------

namespace {

const Bytes kExitWithEdi = {0xb8, 0xe7, 0x00, 0x00, 0x00,  // mov eax, 231 (exit_group)
                            0x0f, 0x05};                   // syscall

Bytes imm32(std::uint32_t value) {
  Bytes out;
  append(out, value, 4);
  return out;
}

}  // namespace

Bytes exit_with(std::uint8_t status) {
  Bytes code = {0xbf};  // mov edi, status
  append(code, imm32(status));
  append(code, kExitWithEdi);
  return code;
}

Bytes write_line(const std::string& text, std::uint8_t status) {
  Bytes code = {0x48, 0x8d, 0x35};                    // lea rsi, [rip + text]
  Bytes rest = {0xbf, 0x01, 0x00, 0x00, 0x00, 0xba};  // mov edi, 1; mov edx, size
  append(rest, imm32(static_cast<std::uint32_t>(text.size())));
  append(rest, {0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x05});  // mov eax, 1 (write); syscall
  append(rest, exit_with(status));
  append(code, imm32(static_cast<std::uint32_t>(rest.size())));  // the text follows the code
  append(code, rest);
  code.insert(code.end(), text.begin(), text.end());
  return code;
}

Bytes call_getpid_then_exit() {
  Bytes code = {0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05};  // mov eax, 39 (getpid); syscall
  append(code, exit_with(0));
  return code;
}

Bytes write_to_fd3() {
  return {0xbf, 0x03, 0x00, 0x00, 0x00,              // mov edi, 3
          0x48, 0x8d, 0x35, 0x00, 0x00, 0x00, 0x00,  // lea rsi, [rip]
          0xba, 0x01, 0x00, 0x00, 0x00,              // mov edx, 1
          0xb8, 0x01, 0x00, 0x00, 0x00,              // mov eax, 1 (write)
          0x0f, 0x05};                               // syscall
}

Bytes exit_with_memory_mib() {
  Bytes code = {0x48, 0x8b, 0x07,        // mov rax, [rdi]     (boot_info->mem_size)
                0x48, 0xc1, 0xe8, 0x14,  // shr rax, 20
                0x89, 0xc7};             // mov edi, eax
  append(code, kExitWithEdi);
  return code;
}

Bytes print_command_line() {
  Bytes code = {0x48, 0x8b, 0x77, 0x10,        // mov rsi, [rdi + 16]  (boot_info->cmdline)
                0x31, 0xd2,                    // xor edx, edx
                0x80, 0x3c, 0x16, 0x00,        // 1: cmp byte [rsi + rdx], 0
                0x74, 0x05,                    // je 2f
                0x48, 0xff, 0xc2,              // inc rdx
                0xeb, 0xf5,                    // jmp 1b
                0xbf, 0x01, 0x00, 0x00, 0x00,  // 2: mov edi, 1
                0xb8, 0x01, 0x00, 0x00, 0x00,  // mov eax, 1 (write)
                0x0f, 0x05};                   // syscall
  append(code, exit_with(0));
  return code;
}

Bytes exit_with_data_plus_bss() {
  Bytes code = {0x0f, 0xb6, 0x3c, 0x25, 0x00, 0x10, 0x10, 0x00,  // movzx edi, byte [0x101000]
                0x0f, 0xb6, 0x04, 0x25, 0x00, 0x18, 0x10, 0x00,  // movzx eax, byte [0x101800]
                0x01, 0xc7};                                     // add edi, eax
  append(code, kExitWithEdi);
  return code;
}

Bytes store_to_text() {
  Bytes code = {0xc6, 0x04, 0x25, 0x00, 0x00, 0x10, 0x00, 0x00};  // mov byte [0x100000], 0
  append(code, exit_with(0));
  return code;
}

Bytes read_block(std::uint32_t count, std::uint32_t offset) {
  Bytes code = {0x48, 0x8b, 0x47, 0x18,                    // mov rax, [rdi + 24]  (boot_info->mft)
                0x48, 0x63, 0xb8, 0xc8, 0x00, 0x00, 0x00,  // movsxd rdi, [rax + 200] (e[1].b.hostfd)
                0x48, 0x81, 0xec, 0x00, 0x10, 0x00, 0x00,  // sub rsp, 4096
                0x48, 0x89, 0xe6,                          // mov rsi, rsp
                0xba};                                     // mov edx, count
  append(code, imm32(count));
  append(code, {0x41, 0xba});  // mov r10d, offset
  append(code, imm32(offset));
  append(code, {0xb8, 0x11, 0x00, 0x00, 0x00, 0x0f, 0x05,  // mov eax, 17 (pread64); syscall
                0x89, 0xc7, 0xc1, 0xef, 0x08});            // mov edi, eax; shr edi, 8
  append(code, kExitWithEdi);
  return code;
}

Bytes write_net_info_to_device() {
  Bytes code = {0x48, 0x8b, 0x47, 0x18,                    // mov rax, [rdi + 24]  (boot_info->mft)
                0x48, 0x63, 0xb8, 0xc8, 0x00, 0x00, 0x00,  // movsxd rdi, [rax + 200] (e[1].b.hostfd)
                0x48, 0x8d, 0xb0, 0xb8, 0x00, 0x00, 0x00,  // lea rsi, [rax + 184]  (e[1].u.net_basic)
                0xba, 0x08, 0x00, 0x00, 0x00,              // mov edx, 8
                0xb8, 0x01, 0x00, 0x00, 0x00,              // mov eax, 1 (write)
                0x0f, 0x05};                               // syscall
  append(code, exit_with(0));
  return code;
}

}  // namespace cairn::tender::testing
