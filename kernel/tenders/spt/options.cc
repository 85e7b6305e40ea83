// Parsing of cairn-spt's command line (see options.h).
#include "options.h"

#include <string.h>

namespace cairn::tender {

namespace {

constexpr char kNetPrefix[] = "--net:";
constexpr char kNetMacPrefix[] = "--net-mac:";
constexpr char kBlockPrefix[] = "--block:";
constexpr char kSectorSizePrefix[] = "--block-sector-size:";
constexpr char kMemoryPrefix[] = "--mem=";

// Guest memory must stay far below the tender itself; 1 TiB is a generous ceiling for the syntax
// check (the real limit, the tender's own address, is checked when memory is mapped).
constexpr uint64_t kMaxMemoryMib = uint64_t{1} << 20;

bool starts_with(const char* text, const char* prefix) {
  return strncmp(text, prefix, strlen(prefix)) == 0;
}

bool is_alphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Parses a decimal number with no sign, no spaces and no overflow beyond `max`.
bool parse_decimal(const char* text, uint64_t max, uint64_t* value) {
  if (*text == '\0') return false;
  uint64_t result = 0;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return false;
    uint64_t digit = static_cast<uint64_t>(*p - '0');
    if (result > (max - digit) / 10) return false;
    result = result * 10 + digit;
  }
  *value = result;
  return true;
}

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses "xx:xx:xx:xx:xx:xx".
bool parse_mac(const char* text, uint8_t mac[SOLO5_NET_ALEN]) {
  if (strlen(text) != 3 * SOLO5_NET_ALEN - 1) return false;
  for (size_t i = 0; i < SOLO5_NET_ALEN; ++i) {
    const char* group = text + 3 * i;
    int high = hex_digit_value(group[0]);
    int low = hex_digit_value(group[1]);
    if (high < 0 || low < 0) return false;
    if (i + 1 < SOLO5_NET_ALEN && group[2] != ':') return false;
    mac[i] = static_cast<uint8_t>(high * 16 + low);
  }
  return true;
}

// "--net:NAME=VALUE" and the like, split.
struct DeviceArgument {
  char name[MFT_NAME_SIZE] = {};
  const char* value = "";
};

// Splits `rest` (what follows the option's prefix) into a device name and a non-empty value.
Status split_device_argument(const char* argument, const char* rest, const char* syntax, DeviceArgument& split) {
  size_t length = 0;
  while (is_alphanumeric(rest[length])) ++length;
  if (length == 0 || rest[length] != '=' || rest[length + 1] == '\0') {
    return Status::failure("malformed option '%s': expected %s (NAME: letters and digits)", argument, syntax);
  }
  if (length > MFT_NAME_MAX) {
    return Status::failure("malformed option '%s': device names have at most %d characters", argument, MFT_NAME_MAX);
  }
  memcpy(split.name, rest, length);
  split.name[length] = '\0';
  split.value = rest + length + 1;
  return Status::success();
}

// The request for device `name`, created on first mention. Null, with `status` set, when the name
// was used for the other kind of device or the table is full.
DeviceRequest* find_or_add_device(TenderOptions& options, const char* argument, const DeviceArgument& split,
                                  DeviceKind kind, Status& status) {
  for (unsigned i = 0; i < options.device_count; ++i) {
    DeviceRequest& existing = options.devices[i];
    if (strcmp(existing.name, split.name) != 0) continue;
    if (existing.kind != kind) {
      status = Status::failure("'%s': device '%s' was already named as a %s device", argument, split.name,
                               device_kind_name(existing.kind));
      return nullptr;
    }
    return &existing;
  }
  // Entry 0 of a manifest is reserved, so an image has at most MFT_MAX_ENTRIES - 1 devices.
  if (options.device_count == MFT_MAX_ENTRIES - 1) {
    status = Status::failure("'%s': more than %d devices on the command line", argument, MFT_MAX_ENTRIES - 1);
    return nullptr;
  }
  DeviceRequest& added = options.devices[options.device_count++];
  memset(&added, 0, sizeof added);
  memcpy(added.name, split.name, sizeof added.name);
  added.kind = kind;
  return &added;
}

Status parse_device_option(TenderOptions& options, const char* argument) {
  DeviceArgument split;
  Status status;
  DeviceRequest* request = nullptr;

  if (starts_with(argument, kNetPrefix)) {
    TENDER_TRY(
        split_device_argument(argument, argument + strlen(kNetPrefix), "--net:NAME=TAP or --net:NAME=@FD", split));
    if ((request = find_or_add_device(options, argument, split, DeviceKind::net, status)) == nullptr) return status;
    if (request->target != nullptr) {
      return Status::failure("'%s': network device '%s' is attached twice", argument, split.name);
    }
    request->target = split.value;
    request->option = argument;
    return Status::success();
  }
  if (starts_with(argument, kNetMacPrefix)) {
    TENDER_TRY(
        split_device_argument(argument, argument + strlen(kNetMacPrefix), "--net-mac:NAME=xx:xx:xx:xx:xx:xx", split));
    uint8_t mac[SOLO5_NET_ALEN];
    if (!parse_mac(split.value, mac)) {
      return Status::failure("malformed option '%s': '%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", argument,
                             split.value);
    }
    if ((mac[0] & 0x01) != 0) {
      return Status::failure("'%s': %s is a multicast address; a device needs a unicast one", argument, split.value);
    }
    if ((request = find_or_add_device(options, argument, split, DeviceKind::net, status)) == nullptr) return status;
    if (request->has_mac) return Status::failure("'%s': the MAC address of '%s' is given twice", argument, split.name);
    memcpy(request->mac, mac, sizeof mac);
    request->has_mac = true;
    return Status::success();
  }
  if (starts_with(argument, kBlockPrefix)) {
    TENDER_TRY(split_device_argument(argument, argument + strlen(kBlockPrefix), "--block:NAME=PATH", split));
    if ((request = find_or_add_device(options, argument, split, DeviceKind::block, status)) == nullptr) return status;
    if (request->target != nullptr) {
      return Status::failure("'%s': block device '%s' is attached twice", argument, split.name);
    }
    request->target = split.value;
    request->option = argument;
    return Status::success();
  }
  if (starts_with(argument, kSectorSizePrefix)) {
    TENDER_TRY(
        split_device_argument(argument, argument + strlen(kSectorSizePrefix), "--block-sector-size:NAME=N", split));
    uint64_t size = 0;
    // The manifest holds the sector size in 16 bits, hence the upper bound.
    if (!parse_decimal(split.value, UINT16_MAX, &size) || size < 512 || (size & (size - 1)) != 0) {
      return Status::failure("'%s': the sector size must be a power of two from 512 to 32768", argument);
    }
    if ((request = find_or_add_device(options, argument, split, DeviceKind::block, status)) == nullptr) return status;
    if (request->sector_size != 0) {
      return Status::failure("'%s': the sector size of '%s' is given twice", argument, split.name);
    }
    request->sector_size = static_cast<uint16_t>(size);
    return Status::success();
  }
  return Status::failure("unknown option '%s' (see --help)", argument);
}

}  // namespace

