// Arrays the protocols allocate once and keep (reassembly buffers, socket queues), without
// exceptions: nullptr when memory is short, so the caller can drop a packet instead of ending the
// unikernel. It passes a std::nothrow_t{} temporary rather than std::nothrow, an object that
// lives in the compiled libstdc++, which images do not link (the kernel runtime provides the
// nothrow operator new[] itself).
#pragma once

#include <stddef.h>

#include <new>

namespace cairn::protocols {

template <typename T>
T* allocate_array(size_t count) {
  return new (std::nothrow_t{}) T[count];
}

}  // namespace cairn::protocols
