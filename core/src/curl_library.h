// libcurl, opened on first use instead of at process start.
//
// Linking libcurl makes the dynamic loader map and initialise about thirty libraries (GnuTLS,
// Kerberos, LDAP, libssh2, ...) in every `cairn` process, which measured 3.2 ms per start on the
// benchmark machine: more than twice what `gpgv` takes to run. Most commands never download
// anything, so the library is opened with dlopen() by the first transfer and its few entry points
// looked up by name. The types and constants still come from <curl/curl.h>; the soname is the
// ABI that header belongs to.
#pragma once

#include "cairn/core/result.h"

#include <curl/curl.h>

namespace cairn {

struct CurlLibrary {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
};

// The loaded and globally initialised library, the same for the life of the process; an error
// (naming the package to install) when libcurl cannot be opened or lacks an entry point.
Result<const CurlLibrary*> curl_library();

}  // namespace cairn
