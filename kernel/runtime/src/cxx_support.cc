// What C++ needs from a runtime when there is no C++ library: operator new and delete over the
// global heap, and the compiler-support symbols that libstdc++ would otherwise provide. With
// exceptions off, every failure ends the unikernel with a message that says what happened.
#include <cairn/solo5.h>

#include <new>

#include "cairn/runtime/heap.h"
#include "cairn/runtime/print.h"

namespace cairn::runtime {

Heap& global_heap() {
  static Heap heap;
  return heap;
}

namespace {

void* allocate_or_abort(size_t size, size_t align) {
  void* block = global_heap().allocate(size, align);
  if (block == nullptr) {
    Heap& heap = global_heap();
    panic("out of memory: {} bytes requested, {} of {} bytes in use", size, heap.bytes_in_use(), heap.capacity());
  }
  return block;
}

}  // namespace
}  // namespace cairn::runtime

using cairn::runtime::allocate_or_abort;
using cairn::runtime::global_heap;
using cairn::runtime::Heap;

void* operator new(size_t size) { return allocate_or_abort(size, Heap::alignment); }
void* operator new[](size_t size) { return allocate_or_abort(size, Heap::alignment); }
void* operator new(size_t size, std::align_val_t align) { return allocate_or_abort(size, static_cast<size_t>(align)); }
void* operator new[](size_t size, std::align_val_t align) {
  return allocate_or_abort(size, static_cast<size_t>(align));
}
void* operator new(size_t size, const std::nothrow_t&) noexcept { return global_heap().allocate(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return global_heap().allocate(size); }

void operator delete(void* block) noexcept { global_heap().release(block); }
void operator delete[](void* block) noexcept { global_heap().release(block); }
void operator delete(void* block, size_t) noexcept { global_heap().release(block); }
void operator delete[](void* block, size_t) noexcept { global_heap().release(block); }
void operator delete(void* block, std::align_val_t) noexcept { global_heap().release(block); }
void operator delete[](void* block, std::align_val_t) noexcept { global_heap().release(block); }
void operator delete(void* block, size_t, std::align_val_t) noexcept { global_heap().release(block); }
void operator delete[](void* block, size_t, std::align_val_t) noexcept { global_heap().release(block); }
void operator delete(void* block, const std::nothrow_t&) noexcept { global_heap().release(block); }
void operator delete[](void* block, const std::nothrow_t&) noexcept { global_heap().release(block); }

extern "C" {

// Static destructors never run: a unikernel ends with exit_group, not by returning to a C library.
void* __dso_handle = &__dso_handle;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }

void __cxa_pure_virtual() { cairn::runtime::panic("pure virtual function called"); }
void __cxa_deleted_virtual() { cairn::runtime::panic("deleted virtual function called"); }
void __cxa_throw_bad_array_new_length() { cairn::runtime::panic("array new with a bad length"); }

// One core, no threads: a guard is "being initialised" at most once at a time.
int __cxa_guard_acquire(uint64_t* guard) { return *reinterpret_cast<volatile char*>(guard) == 0 ? 1 : 0; }
void __cxa_guard_release(uint64_t* guard) { *reinterpret_cast<volatile char*>(guard) = 1; }
void __cxa_guard_abort(uint64_t*) {}

// -fstack-protector with -mstack-protector-guard=global: the canary lives here and is given a
// fresh value by the bindings' entry point before any protected function returns.
uintptr_t __stack_chk_guard = 0x595e9fbd94fda766;
[[noreturn]] void __stack_chk_fail() { cairn::runtime::panic("stack smashing detected"); }

[[noreturn]] void abort() { cairn::runtime::panic("abort() called"); }

}  // extern "C"

namespace std {
void terminate() noexcept { cairn::runtime::panic("std::terminate() called"); }
}  // namespace std
