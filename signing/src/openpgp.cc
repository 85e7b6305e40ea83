// OpenPGP signing, key management and pinned-key verification through GPGME (see openpgp.h).
#include "cairn/signing/openpgp.h"

#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/file.h"
#include "cairn/core/json_reader.h"
#include "cairn/core/time.h"
#include "cairn/core/xdg.h"
#include "gpgme_support.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>

namespace cairn::signing {

namespace fs = std::filesystem;

namespace {

// Where the user's keys live, for messages.
std::string describe_home(const fs::path& home) {
  if (!home.empty()) return home.string();
  const char* variable = std::getenv("GNUPGHOME");
  if (variable != nullptr && *variable != '\0') return fmt::format("{} ($GNUPGHOME)", variable);
  return "~/.gnupg";
}

OpenPgpKeyInfo describe_key(gpgme_key_t key) {
  OpenPgpKeyInfo info;
  gpgme_subkey_t primary = key->subkeys;
  if (primary != nullptr) {
    if (primary->fpr != nullptr) info.fingerprint = gpgme::upper(primary->fpr);
    if (char* algorithm = gpgme_pubkey_algo_string(primary); algorithm != nullptr) {
      info.algorithm = algorithm;
      gpgme_free(algorithm);
    }
    info.created = primary->timestamp;
    info.expires = primary->expires;
    for (gpgme_subkey_t subkey = primary->next; subkey != nullptr; subkey = subkey->next) {
      if (subkey->fpr != nullptr) info.subkey_fingerprints.push_back(gpgme::upper(subkey->fpr));
    }
  }
  for (gpgme_user_id_t user_id = key->uids; user_id != nullptr; user_id = user_id->next) {
    if (user_id->uid != nullptr) info.user_ids.emplace_back(user_id->uid);
  }
  info.can_sign = key->can_sign != 0;
  info.revoked = key->revoked != 0;
  info.expired = key->expired != 0;
  return info;
}

std::string first_user_id(gpgme_key_t key) {
  return key->uids != nullptr && key->uids->uid != nullptr ? key->uids->uid : "no user id";
}

// The one key that `id` names: a fingerprint is looked up exactly, anything else as gpg would
// match a user id, and must match exactly one key.
Result<gpgme::Key> find_one_key(gpgme_ctx_t context, std::string_view id, bool secret, const fs::path& home) {
  if (id.empty()) return make_error(ErrorCode::invalid_argument, "no key given");
  std::string pattern(id);
  if (auto keyid = normalize_keyid(id); keyid.ok()) {
    if (keyid->starts_with("sha256:")) {
      return make_error(ErrorCode::invalid_argument, "{} names an Ed25519 key; give the path of its key file", id);
    }
    pattern = *keyid;
  } else if (keyid.error().code() == ErrorCode::invalid_argument) {
    return std::move(keyid).error();  // a short key id
  }
  std::vector<gpgme::Key> keys = CAIRN_TRY(gpgme::list_keys(context, pattern, secret));
  std::string_view kind = secret ? "secret key" : "key";
  if (keys.empty()) {
    return make_error(ErrorCode::not_found, "no OpenPGP {} matches '{}' in {}", kind, id, describe_home(home));
  }
  if (keys.size() > 1) {
    std::string names;
    for (const auto& key : keys) {
      names += fmt::format("{}{} ({})", names.empty() ? "" : ", ", describe_key(key.get()).fingerprint,
                           first_user_id(key.get()));
    }
    return make_error(ErrorCode::invalid_argument, "'{}' matches {} OpenPGP {}s: {}; give a fingerprint", id,
                      keys.size(), kind, names);
  }
  return std::move(keys.front());
}

// Errors of a signing operation, with what the user can do about them.
Error signing_failure(const std::string& fingerprint, gpgme_error_t error) {
  switch (gpgme_err_code(error)) {
    case GPG_ERR_CANCELED: return make_error(ErrorCode::refused, "{}: signing was cancelled", fingerprint);
    case GPG_ERR_BAD_PASSPHRASE: return make_error(ErrorCode::refused, "{}: wrong passphrase", fingerprint);
    case GPG_ERR_NO_SECKEY:
      return make_error(ErrorCode::not_found, "{}: the secret key is not available (is its smartcard inserted?)",
                        fingerprint);
    case GPG_ERR_NO_PIN_ENTRY:
    case GPG_ERR_NO_PASSPHRASE:
      return make_error(ErrorCode::refused,
                        "{}: gpg-agent could not ask for the passphrase (set GPG_TTY, or use a pinentry)", fingerprint);
    default: return gpgme::failure(ErrorCode::internal, fmt::format("{}: gpg could not sign", fingerprint), error);
  }
}

// --- the private GnuPG home of a verifier --------------------------------------------------

// Options for the private homes. `trust-model always` because pinned keys carry no certification
// that a web of trust could use, and Cairn decides trust itself; no agent, no key servers and no
// locks because nothing ever writes to a finished home.
constexpr std::string_view private_gpg_conf =
    "# A private GnuPG home made by Cairn. It holds only pinned public keys, is named by their\n"
    "# digest and is reused by verifications with the same keys. Removing it is safe.\n"
    "no-autostart\n"
    "trust-model always\n"
    "no-auto-key-retrieve\n"
    "no-auto-key-locate\n"
    "lock-never\n";

constexpr std::string_view index_file_name = "cairn-pinned-keys.json";
constexpr std::string_view index_type = "cairn.gnupg-home";
constexpr std::size_t max_index_size = 1 << 20;

// The home's name: a digest of everything that decides its content.
Digest home_digest(const std::vector<PinnedKeyFile>& files) {
  std::set<std::string> file_digests;
  for (const auto& file : files) file_digests.insert(Digest::sha256_of(file.content).hex());
  Hasher hasher;
  hasher.update("cairn-gnupg-home-v1\n");
  hasher.update(private_gpg_conf);
  for (const auto& digest : file_digests) {
    hasher.update(digest);
    hasher.update("\n");
  }
  return hasher.finish();
}

Result<void> write_index(const fs::path& home, const std::vector<PinnedOpenPgpKey>& keys) {
  Json list = Json::array();
  for (const auto& key : keys) {
    list.push_back(
        {{"fingerprint", key.fingerprint}, {"subkeys", key.subkey_fingerprints}, {"user_ids", key.user_ids}});
  }
  Json index = {{"_type", index_type}, {"version", 1}, {"keys", list}};
  std::string text = CAIRN_TRY(canonical_json(index));
  return write_file_atomically(home / index_file_name, text + "\n", 0600);
}

Result<std::vector<PinnedOpenPgpKey>> read_index(const fs::path& home) {
  std::string text = CAIRN_TRY(read_file(home / index_file_name, max_index_size));
  auto parsed = [&]() -> Result<std::vector<PinnedOpenPgpKey>> {
    Json json = CAIRN_TRY(parse_json(text));
    JsonReader index(json);
    std::string type = CAIRN_TRY(index.string("_type"));
    std::int64_t version = CAIRN_TRY(index.integer("version"));
    if (type != index_type || version != 1) return index.error("is not a Cairn key index of version 1");
    std::vector<PinnedOpenPgpKey> keys;
    JsonReader list = CAIRN_TRY(index.array("keys"));
    for (const JsonReader& entry : CAIRN_TRY(list.elements())) {
      PinnedOpenPgpKey key;
      key.fingerprint = CAIRN_TRY(entry.string("fingerprint"));
      key.subkey_fingerprints = CAIRN_TRY(entry.strings("subkeys"));
      key.user_ids = CAIRN_TRY(entry.strings("user_ids"));
      keys.push_back(std::move(key));
    }
    if (keys.empty()) return list.error("lists no key");
    return keys;
  };
  return parsed().with_context((home / index_file_name).string());
}

// Imports `files` into the empty directory `home` and records what it holds.
Result<std::vector<PinnedOpenPgpKey>> build_home(const fs::path& home, const std::vector<PinnedKeyFile>& files) {
  CAIRN_TRY(write_file_atomically(home / "gpg.conf", private_gpg_conf, 0600));
  gpgme::Context context = CAIRN_TRY(gpgme::new_context(home));
  for (const auto& file : files) {
    gpgme::Data data = CAIRN_TRY(gpgme::data_from_memory(file.content));
    if (gpgme_error_t error = gpgme_op_import(context.get(), data.get()); error != 0) {
      return gpgme::failure(ErrorCode::malformed, fmt::format("{}: gpg cannot import it", file.name), error);
    }
    gpgme_import_result_t result = gpgme_op_import_result(context.get());
    if (result == nullptr || result->considered == 0) {
      return make_error(ErrorCode::malformed, "{}: no OpenPGP public key in it", file.name);
    }
    if (result->secret_read > 0) {
      return make_error(ErrorCode::invalid_argument,
                        "{}: holds a secret key; pin the public key instead (cairn key export)", file.name);
    }
    if (result->not_imported > 0 || result->imported + result->unchanged == 0) {
      return make_error(ErrorCode::refused, "{}: gpg refused {} of its {} keys (no valid self-signature?)", file.name,
                        result->not_imported, result->considered);
    }
  }
  std::vector<gpgme::Key> listed = CAIRN_TRY(gpgme::list_keys(context.get(), "", false));
  std::vector<PinnedOpenPgpKey> keys;
  for (const auto& key : listed) {
    OpenPgpKeyInfo info = describe_key(key.get());
    keys.push_back({info.fingerprint, info.subkey_fingerprints, info.user_ids});
  }
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.fingerprint < b.fingerprint; });
  if (keys.empty()) return make_error(ErrorCode::malformed, "no OpenPGP public key in the pinned key files");
  CAIRN_TRY(write_index(home, keys));
  // gpg does not fsync what it writes; do it before the home becomes visible under its name.
  std::error_code error;
  for (fs::directory_iterator entry(home, error), end; !error && entry != end; entry.increment(error)) {
    std::error_code ignored;
    if (!entry->is_regular_file(ignored)) continue;
    UniqueFd fd(::open(entry->path().c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid() || ::fsync(fd.get()) != 0) {
      return system_error(fmt::format("fsync {}", entry->path().string()), errno);
    }
  }
  if (error) return make_error(ErrorCode::io, "list {}: {}", home.string(), error.message());
  CAIRN_TRY(sync_directory(home));
  return keys;
}

// Makes `directory` and any missing parents, new ones private to the user.
Result<void> make_private_directories(const fs::path& directory) {
  std::error_code error;
  if (fs::is_directory(directory, error)) return {};
  if (directory.has_parent_path() && directory.parent_path() != directory) {
    CAIRN_TRY(make_private_directories(directory.parent_path()));
  }
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return system_error(fmt::format("create {}", directory.string()), errno);
  }
  return {};
}

}  // namespace

