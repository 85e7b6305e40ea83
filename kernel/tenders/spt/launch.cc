// The jump into the guest (see launch.h). Built with -fno-stack-protector: once %fs is cleared,
// no stack canary can be read.
#include "launch.h"

#include <asm/prctl.h>
#include <sys/syscall.h>

namespace cairn::tender {

void launch_guest(uint64_t entry, uint64_t stack_top, uint64_t boot_info) {
  // The inputs live in registers the sequence does not touch before it has read them: rax, rcx,
  // rdi, rsi and r11 are clobbered first (arch_prctl), so the compiler keeps the inputs elsewhere,
  // and the entry point is pinned to rdx, the register jumped through.
  __asm__ volatile(
      "mov %[arch_prctl], %%eax\n\t"
      "mov %[set_fs], %%edi\n\t"
      "xor %%esi, %%esi\n\t"
      "syscall\n\t"
      "mov %[stack_top], %%rsp\n\t"
      "mov %[boot_info], %%rdi\n\t"
      "xor %%eax, %%eax\n\t"
      "xor %%ebx, %%ebx\n\t"
      "xor %%ecx, %%ecx\n\t"
      "xor %%esi, %%esi\n\t"
      "xor %%ebp, %%ebp\n\t"
      "xor %%r8d, %%r8d\n\t"
      "xor %%r9d, %%r9d\n\t"
      "xor %%r10d, %%r10d\n\t"
      "xor %%r11d, %%r11d\n\t"
      "xor %%r12d, %%r12d\n\t"
      "xor %%r13d, %%r13d\n\t"
      "xor %%r14d, %%r14d\n\t"
      "xor %%r15d, %%r15d\n\t"
      "jmp *%%rdx\n\t"
      :
      : [arch_prctl] "i"(SYS_arch_prctl), [set_fs] "i"(ARCH_SET_FS), [stack_top] "r"(stack_top),
        [boot_info] "r"(boot_info), "d"(entry)
      : "rax", "rcx", "rdi", "rsi", "r11", "memory");
  __builtin_unreachable();
}

}  // namespace cairn::tender
