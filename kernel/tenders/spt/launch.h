// The jump into the guest.
#pragma once

#include <stdint.h>

namespace cairn::tender {

// Calls the guest's entry point as `void start(struct spt_boot_info*)` with the stack pointer at
// `stack_top`, never to return. On the way it clears the tender's thread pointer (the guest sets
// its own through arch_prctl) and every register but the argument, so that no tender address
// reaches the guest. Call it inside the sandbox: it makes one allowed system call.
[[noreturn]] void launch_guest(uint64_t entry, uint64_t stack_top, uint64_t boot_info);

}  // namespace cairn::tender
