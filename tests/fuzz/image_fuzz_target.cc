// The fuzz target of spt images (host_fuzz_targets.h): the input, written to a scratch file, is
// opened by the tender's own checks (cairn-spt's open_image, compiled into the target; it reads
// and validates the file and maps nothing) and read by read_image_notes, which `cairn image
// inspect` prints.
//
// An image the tender accepts keeps every promise of elf_loader.h (loadable segments inside the
// file, in ascending order, page-aligned, never overlapping, never writable and executable, above
// the lowest guest address, the entry point in an executable one), and looks the same to `image
// inspect`: target spt, the tender's ABI version, and the tender's devices in the same order, by
// the same names and types, which `cairn image notes` would accept too.
#include "cairn/reproducibility/image_notes.h"
#include "elf_loader.h"
#include "host_fuzz_support.h"
#include "host_fuzz_targets.h"

#include <cairn/abi/mft_abi.h>
#include <cairn/abi/spt_abi.h>
#include <sys/mman.h>

#include <cstring>
#include <string>

namespace cairn::fuzz {

namespace {

using reproducibility::DeviceType;
using reproducibility::ImageNotes;

// Guest memory as `cairn run` gives it by default; nothing is mapped.
constexpr std::uint64_t guest_memory_size = std::uint64_t{512} << 20;

void check_loadable(const tender::ElfImage& image, std::uint64_t file_size) {
  require(image.file_size == file_size, "the tender read another file size");
  require(image.segment_count >= 1 && image.segment_count <= tender::kMaxLoadSegments,
          "an accepted image has no loadable segment, or too many");
  bool entry_inside = false;
  for (unsigned i = 0; i < image.segment_count; ++i) {
    const tender::LoadSegment& segment = image.segments[i];
    require(segment.file_size <= segment.memory_size, "a segment has more bytes in the file than in memory");
    require(segment.file_offset <= file_size && segment.file_size <= file_size - segment.file_offset,
            "a segment's bytes lie past the end of the file");
    require(segment.address >= SPT_GUEST_MIN_BASE && segment.range_start >= SPT_GUEST_MIN_BASE,
            "a segment loads below the lowest guest address");
    require(segment.range_start <= segment.address && segment.memory_size <= segment.range_end - segment.address,
            "a segment's protected range does not cover it");
    require(segment.range_start % tender::kPageSize == 0 && segment.range_end % tender::kPageSize == 0,
            "a segment's range is not made of whole pages");
    require((segment.protection & PROT_WRITE) == 0 || (segment.protection & PROT_EXEC) == 0,
            "a segment is writable and executable");
    if (i > 0) require(segment.range_start >= image.segments[i - 1].range_end, "segments overlap or are out of order");
    if ((segment.protection & PROT_EXEC) != 0 && image.entry >= segment.address &&
        image.entry - segment.address < segment.file_size) {
      entry_inside = true;
    }
  }
  require(entry_inside, "the entry point is outside the executable segments' file bytes");
  require(image.end == image.segments[image.segment_count - 1].range_end, "the image's end is not its last range's");

  tender::Status fits = tender::check_image_fits(image, guest_memory_size);
  require(fits.ok() == (image.end <= guest_memory_size), "check_image_fits disagrees with the image's end");
}

void check_same_devices(const tender::Mft& mft, const ImageNotes& notes) {
  require(mft.entry_count() == notes.devices.size() + 1, "image inspect sees another number of devices");
  for (unsigned i = 1; i < mft.entry_count(); ++i) {
    struct mft_entry entry = mft.entry(i);
    const reproducibility::Device& device = notes.devices[i - 1];
    require(device.name == std::string(entry.name, ::strnlen(entry.name, sizeof entry.name)),
            "image inspect sees a device by another name");
    DeviceType expected = entry.type == MFT_DEV_NET_BASIC ? DeviceType::net : DeviceType::block;
    require(device.type == expected, "image inspect sees a device of another type");
    require(mft.find(device.name.c_str()) == static_cast<int>(i), "the tender does not find a device by its name");
  }
  Result<void> writable = reproducibility::check_devices(notes.devices);
  if (!writable) broken("`cairn image notes` refuses devices the tender accepts", writable.error().message());
}

bool check_image(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path path = scratch_subdirectory("image") / "image.spt";
  write_scratch_file(path, data, size);
  Result<ImageNotes> notes = reproducibility::read_image_notes(path);

  static tender::ElfImage image;  // a manifest's room is kilobytes: kept off the stack
  tender::Status opened = tender::open_image(path.c_str(), image);
  if (!opened.ok()) return false;
  tender::close_image(image);
  check_loadable(image, size);

  if (!notes) broken("the tender accepts an image that image inspect refuses", notes.error().message());
  require(notes->target == reproducibility::AbiTarget::spt, "image inspect sees another target");
  require(notes->abi_version == static_cast<std::uint32_t>(SPT_ABI_VERSION), "image inspect sees another ABI version");
  check_same_devices(image.mft, *notes);
  return true;
}

}  // namespace

int fuzz_image(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_image(data, size));
}

}  // namespace cairn::fuzz
