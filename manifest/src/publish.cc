// Writing a manifest repository folder (see publish.h).
#include "cairn/manifest/publish.h"

#include "cairn/core/file.h"
#include "cairn/core/json_reader.h"
#include "cairn/manifest/library_description.h"
#include "cairn/reproducibility/archive.h"

#include <algorithm>

namespace cairn::manifest {

namespace fs = std::filesystem;

Result<void> write_document(const fs::path& path, const SignedDocument& document) {
  std::string text = CAIRN_TRY(serialize_document(document));
  std::error_code error;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", path.parent_path().string(), error.message());
  return write_file_atomically(path, text);
}

Result<SignedDocument> read_document(const fs::path& path) {
  std::string text = CAIRN_TRY(read_file(path, 64 << 20));
  Json json = CAIRN_TRY(parse_json(text).with_context(path.string()));
  auto read_type = [&]() -> Result<std::string> {
    JsonReader signed_part = CAIRN_TRY(JsonReader(json).object("signed"));
    return signed_part.string("_type");
  };
  Result<std::string> type = read_type();
  if (!type.ok() || (*type != "root" && *type != "library" && *type != "snapshot" && *type != "timestamp")) {
    return make_error(ErrorCode::malformed, "{}: not a manifest document (signed._type '{}')", path.string(),
                      type.ok() ? *type : "");
  }
  return parse_signed_document(text, *type, path.string());
}

Result<void> write_root(const fs::path& repository, const RootMetadata& root,
                        std::span<const signing::Signer* const> signers) {
  SignedDocument document = CAIRN_TRY(make_document(to_json(root)));
  for (const auto* signer : signers) CAIRN_TRY(sign_document(document, *signer));
  CAIRN_TRY(write_document(repository / "root" / fmt::format("{}.root.json", root.version), document));
  return write_document(repository / "root.json", document);
}

namespace {

// Reads each key file, adds its key to `root` and returns the ids, in order, without repeats.
Result<std::vector<std::string>> add_keys(RootMetadata& root, const std::vector<fs::path>& files) {
  std::vector<std::string> keyids;
  for (const auto& file : files) {
    std::string content = CAIRN_TRY(read_file(file, 1 << 20));
    auto [keyid, material] = CAIRN_TRY(key_from_public_file(content, file.string()));
    root.keys[keyid] = material;
    if (std::find(keyids.begin(), keyids.end(), keyid) == keyids.end()) keyids.push_back(keyid);
  }
  return keyids;
}

// Copies the files of a library tree into `destination` (for its archive).
Result<void> copy_tree(const fs::path& library, const std::vector<TreeEntry>& tree, const fs::path& destination) {
  for (const auto& entry : tree) {
    fs::path target = destination / entry.path;
    std::error_code error;
    fs::create_directories(target.parent_path(), error);
    if (entry.mode == EntryMode::symlink) {
      fs::create_symlink(entry.symlink_target, target, error);
    } else {
      fs::copy_file(library / entry.path, target, error);
    }
    if (error) return make_error(ErrorCode::io, "copy {}: {}", entry.path, error.message());
  }
  return {};
}

}  // namespace

Result<RootMetadata> initialize_repository(const fs::path& repository, const RootKeyFiles& keys) {
  if (keys.root.empty()) return make_error(ErrorCode::invalid_argument, "a repository needs at least one root key");
  std::error_code error;
  if (fs::exists(repository / "root.json", error)) {
    return make_error(ErrorCode::already_exists, "{}: already holds a root.json", repository.string());
  }
  RootMetadata root;
  root.version = 1;
  root.expires = keys.expires;
  std::vector<std::string> root_ids = CAIRN_TRY(add_keys(root, keys.root));
  if (keys.threshold < 1 || keys.threshold > root_ids.size()) {
    return make_error(ErrorCode::invalid_argument, "threshold {} must be between 1 and the {} root keys",
                      keys.threshold, root_ids.size());
  }
  root.root = {root_ids, keys.threshold};
  auto role_of = [&](const std::vector<fs::path>& files) -> Result<Role> {
    if (files.empty()) return root.root;
    std::vector<std::string> ids = CAIRN_TRY(add_keys(root, files));
    return Role{ids, 1};
  };
  root.snapshot = CAIRN_TRY(role_of(keys.snapshot));
  root.timestamp = CAIRN_TRY(role_of(keys.timestamp));
  root.maintainers["*"] = CAIRN_TRY(role_of(keys.maintainers));
  CAIRN_TRY(write_root(repository, root, {}));
  return root;
}

Result<SignedDocument> sign_document_file(const fs::path& path, const signing::Signer& signer) {
  SignedDocument document = CAIRN_TRY(read_document(path));
  CAIRN_TRY(sign_document(document, signer));
  CAIRN_TRY(write_document(path, document));
  if (document.type == "root" && path.filename() == "root.json") {
    // Keep the versioned copy that clients walk for rotations in step.
    RootMetadata root = CAIRN_TRY(root_from_json(document.signed_part).with_context(path.string()));
    CAIRN_TRY(write_document(path.parent_path() / "root" / fmt::format("{}.root.json", root.version), document));
  }
  return document;
}

Result<LibraryEntry> release_library(const fs::path& library, const fs::path& repository,
                                     const ReleaseOptions& options) {
  LibraryEntry entry = CAIRN_TRY(make_library_entry(library, options.expires));
  entry.yanked = options.yanked;
  entry.advisories = options.advisories;
  std::error_code exists_error;
  if (fs::exists(repository / entry.path(), exists_error)) {
    SignedDocument previous = CAIRN_TRY(read_document(repository / entry.path()));
    JsonReader signed_part(previous.signed_part, "signed");
    std::int64_t version = CAIRN_TRY(signed_part.integer("version"));
    entry.version = version + 1;
  }
  if (options.archive) {
    LibraryDescription description = CAIRN_TRY(read_library_description(library));
    std::vector<TreeEntry> tree = CAIRN_TRY(library_tree(library, description));
    TemporaryDirectory work = CAIRN_TRY(TemporaryDirectory::create());
    CAIRN_TRY(copy_tree(library, tree, work.path() / "tree"));
    std::string relative = fmt::format("archives/{}-{}.tar.gz", entry.name, entry.library_version);
    std::error_code error;
    fs::create_directories(repository / "archives", error);
    Digest archived = CAIRN_TRY(reproducibility::create_archive(work.path() / "tree", repository / relative));
    if (archived != entry.tree) return make_error(ErrorCode::internal, "archive tree differs from the entry's");
    Digest digest = CAIRN_TRY(digest_file(repository / relative));
    std::uint64_t size = fs::file_size(repository / relative, error);
    if (error) return make_error(ErrorCode::io, "{}: {}", (repository / relative).string(), error.message());
    entry.archive = ArchiveRef{relative, digest, size};
  }
  SignedDocument document = CAIRN_TRY(make_document(to_json(entry)));
  CAIRN_TRY(write_document(repository / entry.path(), document));
  return entry;
}

Result<PublishResult> publish_snapshot(const fs::path& repository, const signing::Signer& snapshot_signer,
                                       const signing::Signer& timestamp_signer, const PublishOptions& options) {
  SnapshotMetadata snapshot;
  std::error_code error;
  fs::path libraries = repository / "libraries";
  if (fs::is_directory(libraries)) {
    for (const auto& item : fs::recursive_directory_iterator(libraries, error)) {
      if (!item.is_regular_file() || item.path().extension() != ".json") continue;
      std::string content = CAIRN_TRY(read_file(item.path(), 1 << 20));
      std::string relative = fs::relative(item.path(), repository).generic_string();
      snapshot.meta[relative] = MetaFile{Digest::sha256_of(content), content.size()};
    }
  }
  if (error) return make_error(ErrorCode::io, "list {}: {}", libraries.string(), error.message());
  error.clear();

  PublishResult result;
  result.entries = snapshot.meta.size();
  std::int64_t previous_snapshot = 0, previous_timestamp = 0;
  std::optional<SnapshotMetadata> old_snapshot;
  if (fs::exists(repository / "snapshot.json")) {
    SignedDocument old = CAIRN_TRY(read_document(repository / "snapshot.json"));
    old_snapshot = CAIRN_TRY(snapshot_from_json(old.signed_part));
    previous_snapshot = old_snapshot->version;
  }
  if (fs::exists(repository / "timestamp.json")) {
    SignedDocument old = CAIRN_TRY(read_document(repository / "timestamp.json"));
    previous_timestamp = CAIRN_TRY(timestamp_from_json(old.signed_part)).version;
  }
  if (options.only_if_changed && old_snapshot && old_snapshot->expires > options.now) {
    bool same = old_snapshot->meta.size() == snapshot.meta.size() &&
                std::equal(old_snapshot->meta.begin(), old_snapshot->meta.end(), snapshot.meta.begin(),
                           [](const auto& a, const auto& b) {
                             return a.first == b.first && a.second.digest == b.second.digest &&
                                    a.second.length == b.second.length;
                           });
    if (same) {
      result.changed = false;
      result.snapshot_version = previous_snapshot;
      result.timestamp_version = previous_timestamp;
      return result;
    }
  }
  snapshot.version = previous_snapshot + 1;
  snapshot.expires = options.now + options.snapshot_lifetime;
  snapshot.created = options.now;
  SignedDocument snapshot_document = CAIRN_TRY(make_document(to_json(snapshot)));
  CAIRN_TRY(sign_document(snapshot_document, snapshot_signer));
  std::string snapshot_text = CAIRN_TRY(serialize_document(snapshot_document));

  TimestampMetadata timestamp;
  timestamp.version = previous_timestamp + 1;
  timestamp.expires = options.now + options.timestamp_lifetime;
  timestamp.snapshot = MetaFile{Digest::sha256_of(snapshot_text), snapshot_text.size()};
  timestamp.snapshot_version = snapshot.version;
  SignedDocument timestamp_document = CAIRN_TRY(make_document(to_json(timestamp)));
  CAIRN_TRY(sign_document(timestamp_document, timestamp_signer));

  // Snapshot first: a reader that sees the new timestamp always finds its snapshot.
  CAIRN_TRY(write_file_atomically(repository / "snapshot.json", snapshot_text));
  CAIRN_TRY(write_document(repository / "timestamp.json", timestamp_document));
  result.snapshot_version = snapshot.version;
  result.timestamp_version = timestamp.version;
  return result;
}

}  // namespace cairn::manifest
