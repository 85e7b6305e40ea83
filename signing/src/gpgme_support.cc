// GPGME set-up and owning handles (see gpgme_support.h).
#include "gpgme_support.h"

#include "cairn/core/subprocess.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <mutex>
#include <optional>

namespace cairn::signing::gpgme {

namespace {

Result<void> initialize_once() {
  // Kept for the life of the process: GPGME reads the name whenever it starts gpg.
  static const std::string gpg = find_in_path("gpg").string();
  if (gpg.empty()) {
    return make_error(ErrorCode::not_found, "gpg (GnuPG) was not found on PATH; install gnupg to use OpenPGP keys");
  }
  // Both flags must be set before gpgme_check_version. Without them GPGME runs gpgconf three
  // times to find gpg, which costs more than the verification itself.
  gpgme_set_global_flag("disable-gpgconf", "1");
  gpgme_set_global_flag("gpg-name", gpg.c_str());
  if (gpgme_check_version(GPGME_VERSION) == nullptr) {
    return make_error(ErrorCode::unsupported, "GPGME {} is older than the {} Cairn was built with",
                      gpgme_check_version(nullptr), GPGME_VERSION);
  }
  if (gpgme_error_t error = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP); error != 0) {
    return failure(ErrorCode::unsupported, fmt::format("{} cannot be used through GPGME", gpg), error);
  }
  return {};
}

}  // namespace

Result<void> initialize() {
  static std::once_flag once;
  static std::optional<Result<void>> outcome;
  std::call_once(once, [] { outcome.emplace(initialize_once()); });
  return *outcome;
}

Result<Context> new_context(const std::filesystem::path& home) {
  CAIRN_TRY(initialize());
  gpgme_ctx_t raw = nullptr;
  if (gpgme_error_t error = gpgme_new(&raw); error != 0) {
    return failure(ErrorCode::internal, "cannot create a GPGME context", error);
  }
  Context context(raw);
  if (gpgme_error_t error = gpgme_set_protocol(context.get(), GPGME_PROTOCOL_OpenPGP); error != 0) {
    return failure(ErrorCode::internal, "GPGME has no OpenPGP engine", error);
  }
  if (!home.empty()) {
    // Costs one `gpg --version`: GPGME asks the engine its version again for a new home.
    gpgme_error_t error = gpgme_ctx_set_engine_info(context.get(), GPGME_PROTOCOL_OpenPGP, nullptr, home.c_str());
    if (error != 0) return failure(ErrorCode::internal, fmt::format("cannot use GnuPG home {}", home.string()), error);
  }
  gpgme_set_armor(context.get(), 0);
  gpgme_set_textmode(context.get(), 0);
  gpgme_set_offline(context.get(), 1);
  return context;
}

Result<Data> data_from_memory(std::string_view bytes) {
  gpgme_data_t raw = nullptr;
  if (gpgme_error_t error = gpgme_data_new_from_mem(&raw, bytes.data(), bytes.size(), 0); error != 0) {
    return failure(ErrorCode::internal, "cannot create a GPGME data object", error);
  }
  // GPGME feeds gpg through a pipe in PIPE_BUF (4 KiB) pieces by default: a 1 MiB file costs 256
  // round trips. A larger buffer (GPGME >= 1.16; ignored where unknown) cuts that to a few.
  (void)gpgme_data_set_flag(raw, "io-buffer-size", "262144");
  return Data(raw);
}

Result<Data> new_data() {
  gpgme_data_t raw = nullptr;
  if (gpgme_error_t error = gpgme_data_new(&raw); error != 0) {
    return failure(ErrorCode::internal, "cannot create a GPGME data object", error);
  }
  return Data(raw);
}

std::string take_contents(Data data) {
  std::size_t size = 0;
  char* bytes = gpgme_data_release_and_get_mem(data.release(), &size);
  if (bytes == nullptr) return {};
  std::string contents(bytes, size);
  gpgme_free(bytes);
  return contents;
}

std::string describe(gpgme_error_t error) {
  return gpgme_strerror(error);
}

Error failure(ErrorCode code, std::string_view what, gpgme_error_t error) {
  return make_error(code, "{}: {}", what, describe(error));
}

Result<std::vector<Key>> list_keys(gpgme_ctx_t context, std::string_view pattern, bool secret) {
  std::string pattern_text(pattern);
  gpgme_error_t error =
      gpgme_op_keylist_start(context, pattern_text.empty() ? nullptr : pattern_text.c_str(), secret ? 1 : 0);
  if (error != 0) return failure(ErrorCode::internal, "cannot list OpenPGP keys", error);
  std::vector<Key> keys;
  for (;;) {
    gpgme_key_t key = nullptr;
    error = gpgme_op_keylist_next(context, &key);
    if (gpgme_err_code(error) == GPG_ERR_EOF) break;
    if (error != 0) {
      gpgme_op_keylist_end(context);
      return failure(ErrorCode::internal, "cannot list OpenPGP keys", error);
    }
    keys.emplace_back(key);
  }
  gpgme_op_keylist_end(context);
  return keys;
}

std::string upper(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return result;
}

}  // namespace cairn::signing::gpgme
