// Guest memory (see guest_memory.h).
#include "guest_memory.h"

#include "cairn/abi/spt_abi.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>

// The lowest address of the tender's own image, defined by the linker (GNU ld and lld).
extern "C" const char __executable_start[];  // NOLINT(bugprone-reserved-identifier): the linker's name

namespace cairn::tender {

namespace {

unsigned long long hex(uint64_t value) {
  return static_cast<unsigned long long>(value);
}

}  // namespace

Status check_no_read_implies_exec() {
  int persona = personality(0xffffffff);  // query without changing
  if (persona == -1) return Status::failure("cannot read the process personality: %s", strerror(errno));
  if ((persona & READ_IMPLIES_EXEC) != 0) {
    return Status::failure(
        "refusing to run with the READ_IMPLIES_EXEC personality: every readable guest page would "
        "be executable (was the tender started by 'setarch -X' or linked without -z noexecstack?)");
  }
  return Status::success();
}

Status map_guest_memory(uint64_t memory_size) {
  uint64_t tender_start = reinterpret_cast<uintptr_t>(__executable_start);
  if (memory_size > tender_start) {
    return Status::failure("guest memory of %llu MiB would reach the tender itself at 0x%llx; give a smaller --mem",
                           hex(memory_size >> 20), hex(tender_start));
  }
  void* requested = guest_pointer(SPT_HOST_MEM_BASE);
  void* mapped = mmap(requested, memory_size - SPT_HOST_MEM_BASE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (mapped == MAP_FAILED) {
    int error = errno;
    if (error == EEXIST) {
      return Status::failure("cannot map guest memory at 0x%x-0x%llx: something is already mapped there",
                             SPT_HOST_MEM_BASE, hex(memory_size));
    }
    if (error == EPERM || error == EACCES) {
      return Status::failure("cannot map guest memory at 0x%x: refused by the host (is vm.mmap_min_addr above 0x%x?)",
                             SPT_HOST_MEM_BASE, SPT_HOST_MEM_BASE);
    }
    return Status::failure("cannot map %llu MiB of guest memory: %s", hex(memory_size >> 20), strerror(error));
  }
  if (mapped != requested) {
    // A kernel older than 4.17 takes MAP_FIXED_NOREPLACE as a mere hint.
    munmap(mapped, memory_size - SPT_HOST_MEM_BASE);
    return Status::failure(
        "cannot map guest memory at 0x%x: the kernel placed it elsewhere (Linux 4.17 or later is "
        "needed)",
        SPT_HOST_MEM_BASE);
  }
  return Status::success();
}

}  // namespace cairn::tender