// --- keys in the user's keyring ------------------------------------------------------------

Result<std::string> generate_openpgp_key(std::string_view user_id, const OpenPgpKeyOptions& options) {
  if (user_id.empty())
    return make_error(ErrorCode::invalid_argument, "an OpenPGP key needs a user id (\"Name <email>\")");
  if (options.expires_seconds < 0) return make_error(ErrorCode::invalid_argument, "a key cannot expire in the past");
  gpgme::Context context = CAIRN_TRY(gpgme::new_context(options.home));
  unsigned int flags = GPGME_CREATE_SIGN;
  if (options.no_passphrase) flags |= GPGME_CREATE_NOPASSWD;
  if (options.expires_seconds == 0) flags |= GPGME_CREATE_NOEXPIRE;
  std::string user_id_text(user_id);
  gpgme_error_t error = gpgme_op_createkey(context.get(), user_id_text.c_str(), "ed25519", 0,
                                           static_cast<unsigned long>(options.expires_seconds), nullptr, flags);
  if (error != 0) {
    return gpgme::failure(
        ErrorCode::refused,
        fmt::format("gpg could not create a key for '{}' in {}", user_id, describe_home(options.home)), error);
  }
  gpgme_genkey_result_t result = gpgme_op_genkey_result(context.get());
  if (result == nullptr || result->fpr == nullptr) {
    return make_error(ErrorCode::internal, "gpg created a key for '{}' but did not say which", user_id);
  }
  return gpgme::upper(result->fpr);
}

