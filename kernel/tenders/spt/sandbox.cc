// The seccomp policy, its compilation and loading (see sandbox.h).
#include "sandbox.h"

#include <asm/prctl.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "cairn-spt runs x86-64 images on x86-64 hosts only"
#endif

namespace cairn::tender {

namespace {

ArgumentCheck argument_equals(uint8_t argument, uint64_t value) {
  return {argument, Comparison::equal, value};
}
ArgumentCheck argument_at_most(uint8_t argument, uint64_t value) {
  return {argument, Comparison::at_most, value};
}

SystemCallRule& add_rule(SandboxPolicy& policy, int number, const char* name) {
  SystemCallRule& rule = policy.rules[policy.rule_count++];
  memset(&rule, 0, sizeof rule);
  rule.number = number;
  rule.name = name;
  return rule;
}

void add_check(SystemCallRule& rule, ArgumentCheck check) {
  rule.checks[rule.check_count++] = check;
}

// The argument names printed by --print-policy.
const char* argument_name(const SystemCallRule& rule, unsigned argument) {
  static const char* const generic[] = {"arg0", "arg1", "arg2", "arg3", "arg4", "arg5"};
  switch (rule.number) {
    case SYS_pread64:
    case SYS_pwrite64: {
      static const char* const names[] = {"fd", "buf", "count", "offset"};
      return argument < 4 ? names[argument] : generic[argument];
    }
    case SYS_clock_gettime: return argument == 0 ? "clock" : generic[argument];
    case SYS_arch_prctl: return argument == 0 ? "code" : generic[argument];
    default: return argument == 0 ? "fd" : generic[argument];
  }
}

}  // namespace

void build_sandbox_policy(const Mft& mft, const EventSet& events, SandboxPolicy& policy) {
  policy.rule_count = 0;
  SystemCallRule* rule = &add_rule(policy, SYS_write, "write");
  add_check(*rule, argument_equals(0, STDOUT_FILENO));
  snprintf(rule->purpose, sizeof rule->purpose, "the console");
  rule = &add_rule(policy, SYS_write, "write");
  add_check(*rule, argument_equals(0, STDERR_FILENO));
  snprintf(rule->purpose, sizeof rule->purpose, "the tender's report of a forbidden call");
  rule = &add_rule(policy, SYS_exit_group, "exit_group");
  snprintf(rule->purpose, sizeof rule->purpose, "solo5_exit");
  rule = &add_rule(policy, SYS_epoll_pwait, "epoll_pwait");
  add_check(*rule, argument_equals(0, static_cast<uint64_t>(events.epollfd)));
  snprintf(rule->purpose, sizeof rule->purpose, "solo5_yield waits on the epoll set");
  rule = &add_rule(policy, SYS_timerfd_settime, "timerfd_settime");
  add_check(*rule, argument_equals(0, static_cast<uint64_t>(events.timerfd)));
  snprintf(rule->purpose, sizeof rule->purpose, "solo5_yield's deadline");
  rule = &add_rule(policy, SYS_clock_gettime, "clock_gettime");
  add_check(*rule, argument_equals(0, CLOCK_MONOTONIC));
  snprintf(rule->purpose, sizeof rule->purpose, "solo5_clock_monotonic");
  rule = &add_rule(policy, SYS_clock_gettime, "clock_gettime");
  add_check(*rule, argument_equals(0, CLOCK_REALTIME));
  snprintf(rule->purpose, sizeof rule->purpose, "solo5_clock_wall");
  rule = &add_rule(policy, SYS_arch_prctl, "arch_prctl");
  add_check(*rule, argument_equals(0, ARCH_SET_FS));
  snprintf(rule->purpose, sizeof rule->purpose, "solo5_set_tls_base");

  for (unsigned i = 1; i < mft.entry_count(); ++i) {
    struct mft_entry entry = mft.entry(i);
    if (!entry.attached) continue;
    uint64_t fd = static_cast<uint64_t>(entry.b.hostfd);
    if (entry.type == MFT_DEV_NET_BASIC) {
      rule = &add_rule(policy, SYS_read, "read");
      add_check(*rule, argument_equals(0, fd));
      snprintf(rule->purpose, sizeof rule->purpose, "network device '%s' (solo5_net_read)", entry.name);
      rule = &add_rule(policy, SYS_write, "write");
      add_check(*rule, argument_equals(0, fd));
      snprintf(rule->purpose, sizeof rule->purpose, "network device '%s' (solo5_net_write)", entry.name);
    } else if (entry.type == MFT_DEV_BLOCK_BASIC) {
      // Whole sectors only, and never past the end: a guest cannot grow the backing file.
      uint64_t sector = entry.u.block_basic.block_size;
      uint64_t last_offset = entry.u.block_basic.capacity - sector;
      const int numbers[] = {SYS_pread64, SYS_pwrite64};
      const char* const names[] = {"pread64", "pwrite64"};
      const char* const calls[] = {"solo5_block_read", "solo5_block_write"};
      for (int k = 0; k < 2; ++k) {
        rule = &add_rule(policy, numbers[k], names[k]);
        add_check(*rule, argument_equals(0, fd));
        add_check(*rule, argument_equals(2, sector));
        add_check(*rule, argument_at_most(3, last_offset));
        snprintf(rule->purpose, sizeof rule->purpose, "block device '%s' (%s)", entry.name, calls[k]);
      }
    }
  }
}

unsigned count_system_calls(const SandboxPolicy& policy) {
  unsigned distinct = 0;
  for (unsigned i = 0; i < policy.rule_count; ++i) {
    bool seen = false;
    for (unsigned j = 0; j < i && !seen; ++j) seen = policy.rules[j].number == policy.rules[i].number;
    if (!seen) ++distinct;
  }
  return distinct;
}

void print_sandbox_policy(const SandboxPolicy& policy, const char* image_path, FILE* stream) {
  fprintf(stream, "sandbox policy for %s: %u system calls, %u rules; any other call kills the guest (SIGSYS)\n",
          image_path, count_system_calls(policy), policy.rule_count);
  for (unsigned i = 0; i < policy.rule_count; ++i) {
    const SystemCallRule& rule = policy.rules[i];
    char conditions[160] = "any arguments";
    size_t used = 0;
    for (unsigned c = 0; c < rule.check_count; ++c) {
      const ArgumentCheck& check = rule.checks[c];
      int written =
          snprintf(conditions + used, sizeof conditions - used, "%s%s %s %llu", c > 0 ? ", " : "",
                   argument_name(rule, check.argument),
                   check.comparison == Comparison::equal ? "==" : "<=", static_cast<unsigned long long>(check.value));
      if (written < 0 || static_cast<size_t>(written) >= sizeof conditions - used) break;
      used += static_cast<size_t>(written);
    }
    fprintf(stream, "  %-16s %-40s %s\n", rule.name, conditions, rule.purpose);
  }
}

Status compile_sandbox_policy(const SandboxPolicy& policy, SandboxProgram& program) {
  // Level 4 (Linux 4.14: SECCOMP_RET_KILL_PROCESS) is all the filter needs. Saying so spares
  // libseccomp its probe of the kernel's seccomp features: eight system calls, most of them
  // faulting on purpose, which cost more than compiling the filter.
  if (seccomp_api_set(4) != 0) {
    return Status::failure("cannot set the libseccomp API level");
  }
  scmp_filter_ctx context = seccomp_init(SCMP_ACT_TRAP);
  if (context == nullptr) return Status::failure("cannot create a seccomp filter (libseccomp)");
  // Calls through another architecture's entry (int 0x80, x32) end the process at once.
  int rc = seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  for (unsigned i = 0; rc == 0 && i < policy.rule_count; ++i) {
    const SystemCallRule& rule = policy.rules[i];
    struct scmp_arg_cmp comparisons[3];
    memset(comparisons, 0, sizeof comparisons);
    for (unsigned c = 0; c < rule.check_count; ++c) {
      comparisons[c].arg = rule.checks[c].argument;
      comparisons[c].op = rule.checks[c].comparison == Comparison::equal ? SCMP_CMP_EQ : SCMP_CMP_LE;
      comparisons[c].datum_a = rule.checks[c].value;
    }
    rc = seccomp_rule_add_exact_array(context, SCMP_ACT_ALLOW, rule.number, rule.check_count, comparisons);
    if (rc != 0) {
      seccomp_release(context);
      return Status::failure("cannot add the seccomp rule for %s: %s", rule.name, strerror(-rc));
    }
  }
  if (rc != 0) {
    seccomp_release(context);
    return Status::failure("cannot configure the seccomp filter: %s", strerror(-rc));
  }

  // libseccomp 2.5 exports BPF only to a descriptor; read it back into static memory, so that the
  // libseccomp context (heap memory) is released before the filter that forbids brk is loaded.
  int fd = memfd_create("cairn-spt-seccomp", MFD_CLOEXEC);
  if (fd == -1) {
    seccomp_release(context);
    return Status::failure("cannot create a memfd for the seccomp filter: %s", strerror(errno));
  }
  rc = seccomp_export_bpf(context, fd);
  seccomp_release(context);
  struct stat file;
  if (rc != 0 || fstat(fd, &file) != 0) {
    close(fd);
    return Status::failure("cannot export the seccomp filter: %s", strerror(rc != 0 ? -rc : errno));
  }
  size_t size = static_cast<size_t>(file.st_size);
  if (size == 0 || size % sizeof(struct sock_filter) != 0 || size > sizeof program.instructions) {
    close(fd);
    return Status::failure("the seccomp filter has an unexpected size (%zu bytes)", size);
  }
  ssize_t got = pread(fd, program.instructions, size, 0);
  close(fd);
  if (got < 0 || static_cast<size_t>(got) != size) {
    return Status::failure("cannot read back the seccomp filter: %s", got < 0 ? strerror(errno) : "short read");
  }
  program.length = static_cast<unsigned short>(size / sizeof(struct sock_filter));
  return Status::success();
}

Status enter_sandbox(const SandboxProgram& program) {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Status::failure("cannot set no_new_privs: %s", strerror(errno));
  }
  struct sock_fprog filter;
  filter.len = program.length;
  filter.filter = const_cast<struct sock_filter*>(program.instructions);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter) != 0) {
    return Status::failure("cannot load the seccomp filter: %s", strerror(errno));
  }
  return Status::success();
}

}  // namespace cairn::tender
