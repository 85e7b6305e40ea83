// The spt image's entry point: what runs first when the tender jumps into the image.
//
// The tender calls _start(boot_info) on a stack at the top of guest memory. Before anything
// else, the stack-protector canary gets a fresh value (this function is not itself protected);
// then the platform layer reads the boot information, the heap is the memory between the end of
// the image and the stack, and solo5_app_main (the runtime) takes over.
#include <cairn/abi/spt_abi.h>
#include <cairn/solo5.h>

#include "platform_state.h"
#include "syscalls.h"

extern "C" uintptr_t __stack_chk_guard;

namespace {

// 256 KiB of stack below the top of guest memory. Tasks keep their frames on the heap, so the
// machine stack stays shallow.
constexpr uint64_t stack_size = uint64_t{256} * 1024;
constexpr uint64_t page_size = 4096;

__attribute__((no_stack_protector)) uintptr_t fresh_canary() {
  // RDRAND where the CPU has it, mixed with the time stamp counter; the low byte stays zero so
  // that string overflows stop at the canary.
  uint32_t eax, ebx, ecx, edx;
  asm volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
  uint64_t value = 0;
  if ((ecx & (1u << 30)) != 0) {
    unsigned char ok = 0;
    for (int attempt = 0; attempt < 10 && ok == 0; ++attempt) {
      asm volatile("rdrand %0; setc %1" : "=r"(value), "=qm"(ok));
    }
  }
  uint32_t low, high;
  asm volatile("rdtsc" : "=a"(low), "=d"(high));
  value ^= (uint64_t{high} << 32 | low) * 0x9e3779b97f4a7c15ull;
  return value & ~uintptr_t{0xff};
}

}  // namespace

extern "C" __attribute__((no_stack_protector, used)) void _start(const spt_boot_info* boot_info) {
  __stack_chk_guard = fresh_canary();
  cairn::spt::initialize_platform(boot_info);

  uint64_t heap_start = (boot_info->kernel_end + page_size - 1) & ~(page_size - 1);
  uint64_t stack_bottom = boot_info->mem_size > stack_size ? boot_info->mem_size - stack_size : 0;
  solo5_start_info start_info{};
  start_info.cmdline = boot_info->cmdline;
  start_info.heap_start = heap_start;
  start_info.heap_size = stack_bottom > heap_start ? stack_bottom - heap_start : 0;
  solo5_exit(solo5_app_main(&start_info));
}
