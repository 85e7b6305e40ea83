// GPGME plumbing for signing/: one-time library set-up, owning handles for contexts, data and
// keys, and errors that carry GPGME's reason. Private to the signing library.
#pragma once

#include "cairn/core/result.h"
#include "cairn/core/unique_handle.h"

#include <gpgme.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace cairn::signing::gpgme {

using Context = UniqueHandle<std::remove_pointer_t<gpgme_ctx_t>, gpgme_release>;
using Data = UniqueHandle<std::remove_pointer_t<gpgme_data_t>, gpgme_data_release>;
using Key = UniqueHandle<std::remove_pointer_t<gpgme_key_t>, gpgme_key_unref>;

// Sets GPGME up once per process: gpg found on PATH and named directly, gpgconf never run
// (each gpgconf run costs a process per operation), the library version checked.
Result<void> initialize();

// A new OpenPGP context on the GnuPG home `home` (gpg's default home when empty), binary output,
// offline (no key servers, no dirmngr).
Result<Context> new_context(const std::filesystem::path& home);

// A data object reading `bytes` in place: `bytes` must outlive it.
Result<Data> data_from_memory(std::string_view bytes);
// An empty data object that collects output in memory.
Result<Data> new_data();
// Everything written to `data`, which is consumed.
std::string take_contents(Data data);

// GPGME's own text for `error` ("Bad signature").
std::string describe(gpgme_error_t error);
// An Error "<what>: <GPGME's reason>" with `code`.
Error failure(ErrorCode code, std::string_view what, gpgme_error_t error);

// The keys that `pattern` matches (every key when empty); secret keys only if `secret`.
Result<std::vector<Key>> list_keys(gpgme_ctx_t context, std::string_view pattern, bool secret);

// Upper-case copy of a hex fingerprint or key id.
std::string upper(std::string_view text);

}  // namespace cairn::signing::gpgme
