// cairn-spt: runs an spt unikernel image (Cairn's or Solo5's) as a sandboxed Linux process.
//
// The order matters: everything that can be refused (command line, image, devices) is checked
// before guest memory is touched; the seccomp filter comes last, after the only heap user
// (libseccomp) has released its memory, and is followed only by the jump into the guest.
//
// The tender is C++ without its runtime: no exceptions, RTTI, heap or standard library classes,
// so that it links nothing but libc and libseccomp. Errors are Status values (status.h).
#include "boot_info.h"
#include "cairn/abi/spt_abi.h"
#include "devices.h"
#include "elf_loader.h"
#include "guest_memory.h"
#include "launch.h"
#include "options.h"
#include "sandbox.h"
#include "status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

namespace cairn::tender {
namespace {

// Large state lives in static storage, not on the stack.
TenderOptions options;
ElfImage image;
SandboxPolicy policy;
SandboxProgram program;

// Prints "cairn-spt: <message>" and exits 1.
[[noreturn]] void fail(const Status& status) {
  fprintf(stderr, "cairn-spt: %s\n", status.message());
  exit(1);
}

void check(const Status& status) {
  if (!status.ok()) fail(status);
}

// Opens /dev/null on any of descriptors 0-2 that is closed, so that no device, epoll set or image
// can take the number the sandbox lets the guest write to as its console or error stream.
void ensure_standard_descriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    if (open("/dev/null", O_RDWR) != fd) exit(1);  // nowhere to say why
  }
}

[[noreturn]] void run(int argc, char** argv) {
  ensure_standard_descriptors();
  check(parse_options(argc, argv, options));
  if (options.show_help) {
    print_usage(stdout);
    exit(0);
  }
  if (options.show_version) {
    printf("cairn-spt %s (spt ABI version %d, Solo5-compatible)\n", CAIRN_VERSION, SPT_ABI_VERSION);
    exit(0);
  }

  check(open_image(options.image_path, image));
  check(check_image_fits(image, options.memory_size));
  check(check_command_line(options.guest_arguments, options.guest_argument_count));
  check(match_devices(options, image.mft, options.image_path));
  check(check_no_read_implies_exec());

  check(attach_devices(options, image.mft));
  EventSet events;
  check(create_event_set(image.mft, events));
  build_sandbox_policy(image.mft, events, policy);
  if (options.print_policy) {
    print_sandbox_policy(policy, options.image_path, stdout);
    exit(0);
  }

  check(map_guest_memory(options.memory_size));
  check(load_image(image));
  close_image(image);
  BootParameters boot;
  boot.memory_size = options.memory_size;
  boot.kernel_end = image.end;
  boot.mft = &image.mft;
  boot.epollfd = events.epollfd;
  boot.timerfd = events.timerfd;
  boot.arguments = options.guest_arguments;
  boot.argument_count = options.guest_argument_count;
  uint64_t boot_info = write_boot_info(boot);

  check(compile_sandbox_policy(policy, program));
  check(install_forbidden_call_reporter());
  // Anything printed must be out before the sandbox forbids the writes stdio might make.
  fflush(stdout);
  check(enter_sandbox(program));
  // x86-64: at a function's entry the stack pointer is 8 bytes below a 16-byte boundary.
  launch_guest(image.entry, options.memory_size - 8, boot_info);
}

}  // namespace
}  // namespace cairn::tender

int main(int argc, char** argv) {
  cairn::tender::run(argc, argv);
}
