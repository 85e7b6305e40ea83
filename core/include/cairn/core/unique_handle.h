// UniqueHandle: the one owner of a C library's handle (OpenSSL, GPGME, libarchive, libcurl, DIR).
//
//   UniqueHandle<EVP_MD_CTX, EVP_MD_CTX_free> context(EVP_MD_CTX_new());
//
// is a std::unique_ptr whose deleter calls the library's own release function, so no library
// needs a hand-written deleter struct per handle type. A null handle is never released.
#pragma once

#include <memory>
#include <type_traits>

namespace cairn {

// Calls `Release` on a handle; stateless, so a UniqueHandle is one pointer wide.
template <auto Release>
struct ReleaseWith {
  template <typename T>
  void operator()(T* handle) const {
    Release(handle);
  }
};

// `T` is the pointee type: for a library whose handles are typedef'd pointers (gpgme_ctx_t),
// use std::remove_pointer_t<gpgme_ctx_t>.
template <typename T, auto Release>
using UniqueHandle = std::unique_ptr<T, ReleaseWith<Release>>;

}  // namespace cairn
