// Validation and loading of an spt image: a static x86-64 ELF executable with Solo5's ABI note
// and device manifest note.
//
// Everything in the file is untrusted. open_image() checks the whole structure (header, program
// headers, segment bounds and permissions, notes, manifest) before a single byte reaches guest
// memory; each refusal is one line naming the file and the reason. load_image() then copies the
// segments into guest memory and applies their protections.
#pragma once

#include "mft.h"
#include "status.h"

#include <stdint.h>

namespace cairn::tender {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr unsigned kMaxLoadSegments = 16;

// A non-empty PT_LOAD segment, validated.
struct LoadSegment {
  unsigned header_index;  // index in the program header table, as readelf numbers segments
  uint64_t file_offset;
  uint64_t file_size;
  uint64_t address;  // guest address of the first byte
  uint64_t memory_size;
  uint64_t range_start;  // the page-aligned range the segment's protection applies to
  uint64_t range_end;
  int protection;  // PROT_READ | PROT_WRITE | PROT_EXEC from p_flags, never both W and X
};

struct ElfImage {
  const char* path;
  int fd;
  uint64_t file_size;
  uint64_t entry;
  uint64_t end;  // first address after the highest segment's range (spt_boot_info.kernel_end)
  LoadSegment segments[kMaxLoadSegments];
  unsigned segment_count;
  Mft mft;  // last: most of its storage is never touched
};

// Opens `path` and validates it as an spt image for this tender. On failure the file is closed.
Status open_image(const char* path, ElfImage& image);

// Checks that every segment lies inside guest memory of `memory_size` bytes.
Status check_image_fits(const ElfImage& image, uint64_t memory_size);

// Copies the segments into (identity-mapped) guest memory and applies their protections. The rest
// of each segment's range is already zero: guest memory is freshly mapped and ranges never overlap.
Status load_image(const ElfImage& image);

void close_image(ElfImage& image);

}  // namespace cairn::tender
