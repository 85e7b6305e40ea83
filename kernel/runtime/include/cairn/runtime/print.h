// Formatted output for freestanding code: print("tick {} of {}\n", i, n).
//
// "{}" takes the next argument (integers in decimal, strings, characters, pointers in hex),
// "{:x}" prints an integer in hex, "{{" and "}}" are literal braces. Output is assembled in a
// stack buffer and written to the console in one call; text beyond 512 bytes is cut.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace cairn::runtime {

// One formatting argument, type-erased.
struct FormatArgument {
  enum class Kind { signed_integer, unsigned_integer, string, character, pointer };
  Kind kind;
  union {
    long long signed_value;
    unsigned long long unsigned_value;
    const char* string;
    char character;
    const void* pointer;
  };

  FormatArgument(int value) : kind(Kind::signed_integer), signed_value(value) {}
  FormatArgument(long value) : kind(Kind::signed_integer), signed_value(value) {}
  FormatArgument(long long value) : kind(Kind::signed_integer), signed_value(value) {}
  FormatArgument(unsigned value) : kind(Kind::unsigned_integer), unsigned_value(value) {}
  FormatArgument(unsigned long value) : kind(Kind::unsigned_integer), unsigned_value(value) {}
  FormatArgument(unsigned long long value) : kind(Kind::unsigned_integer), unsigned_value(value) {}
  FormatArgument(const char* value) : kind(Kind::string), string(value) {}
  FormatArgument(char value) : kind(Kind::character), character(value) {}
  FormatArgument(bool value) : kind(Kind::string), string(value ? "true" : "false") {}
  FormatArgument(const void* value) : kind(Kind::pointer), pointer(value) {}
};

// Formats into buffer[0..size), always NUL-terminated when size > 0; returns the length the
// whole text would have (like snprintf), so a result >= size means it was cut.
size_t format_arguments(char* buffer, size_t size, const char* format, const FormatArgument* arguments,
                        size_t count);

// Writes formatted text to the console.
void print_arguments(const char* format, const FormatArgument* arguments, size_t count);

template <typename... Arguments>
size_t format_to(char* buffer, size_t size, const char* format, const Arguments&... arguments) {
  const FormatArgument list[] = {FormatArgument(arguments)..., FormatArgument(0)};
  return format_arguments(buffer, size, format, list, sizeof...(Arguments));
}

template <typename... Arguments>
void print(const char* format, const Arguments&... arguments) {
  const FormatArgument list[] = {FormatArgument(arguments)..., FormatArgument(0)};
  print_arguments(format, list, sizeof...(Arguments));
}

// Prints "cairn: abort: <message>" on the console and ends the unikernel with status 255.
[[noreturn]] void panic_arguments(const char* format, const FormatArgument* arguments, size_t count);

template <typename... Arguments>
[[noreturn]] void panic(const char* format, const Arguments&... arguments) {
  const FormatArgument list[] = {FormatArgument(arguments)..., FormatArgument(0)};
  panic_arguments(format, list, sizeof...(Arguments));
}

}  // namespace cairn::runtime
