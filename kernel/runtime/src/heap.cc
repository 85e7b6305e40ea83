// The first-fit heap (see heap.h).
//
// Every allocated block is preceded by a 16-byte header holding the block's total size and the
// distance from the block's start to the pointer handed out (non-zero only for over-aligned
// requests). Free blocks form a singly linked list in address order, so a release can merge a
// block with the free neighbours on both sides in one pass.
#include "cairn/runtime/heap.h"

namespace cairn::runtime {

namespace {

struct AllocatedHeader {
  size_t size;    // whole block, header and padding included
  size_t offset;  // from the block's start to the payload
};
static_assert(sizeof(AllocatedHeader) == Heap::alignment, "the header keeps payloads 16-byte aligned");

constexpr uintptr_t align_up(uintptr_t value, size_t align) { return (value + align - 1) & ~(uintptr_t(align) - 1); }

// A free block must be able to hold its own bookkeeping once released.
constexpr size_t minimum_block = 32;

}  // namespace

void Heap::initialize(void* start, size_t size) {
  uintptr_t first = align_up(reinterpret_cast<uintptr_t>(start), alignment);
  uintptr_t end = (reinterpret_cast<uintptr_t>(start) + size) & ~(uintptr_t(alignment) - 1);
  free_list_ = nullptr;
  start_ = first;
  capacity_ = end > first ? end - first : 0;
  bytes_in_use_ = 0;
  peak_bytes_in_use_ = 0;
  if (capacity_ >= minimum_block) {
    free_list_ = reinterpret_cast<FreeBlock*>(first);
    free_list_->size = capacity_;
    free_list_->next = nullptr;
  }
}

void* Heap::allocate(size_t size, size_t align) {
  if (align < alignment) align = alignment;
  if ((align & (align - 1)) != 0) return nullptr;
  if (size > capacity_) return nullptr;  // also keeps the arithmetic below from overflowing
  for (FreeBlock** link = &free_list_; *link != nullptr; link = &(*link)->next) {
    FreeBlock* block = *link;
    uintptr_t block_start = reinterpret_cast<uintptr_t>(block);
    uintptr_t payload = align_up(block_start + sizeof(AllocatedHeader), align);
    size_t needed = align_up(payload + size, alignment) - block_start;
    if (needed < minimum_block) needed = minimum_block;
    if (needed > block->size) continue;

    size_t remainder = block->size - needed;
    if (remainder >= minimum_block) {
      auto* rest = reinterpret_cast<FreeBlock*>(block_start + needed);
      rest->size = remainder;
      rest->next = block->next;
      *link = rest;
    } else {
      needed = block->size;  // too small a sliver to keep: give it away with the block
      *link = block->next;
    }
    auto* header = reinterpret_cast<AllocatedHeader*>(payload - sizeof(AllocatedHeader));
    header->size = needed;
    header->offset = payload - block_start;
    bytes_in_use_ += needed;
    if (bytes_in_use_ > peak_bytes_in_use_) peak_bytes_in_use_ = bytes_in_use_;
    return reinterpret_cast<void*>(payload);
  }
  return nullptr;
}

void Heap::release(void* pointer) {
  if (pointer == nullptr) return;
  auto* header = reinterpret_cast<AllocatedHeader*>(reinterpret_cast<uintptr_t>(pointer) - sizeof(AllocatedHeader));
  uintptr_t block_start = reinterpret_cast<uintptr_t>(pointer) - header->offset;
  size_t size = header->size;
  bytes_in_use_ -= size;

  // Find the free neighbours: `previous` ends at or before the block, `next` starts after it.
  FreeBlock* previous = nullptr;
  FreeBlock* next = free_list_;
  while (next != nullptr && reinterpret_cast<uintptr_t>(next) < block_start) {
    previous = next;
    next = next->next;
  }
  auto* block = reinterpret_cast<FreeBlock*>(block_start);
  block->size = size;
  block->next = next;
  if (next != nullptr && block_start + size == reinterpret_cast<uintptr_t>(next)) {
    block->size += next->size;
    block->next = next->next;
  }
  if (previous != nullptr && reinterpret_cast<uintptr_t>(previous) + previous->size == block_start) {
    previous->size += block->size;
    previous->next = block->next;
  } else if (previous != nullptr) {
    previous->next = block;
  } else {
    free_list_ = block;
  }
}

size_t Heap::free_region_count() const {
  size_t count = 0;
  for (const FreeBlock* block = free_list_; block != nullptr; block = block->next) ++count;
  return count;
}

}  // namespace cairn::runtime
