// Test image: allocates until the heap runs out, which must end with an out-of-memory abort that
// says how much was in use.
#include <cairn/runtime/app.h>
#include <cairn/runtime/heap.h>
#include <cairn/runtime/print.h>

int cairn::app_main(cairn::Arguments) {
  auto& heap = cairn::runtime::global_heap();
  cairn::runtime::print("heap: {} bytes\n", heap.capacity());
  for (;;) {
    char* block = new char[64 * 1024];
    asm volatile("" : : "r"(block) : "memory");  // keeps the compiler from eliding the allocation
  }
}
