// Guest memory: one anonymous host mapping that the guest sees as its whole address space.
//
// The mapping covers host addresses [SPT_HOST_MEM_BASE, memory size); guest address X is host
// address X (Linux will not map the first pages, vm.mmap_min_addr, so guest memory below
// SPT_HOST_MEM_BASE does not exist, and nothing loads below SPT_GUEST_MIN_BASE anyway). The tender
// is a position-independent executable, which Linux places far above guest memory.
#pragma once

#include "status.h"

#include <stdint.h>

namespace cairn::tender {

// Refuses to run under the READ_IMPLIES_EXEC personality, where every readable mapping would also
// be executable (including the guest's data, heap and stack).
Status check_no_read_implies_exec();

// Maps guest memory of `memory_size` bytes, readable and writable, without replacing anything
// already mapped. The pages are untouched: the kernel provides them (zeroed) on first use.
Status map_guest_memory(uint64_t memory_size);

// The host pointer to a guest address (the identity, see above).
inline void* guest_pointer(uint64_t guest_address) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(guest_address));
}

}  // namespace cairn::tender