Result<std::vector<OpenPgpKeyInfo>> list_openpgp_secret_keys(const fs::path& home) {
  gpgme::Context context = CAIRN_TRY(gpgme::new_context(home));
  std::vector<gpgme::Key> keys = CAIRN_TRY(gpgme::list_keys(context.get(), "", true));
  std::vector<OpenPgpKeyInfo> infos;
  infos.reserve(keys.size());
  for (const auto& key : keys) infos.push_back(describe_key(key.get()));
  return infos;
}

Result<std::string> export_openpgp_public_key(std::string_view id, const fs::path& home) {
  gpgme::Context context = CAIRN_TRY(gpgme::new_context(home));
  gpgme::Key key = CAIRN_TRY(find_one_key(context.get(), id, false, home));
  std::string fingerprint = describe_key(key.get()).fingerprint;
  gpgme_set_armor(context.get(), 1);
  gpgme::Data out = CAIRN_TRY(gpgme::new_data());
  gpgme_error_t error = gpgme_op_export(context.get(), fingerprint.c_str(), GPGME_EXPORT_MODE_MINIMAL, out.get());
  if (error != 0) return gpgme::failure(ErrorCode::internal, fmt::format("cannot export {}", fingerprint), error);
  std::string armored = gpgme::take_contents(std::move(out));
  if (armored.empty()) return make_error(ErrorCode::internal, "gpg exported nothing for {}", fingerprint);
  return armored;
}

