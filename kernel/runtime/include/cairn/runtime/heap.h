// Heap: the unikernel's memory allocator, over the one region the platform hands out at boot.
//
// First fit over an address-ordered free list, with neighbours merged on free, 16-byte aligned
// blocks, and counters of bytes in use and their peak. It is a plain class so that host tests can
// run it over an array; inside an image one global instance serves operator new and delete.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace cairn::runtime {

class Heap {
 public:
  static constexpr size_t alignment = 16;

  // Takes over [start, start + size). Any previous state is forgotten.
  void initialize(void* start, size_t size);

  // A block of at least `size` bytes aligned to `align` (a power of two), or nullptr when no free
  // block is large enough. allocate(0) returns a valid, unique block.
  void* allocate(size_t size, size_t align = alignment);
  // Returns a block from allocate(); nullptr is ignored.
  void release(void* block);

  size_t bytes_in_use() const { return bytes_in_use_; }  // payload + headers of live blocks
  size_t peak_bytes_in_use() const { return peak_bytes_in_use_; }
  size_t capacity() const { return capacity_; }
  size_t free_bytes() const { return capacity_ - bytes_in_use_; }
  // Number of separate free regions (a measure of fragmentation; 1 on a fresh heap).
  size_t free_region_count() const;

 private:
  struct FreeBlock {
    size_t size;  // whole block, header included
    FreeBlock* next;
  };

  FreeBlock* free_list_ = nullptr;  // sorted by address
  uintptr_t start_ = 0;
  size_t capacity_ = 0;
  size_t bytes_in_use_ = 0;
  size_t peak_bytes_in_use_ = 0;
};

// The heap behind operator new/delete inside an image.
Heap& global_heap();

}  // namespace cairn::runtime
