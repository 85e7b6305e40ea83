// memcpy and friends for images. The copies use x86-64 string instructions: short, and fast on
// every CPU with ERMS; a plain loop here could be turned back into a call to itself by the
// optimiser.
#include "cairn/runtime/string.h"

#include <stdint.h>

extern "C" {

void* memcpy(void* destination, const void* source, size_t size) {
  void* result = destination;
  asm volatile("rep movsb" : "+D"(destination), "+S"(source), "+c"(size) : : "memory");
  return result;
}

void* memmove(void* destination, const void* source, size_t size) {
  auto to = reinterpret_cast<uintptr_t>(destination);
  auto from = reinterpret_cast<uintptr_t>(source);
  if (to <= from || to >= from + size) return memcpy(destination, source, size);
  // Overlapping with the destination above the source: copy backwards.
  void* last_to = reinterpret_cast<void*>(to + size - 1);
  const void* last_from = reinterpret_cast<const void*>(from + size - 1);
  asm volatile("std\n\trep movsb\n\tcld" : "+D"(last_to), "+S"(last_from), "+c"(size) : : "memory");
  return destination;
}

void* memset(void* destination, int value, size_t size) {
  void* result = destination;
  asm volatile("rep stosb" : "+D"(destination), "+c"(size) : "a"(value) : "memory");
  return result;
}

int memcmp(const void* a, const void* b, size_t size) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < size; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

size_t strlen(const char* text) {
  size_t length = 0;
  while (text[length] != '\0') ++length;
  return length;
}

size_t strnlen(const char* text, size_t limit) {
  size_t length = 0;
  while (length < limit && text[length] != '\0') ++length;
  return length;
}

int strcmp(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) ++a, ++b;
  return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

int strncmp(const char* a, const char* b, size_t limit) {
  for (size_t i = 0; i < limit; ++i) {
    if (a[i] != b[i] || a[i] == '\0') return static_cast<unsigned char>(a[i]) - static_cast<unsigned char>(b[i]);
  }
  return 0;
}

}  // extern "C"