// --- signer --------------------------------------------------------------------------------

struct OpenPgpSigner::State {
  gpgme::Context context;
  gpgme::Key key;
};

OpenPgpSigner::OpenPgpSigner(std::unique_ptr<State> state, std::string fingerprint)
    : state_(std::move(state)), fingerprint_(std::move(fingerprint)) {}
OpenPgpSigner::~OpenPgpSigner() = default;
OpenPgpSigner::OpenPgpSigner(OpenPgpSigner&&) noexcept = default;

Result<OpenPgpSigner> OpenPgpSigner::open(std::string_view id, const fs::path& home) {
  auto state = std::make_unique<State>();
  state->context = CAIRN_TRY(gpgme::new_context(home));
  state->key = CAIRN_TRY(find_one_key(state->context.get(), id, true, home));
  gpgme_key_t key = state->key.get();
  std::string fingerprint = describe_key(key).fingerprint;
  if (key->revoked) return make_error(ErrorCode::refused, "{}: the key is revoked", fingerprint);
  if (key->expired) return make_error(ErrorCode::refused, "{}: the key has expired", fingerprint);
  if (key->disabled) return make_error(ErrorCode::refused, "{}: the key is disabled", fingerprint);
  if (key->invalid || !key->can_sign) {
    return make_error(ErrorCode::refused, "{}: the key has no usable signing (sub)key", fingerprint);
  }
  gpgme_signers_clear(state->context.get());
  if (gpgme_error_t error = gpgme_signers_add(state->context.get(), key); error != 0) {
    return gpgme::failure(ErrorCode::internal, fmt::format("{}: cannot sign with it", fingerprint), error);
  }
  return OpenPgpSigner(std::move(state), std::move(fingerprint));
}

Result<Signature> OpenPgpSigner::sign(std::string_view data) const {
  gpgme::Data in = CAIRN_TRY(gpgme::data_from_memory(data));
  gpgme::Data out = CAIRN_TRY(gpgme::new_data());
  gpgme_error_t error = gpgme_op_sign(state_->context.get(), in.get(), out.get(), GPGME_SIG_MODE_DETACH);
  if (error != 0) return signing_failure(fingerprint_, error);
  gpgme_sign_result_t result = gpgme_op_sign_result(state_->context.get());
  if (result == nullptr) return make_error(ErrorCode::internal, "{}: gpg returned no signing result", fingerprint_);
  if (result->invalid_signers != nullptr) {
    return gpgme::failure(ErrorCode::refused, fmt::format("{}: gpg cannot sign with this key", fingerprint_),
                          result->invalid_signers->reason);
  }
  if (result->signatures == nullptr || result->signatures->next != nullptr) {
    return make_error(ErrorCode::internal, "{}: gpg made other than one signature", fingerprint_);
  }
  std::string bytes = gpgme::take_contents(std::move(out));
  if (bytes.empty()) return make_error(ErrorCode::internal, "{}: gpg wrote an empty signature", fingerprint_);
  return Signature{fingerprint_, SignatureMethod::openpgp, std::move(bytes)};
}

