// Validation and loading of spt images (see elf_loader.h).
#include "elf_loader.h"

#include "guest_memory.h"

#include "cairn/abi/elf_abi.h"
#include "cairn/abi/spt_abi.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cairn::tender {

namespace {

// Solo5's images have nine program headers; anything past this is not an image we made or know.
constexpr unsigned kMaxProgramHeaders = 256;

// The Solo5 note header: Elf64_Nhdr followed by "Solo5\0" padded to 8 bytes.
constexpr char kSolo5NoteName[] = SOLO5_NOTE_NAME;
constexpr uint32_t kAbiDescriptorAlignment = alignof(struct abi1_info);
constexpr uint32_t kManifestDescriptorAlignment = alignof(struct mft);

// Scratch space for the program header table, outside the stack.
Elf64_Phdr program_headers[kMaxProgramHeaders];

unsigned long long hex(uint64_t value) {
  return static_cast<unsigned long long>(value);
}

// Reads exactly `size` bytes at `offset`, retrying short reads; false on error or end of file.
bool pread_full(int fd, void* buffer, uint64_t size, uint64_t offset) {
  unsigned char* out = static_cast<unsigned char*>(buffer);
  while (size > 0) {
    ssize_t got = pread(fd, out, size, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got;
    size -= static_cast<uint64_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

bool is_power_of_two(uint64_t value) {
  return value != 0 && (value & (value - 1)) == 0;
}

// The architecture an ELF file was built for, by the name people use for it.
const char* machine_name(unsigned machine) {
  switch (machine) {
    case EM_386: return "i386";
    case EM_ARM: return "arm";
    case EM_AARCH64: return "aarch64";
    case EM_PPC: return "ppc";
    case EM_PPC64: return "ppc64";
    case EM_RISCV: return "riscv";
    case EM_S390: return "s390x";
    case EM_MIPS: return "mips";
    case EM_SPARCV9: return "sparc64";
    default: return nullptr;
  }
}

const char* target_name(uint32_t target) {
  switch (target) {
    case HVT_ABI_TARGET: return "hvt";
    case SPT_ABI_TARGET: return "spt";
    case VIRTIO_ABI_TARGET: return "virtio";
    case MUEN_ABI_TARGET: return "muen";
    case GENODE_ABI_TARGET: return "genode";
    case XEN_ABI_TARGET: return "xen";
    default: return nullptr;
  }
}

// Checks that bytes [offset, offset + size) lie inside the file.
Status check_in_file(const ElfImage& image, uint64_t offset, uint64_t size, const char* what, unsigned index) {
  uint64_t end = 0;
  if (__builtin_add_overflow(offset, size, &end) || end > image.file_size) {
    return Status::failure("%s: truncated: %s %u ends past the end of the file (%llu bytes)", image.path, what, index,
                           hex(image.file_size));
  }
  return Status::success();
}

Status check_header(const ElfImage& image, const Elf64_Ehdr& header) {
  const char* path = image.path;
  if (header.e_ident[EI_CLASS] == ELFCLASS32) {
    return Status::failure("%s: a 32-bit ELF file; this tender runs 64-bit x86-64 images", path);
  }
  if (header.e_ident[EI_CLASS] != ELFCLASS64) {
    return Status::failure("%s: unknown ELF class %u", path, header.e_ident[EI_CLASS]);
  }
  if (header.e_ident[EI_DATA] != ELFDATA2LSB) {
    return Status::failure("%s: a big-endian ELF file; this tender runs little-endian x86-64 images", path);
  }
  if (header.e_ident[EI_VERSION] != EV_CURRENT || header.e_version != EV_CURRENT) {
    return Status::failure("%s: unknown ELF version %u", path, header.e_version);
  }
  if (header.e_machine != EM_X86_64) {
    const char* machine = machine_name(header.e_machine);
    if (machine != nullptr) return Status::failure("%s: built for %s, this tender runs x86-64", path, machine);
    return Status::failure("%s: built for ELF machine %u, this tender runs x86-64", path, header.e_machine);
  }
  switch (header.e_type) {
    case ET_EXEC: break;
    case ET_DYN:
      return Status::failure(
          "%s: a position-independent executable or shared library (ET_DYN); spt images are "
          "static executables (ET_EXEC)",
          path);
    case ET_REL: return Status::failure("%s: an object file (ET_REL), not a linked executable", path);
    case ET_CORE: return Status::failure("%s: a core dump, not an executable", path);
    default: return Status::failure("%s: ELF type %u is not an executable", path, header.e_type);
  }
  if (header.e_ehsize != sizeof(Elf64_Ehdr)) {
    return Status::failure("%s: ELF header size %u, expected %zu", path, header.e_ehsize, sizeof(Elf64_Ehdr));
  }
  if (header.e_phnum == 0) return Status::failure("%s: no program headers", path);
  if (header.e_phentsize != sizeof(Elf64_Phdr)) {
    return Status::failure("%s: program header size %u, expected %zu", path, header.e_phentsize, sizeof(Elf64_Phdr));
  }
  if (header.e_phnum > kMaxProgramHeaders) {
    return Status::failure("%s: %u program headers, more than this tender reads (%u)", path, header.e_phnum,
                           kMaxProgramHeaders);
  }
  uint64_t table_size = uint64_t{header.e_phnum} * sizeof(Elf64_Phdr);
  uint64_t table_end = 0;
  if (__builtin_add_overflow(header.e_phoff, table_size, &table_end) || table_end > image.file_size) {
    return Status::failure("%s: truncated: the program headers end past the end of the file (%llu bytes)", path,
                           hex(image.file_size));
  }
  return Status::success();
}

// Where the descriptor of a Solo5 note of one type lies in the file.
struct NoteLocation {
  bool found = false;
  unsigned header_index = 0;
  uint64_t offset = 0;  // of the descriptor's content, after its internal padding
  uint64_t size = 0;
};

// Reads the first note of PT_NOTE segment `index`, as Solo5 does, and records it if it is a Solo5
// ABI or manifest note. Other notes are ignored.
Status read_first_note(const ElfImage& image, unsigned index, const Elf64_Phdr& segment, NoteLocation& abi,
                       NoteLocation& mft) {
  TENDER_TRY(check_in_file(image, segment.p_offset, segment.p_filesz, "note segment", index));
  if (segment.p_filesz < sizeof(Elf64_Nhdr)) {
    return Status::failure("%s: note segment %u is %llu bytes, too small for a note header", image.path, index,
                           hex(segment.p_filesz));
  }
  if (segment.p_filesz < SOLO5_NOTE_HEADER_SIZE) return Status::success();  // too small to be a Solo5 note

  unsigned char header[SOLO5_NOTE_HEADER_SIZE];
  if (!pread_full(image.fd, header, sizeof header, segment.p_offset)) {
    return Status::failure("%s: cannot read note segment %u: %s", image.path, index, strerror(errno));
  }
  Elf64_Nhdr note;
  memcpy(&note, header, sizeof note);
  if (note.n_namesz != sizeof kSolo5NoteName ||
      memcmp(header + sizeof note, kSolo5NoteName, sizeof kSolo5NoteName) != 0) {
    return Status::success();
  }
  NoteLocation* location = nullptr;
  uint32_t alignment = 0;
  const char* what = nullptr;
  if (note.n_type == ABI1_NOTE_TYPE) {
    location = &abi;
    alignment = kAbiDescriptorAlignment;
    what = "ABI";
  } else if (note.n_type == MFT1_NOTE_TYPE) {
    location = &mft;
    alignment = kManifestDescriptorAlignment;
    what = "manifest";
  } else {
    return Status::success();
  }
  if (location->found) {
    return Status::failure("%s: two Solo5 %s notes (segments %u and %u)", image.path, what, location->header_index,
                           index);
  }
  // The descriptor starts right after the header; its content starts at the next multiple of its
  // own alignment, so the first `padding` bytes of the descriptor are padding.
  uint32_t padding = ((SOLO5_NOTE_HEADER_SIZE + alignment - 1) & ~(alignment - 1)) - SOLO5_NOTE_HEADER_SIZE;
  if (note.n_descsz < padding || SOLO5_NOTE_HEADER_SIZE + uint64_t{note.n_descsz} > segment.p_filesz) {
    return Status::failure("%s: the Solo5 %s note does not fit in its segment %u", image.path, what, index);
  }
  location->found = true;
  location->header_index = index;
  location->offset = segment.p_offset + SOLO5_NOTE_HEADER_SIZE + padding;
  location->size = note.n_descsz - padding;
  return Status::success();
}

Status check_abi(const ElfImage& image, const NoteLocation& location) {
  if (!location.found) {
    return Status::failure("%s: no Solo5 ABI note; not a Cairn or Solo5 unikernel image", image.path);
  }
  struct abi1_info abi;
  if (location.size != sizeof abi) {
    return Status::failure("%s: the Solo5 ABI note is %llu bytes, expected %zu", image.path, hex(location.size),
                           sizeof abi);
  }
  if (!pread_full(image.fd, &abi, sizeof abi, location.offset)) {
    return Status::failure("%s: cannot read the ABI note: %s", image.path, strerror(errno));
  }
  if (abi.abi_target != SPT_ABI_TARGET) {
    const char* target = target_name(abi.abi_target);
    if (target != nullptr)
      return Status::failure("%s: built for the %s target, this tender runs spt", image.path, target);
    return Status::failure("%s: built for unknown Solo5 target %u, this tender runs spt", image.path, abi.abi_target);
  }
  if (abi.abi_version != SPT_ABI_VERSION) {
    return Status::failure("%s: requests spt ABI version %u, this tender speaks version %d", image.path,
                           abi.abi_version, SPT_ABI_VERSION);
  }
  return Status::success();
}

Status read_mft(ElfImage& image, const NoteLocation& location) {
  if (!location.found) return Status::failure("%s: no Solo5 device manifest note", image.path);
  if (location.size > kMaxMftSize) {
    return Status::failure("%s: the manifest note is %llu bytes, larger than any valid manifest (%zu)", image.path,
                           hex(location.size), kMaxMftSize);
  }
  if (!pread_full(image.fd, image.mft.storage(), location.size, location.offset)) {
    return Status::failure("%s: cannot read the manifest note: %s", image.path, strerror(errno));
  }
  return image.mft.validate(location.size, image.path);
}

// Validates PT_LOAD segment `index` against the segments before it and records it.
Status add_load_segment(ElfImage& image, unsigned index, const Elf64_Phdr& segment) {
  const char* path = image.path;
  if (segment.p_filesz > segment.p_memsz) {
    return Status::failure("%s: segment %u has more bytes in the file (0x%llx) than in memory (0x%llx)", path, index,
                           hex(segment.p_filesz), hex(segment.p_memsz));
  }
  TENDER_TRY(check_in_file(image, segment.p_offset, segment.p_filesz, "segment", index));
  if (segment.p_vaddr < SPT_GUEST_MIN_BASE) {
    return Status::failure("%s: segment %u loads at 0x%llx, below the lowest guest address 0x%x", path, index,
                           hex(segment.p_vaddr), SPT_GUEST_MIN_BASE);
  }
  const LoadSegment* previous = image.segment_count > 0 ? &image.segments[image.segment_count - 1] : nullptr;
  if (previous != nullptr && segment.p_vaddr < previous->address) {
    return Status::failure(
        "%s: segment %u (at 0x%llx) follows segment %u (at 0x%llx): loadable segments must be in "
        "ascending address order",
        path, index, hex(segment.p_vaddr), previous->header_index, hex(previous->address));
  }
  uint64_t alignment = segment.p_align == 0 ? 1 : segment.p_align;
  if (!is_power_of_two(alignment)) {
    return Status::failure("%s: segment %u has alignment 0x%llx, not a power of two", path, index, hex(alignment));
  }
  uint64_t end = 0;
  uint64_t range_end = 0;
  if (__builtin_add_overflow(segment.p_vaddr, segment.p_memsz, &end) ||
      __builtin_add_overflow(end, alignment - 1, &range_end)) {
    return Status::failure("%s: segment %u: address 0x%llx + size 0x%llx overflows", path, index, hex(segment.p_vaddr),
                           hex(segment.p_memsz));
  }
  // As Solo5 does: the segment's range is its extent aligned to p_align, and that range must be
  // made of whole pages, because protections apply to pages.
  range_end &= ~(alignment - 1);
  uint64_t range_start = segment.p_vaddr & ~(alignment - 1);
  if (range_start < SPT_GUEST_MIN_BASE) {
    return Status::failure("%s: segment %u aligned to 0x%llx starts at 0x%llx, below the lowest guest address 0x%x",
                           path, index, hex(alignment), hex(range_start), SPT_GUEST_MIN_BASE);
  }
  if (range_start % kPageSize != 0 || range_end % kPageSize != 0) {
    return Status::failure(
        "%s: segment %u is not page-aligned: aligned to 0x%llx it spans 0x%llx-0x%llx, which must "
        "start and end on %llu-byte pages",
        path, index, hex(alignment), hex(range_start), hex(range_end), hex(kPageSize));
  }
  if (previous != nullptr && range_start < previous->range_end) {
    return Status::failure("%s: segment %u (0x%llx-0x%llx) overlaps segment %u (0x%llx-0x%llx)", path, index,
                           hex(range_start), hex(range_end), previous->header_index, hex(previous->range_start),
                           hex(previous->range_end));
  }
  if ((segment.p_flags & PF_W) != 0 && (segment.p_flags & PF_X) != 0) {
    return Status::failure("%s: segment %u is writable and executable", path, index);
  }
  if (image.segment_count == kMaxLoadSegments) {
    return Status::failure("%s: more than %u loadable segments", path, kMaxLoadSegments);
  }
  LoadSegment& added = image.segments[image.segment_count++];
  added.header_index = index;
  added.file_offset = segment.p_offset;
  added.file_size = segment.p_filesz;
  added.address = segment.p_vaddr;
  added.memory_size = segment.p_memsz;
  added.range_start = range_start;
  added.range_end = range_end;
  added.protection = ((segment.p_flags & PF_R) != 0 ? PROT_READ : 0) |
                     ((segment.p_flags & PF_W) != 0 ? PROT_WRITE : 0) | ((segment.p_flags & PF_X) != 0 ? PROT_EXEC : 0);
  return Status::success();
}

Status validate_image(ElfImage& image) {
  const char* path = image.path;
  struct stat file;
  if (fstat(image.fd, &file) != 0) return Status::failure("%s: cannot stat: %s", path, strerror(errno));
  if (!S_ISREG(file.st_mode)) return Status::failure("%s: not a regular file", path);
  image.file_size = static_cast<uint64_t>(file.st_size);

  Elf64_Ehdr header;
  memset(&header, 0, sizeof header);
  uint64_t header_bytes = image.file_size < sizeof header ? image.file_size : sizeof header;
  if (!pread_full(image.fd, &header, header_bytes, 0))
    return Status::failure("%s: cannot read: %s", path, strerror(errno));
  if (header_bytes < SELFMAG || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return Status::failure("%s: not an ELF file", path);
  }
  if (header_bytes < sizeof header) {
    return Status::failure("%s: truncated: the file is %llu bytes, shorter than an ELF header (%zu bytes)", path,
                           hex(image.file_size), sizeof header);
  }
  TENDER_TRY(check_header(image, header));
  if (!pread_full(image.fd, program_headers, uint64_t{header.e_phnum} * sizeof(Elf64_Phdr), header.e_phoff)) {
    return Status::failure("%s: cannot read the program headers: %s", path, strerror(errno));
  }

  // First what the image is (static, spt, which devices), then how it loads.
  NoteLocation abi;
  NoteLocation mft;
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    const Elf64_Phdr& segment = program_headers[i];
    if (segment.p_type == PT_DYNAMIC) {
      return Status::failure("%s: a dynamic executable (segment %u is PT_DYNAMIC); spt images are static", path, i);
    }
    if (segment.p_type == PT_NOTE) TENDER_TRY(read_first_note(image, i, segment, abi, mft));
  }
  TENDER_TRY(check_abi(image, abi));
  TENDER_TRY(read_mft(image, mft));

  // PT_INTERP ("/nonexistent/solo5/", so that the host refuses to exec an image), PT_TLS,
  // PT_GNU_STACK and the like carry nothing for this loader and are ignored.
  image.segment_count = 0;
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    const Elf64_Phdr& segment = program_headers[i];
    if (segment.p_type != PT_LOAD || segment.p_memsz == 0) continue;
    TENDER_TRY(add_load_segment(image, i, segment));
  }
  if (image.segment_count == 0) return Status::failure("%s: no loadable segments", path);
  image.end = image.segments[image.segment_count - 1].range_end;

  image.entry = header.e_entry;
  for (unsigned i = 0; i < image.segment_count; ++i) {
    const LoadSegment& segment = image.segments[i];
    if ((segment.protection & PROT_EXEC) != 0 && image.entry >= segment.address &&
        image.entry - segment.address < segment.file_size) {
      return Status::success();
    }
  }
  return Status::failure("%s: entry point 0x%llx is outside the image's executable segments", path, hex(image.entry));
}

}  // namespace

Status open_image(const char* path, ElfImage& image) {
  image.path = path;
  image.segment_count = 0;
  image.fd = open(path, O_RDONLY | O_CLOEXEC);
  if (image.fd < 0) return Status::failure("%s: cannot open: %s", path, strerror(errno));
  Status status = validate_image(image);
  if (!status.ok()) close_image(image);
  return status;
}

Status check_image_fits(const ElfImage& image, uint64_t memory_size) {
  for (unsigned i = 0; i < image.segment_count; ++i) {
    const LoadSegment& segment = image.segments[i];
    if (segment.range_end > memory_size) {
      return Status::failure(
          "%s: segment %u (0x%llx-0x%llx) lies beyond guest memory (%llu MiB, ending at 0x%llx); "
          "give a larger --mem",
          image.path, segment.header_index, hex(segment.range_start), hex(segment.range_end), hex(memory_size >> 20),
          hex(memory_size));
    }
  }
  return Status::success();
}

Status load_image(const ElfImage& image) {
  for (unsigned i = 0; i < image.segment_count; ++i) {
    const LoadSegment& segment = image.segments[i];
    errno = 0;
    if (!pread_full(image.fd, guest_pointer(segment.address), segment.file_size, segment.file_offset)) {
      return Status::failure("%s: cannot read segment %u: %s", image.path, segment.header_index,
                             errno != 0 ? strerror(errno) : "the file shrank");
    }
    if (mprotect(guest_pointer(segment.range_start), segment.range_end - segment.range_start, segment.protection) !=
        0) {
      return Status::failure("%s: cannot protect segment %u: %s", image.path, segment.header_index, strerror(errno));
    }
  }
  return Status::success();
}

void close_image(ElfImage& image) {
  if (image.fd >= 0) close(image.fd);
  image.fd = -1;
}

}  // namespace cairn::tender
