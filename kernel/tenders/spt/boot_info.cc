// The spt boot information in guest memory (see boot_info.h).
#include "boot_info.h"

#include "guest_memory.h"

#include <string.h>

namespace cairn::tender {

Status check_command_line(char* const* arguments, int count) {
  size_t length = 0;  // of the joined text, without its NUL
  for (int i = 0; i < count; ++i) {
    length += (i > 0 ? 1 : 0) + strlen(arguments[i]);
    if (length >= SPT_CMDLINE_SIZE) {
      return Status::failure("the guest command line is longer than %d bytes", SPT_CMDLINE_SIZE - 1);
    }
  }
  return Status::success();
}

uint64_t write_boot_info(const BootParameters& parameters) {
  uint64_t boot_info_address = SPT_BOOT_INFO_BASE;
  uint64_t mft_address = boot_info_address + sizeof(struct spt_boot_info);
  uint64_t command_line_address = mft_address + parameters.mft->size();
  static_assert(sizeof(struct spt_boot_info) % alignof(struct mft) == 0, "the manifest follows the boot info aligned");

  memcpy(guest_pointer(mft_address), parameters.mft->bytes(), parameters.mft->size());

  char* command_line = static_cast<char*>(guest_pointer(command_line_address));
  size_t length = 0;
  for (int i = 0; i < parameters.argument_count; ++i) {
    if (i > 0) command_line[length++] = ' ';
    size_t argument_length = strlen(parameters.arguments[i]);
    memcpy(command_line + length, parameters.arguments[i], argument_length);
    length += argument_length;
  }
  command_line[length] = '\0';

  struct spt_boot_info boot_info;
  memset(&boot_info, 0, sizeof boot_info);
  boot_info.mem_size = parameters.memory_size;
  boot_info.kernel_end = parameters.kernel_end;
  boot_info.cmdline = command_line;
  boot_info.mft = guest_pointer(mft_address);
  boot_info.epollfd = parameters.epollfd;
  boot_info.timerfd = parameters.timerfd;
  memcpy(guest_pointer(boot_info_address), &boot_info, sizeof boot_info);
  return boot_info_address;
}

}  // namespace cairn::tender
