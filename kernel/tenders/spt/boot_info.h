// What the tender writes into guest memory for the guest's entry point: struct spt_boot_info at
// SPT_BOOT_INFO_BASE, the manifest (devices attached) right after it, then the command line.
#pragma once

#include "cairn/abi/spt_abi.h"
#include "mft.h"
#include "status.h"

#include <stdint.h>

namespace cairn::tender {

// The guest's command line is its arguments joined by single spaces. Refuses arguments whose
// joined length, with the terminating NUL, exceeds SPT_CMDLINE_SIZE.
Status check_command_line(char* const* arguments, int count);

struct BootParameters {
  uint64_t memory_size;
  uint64_t kernel_end;
  const Mft* mft;
  int epollfd;
  int timerfd;
  char* const* arguments;  // the guest's command line, checked by check_command_line()
  int argument_count;
};

// Writes the boot information into mapped guest memory; returns its guest address.
uint64_t write_boot_info(const BootParameters& parameters);

}  // namespace cairn::tender
