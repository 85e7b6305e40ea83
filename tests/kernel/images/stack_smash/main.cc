// Test image: overflows a stack buffer, which the stack protector must catch.
#include <cairn/runtime/app.h>
#include <cairn/runtime/string.h>

namespace {

__attribute__((noinline)) void overflow(const char* text, size_t length) {
  char buffer[16];
  memcpy(buffer, text, length);  // length > sizeof buffer: writes over the canary
  asm volatile("" : : "r"(buffer) : "memory");
}

}  // namespace

int cairn::app_main(cairn::Arguments) {
  static const char long_text[64] = "far longer than the sixteen-byte buffer";
  overflow(long_text, sizeof long_text);
  return 0;
}
