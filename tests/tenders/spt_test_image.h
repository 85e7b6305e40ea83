// Crafted spt images for the tender's tests: a minimal static x86-64 ELF written byte by byte
// (header, PT_LOAD segments, the Solo5 ABI note and device manifest note), with every field a
// test may want to get wrong exposed in ImageSpec, and a few hand-assembled guest programs.
#pragma once

#include "cairn/abi/elf_abi.h"
#include "cairn/abi/mft_abi.h"
#include "cairn/abi/spt_abi.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::tender::testing {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint64_t kTextAddress = SPT_GUEST_MIN_BASE;  // 0x100000

struct SegmentSpec {
  std::uint32_t type = 1;   // PT_LOAD
  std::uint32_t flags = 5;  // PF_R | PF_X
  std::uint64_t address = kTextAddress;
  Bytes bytes;
  std::uint64_t memory_size = 0;  // 0: the size of `bytes`
  std::uint64_t align = 0x1000;
};

struct DeviceSpec {
  std::string name;
  std::uint32_t type = MFT_DEV_NET_BASIC;
};

struct ImageSpec {
  std::uint8_t elf_class = 2;      // ELFCLASS64
  std::uint8_t data_encoding = 1;  // ELFDATA2LSB
  std::uint16_t type = 2;          // ET_EXEC
  std::uint16_t machine = 62;      // EM_X86_64
  std::uint64_t entry = kTextAddress;
  std::vector<SegmentSpec> segments;  // in program header order; notes follow them
  bool abi_note = true;
  std::uint32_t abi_target = SPT_ABI_TARGET;
  std::uint32_t abi_version = SPT_ABI_VERSION;
  bool manifest_note = true;
  Bytes manifest;  // empty: make_manifest(devices)
  std::vector<DeviceSpec> devices;
  bool dynamic_segment = false;  // adds a PT_DYNAMIC after the notes
};

// An image spec with one R+X segment at 0x100000 holding `code`, entry at its start.
ImageSpec image_with_code(Bytes code);

// The manifest's bytes (struct mft and entries) for `devices`, after the reserved entry 0.
Bytes make_manifest(const std::vector<DeviceSpec>& devices);

// The ELF file for `spec`. Segment data sits at page offsets congruent with its address.
Bytes build_image(const ImageSpec& spec);

// Guest programs (x86-64 machine code, entered with rdi = struct spt_boot_info*).
Bytes exit_with(std::uint8_t status);                                // exit_group(status)
Bytes write_line(const std::string& text, std::uint8_t status = 0);  // write(1, text) then exit
Bytes call_getpid_then_exit();                                       // getpid: forbidden
Bytes write_to_fd3();                                                // write(3, ...): fd 3 is not allowed
Bytes exit_with_memory_mib();                                        // exit_group(boot_info->mem_size >> 20)
Bytes print_command_line();                                          // write(1, cmdline, strlen(cmdline)), exit 0
Bytes exit_with_data_plus_bss();                                     // exit_group(byte[0x101000] + byte[0x101800])
Bytes store_to_text();                                               // a write to the read-only text: SIGSEGV
// pread64(entry 1's hostfd, stack buffer, count, offset), then exit_group(result >> 8).
Bytes read_block(std::uint32_t count, std::uint32_t offset);
// write(entry 1's hostfd, &entry1.u.net_basic, 8): its MAC and MTU, then exit 0.
Bytes write_net_info_to_device();

}  // namespace cairn::tender::testing
