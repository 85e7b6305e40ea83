// What the spt bindings remember from the boot information (see start.cc and platform.cc).
#pragma once

#include <cairn/abi/spt_abi.h>

namespace cairn::spt {

void initialize_platform(const spt_boot_info* boot_info);

}  // namespace cairn::spt
