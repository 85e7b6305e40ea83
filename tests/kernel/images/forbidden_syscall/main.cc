// Test image: makes a system call the spt sandbox does not allow (getpid), which must kill it.
#include <cairn/runtime/app.h>
#include <cairn/runtime/print.h>

int cairn::app_main(cairn::Arguments) {
  cairn::runtime::print("about to call getpid\n");
  long result;
  asm volatile("syscall" : "=a"(result) : "a"(39L) : "rcx", "r11", "memory");  // 39: getpid
  cairn::runtime::print("still alive after getpid ({}): the sandbox let it through\n", result);
  return 0;
}