// --- verifier ------------------------------------------------------------------------------

fs::path default_gnupg_cache_directory() {
  auto cache = cache_directory();
  return cache.ok() ? *cache / "gnupg" : fs::path();
}

struct OpenPgpVerifier::State {
  fs::path home;
  std::optional<TemporaryDirectory> temporary_home;  // set when no cache directory could be used
  std::mutex mutex;                                  // a GPGME context serves one operation at a time
  gpgme::Context context;                            // made on first use: it costs a process
};

OpenPgpVerifier::OpenPgpVerifier(std::unique_ptr<State> state, std::vector<PinnedOpenPgpKey> keys)
    : state_(std::move(state)), keys_(std::move(keys)) {}
OpenPgpVerifier::~OpenPgpVerifier() = default;
OpenPgpVerifier::OpenPgpVerifier(OpenPgpVerifier&&) noexcept = default;

const fs::path& OpenPgpVerifier::home() const {
  return state_->home;
}

Result<OpenPgpVerifier> OpenPgpVerifier::create(const std::vector<PinnedKeyFile>& files,
                                                const fs::path& cache_directory) {
  if (files.empty()) return make_error(ErrorCode::invalid_argument, "no OpenPGP key files to pin");
  for (const auto& file : files) {
    if (file.content.find("-----BEGIN PGP PRIVATE KEY BLOCK-----") != std::string::npos) {
      return make_error(ErrorCode::invalid_argument,
                        "{}: holds a secret key; pin the public key instead (cairn key export)", file.name);
    }
  }
  CAIRN_TRY(gpgme::initialize());
  auto state = std::make_unique<State>();
  fs::path cache = cache_directory.empty() ? default_gnupg_cache_directory() : cache_directory;

  if (!cache.empty() && make_private_directories(cache).ok()) {
    fs::path home = cache / home_digest(files).hex();
    if (auto keys = read_index(home); keys.ok()) {
      state->home = home;
      return OpenPgpVerifier(std::move(state), std::move(keys).value());
    }
    // Homes only ever appear complete (renamed into place), so one that exists now and still has
    // no readable index was damaged after the fact: move it aside, out of everyone's way.
    std::error_code ignored;
    if (fs::exists(home, ignored)) {
      if (auto keys = read_index(home); keys.ok()) {
        state->home = home;
        return OpenPgpVerifier(std::move(state), std::move(keys).value());
      }
      if (auto damaged = TemporaryDirectory::create(".damaged-", cache); damaged.ok()) {
        (void)::rename(home.c_str(), (damaged->path() / "home").c_str());
      }
    }
    // Build the home beside its final name, then rename it into place.
    TemporaryDirectory building = CAIRN_TRY(TemporaryDirectory::create(".building-", cache));
    std::vector<PinnedOpenPgpKey> keys = CAIRN_TRY(build_home(building.path(), files));
    if (::rename(building.path().c_str(), home.c_str()) == 0) {
      building.release();
      (void)sync_directory(cache);
      state->home = home;
      return OpenPgpVerifier(std::move(state), std::move(keys));
    }
    // Another process won the race: use its home, which holds the same keys.
    if (auto winner = read_index(home); winner.ok()) {
      state->home = home;
      return OpenPgpVerifier(std::move(state), std::move(winner).value());
    }
    // Neither: keep the one just built, for this verifier only.
    state->home = building.path();
    state->temporary_home.emplace(std::move(building));
    return OpenPgpVerifier(std::move(state), std::move(keys));
  }

  // No usable cache directory: a home for this verifier only (slower: an import every time).
  TemporaryDirectory temporary = CAIRN_TRY(TemporaryDirectory::create("cairn-gnupg-"));
  std::vector<PinnedOpenPgpKey> keys = CAIRN_TRY(build_home(temporary.path(), files));
  state->home = temporary.path();
  state->temporary_home.emplace(std::move(temporary));
  return OpenPgpVerifier(std::move(state), std::move(keys));
}

