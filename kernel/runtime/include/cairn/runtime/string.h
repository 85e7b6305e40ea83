// The C string and memory functions freestanding code needs (the compiler also emits calls to
// memcpy, memmove, memset and memcmp on its own). Implemented in runtime/src/string.cc for images;
// host builds use the C library's.
#pragma once

#include <stddef.h>

extern "C" {
void* memcpy(void* destination, const void* source, size_t size);
void* memmove(void* destination, const void* source, size_t size);
void* memset(void* destination, int value, size_t size);
int memcmp(const void* a, const void* b, size_t size);
size_t strlen(const char* text);
size_t strnlen(const char* text, size_t limit);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t limit);
}
