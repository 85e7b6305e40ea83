// solo5_app_main: from the platform's start info to the application's app_main (see app.h).
#include <cairn/solo5.h>

#include "cairn/runtime/app.h"
#include "cairn/runtime/heap.h"
#include "cairn/runtime/print.h"
#include "cairn/runtime/string.h"

// Global constructors, collected by the linker script (image.ld).
extern "C" {
extern void (*const __init_array_start[])();
extern void (*const __init_array_end[])();
}

namespace cairn {

bool Arguments::contains(const char* flag) const {
  for (const char* argument : *this) {
    if (strcmp(argument, flag) == 0) return true;
  }
  return false;
}

namespace {

void run_global_constructors() {
  for (auto* constructor = __init_array_start; constructor != __init_array_end; ++constructor) (*constructor)();
}

// Splits a copy of the command line at spaces into a NULL-terminated array on the heap.
Arguments split_command_line(const char* command_line) {
  size_t length = command_line != nullptr ? strlen(command_line) : 0;
  // Never freed: the arguments live as long as the app.
  // NOLINTBEGIN(clang-analyzer-cplusplus.NewDeleteLeaks)
  auto* text = new char[length + 1];
  memcpy(text, command_line != nullptr ? command_line : "", length + 1);
  size_t count = 0;
  for (size_t i = 0; i < length; ++i) {
    if (text[i] != ' ' && (i == 0 || text[i - 1] == ' ')) ++count;
  }
  auto** values = new const char*[count + 1];
  size_t next = 0;
  for (size_t i = 0; i < length; ++i) {
    if (text[i] == ' ') {
      text[i] = '\0';
    } else if (i == 0 || text[i - 1] == '\0') {
      values[next++] = &text[i];
    }
  }
  values[count] = nullptr;
  return Arguments(count, values);
  // NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)
}

}  // namespace
}  // namespace cairn

extern "C" int solo5_app_main(const solo5_start_info* info) {
  cairn::runtime::global_heap().initialize(reinterpret_cast<void*>(info->heap_start), info->heap_size);
  cairn::run_global_constructors();
  return cairn::app_main(cairn::split_command_line(info->cmdline));
}
