// The SIGSYS handler that reports a forbidden system call (see sandbox.h).
//
// It runs in the guest's context, inside the sandbox: the thread pointer (%fs) is the guest's, so
// nothing here may touch thread-local storage (errno, the stack protector's canary, glibc's
// cancellation state); and the heap is off limits. Hence direct system calls, hand formatting, a
// static stack of its own, and this file is built with -fno-stack-protector.
#include "sandbox.h"
#include "system_call_names.h"

#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

namespace cairn::tender {

namespace {

// si_code of a SIGSYS raised by seccomp (SYS_SECCOMP in the kernel's headers; glibc lacks it).
constexpr int kSeccompSignalCode = 1;

// The handler's own stack: the guest's stack pointer may point anywhere.
alignas(16) unsigned char reporter_stack[64 * 1024];

long direct_system_call(long number, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0) {
  register long r10 __asm__("r10") = a3;
  register long r8 __asm__("r8") = a4;
  register long r9 __asm__("r9") = a5;
  long result;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(number), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return result;
}

class LineWriter {
 public:
  void append(const char* text) {
    while (*text != '\0' && length_ < sizeof line_) line_[length_++] = *text++;
  }
  void append_decimal(long value) {
    char digits[24];
    int count = 0;
    unsigned long magnitude = value < 0 ? 0UL - static_cast<unsigned long>(value) : static_cast<unsigned long>(value);
    do {
      digits[count++] = static_cast<char>('0' + magnitude % 10);
      magnitude /= 10;
    } while (magnitude != 0);
    if (value < 0 && length_ < sizeof line_) line_[length_++] = '-';
    while (count > 0 && length_ < sizeof line_) line_[length_++] = digits[--count];
  }
  void write_to(int fd) const {
    direct_system_call(SYS_write, fd, reinterpret_cast<long>(line_), static_cast<long>(length_));
  }

 private:
  char line_[160];
  size_t length_ = 0;
};

void report_forbidden_system_call(int, siginfo_t* info, void* context) {
  if (info->si_code == kSeccompSignalCode) {
    long number = info->si_syscall;
    const char* name = info->si_arch == AUDIT_ARCH_X86_64 ? system_call_name(number) : nullptr;
    LineWriter line;
    line.append("cairn-spt: killed: forbidden system call ");
    line.append(name != nullptr ? name : "unknown");
    line.append(" (");
    line.append_decimal(number);
    line.append(")\n");
    line.write_to(STDERR_FILENO);

    // SA_RESETHAND put SIGSYS back to its default action, so making the same call again (the filter
    // traps it again) ends the process with SIGSYS, which is what whoever started us sees.
    const greg_t* registers = static_cast<ucontext_t*>(context)->uc_mcontext.gregs;
    direct_system_call(number, registers[REG_RDI], registers[REG_RSI], registers[REG_RDX], registers[REG_R10],
                       registers[REG_R8], registers[REG_R9]);
  }
  // A SIGSYS that seccomp did not raise (or a call that unexpectedly went through): raise SIGSYS
  // ourselves. Inside the sandbox getpid is itself forbidden, which ends the process the same way.
  direct_system_call(SYS_kill, direct_system_call(SYS_getpid), SIGSYS);
  direct_system_call(SYS_exit_group, 128 + SIGSYS);
}

}  // namespace

Status install_forbidden_call_reporter() {
  stack_t stack;
  memset(&stack, 0, sizeof stack);
  stack.ss_sp = reporter_stack;
  stack.ss_size = sizeof reporter_stack;
  if (sigaltstack(&stack, nullptr) != 0) return Status::failure("cannot set a signal stack: %s", strerror(errno));

  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = report_forbidden_system_call;
  action.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
  sigfillset(&action.sa_mask);
  if (sigaction(SIGSYS, &action, nullptr) != 0) {
    return Status::failure("cannot install the SIGSYS handler: %s", strerror(errno));
  }
  return Status::success();
}

}  // namespace cairn::tender
