// The registry's storage: what the OCI distribution API reads and writes, without the HTTP.
//
//   <root>/blobs/sha256/<hex>   every blob and manifest, once, named by its digest; read-only once there
//   <root>/uploads/<id>         the bytes of an upload session so far
//   <root>/registry.sqlite      which repository holds which blobs and manifests, tags, upload
//                               sessions and push tokens (SQLite, WAL)
//
// A blob becomes visible only after its bytes were hashed and matched the digest the client
// named, synced, and renamed into blobs/; only then is it linked into its repository. Repository
// names and tags are never used in file paths (blobs are named by digest, uploads by a random id),
// so no name can reach outside the root. Reads are served from an in-memory copy of the database,
// loaded when the store opens and updated with each write, so a GET touches neither SQLite nor
// a lock held by a writer for longer than a few map updates.
//
// Errors carry a code the server turns into the OCI error it names:
//   not_found        BLOB_UNKNOWN / MANIFEST_UNKNOWN / BLOB_UPLOAD_UNKNOWN / NAME_UNKNOWN
//   malformed        MANIFEST_INVALID (unparsable, unknown type) / DIGEST_INVALID (bytes ≠ digest)
//   refused          MANIFEST_BLOB_UNKNOWN (a manifest names what the repository does not hold),
//                    BLOB_UPLOAD_INVALID (a chunk not at the session's end)
//   limit_exceeded   SIZE_INVALID / TOOMANYREQUESTS (too many open uploads)
#pragma once

#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/file.h"
#include "cairn/core/result.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::registry {

namespace sql {
class Database;
}

struct StoreLimits {
  std::uint64_t max_blob_size = 4ull << 30;      // bytes, per blob
  std::uint64_t max_manifest_size = 4ull << 20;  // bytes, as CNCF distribution
  std::size_t max_open_uploads = 256;            // upload sessions at once, all repositories
  std::chrono::seconds upload_idle_timeout{3600};  // a session untouched this long is removed
};

struct BlobFile {
  std::filesystem::path path;
  std::uint64_t size = 0;
};

// What the registry knows of a stored manifest: enough to serve it and to list it as a referrer.
struct ManifestInfo {
  Digest digest = Digest::sha256_of("");
  std::string media_type;
  std::uint64_t size = 0;
  std::string artifact_type;       // its artifactType, or (image manifests) its config's mediaType
  std::optional<Digest> subject;   // the manifest it refers to, if any
  Json annotations;                // its annotations object, or null
  std::vector<Digest> references;  // config and layers, or (an index) the manifests it lists
};

// Reads what the registry needs from a manifest (an OCI or Docker image manifest or index), checking
// its shape: malformed when it is not one. `content_type` (may be empty) must match its mediaType.
Result<ManifestInfo> describe_manifest(std::string_view body, std::string_view content_type);

struct PutManifestResult {
  Digest digest = Digest::sha256_of("");
  std::optional<Digest> subject;
};

struct UploadStatus {
  std::string repository;
  std::uint64_t size = 0;  // bytes received so far
};

struct TokenInfo {
  std::string scope;   // "push" (push and pull) or "pull"
  std::string prefix;  // repositories it covers: this name and every name under "<prefix>/"
};

struct GcReport {
  std::uint64_t blobs_removed = 0;
  std::uint64_t bytes_removed = 0;
  std::uint64_t links_removed = 0;    // repository ↔ blob links no manifest needs
  std::uint64_t uploads_removed = 0;  // idle upload sessions
};

// Whether a token for `prefix` covers `repository`: the same name, or a name under "<prefix>/".
bool prefix_covers(std::string_view prefix, std::string_view repository);

class RegistryStore;

// Appends the body of one PATCH (or of a monolithic POST/PUT) to an upload session. Bytes are
// recorded as received when the writer is destroyed, even if the request broke off, so a client
// can resume from what arrived. Only one writer per session at a time.
class UploadWriter {
 public:
  UploadWriter(UploadWriter&& other) noexcept;
  UploadWriter& operator=(UploadWriter&&) = delete;
  ~UploadWriter();
  Result<void> write(std::string_view data);
  // Records the bytes received; returns the session's new size.
  Result<std::uint64_t> finish();

 private:
  friend class RegistryStore;
  UploadWriter(RegistryStore* store, std::string id, UniqueFd fd, std::uint64_t size)
      : store_(store), id_(std::move(id)), fd_(std::move(fd)), size_(size) {}
  RegistryStore* store_;
  std::string id_;
  UniqueFd fd_;
  std::uint64_t size_;
  std::unique_ptr<Hasher> hasher_;  // the session's bytes so far, if it kept their hash
  bool finished_ = false;
  std::optional<Error> failure_;
};

