// The command line of cairn-spt, Solo5's conventions:
//
//   cairn-spt [--mem=MiB] [--net:NAME=TAP|@FD] [--net-mac:NAME=MAC] [--block:NAME=PATH]
//             [--block-sector-size:NAME=N] [--print-policy] [--] IMAGE [ARGS...]
//
// Parsing checks syntax only; whether the image declares the devices named here is checked
// against its manifest later (devices.h).
#pragma once

#include "cairn/abi/mft_abi.h"
#include "cairn/solo5.h"
#include "status.h"

#include <stdint.h>
#include <stdio.h>

namespace cairn::tender {

enum class DeviceKind : uint8_t { net, block };

// One device named on the command line, with everything said about it.
struct DeviceRequest {
  char name[MFT_NAME_SIZE];
  DeviceKind kind;
  const char* target;  // --net: TAP or "@FD"; --block: PATH. Null if only a modifier named it.
  const char* option;  // the argument that attached it, for messages
  bool has_mac;
  uint8_t mac[SOLO5_NET_ALEN];
  uint16_t sector_size;  // 0: the default
};

inline constexpr uint64_t kDefaultMemoryMib = 512;
inline constexpr uint16_t kDefaultSectorSize = 512;

struct TenderOptions {
  uint64_t memory_size;  // bytes
  const char* image_path;
  char** guest_arguments;  // what follows IMAGE: the guest's command line
  int guest_argument_count;
  bool show_help;
  bool show_version;
  bool print_policy;  // print the sandbox policy instead of running the image
  unsigned device_count;
  DeviceRequest devices[MFT_MAX_ENTRIES];  // last: only the first device_count are ever touched
};

// Fills `options` from argv. Unknown options and malformed values are failures naming the argument.
Status parse_options(int argc, char** argv, TenderOptions& options);

// The --help text.
void print_usage(FILE* stream);

// "network" or "block", for messages.
const char* device_kind_name(DeviceKind kind);

}  // namespace cairn::tender