std::vector<std::string> OpenPgpVerifier::keyids() const {
  std::vector<std::string> ids;
  for (const auto& key : keys_) ids.push_back(key.fingerprint);
  return ids;  // keys_ is sorted by fingerprint
}

std::string OpenPgpVerifier::primary_of(std::string_view fingerprint) const {
  std::string wanted = gpgme::upper(fingerprint);
  if (wanted.empty()) return {};
  auto matches = [&](const std::string& candidate) {
    if (wanted.size() == 16) return candidate.size() > 16 && candidate.ends_with(wanted);  // a long key id
    return candidate == wanted;
  };
  for (const auto& key : keys_) {
    if (matches(key.fingerprint)) return key.fingerprint;
    for (const auto& subkey : key.subkey_fingerprints) {
      if (matches(subkey)) return key.fingerprint;
    }
  }
  return {};
}

namespace {

bool is_weak_hash(gpgme_hash_algo_t algorithm) {
  return algorithm == GPGME_MD_MD5 || algorithm == GPGME_MD_SHA1 || algorithm == GPGME_MD_RMD160 ||
         algorithm == GPGME_MD_MD2 || algorithm == GPGME_MD_MD4 || algorithm == GPGME_MD_TIGER ||
         algorithm == GPGME_MD_HAVAL;
}

// Why GPGME's verdict on one signature does not count, if it does not. `key` names the key.
std::optional<Error> judge(gpgme_signature_t signature, const std::string& key) {
  switch (gpgme_err_code(signature->status)) {
    case GPG_ERR_NO_ERROR: break;
    case GPG_ERR_BAD_SIGNATURE:
      return make_error(ErrorCode::refused, "{}: bad signature (the signed bytes or the signature were changed)", key);
    case GPG_ERR_NO_PUBKEY: return make_error(ErrorCode::refused, "{}: unknown key (not among the pinned keys)", key);
    case GPG_ERR_KEY_EXPIRED: return make_error(ErrorCode::refused, "{}: key expired", key);
    case GPG_ERR_SIG_EXPIRED:
      return make_error(ErrorCode::refused, "{}: signature expired at {}", key,
                        format_rfc3339(signature->exp_timestamp));
    case GPG_ERR_CERT_REVOKED: return make_error(ErrorCode::refused, "{}: key revoked", key);
    default:
      return gpgme::failure(ErrorCode::refused, fmt::format("{}: gpg rejects the signature", key), signature->status);
  }
  // A good status alone is not enough: check the summary GPGME computed as well.
  gpgme_sigsum_t summary = signature->summary;
  if (summary & GPGME_SIGSUM_KEY_REVOKED) return make_error(ErrorCode::refused, "{}: key revoked", key);
  if (summary & GPGME_SIGSUM_KEY_EXPIRED) return make_error(ErrorCode::refused, "{}: key expired", key);
  if (summary & GPGME_SIGSUM_SIG_EXPIRED) {
    return make_error(ErrorCode::refused, "{}: signature expired at {}", key, format_rfc3339(signature->exp_timestamp));
  }
  if (summary & (GPGME_SIGSUM_RED | GPGME_SIGSUM_SYS_ERROR | GPGME_SIGSUM_KEY_MISSING | GPGME_SIGSUM_BAD_POLICY)) {
    return make_error(ErrorCode::refused, "{}: gpg does not accept the signature (summary {:#x})", key,
                      static_cast<unsigned>(summary));
  }
  if (signature->wrong_key_usage) {
    return make_error(ErrorCode::refused, "{}: made by a key not meant for signing", key);
  }
  if (is_weak_hash(signature->hash_algo)) {
    const char* name = gpgme_hash_algo_name(signature->hash_algo);
    return make_error(ErrorCode::refused, "{}: made with the weak digest {}", key, name != nullptr ? name : "?");
  }
  return std::nullopt;
}

}  // namespace

