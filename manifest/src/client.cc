// The TUF-order update and verification of a manifest repository (see client.h).
#include "cairn/manifest/client.h"

#include "cairn/core/file.h"

#include <algorithm>
#include <cstdlib>

namespace cairn::manifest {

namespace {

Result<void> check_not_expired(std::int64_t expires, std::string_view what, const Clock& clock) {
  std::int64_t now = clock();
  if (expires <= now) {
    return make_error(ErrorCode::refused, "{}: expired at {} (now {}); the repository may be frozen", what,
                      format_rfc3339(expires), format_rfc3339(now));
  }
  return {};
}

Result<void> check_meta(std::string_view content, const MetaFile& expected, std::string_view what,
                        std::string_view listed_by) {
  if (content.size() != expected.length) {
    return make_error(ErrorCode::refused, "{}: {} bytes, but {} lists {} bytes", what, content.size(), listed_by,
                      expected.length);
  }
  Digest digest = Digest::sha256_of(content);
  if (digest != expected.digest) {
    return make_error(ErrorCode::refused, "{}: digest {} differs from {} in {} (mix-and-match?)", what,
                      digest.to_string(), expected.digest.to_string(), listed_by);
  }
  return {};
}

// Walks root/<N+1>.root.json, ... each signed by a threshold of the old and of the new root keys.
Result<void> rotate_root(const Repository& repository, RootMetadata& root, TrustState& state) {
  while (true) {
    std::string name = fmt::format("root/{}.root.json", root.version + 1);
    auto content = repository.fetch(name, max_root_size);
    if (!content.ok()) {
      if (content.error().code() == ErrorCode::not_found) return {};
      return std::move(content).error();
    }
    SignedDocument document = CAIRN_TRY(parse_signed_document(*content, "root", name));
    RootMetadata next = CAIRN_TRY(root_from_json(document.signed_part).with_context(name));
    if (next.version != root.version + 1) {
      return make_error(ErrorCode::refused, "{}: holds version {}, expected {}", name, next.version, root.version + 1);
    }
    CAIRN_TRY(verify_role(document, root, root.root, "root",
                          fmt::format("{} (signatures of the old root, version {})", name, root.version)));
    CAIRN_TRY(verify_role(document, next, next.root, "root", fmt::format("{} (signatures of the new root)", name)));
    root = std::move(next);
    state.root_document = std::move(content).value();
    state.root_version = root.version;
  }
}

}  // namespace

const VerifiedLibrary* VerifiedRepository::find(std::string_view name, std::string_view library_version) const {
  for (const auto& library : libraries) {
    if (library.entry.name == name && library.entry.library_version == library_version) return &library;
  }
  return nullptr;
}

Result<Digest> root_identity(std::string_view root_document, std::string_view name) {
  SignedDocument document = CAIRN_TRY(parse_signed_document(root_document, "root", name));
  return Digest::sha256_of(document.canonical_signed);
}

Result<VerifiedRepository> verify_repository(const Repository& repository, const TrustState& trusted,
                                             const VerifyOptions& options) {
  VerifiedRepository result;
  result.state = trusted;

  // 1. The trusted root, then every newer root the repository offers.
  std::string trusted_name =
      trusted.root_origin.empty() ? std::string("trusted root") : fmt::format("trusted root {}", trusted.root_origin);
  SignedDocument trusted_document = CAIRN_TRY(parse_signed_document(trusted.root_document, "root", trusted_name));
  result.identity = trusted.identity ? *trusted.identity : Digest::sha256_of(trusted_document.canonical_signed);
  result.root = CAIRN_TRY(root_from_json(trusted_document.signed_part).with_context(trusted_name));
  CAIRN_TRY(verify_role(trusted_document, result.root, result.root.root, "root", trusted_name));
  if (result.root.version < trusted.root_version) {
    return make_error(ErrorCode::refused, "{}: version {} is lower than the trusted version {}", trusted_name,
                      result.root.version, trusted.root_version);
  }
  result.state.root_version = result.root.version;
  CAIRN_TRY(rotate_root(repository, result.root, result.state));
  CAIRN_TRY(
      check_not_expired(result.root.expires, fmt::format("root.json version {}", result.root.version), options.clock));

  // From here on the root no longer changes: each distinct set of signing keys is made once.
  RoleKeys role_keys(result.root);

  // 2. The timestamp.
  std::string timestamp_text = CAIRN_TRY(repository.fetch("timestamp.json", max_timestamp_size));
  SignedDocument timestamp_document = CAIRN_TRY(parse_signed_document(timestamp_text, "timestamp", "timestamp.json"));
  CAIRN_TRY(verify_role(timestamp_document, role_keys, result.root.timestamp, "timestamp", "timestamp.json"));
  result.timestamp = CAIRN_TRY(timestamp_from_json(timestamp_document.signed_part).with_context("timestamp.json"));
  if (result.timestamp.version < trusted.timestamp_version) {
    return make_error(ErrorCode::refused, "timestamp.json: version {} is lower than the trusted version {} (rollback?)",
                      result.timestamp.version, trusted.timestamp_version);
  }
  if (result.timestamp.snapshot_version < trusted.snapshot_version) {
    return make_error(ErrorCode::refused,
                      "timestamp.json: names snapshot version {}, lower than the trusted version {} (rollback?)",
                      result.timestamp.snapshot_version, trusted.snapshot_version);
  }
  CAIRN_TRY(check_not_expired(result.timestamp.expires, "timestamp.json", options.clock));

  // 3. The snapshot the timestamp names, byte for byte.
  std::string snapshot_text = CAIRN_TRY(repository.fetch("snapshot.json", result.timestamp.snapshot.length));
  CAIRN_TRY(check_meta(snapshot_text, result.timestamp.snapshot, "snapshot.json", "timestamp.json"));
  SignedDocument snapshot_document = CAIRN_TRY(parse_signed_document(snapshot_text, "snapshot", "snapshot.json"));
  CAIRN_TRY(verify_role(snapshot_document, role_keys, result.root.snapshot, "snapshot", "snapshot.json"));
  result.snapshot = CAIRN_TRY(snapshot_from_json(snapshot_document.signed_part).with_context("snapshot.json"));
  if (result.snapshot.version < trusted.snapshot_version) {
    return make_error(ErrorCode::refused, "snapshot.json: version {} is lower than the trusted version {} (rollback?)",
                      result.snapshot.version, trusted.snapshot_version);
  }
  if (result.snapshot.version != result.timestamp.snapshot_version) {
    return make_error(ErrorCode::refused, "snapshot.json: version {} differs from the version {} timestamp.json names",
                      result.snapshot.version, result.timestamp.snapshot_version);
  }
  CAIRN_TRY(check_not_expired(result.snapshot.expires, "snapshot.json", options.clock));

  // 4. Every library entry the snapshot lists, each by its own maintainers.
  for (const auto& [path, meta] : result.snapshot.meta) {
    std::string content = CAIRN_TRY(repository.fetch(path, std::min<std::uint64_t>(meta.length, max_entry_size)));
    CAIRN_TRY(check_meta(content, meta, path, "snapshot.json"));
    SignedDocument document = CAIRN_TRY(parse_signed_document(content, "library", path));
    VerifiedLibrary library;
    library.entry = CAIRN_TRY(entry_from_json(document.signed_part).with_context(path));
    if (library.entry.path() != path) {
      return make_error(ErrorCode::refused, "{}: holds {} {}; it belongs at {}", path, library.entry.name,
                        library.entry.library_version, library.entry.path());
    }
    const Role* maintainers = result.root.maintainers_of(library.entry.name);
    if (maintainers == nullptr) {
      return make_error(ErrorCode::refused, "{}: root names no maintainers for library '{}'", path, library.entry.name);
    }
    auto report = CAIRN_TRY(verify_role(document, role_keys, *maintainers,
                                        fmt::format("maintainer of library '{}'", library.entry.name), path));
    for (const auto& signer : report.signers) library.signers.push_back(signer.keyid);
    CAIRN_TRY(check_not_expired(library.entry.expires, path, options.clock));
    library.document_digest = meta.digest;
    result.libraries.push_back(std::move(library));
  }
  result.state.timestamp_version = result.timestamp.version;
  result.state.snapshot_version = result.snapshot.version;
  return result;
}

Result<PinnedRoot> read_pinned_root(const std::filesystem::path& file) {
  std::string document = CAIRN_TRY(read_file(file, max_root_size));
  return PinnedRoot{std::move(document), file.string()};
}

Result<VerifiedRepository> update_repository(const Repository& repository, const std::optional<PinnedRoot>& pinned_root,
                                             const VerifyOptions& options) {
  std::optional<TrustStore> store;
  if (pinned_root) {
    Digest identity = CAIRN_TRY(root_identity(pinned_root->document, pinned_root->origin));
    store = CAIRN_TRY(TrustStore::open(identity));
  } else {
    store = CAIRN_TRY(TrustStore::for_location(repository.location()));
  }
  TrustStoreLock held = CAIRN_TRY(store->lock(options.lock));
  std::optional<TrustState> saved = CAIRN_TRY(store->load(held));
  TrustState trusted;
  if (saved) {
    trusted = std::move(*saved);
  } else if (pinned_root) {
    trusted.root_document = pinned_root->document;
    trusted.root_origin = pinned_root->origin;
    trusted.identity = store->identity();
  } else {
    return make_error(ErrorCode::not_found, "{}: no trusted state; pass --root ROOT.json", repository.location());
  }
  VerifiedRepository verified = CAIRN_TRY(verify_repository(repository, trusted, options));
  CAIRN_TRY(store->save(verified.state, held));
  CAIRN_TRY(store->remember_location(repository.location()));
  return verified;
}

Result<OpenedManifest> open_manifest(const ManifestRequest& request) {
  std::string location = request.location;
  if (location.empty()) {
    if (const char* variable = std::getenv("CAIRN_MANIFEST"); variable != nullptr) location = variable;
  }
  if (location.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      "no manifest: pass --manifest REPO|URL or set CAIRN_MANIFEST (`cairn manifest dev` makes one)");
  }
  Repository repository = CAIRN_TRY(Repository::open(location));
  std::optional<PinnedRoot> root;
  if (!request.root_file.empty()) root = CAIRN_TRY(read_pinned_root(request.root_file));
  VerifiedRepository verified = CAIRN_TRY(update_repository(repository, root, request.verify));
  return OpenedManifest{std::move(repository), std::move(verified)};
}

}  // namespace cairn::manifest
