// The development manifest (see development.h).
#include "cairn/manifest/development.h"

#include "cairn/core/file.h"
#include "cairn/core/xdg.h"
#include "cairn/manifest/client.h"
#include "cairn/manifest/library_description.h"
#include "cairn/manifest/publish.h"
#include "cairn/signing/ed25519.h"

#include <set>

namespace cairn::manifest {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t development_lifetime = std::int64_t{365} * 24 * 3600;

Result<signing::Ed25519PrivateKey> development_key(const fs::path& path) {
  if (fs::exists(path)) return signing::Ed25519PrivateKey::load(path);
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", path.parent_path().string(), error.message());
  auto key = CAIRN_TRY(signing::Ed25519PrivateKey::generate());
  CAIRN_TRY(key.save(path));
  return key;
}

// Whether the entry at `path` already says what `entry` says (apart from its dates).
bool unchanged(const fs::path& path, const LibraryEntry& entry) {
  if (!fs::exists(path)) return false;
  auto document = read_document(path);
  if (!document.ok()) return false;
  auto old = entry_from_json(document->signed_part);
  if (!old.ok()) return false;
  Json a = to_json(*old), b = to_json(entry);
  a.erase("expires");
  b.erase("expires");
  a.erase("version");
  b.erase("version");
  return a == b && old->expires > entry.expires - development_lifetime / 2;
}

}  // namespace

Result<DevelopmentResult> publish_development_manifest(const DevelopmentOptions& options) {
  fs::path state = CAIRN_TRY(state_directory());
  DevelopmentResult result;
  result.repository = options.repository.empty() ? state / "dev-manifest" : options.repository;
  fs::path key_path = options.key.empty() ? state / "dev-key" : options.key;
  signing::Ed25519PrivateKey key = CAIRN_TRY(development_key(key_path));
  result.keyid = key.keyid();
  const signing::Signer* signers[] = {&key};

  // The root: one key for every role, rewritten only when the key changed or it nears expiry.
  bool root_current = false;
  if (fs::exists(result.repository / "root.json")) {
    auto document = read_document(result.repository / "root.json");
    if (document.ok()) {
      auto root = root_from_json(document->signed_part);
      root_current = root.ok() && root->development && root->keys.contains(key.keyid()) &&
                     root->expires > options.now + development_lifetime / 2;
    }
  }
  if (!root_current) {
    fs::remove_all(result.repository);
    RootMetadata root;
    root.version = 1;
    root.expires = options.now + development_lifetime;
    root.development = true;
    root.keys[key.keyid()] = {signing::SignatureMethod::ed25519, key.public_key().raw()};
    Role role{{key.keyid()}, 1};
    root.root = root.snapshot = root.timestamp = role;
    root.maintainers["*"] = role;
    CAIRN_TRY(write_root(result.repository, root, signers));
  }

  // One entry per library.json; entries for libraries that went away are removed.
  std::set<fs::path> wanted;
  for (const auto& directory : CAIRN_TRY(find_library_directories(options.checkout))) {
    LibraryEntry entry = CAIRN_TRY(make_library_entry(directory, options.now + development_lifetime));
    fs::path path = result.repository / entry.path();
    if (wanted.contains(path)) {
      return make_error(ErrorCode::already_exists, "{}: a second library {} {}", directory.string(), entry.name,
                        entry.library_version);
    }
    wanted.insert(path);
    result.libraries.push_back(fmt::format("{} {}", entry.name, entry.library_version));
    if (unchanged(path, entry)) continue;
    SignedDocument document = CAIRN_TRY(make_document(to_json(entry)));
    CAIRN_TRY(sign_document(document, key));
    CAIRN_TRY(write_document(path, document));
  }
  std::error_code error;
  if (fs::is_directory(result.repository / "libraries")) {
    std::vector<fs::path> stale;
    for (const auto& item : fs::recursive_directory_iterator(result.repository / "libraries", error)) {
      if (item.is_regular_file() && !wanted.contains(item.path())) stale.push_back(item.path());
    }
    for (const auto& path : stale) fs::remove(path, error);
  }

  PublishOptions publish;
  publish.now = options.now;
  publish.snapshot_lifetime = development_lifetime;
  publish.timestamp_lifetime = development_lifetime;
  publish.only_if_changed = true;
  PublishResult published = CAIRN_TRY(publish_snapshot(result.repository, key, key, publish));
  result.snapshot_version = published.snapshot_version;
  result.changed = published.changed;

  // Pin it: builds from the development manifest then need no --root.
  PinnedRoot root = CAIRN_TRY(read_pinned_root(result.repository / "root.json"));
  Repository repository = CAIRN_TRY(Repository::open(result.repository.string()));
  VerifyOptions verify;
  verify.clock = [now = options.now] { return now; };
  // A recreated manifest (a new key, or a root renewed near its expiry) has a new root, so a new
  // identity and trust state of its own: its versions starting again at 1 roll nothing back.
  CAIRN_TRY(update_repository(repository, root, verify));
  return result;
}

}  // namespace cairn::manifest
