// The small formatter behind print() and panic() (see print.h).
#include "cairn/runtime/print.h"

#include <cairn/solo5.h>

namespace cairn::runtime {

namespace {

// Appends to a bounded buffer, counting what would not fit.
class Writer {
 public:
  Writer(char* buffer, size_t size) : buffer_(buffer), size_(size) {}

  void put(char c) {
    if (length_ + 1 < size_) buffer_[length_] = c;
    ++length_;
  }
  void put(const char* text) {
    for (; *text != '\0'; ++text) put(*text);
  }
  void put_unsigned(unsigned long long value, unsigned base) {
    char digits[24];
    int count = 0;
    do {
      unsigned digit = static_cast<unsigned>(value % base);
      digits[count++] = static_cast<char>(digit < 10 ? '0' + digit : 'a' + digit - 10);
      value /= base;
    } while (value != 0);
    while (count > 0) put(digits[--count]);
  }
  size_t finish() {
    if (size_ > 0) buffer_[length_ < size_ ? length_ : size_ - 1] = '\0';
    return length_;
  }

 private:
  char* buffer_;
  size_t size_;
  size_t length_ = 0;
};

void put_argument(Writer& out, const FormatArgument& argument, bool hex) {
  unsigned base = hex ? 16 : 10;
  switch (argument.kind) {
    case FormatArgument::Kind::signed_integer:
      if (argument.signed_value < 0 && !hex) {
        out.put('-');
        out.put_unsigned(0ull - static_cast<unsigned long long>(argument.signed_value), 10);
      } else {
        out.put_unsigned(static_cast<unsigned long long>(argument.signed_value), base);
      }
      break;
    case FormatArgument::Kind::unsigned_integer: out.put_unsigned(argument.unsigned_value, base); break;
    case FormatArgument::Kind::string: out.put(argument.string != nullptr ? argument.string : "(null)"); break;
    case FormatArgument::Kind::character: out.put(argument.character); break;
    case FormatArgument::Kind::pointer:
      out.put("0x");
      out.put_unsigned(reinterpret_cast<uintptr_t>(argument.pointer), 16);
      break;
  }
}

constexpr size_t console_line_size = 512;

}  // namespace

size_t format_arguments(char* buffer, size_t size, const char* format, const FormatArgument* arguments,
                        size_t count) {
  Writer out(buffer, size);
  size_t next = 0;
  for (const char* p = format; *p != '\0'; ++p) {
    if (p[0] == '{' && p[1] == '{') {
      out.put('{');
      ++p;
    } else if (p[0] == '}' && p[1] == '}') {
      out.put('}');
      ++p;
    } else if (p[0] == '{' && p[1] == '}') {
      if (next < count) put_argument(out, arguments[next++], false);
      ++p;
    } else if (p[0] == '{' && p[1] == ':' && p[2] == 'x' && p[3] == '}') {
      if (next < count) put_argument(out, arguments[next++], true);
      p += 3;
    } else {
      out.put(*p);
    }
  }
  return out.finish();
}

void print_arguments(const char* format, const FormatArgument* arguments, size_t count) {
  char line[console_line_size];
  size_t length = format_arguments(line, sizeof line, format, arguments, count);
  solo5_console_write(line, length < sizeof line ? length : sizeof line - 1);
}

void panic_arguments(const char* format, const FormatArgument* arguments, size_t count) {
  char line[console_line_size];
  size_t length = format_arguments(line, sizeof line, format, arguments, count);
  if (length >= sizeof line) length = sizeof line - 1;
  static const char prefix[] = "cairn: abort: ";
  solo5_console_write(prefix, sizeof prefix - 1);
  solo5_console_write(line, length);
  solo5_console_write("\n", 1);
  solo5_abort();
}

}  // namespace cairn::runtime
