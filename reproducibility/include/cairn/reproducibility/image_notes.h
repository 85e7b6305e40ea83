// The ELF notes that make a static ELF a Solo5/Cairn unikernel image, written and read.
//
// Writing: `write_notes_object` produces a small relocatable object (ET_REL) holding the ABI note
// (target and ABI version), the MFT device-manifest note (entry 0 reserved, then the declared
// devices) and a PT_INTERP string that stops the host from exec'ing the image. Linked into an
// image with kernel/bindings/<target>/image.ld, each note lands in its own PT_NOTE — what
// `solo5-elftool gen-manifest` plus Solo5's bindings achieve, with no C compiler step.
// Reading: `read_image_notes` finds the notes of a linked image the way a tender does.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::reproducibility {

enum class DeviceType { net, block };

// "net" or "block" (the spelling of unikernel.json and of --net:/--block: options).
std::string_view to_string(DeviceType type);

struct Device {
  std::string name;  // 1..67 ASCII letters and digits
  DeviceType type = DeviceType::net;
};

enum class AbiTarget : std::uint32_t { hvt = 1, spt = 2, virtio = 3, muen = 4, genode = 5, xen = 6 };

// "spt", "hvt", ... (Solo5's names); "unknown" for a number Solo5 does not define.
std::string_view to_string(AbiTarget target);

// The spt ABI version this toolchain builds for (SPT_ABI_VERSION in cairn/abi/spt_abi.h).
inline constexpr std::uint32_t spt_abi_version = 2;

// What `cairn build` records in an image's `.note.cairn` (note name "Cairn", type 1), so that a
// bare image file can be traced back to its provenance: the digest of its resolved dependency
// list (dependency_list_digest), the identity of the manifest they were resolved against, and the
// memory the image asks for. The descriptor is canonical JSON:
//   {"dependencies": "sha256:…", "manifest": "sha256:…", "memory_mib": N (optional)}
struct BuildNote {
  Digest dependencies = Digest::sha256_of("");
  Digest manifest = Digest::sha256_of("");
  std::optional<std::int64_t> memory_mib;
};

inline constexpr std::uint32_t cairn_build_note_type = 1;
inline constexpr std::size_t max_build_note_size = 4096;

struct ImageNotes {
  AbiTarget target = AbiTarget::spt;
  std::uint32_t abi_version = spt_abi_version;
  std::vector<Device> devices;     // without the reserved entry 0
  std::optional<BuildNote> build;  // images built by `cairn build` have one
};

// Parses "net:NAME" or "block:NAME".
Result<Device> parse_device(std::string_view text);

// Checks names (alphanumeric, 1..67 characters), uniqueness and the count (at most 63).
Result<void> check_devices(const std::vector<Device>& devices);

// The complete bytes of each note (header, name, padding, descriptor).
std::string abi_note(AbiTarget target, std::uint32_t abi_version);
Result<std::string> manifest_note(const std::vector<Device>& devices);

// The complete bytes of the `.note.cairn` note.
Result<std::string> build_note(const BuildNote& note);

// The bytes of the relocatable object with the notes (the Cairn note when `notes.build` holds
// one) and the .interp string.
Result<std::string> notes_object(const ImageNotes& notes);
// Writes notes_object(notes) to `output`, atomically.
Result<void> write_notes_object(const std::filesystem::path& output, const ImageNotes& notes);

// Reads the ABI and manifest notes of a linked image. Every field is checked: the file is
// untrusted.
Result<ImageNotes> read_image_notes(const std::filesystem::path& image);

}  // namespace cairn::reproducibility
