// The Linux system calls an spt guest makes, as raw x86-64 `syscall` instructions. These are the
// only calls the spt tender's seccomp filter lets through (with these arguments); anything else
// kills the unikernel. Returns are the kernel's: a value, or -errno.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace cairn::spt {

enum SystemCall : long {
  sys_read = 0,
  sys_write = 1,
  sys_pread64 = 17,
  sys_pwrite64 = 18,
  sys_arch_prctl = 158,
  sys_clock_gettime = 228,
  sys_exit_group = 231,
  sys_epoll_pwait = 281,
  sys_timerfd_settime = 286,
};

constexpr long error_again = -11;  // -EAGAIN
constexpr long error_interrupted = -4;  // -EINTR
constexpr int clock_realtime = 0;
constexpr int clock_monotonic = 1;
constexpr int timer_absolute = 1;  // TFD_TIMER_ABSTIME
constexpr int arch_set_fs = 0x1002;
constexpr int console_fd = 1;

struct Timespec {
  int64_t seconds;
  int64_t nanoseconds;
};

struct TimerSpec {
  Timespec interval;
  Timespec value;
};

// The kernel's struct epoll_event is packed on x86-64.
struct __attribute__((packed)) EpollEvent {
  uint32_t events;
  uint64_t data;
};

inline long system_call(long number, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  register long r10 asm("r10") = d;
  register long r8 asm("r8") = e;
  register long r9 asm("r9") = f;
  long result;
  asm volatile("syscall"
               : "=a"(result)
               : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return result;
}

[[noreturn]] inline void exit_group(int status) {
  system_call(sys_exit_group, status);
  __builtin_unreachable();
}

}  // namespace cairn::spt