const char* device_kind_name(DeviceKind kind) {
  return kind == DeviceKind::net ? "network" : "block";
}

Status parse_options(int argc, char** argv, TenderOptions& options) {
  // Field by field: clearing the whole device table would touch pages that are never used.
  options.memory_size = kDefaultMemoryMib << 20;
  options.image_path = nullptr;
  options.guest_arguments = nullptr;
  options.guest_argument_count = 0;
  options.show_help = false;
  options.show_version = false;
  options.print_policy = false;
  options.device_count = 0;

  int index = 1;
  for (; index < argc; ++index) {
    const char* argument = argv[index];
    if (argument[0] != '-') break;  // the image
    if (strcmp(argument, "--") == 0) {
      ++index;
      break;
    }
    if (strcmp(argument, "--help") == 0 || strcmp(argument, "-h") == 0) {
      options.show_help = true;
      return Status::success();
    }
    if (strcmp(argument, "--version") == 0) {
      options.show_version = true;
      return Status::success();
    }
    if (strcmp(argument, "--print-policy") == 0) {
      options.print_policy = true;
      continue;
    }
    if (starts_with(argument, kMemoryPrefix)) {
      uint64_t mib = 0;
      if (!parse_decimal(argument + strlen(kMemoryPrefix), kMaxMemoryMib, &mib) || mib == 0) {
        return Status::failure("malformed option '%s': expected --mem=MiB, a whole number from 1 to %llu", argument,
                               static_cast<unsigned long long>(kMaxMemoryMib));
      }
      options.memory_size = mib << 20;
      continue;
    }
    TENDER_TRY(parse_device_option(options, argument));
  }

  if (index >= argc) return Status::failure("no IMAGE given (see --help)");
  options.image_path = argv[index];
  options.guest_arguments = argv + index + 1;
  options.guest_argument_count = argc - index - 1;

  for (unsigned i = 0; i < options.device_count; ++i) {
    const DeviceRequest& request = options.devices[i];
    if (request.target != nullptr) continue;
    if (request.kind == DeviceKind::net) {
      return Status::failure("--net-mac:%s is given, but no --net:%s=TAP attaches that device", request.name,
                             request.name);
    }
    return Status::failure("--block-sector-size:%s is given, but no --block:%s=PATH attaches that device", request.name,
                           request.name);
  }
  return Status::success();
}

void print_usage(FILE* stream) {
  fputs(
      "usage: cairn-spt [OPTIONS] [--] IMAGE [ARGS...]\n"
      "Runs the spt unikernel IMAGE (Cairn or Solo5) in a seccomp sandbox; ARGS, joined by\n"
      "spaces, become its command line.\n"
      "\n"
      "Options:\n"
      "  --mem=MiB                         guest memory in MiB (default 512)\n"
      "  --net:NAME=TAP                    attach network device NAME to the existing tap\n"
      "                                    interface TAP\n"
      "  --net:NAME=@FD                    ... or to the tap descriptor FD this process inherited\n"
      "  --net-mac:NAME=xx:xx:xx:xx:xx:xx  MAC address of NAME (default: random, locally\n"
      "                                    administered, unicast)\n"
      "  --block:NAME=PATH                 attach block device NAME to the file or block device PATH\n"
      "  --block-sector-size:NAME=N        sector size of NAME: a power of two from 512 to 32768\n"
      "                                    (default 512); PATH's size must be a multiple of it\n"
      "  --print-policy                    print the system calls the guest may make, then exit\n"
      "  --help                            print this text\n"
      "  --version                         print the version and the spt ABI version\n"
      "\n"
      "Every device the image's manifest declares must be attached, and only those.\n"
      "Exit status: the guest's; 1 when cairn-spt refuses the image or the command line;\n"
      "killed by SIGSYS when the guest makes a forbidden system call.\n",
      stream);
}

}  // namespace cairn::tender
