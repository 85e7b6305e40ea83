// The client's remembered trust (see trust_state.h).
#include "cairn/manifest/trust_state.h"

#include "cairn/core/canonical_json.h"
#include "cairn/core/file.h"
#include "cairn/core/json_reader.h"
#include "cairn/core/xdg.h"

namespace cairn::manifest {

namespace fs = std::filesystem;

namespace {

Result<fs::path> manifests_directory() {
  return CAIRN_TRY(state_directory()) / "manifests";
}

Result<void> make_directories(const fs::path& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", path.string(), error.message());
  return {};
}

}  // namespace

Result<TrustStore> TrustStore::open(const Digest& identity) {
  fs::path directory = CAIRN_TRY(manifests_directory()) / identity.hex();
  return TrustStore(identity, directory);
}

Result<TrustStore> TrustStore::for_location(std::string_view location) {
  fs::path index = CAIRN_TRY(manifests_directory()) / "locations" / Digest::sha256_of(location).hex();
  std::error_code error;
  if (!fs::exists(index, error)) {
    return make_error(ErrorCode::not_found,
                      "{}: no trusted root for this manifest yet; pass --root ROOT.json (obtained out of band)",
                      location);
  }
  std::string text = CAIRN_TRY(read_file(index, 256));
  Digest identity = CAIRN_TRY(Digest::parse(text).with_context(index.string()));
  return open(identity);
}

Result<TrustStoreLock> TrustStore::lock(const FileLockOptions& options) const {
  CAIRN_TRY(make_directories(directory_));
  FileLock held = CAIRN_TRY(FileLock::acquire(
      directory_ / "lock", fmt::format("updating trust state for {}", identity_.to_string()), options));
  return TrustStoreLock(identity_, std::move(held));
}

Result<void> TrustStore::check_held(const TrustStoreLock& held) const {
  if (held.identity() != identity_) {
    return make_error(ErrorCode::invalid_argument, "trust state of {}: the lock held is the one of {}",
                      identity_.to_string(), held.identity().to_string());
  }
  return {};
}

Result<std::optional<TrustState>> TrustStore::load(const TrustStoreLock& held) const {
  CAIRN_TRY(check_held(held));
  std::error_code error;
  if (!fs::exists(directory_ / "state.json", error)) return std::optional<TrustState>();
  fs::path state_file = directory_ / "state.json";
  auto read_state = [&]() -> Result<TrustState> {
    std::string text = CAIRN_TRY(read_file(state_file, 1 << 16));
    Json json = CAIRN_TRY(parse_json(text));
    JsonReader document(json);
    std::string type = CAIRN_TRY(document.string("_type"));
    if (type != "trust-state") return document.error(fmt::format("is a \"{}\", not a \"trust-state\"", type));
    TrustState state;
    state.root_version = CAIRN_TRY(document.integer("root_version"));
    state.snapshot_version = CAIRN_TRY(document.integer("snapshot_version"));
    state.timestamp_version = CAIRN_TRY(document.integer("timestamp_version"));
    return state;
  };
  TrustState state = CAIRN_TRY(read_state().with_context(state_file.string()));
  state.root_document = CAIRN_TRY(read_file(directory_ / "root.json", 1 << 16));
  state.root_origin = (directory_ / "root.json").string();
  state.identity = identity_;
  return std::optional<TrustState>(std::move(state));
}

Result<void> TrustStore::save(const TrustState& state, const TrustStoreLock& held) const {
  auto previous = CAIRN_TRY(load(held));
  if (previous && (state.root_version < previous->root_version || state.snapshot_version < previous->snapshot_version ||
                   state.timestamp_version < previous->timestamp_version)) {
    return make_error(ErrorCode::refused, "refusing to move the trusted state of {} backwards", identity_.to_string());
  }
  CAIRN_TRY(make_directories(directory_));
  CAIRN_TRY(write_file_atomically(directory_ / "root.json", state.root_document, 0644));
  Json json = {{"_type", "trust-state"},
               {"spec_version", "1.0.0"},
               {"root_version", state.root_version},
               {"snapshot_version", state.snapshot_version},
               {"timestamp_version", state.timestamp_version}};
  std::string text = CAIRN_TRY(canonical_json(json));
  return write_file_atomically(directory_ / "state.json", text + "\n", 0644);
}

Result<void> TrustStore::remember_location(std::string_view location) const {
  fs::path locations = CAIRN_TRY(manifests_directory()) / "locations";
  CAIRN_TRY(make_directories(locations));
  return write_file_atomically(locations / Digest::sha256_of(location).hex(), identity_.to_string(), 0644);
}

}  // namespace cairn::manifest