class RegistryStore {
 public:
  static Result<std::unique_ptr<RegistryStore>> open(const std::filesystem::path& root, const StoreLimits& limits = {});
  ~RegistryStore();
  RegistryStore(const RegistryStore&) = delete;
  RegistryStore& operator=(const RegistryStore&) = delete;

  const StoreLimits& limits() const { return limits_; }

  // Blobs.
  Result<BlobFile> blob(std::string_view repository, const Digest& digest) const;
  // Links a blob `from` holds into `repository` (a cross-repository mount): not_found if `from`
  // does not hold it.
  Result<void> mount_blob(std::string_view repository, const Digest& digest, std::string_view from);

  // Upload sessions.
  Result<std::string> start_upload(std::string_view repository);
  Result<UploadStatus> upload_status(std::string_view repository, std::string_view id) const;
  // A writer appending at the session's end; `start`, from a Content-Range, must be that end.
  Result<UploadWriter> append_upload(std::string_view repository, std::string_view id,
                                     std::optional<std::uint64_t> start = std::nullopt);
  // Checks the session's bytes against `digest` and makes them the blob; the session ends. On a
  // mismatch (malformed) the session stays as it was.
  Result<void> finish_upload(std::string_view repository, std::string_view id, const Digest& digest);
  Result<void> cancel_upload(std::string_view repository, std::string_view id);

  // Manifests. `reference` is a tag or a digest; `media_type` the request's Content-Type (may be
  // empty when the manifest names its own mediaType).
  Result<PutManifestResult> put_manifest(std::string_view repository, std::string_view reference,
                                         std::string_view media_type, std::string_view body);
  Result<std::pair<ManifestInfo, BlobFile>> manifest(std::string_view repository, std::string_view reference) const;
  // By tag: removes the tag. By digest: removes the manifest and every tag naming it.
  Result<void> delete_manifest(std::string_view repository, std::string_view reference);
  // Tags in lexical order, after `last`, at most `limit`; `more` says whether any are left.
  Result<std::vector<std::string>> tags(std::string_view repository, std::size_t limit, std::string_view last,
                                        bool* more) const;
  // Manifests in `repository` whose subject is `digest`, by digest; only those of
  // `artifact_type` when it is not empty.
  std::vector<ManifestInfo> referrers(std::string_view repository, const Digest& digest,
                                      std::string_view artifact_type) const;
  // The tag's current manifest digest.
  std::optional<Digest> tagged(std::string_view repository, std::string_view tag) const;

  // Tokens: a new random token (returned once; only its hash is stored) and the check.
  Result<std::string> add_token(std::string_view scope, std::string_view prefix);
  // The scopes a token holds (empty if unknown). Read from the database each time, so a token
  // added by `cairn registry token add` works at once in a running server.
  Result<std::vector<TokenInfo>> token_scopes(std::string_view token) const;

  // Removes blobs no manifest references, links no manifest needs and idle upload sessions.
  // Only while no server runs on this root (the caller holds the serve lock).
  Result<GcReport> collect_garbage(bool dry_run);

 private:
  friend class UploadWriter;
  RegistryStore(std::filesystem::path root, const StoreLimits& limits);
  Result<void> load();
  // Records a writer's progress and ends its turn, taking back the session's running hash.
  Result<void> record_upload_size(const std::string& id, std::uint64_t size, std::unique_ptr<Hasher> hasher);
  Result<void> store_blob_file(const std::filesystem::path& source, const Digest& digest);
  Result<void> expire_uploads();
  std::filesystem::path blob_path(const Digest& digest) const;

  struct Repository {
    std::set<std::string> blobs;                    // digest text -> linked
    std::map<std::string, ManifestInfo> manifests;  // digest text -> manifest
    std::map<std::string, std::string> tags;        // tag -> digest text
  };
  struct Upload {
    std::string repository;
    std::uint64_t size = 0;
    std::int64_t updated = 0;  // seconds since the epoch
    bool writing = false;
    std::unique_ptr<Hasher> hasher;  // the bytes so far, when they all came through this process
  };

  std::filesystem::path root_;
  StoreLimits limits_;
  std::unique_ptr<sql::Database> db_;
  mutable std::shared_mutex mutex_;  // readers share; writers of the maps and the database own it
  std::map<std::string, Repository, std::less<>> repositories_;
  std::map<std::string, Upload, std::less<>> uploads_;
};

}  // namespace cairn::registry
