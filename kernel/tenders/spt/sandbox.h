// The guest's sandbox: a seccomp filter that allows a handful of system calls, each with its
// arguments checked, and reports any other call before the process dies of SIGSYS.
//
// The policy is data (SandboxPolicy), built from the attached devices, so that the same rules are
// compiled into the filter and printed by --print-policy. The filter is compiled with libseccomp,
// whose context is released before the filter is loaded: once it is active, nothing may call
// malloc or free (brk and mmap are not allowed).
#pragma once

#include "devices.h"
#include "mft.h"
#include "status.h"

#include <linux/filter.h>
#include <stdint.h>
#include <stdio.h>

namespace cairn::tender {

enum class Comparison : uint8_t { equal, at_most };

struct ArgumentCheck {
  uint8_t argument;  // 0 for the first argument
  Comparison comparison;
  uint64_t value;
};

// One allowed system call with conditions on its arguments; the call is allowed when all hold.
struct SystemCallRule {
  int number;
  const char* name;
  unsigned check_count;
  ArgumentCheck checks[3];
  char purpose[128];  // what the rule is for, for --print-policy
};

// write to 1 and 2, exit_group, epoll_pwait, timerfd_settime, clock_gettime (two clocks),
// arch_prctl, then read+write per network device and pread64+pwrite64 per block device.
inline constexpr unsigned kMaxSandboxRules = 8 + 2 * MFT_MAX_ENTRIES;

struct SandboxPolicy {
  SystemCallRule rules[kMaxSandboxRules];
  unsigned rule_count;
};

void build_sandbox_policy(const Mft& mft, const EventSet& events, SandboxPolicy& policy);

// The number of distinct system calls the policy allows.
unsigned count_system_calls(const SandboxPolicy& policy);

void print_sandbox_policy(const SandboxPolicy& policy, const char* image_path, FILE* stream);

// A compiled filter, ready to load.
struct SandboxProgram {
  struct sock_filter instructions[BPF_MAXINSNS];
  unsigned short length;
};

// Compiles the policy (default action: trap) with libseccomp and releases libseccomp's memory.
Status compile_sandbox_policy(const SandboxPolicy& policy, SandboxProgram& program);

// Installs the SIGSYS handler (on its own stack) that reports a forbidden call on stderr as
// "cairn-spt: killed: forbidden system call NAME (NUMBER)" and then lets the process die of SIGSYS.
Status install_forbidden_call_reporter();

// Sets no_new_privs and loads the filter. From here on the process may only make allowed calls.
Status enter_sandbox(const SandboxProgram& program);

}  // namespace cairn::tender