std::vector<SignatureCheck> OpenPgpVerifier::check(std::string_view data, const Signature& signature) const {
  const std::string& claimed = signature.keyid;
  auto failed = [&](Error error) {
    return std::vector<SignatureCheck>{{claimed, SignatureMethod::openpgp, std::move(error)}};
  };
  std::string_view who = claimed.empty() ? std::string_view("OpenPGP signature") : std::string_view(claimed);
  if (signature.method != SignatureMethod::openpgp) {
    return failed(make_error(ErrorCode::internal, "{}: not an OpenPGP signature", who));
  }
  if (!claimed.empty() && primary_of(claimed) != claimed) {
    return failed(make_error(ErrorCode::refused, "{}: unknown key (not among the pinned keys)", claimed));
  }

  std::lock_guard lock(state_->mutex);
  if (!state_->context) {
    auto context = gpgme::new_context(state_->home);
    if (!context.ok()) return failed(std::move(context).error());
    state_->context = std::move(context).value();
  }
  gpgme_ctx_t context = state_->context.get();

  auto signature_data = gpgme::data_from_memory(signature.bytes);
  if (!signature_data.ok()) return failed(std::move(signature_data).error());
  // Identify before running gpg: garbage fails fast, and a signed message (which carries its own
  // data) is never mistaken for a detached signature over `data`.
  gpgme_data_type_t type = gpgme_data_identify(signature_data->get(), 0);
  gpgme_data_seek(signature_data->get(), 0, SEEK_SET);
  if (type != GPGME_DATA_TYPE_PGP_SIGNATURE) {
    std::string what = type == GPGME_DATA_TYPE_PGP_SIGNED      ? " (an OpenPGP signed message)"
                       : type == GPGME_DATA_TYPE_PGP_KEY       ? " (an OpenPGP key)"
                       : type == GPGME_DATA_TYPE_PGP_ENCRYPTED ? " (an OpenPGP encrypted message)"
                       : type == GPGME_DATA_TYPE_PGP_OTHER     ? " (OpenPGP packets other than a signature)"
                                                               : "";
    return failed(make_error(ErrorCode::malformed, "{}: not an OpenPGP detached signature{}", who, what));
  }
  auto signed_data = gpgme::data_from_memory(data);
  if (!signed_data.ok()) return failed(std::move(signed_data).error());

  gpgme_error_t error = gpgme_op_verify(context, signature_data->get(), signed_data->get(), nullptr);
  gpgme_verify_result_t result = error == 0 ? gpgme_op_verify_result(context) : nullptr;
  if (result == nullptr || result->signatures == nullptr) {
    if (error == 0 || gpgme_err_code(error) == GPG_ERR_NO_DATA || gpgme_err_code(error) == GPG_ERR_BAD_DATA) {
      return failed(make_error(ErrorCode::malformed,
                               "{}: truncated or damaged OpenPGP signature (gpg found none to check)", who));
    }
    return failed(gpgme::failure(ErrorCode::internal, fmt::format("{}: gpg could not check it", who), error));
  }

  std::vector<SignatureCheck> checks;
  for (gpgme_signature_t one = result->signatures; one != nullptr; one = one->next) {
    std::string made_by = one->fpr != nullptr ? gpgme::upper(one->fpr) : "";
    std::string primary = primary_of(made_by);
    std::string key = !primary.empty() ? primary : !made_by.empty() ? made_by : std::string(who);
    std::optional<Error> failure = judge(one, key);
    if (!failure && primary.empty()) {
      failure = make_error(ErrorCode::refused, "{}: made by a key that is not pinned", key);
    }
    if (!failure && !claimed.empty() && claimed != primary) {
      failure = make_error(ErrorCode::refused, "signature names key {} but was made by {}", claimed, primary);
    }
    checks.push_back({primary.empty() ? made_by : primary, SignatureMethod::openpgp, std::move(failure)});
  }
  return checks;
}

}  // namespace cairn::signing
