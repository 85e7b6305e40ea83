// The registry's storage (see store.h).
#include "cairn/registry/store.h"

#include "cairn/registry/oci.h"

#include "sqlite.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>

namespace cairn::registry {

namespace fs = std::filesystem;

namespace {

// The manifest types stored besides OCI's (oci.h): Docker's, which skopeo and docker still push.
constexpr std::string_view docker_manifest_type = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view docker_list_type = "application/vnd.docker.distribution.manifest.list.v2+json";

constexpr std::size_t upload_id_bytes = 16;
constexpr std::size_t token_bytes = 32;

std::int64_t now_seconds() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

Result<std::string> random_hex(std::size_t bytes) {
  std::array<unsigned char, 64> buffer{};
  if (::getrandom(buffer.data(), bytes, 0) != static_cast<ssize_t>(bytes)) return system_error("getrandom", errno);
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < bytes; ++i) {
    text += digits[buffer[i] >> 4];
    text += digits[buffer[i] & 15];
  }
  return text;
}

bool valid_upload_id(std::string_view id) {
  return id.size() == 2 * upload_id_bytes &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_manifest_type(std::string_view type) {
  return type == oci_manifest_media_type || type == oci_index_media_type || type == docker_manifest_type ||
         type == docker_list_type;
}

bool is_index_type(std::string_view type) {
  return type == oci_index_media_type || type == docker_list_type;
}

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::uint64_t size = 0;
};

// A descriptor at `path` of the manifest: mediaType, digest and size, each well-formed.
Result<Descriptor> read_descriptor(const Json& value, std::string_view path) {
  if (!value.is_object()) return make_error(ErrorCode::malformed, "{}: not an object", path);
  auto media_type = value.find("mediaType");
  auto digest = value.find("digest");
  auto size = value.find("size");
  if (media_type == value.end() || !media_type->is_string()) {
    return make_error(ErrorCode::malformed, "{}.mediaType: missing or not a string", path);
  }
  if (digest == value.end() || !digest->is_string()) {
    return make_error(ErrorCode::malformed, "{}.digest: missing or not a string", path);
  }
  if (size == value.end() || !size->is_number_unsigned()) {
    return make_error(ErrorCode::malformed, "{}.size: missing or not a non-negative integer", path);
  }
  Digest parsed = CAIRN_TRY(Digest::parse(digest->get<std::string>()).with_context(fmt::format("{}.digest", path)));
  return Descriptor{media_type->get<std::string>(), parsed, size->get<std::uint64_t>()};
}

}  // namespace

Result<ManifestInfo> describe_manifest(std::string_view body, std::string_view content_type) {
  Json json = CAIRN_TRY(parse_json(body));
  if (!json.is_object()) return make_error(ErrorCode::malformed, "a manifest is a JSON object");
  auto schema = json.find("schemaVersion");
  if (schema == json.end() || !schema->is_number_unsigned() || schema->get<std::uint64_t>() != 2) {
    return make_error(ErrorCode::malformed, "schemaVersion must be 2");
  }
  ManifestInfo info;
  auto media_type = json.find("mediaType");
  if (media_type != json.end()) {
    if (!media_type->is_string()) return make_error(ErrorCode::malformed, "mediaType is not a string");
    info.media_type = media_type->get<std::string>();
    if (!content_type.empty() && content_type != info.media_type) {
      return make_error(ErrorCode::malformed, "sent as {} but its mediaType is {}", content_type, info.media_type);
    }
  } else {
    info.media_type = std::string(content_type);
  }
  if (!is_manifest_type(info.media_type)) {
    return make_error(ErrorCode::malformed, "'{}' is not a manifest type this registry stores", info.media_type);
  }
  if (auto artifact_type = json.find("artifactType"); artifact_type != json.end()) {
    if (!artifact_type->is_string()) return make_error(ErrorCode::malformed, "artifactType is not a string");
    info.artifact_type = artifact_type->get<std::string>();
  }
  if (is_index_type(info.media_type)) {
    auto manifests = json.find("manifests");
    if (manifests == json.end() || !manifests->is_array()) {
      return make_error(ErrorCode::malformed, "an index needs a manifests array");
    }
    for (std::size_t i = 0; i < manifests->size(); ++i) {
      Descriptor child = CAIRN_TRY(read_descriptor((*manifests)[i], fmt::format("manifests[{}]", i)));
      info.references.push_back(child.digest);
    }
  } else {
    auto config = json.find("config");
    if (config == json.end()) return make_error(ErrorCode::malformed, "an image manifest needs a config");
    Descriptor config_descriptor = CAIRN_TRY(read_descriptor(*config, "config"));
    if (info.artifact_type.empty()) info.artifact_type = config_descriptor.media_type;
    info.references.push_back(config_descriptor.digest);
    auto layers = json.find("layers");
    if (layers == json.end() || !layers->is_array()) {
      return make_error(ErrorCode::malformed, "an image manifest needs a layers array");
    }
    for (std::size_t i = 0; i < layers->size(); ++i) {
      Descriptor layer = CAIRN_TRY(read_descriptor((*layers)[i], fmt::format("layers[{}]", i)));
      info.references.push_back(layer.digest);
    }
  }
  if (auto subject = json.find("subject"); subject != json.end()) {
    Descriptor subject_descriptor = CAIRN_TRY(read_descriptor(*subject, "subject"));
    info.subject = subject_descriptor.digest;
  }
  if (auto annotations = json.find("annotations"); annotations != json.end()) {
    if (!annotations->is_object()) return make_error(ErrorCode::malformed, "annotations is not an object");
    for (const auto& [key, value] : annotations->items()) {
      if (!value.is_string()) return make_error(ErrorCode::malformed, "annotations.{} is not a string", key);
    }
    info.annotations = *annotations;
  }
  info.size = body.size();
  info.digest = Digest::sha256_of(body);
  return info;
}

namespace {

std::string join_digests(const std::vector<Digest>& digests) {
  std::string text;
  for (const auto& digest : digests) {
    if (!text.empty()) text += ' ';
    text += digest.to_string();
  }
  return text;
}

Result<std::vector<Digest>> split_digests(std::string_view text) {
  std::vector<Digest> digests;
  while (!text.empty()) {
    std::size_t space = text.find(' ');
    Digest digest = CAIRN_TRY(Digest::parse(text.substr(0, space)));
    digests.push_back(digest);
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return digests;
}

Result<void> sync_file(int fd, const fs::path& path) {
  if (::fsync(fd) != 0) return system_error(fmt::format("fsync {}", path.string()), errno);
  return {};
}

}  // namespace

bool prefix_covers(std::string_view prefix, std::string_view repository) {
  if (prefix.empty()) return true;
  if (!repository.starts_with(prefix)) return false;
  return repository.size() == prefix.size() || repository[prefix.size()] == '/' || prefix.back() == '/';
}

// ---- UploadWriter ----

UploadWriter::UploadWriter(UploadWriter&& other) noexcept
    : store_(std::exchange(other.store_, nullptr)),
      id_(std::move(other.id_)),
      fd_(std::move(other.fd_)),
      size_(other.size_),
      hasher_(std::move(other.hasher_)),
      finished_(other.finished_),
      failure_(std::move(other.failure_)) {}

UploadWriter::~UploadWriter() {
  if (store_ != nullptr && !finished_) (void)finish();
}

Result<void> UploadWriter::write(std::string_view data) {
  if (failure_) return *failure_;
  if (size_ + data.size() > store_->limits_.max_blob_size) {
    failure_ = make_error(ErrorCode::limit_exceeded, "a blob larger than this registry's limit of {} bytes",
                          store_->limits_.max_blob_size);
    return *failure_;
  }
  auto written = write_all(fd_.get(), data);
  if (!written.ok()) {
    failure_ = std::move(written).error();
    return *failure_;
  }
  if (hasher_) hasher_->update(data);
  size_ += data.size();
  return {};
}

Result<std::uint64_t> UploadWriter::finish() {
  if (finished_) return size_;
  finished_ = true;
  // A write that failed part way may have left bytes past what was counted: cut them off.
  if (failure_ && ::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) hasher_.reset();
  CAIRN_TRY(store_->record_upload_size(id_, size_, std::move(hasher_)));
  if (failure_) return *failure_;
  return size_;
}

// ---- RegistryStore ----

RegistryStore::RegistryStore(fs::path root, const StoreLimits& limits) : root_(std::move(root)), limits_(limits) {}

RegistryStore::~RegistryStore() = default;

Result<std::unique_ptr<RegistryStore>> RegistryStore::open(const fs::path& root, const StoreLimits& limits) {
  std::unique_ptr<RegistryStore> store(new RegistryStore(root, limits));
  CAIRN_TRY(store->load());
  return store;
}

fs::path RegistryStore::blob_path(const Digest& digest) const {
  return root_ / "blobs" / std::string(to_string(digest.algorithm())) / digest.hex();
}

Result<void> RegistryStore::load() {
  std::error_code error;
  for (const char* folder : {"blobs/sha256", "uploads"}) {
    fs::create_directories(root_ / folder, error);
    if (error) return make_error(ErrorCode::io, "create {}: {}", (root_ / folder).string(), error.message());
  }
  sql::Database db = CAIRN_TRY(sql::Database::open(root_ / "registry.sqlite", "the registry database"));
  CAIRN_TRY(db.execute(
      "CREATE TABLE IF NOT EXISTS blobs (repository TEXT NOT NULL, digest TEXT NOT NULL,"
      " PRIMARY KEY (repository, digest)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS manifests (repository TEXT NOT NULL, digest TEXT NOT NULL,"
      " media_type TEXT NOT NULL, size INTEGER NOT NULL, artifact_type TEXT NOT NULL, subject TEXT NOT NULL,"
      " annotations TEXT NOT NULL, refs TEXT NOT NULL, PRIMARY KEY (repository, digest)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS tags (repository TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL,"
      " PRIMARY KEY (repository, tag)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS uploads (id TEXT PRIMARY KEY, repository TEXT NOT NULL,"
      " size INTEGER NOT NULL, updated INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, scope TEXT NOT NULL, prefix TEXT NOT NULL,"
      " created INTEGER NOT NULL);"));
  db_ = std::make_unique<sql::Database>(std::move(db));

  sql::Statement blobs = CAIRN_TRY(db_->prepare("SELECT repository, digest FROM blobs"));
  while (CAIRN_TRY(db_->step(blobs, "read blobs"))) {
    repositories_[sql::column_text(blobs, 0)].blobs.insert(sql::column_text(blobs, 1));
  }
  sql::Statement manifests = CAIRN_TRY(db_->prepare(
      "SELECT repository, digest, media_type, size, artifact_type, subject, annotations, refs FROM manifests"));
  while (CAIRN_TRY(db_->step(manifests, "read manifests"))) {
    ManifestInfo info;
    info.digest = CAIRN_TRY(Digest::parse(sql::column_text(manifests, 1)));
    info.media_type = sql::column_text(manifests, 2);
    info.size = static_cast<std::uint64_t>(sqlite3_column_int64(manifests.get(), 3));
    info.artifact_type = sql::column_text(manifests, 4);
    if (std::string subject = sql::column_text(manifests, 5); !subject.empty()) {
      info.subject = CAIRN_TRY(Digest::parse(subject));
    }
    info.annotations = CAIRN_TRY(parse_json(sql::column_text(manifests, 6)));
    info.references = CAIRN_TRY(split_digests(sql::column_text(manifests, 7)));
    std::string digest = info.digest.to_string();
    repositories_[sql::column_text(manifests, 0)].manifests.emplace(digest, std::move(info));
  }
  sql::Statement tags = CAIRN_TRY(db_->prepare("SELECT repository, tag, digest FROM tags"));
  while (CAIRN_TRY(db_->step(tags, "read tags"))) {
    repositories_[sql::column_text(tags, 0)].tags[sql::column_text(tags, 1)] = sql::column_text(tags, 2);
  }

  // Upload sessions: a session's file may hold more than its row says (a crash between the write
  // and the update): cut it back. Files without a row, and rows without a file, are dropped.
  sql::Statement uploads = CAIRN_TRY(db_->prepare("SELECT id, repository, size, updated FROM uploads"));
  std::vector<std::string> lost;
  while (CAIRN_TRY(db_->step(uploads, "read uploads"))) {
    std::string id = sql::column_text(uploads, 0);
    Upload upload;
    upload.repository = sql::column_text(uploads, 1);
    upload.size = static_cast<std::uint64_t>(sqlite3_column_int64(uploads.get(), 2));
    upload.updated = sqlite3_column_int64(uploads.get(), 3);
    fs::path file = root_ / "uploads" / id;
    struct stat status {};
    if (!valid_upload_id(id) || ::stat(file.c_str(), &status) != 0 ||
        static_cast<std::uint64_t>(status.st_size) < upload.size) {
      lost.push_back(id);
      continue;
    }
    if (static_cast<std::uint64_t>(status.st_size) > upload.size &&
        ::truncate(file.c_str(), static_cast<off_t>(upload.size)) != 0) {
      return system_error(fmt::format("truncate {}", file.string()), errno);
    }
    uploads_.emplace(std::move(id), std::move(upload));
  }
  sql::Statement forget = CAIRN_TRY(db_->prepare("DELETE FROM uploads WHERE id = ?"));
  for (const auto& id : lost) {
    sql::bind(forget, 1, id);
    CAIRN_TRY(db_->run(forget, "drop a lost upload"));
    sqlite3_reset(forget.get());
  }
  for (const auto& entry : fs::directory_iterator(root_ / "uploads", error)) {
    std::string name = entry.path().filename().string();
    if (!uploads_.contains(name)) fs::remove(entry.path(), error);
  }
  return expire_uploads();
}

Result<BlobFile> RegistryStore::blob(std::string_view repository, const Digest& digest) const {
  {
    std::shared_lock lock(mutex_);
    auto found = repositories_.find(repository);
    if (found == repositories_.end() || !found->second.blobs.contains(digest.to_string())) {
      return make_error(ErrorCode::not_found, "{} has no blob {}", repository, digest.to_string());
    }
  }
  fs::path path = blob_path(digest);
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return system_error(fmt::format("stat {}", path.string()), errno);
  return BlobFile{path, static_cast<std::uint64_t>(status.st_size)};
}

Result<void> RegistryStore::mount_blob(std::string_view repository, const Digest& digest, std::string_view from) {
  std::unique_lock lock(mutex_);
  auto source = repositories_.find(from);
  std::string text = digest.to_string();
  if (source == repositories_.end() || !source->second.blobs.contains(text)) {
    return make_error(ErrorCode::not_found, "{} has no blob {}", from, text);
  }
  sql::Statement insert = CAIRN_TRY(db_->prepare("INSERT OR IGNORE INTO blobs (repository, digest) VALUES (?, ?)"));
  sql::bind(insert, 1, repository);
  sql::bind(insert, 2, text);
  CAIRN_TRY(db_->run(insert, "link a blob"));
  repositories_[std::string(repository)].blobs.insert(text);
  return {};
}

Result<void> RegistryStore::expire_uploads() {
  std::int64_t oldest = now_seconds() - limits_.upload_idle_timeout.count();
  std::vector<std::string> expired;
  for (const auto& [id, upload] : uploads_) {
    if (upload.updated < oldest && !upload.writing) expired.push_back(id);
  }
  if (expired.empty()) return {};
  sql::Statement forget = CAIRN_TRY(db_->prepare("DELETE FROM uploads WHERE id = ?"));
  for (const auto& id : expired) {
    sql::bind(forget, 1, id);
    CAIRN_TRY(db_->run(forget, "drop an idle upload"));
    sqlite3_reset(forget.get());
    std::error_code error;
    fs::remove(root_ / "uploads" / id, error);
    uploads_.erase(id);
  }
  return {};
}

Result<std::string> RegistryStore::start_upload(std::string_view repository) {
  std::string id = CAIRN_TRY(random_hex(upload_id_bytes));
  std::unique_lock lock(mutex_);
  CAIRN_TRY(expire_uploads());
  if (uploads_.size() >= limits_.max_open_uploads) {
    return make_error(ErrorCode::limit_exceeded, "{} upload sessions are open (the limit); try again later",
                      uploads_.size());
  }
  fs::path file = root_ / "uploads" / id;
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return system_error(fmt::format("create {}", file.string()), errno);
  std::int64_t now = now_seconds();
  sql::Statement insert =
      CAIRN_TRY(db_->prepare("INSERT INTO uploads (id, repository, size, updated) VALUES (?, ?, 0, ?)"));
  sql::bind(insert, 1, id);
  sql::bind(insert, 2, repository);
  sql::bind(insert, 3, now);
  if (auto inserted = db_->run(insert, "start an upload"); !inserted.ok()) {
    std::error_code error;
    fs::remove(file, error);
    return std::move(inserted).error();
  }
  Upload upload;
  upload.repository = std::string(repository);
  upload.updated = now;
  upload.hasher = std::make_unique<Hasher>();
  uploads_.emplace(id, std::move(upload));
  return id;
}

Result<UploadStatus> RegistryStore::upload_status(std::string_view repository, std::string_view id) const {
  std::shared_lock lock(mutex_);
  auto found = uploads_.find(id);
  if (found == uploads_.end() || found->second.repository != repository) {
    return make_error(ErrorCode::not_found, "no upload session {} in {}", id, repository);
  }
  return UploadStatus{found->second.repository, found->second.size};
}

Result<UploadWriter> RegistryStore::append_upload(std::string_view repository, std::string_view id,
                                                  std::optional<std::uint64_t> start) {
  std::unique_lock lock(mutex_);
  auto found = uploads_.find(id);
  if (found == uploads_.end() || found->second.repository != repository) {
    return make_error(ErrorCode::not_found, "no upload session {} in {}", id, repository);
  }
  Upload& upload = found->second;
  if (upload.writing) return make_error(ErrorCode::refused, "another request is writing to upload {}", id);
  if (start && *start != upload.size) {
    return make_error(ErrorCode::refused, "the chunk starts at {}, but the session holds {} bytes", *start,
                      upload.size);
  }
  fs::path file = root_ / "uploads" / std::string(id);
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!fd.valid()) return system_error(fmt::format("open {}", file.string()), errno);
  upload.writing = true;
  UploadWriter writer(this, std::string(id), std::move(fd), upload.size);
  writer.hasher_ = std::move(upload.hasher);
  return writer;
}

Result<void> RegistryStore::record_upload_size(const std::string& id, std::uint64_t size,
                                              std::unique_ptr<Hasher> hasher) {
  std::unique_lock lock(mutex_);
  auto found = uploads_.find(id);
  if (found == uploads_.end()) return make_error(ErrorCode::not_found, "no upload session {}", id);
  found->second.writing = false;
  found->second.hasher = std::move(hasher);
  std::int64_t now = now_seconds();
  sql::Statement update = CAIRN_TRY(db_->prepare("UPDATE uploads SET size = ?, updated = ? WHERE id = ?"));
  sql::bind(update, 1, static_cast<std::int64_t>(size));
  sql::bind(update, 2, now);
  sql::bind(update, 3, id);
  CAIRN_TRY(db_->run(update, "record an upload's progress"));
  found->second.size = size;
  found->second.updated = now;
  return {};
}

Result<void> RegistryStore::store_blob_file(const fs::path& source, const Digest& digest) {
  fs::path target = blob_path(digest);
  std::error_code error;
  if (fs::exists(target, error)) {
    // The same bytes should be there already. If the disk (or a person) changed them, the checked
    // bytes just received replace them: storage heals instead of keeping a bad copy forever.
    auto stored = digest_file(target);
    if (stored.ok() && *stored == digest) return {};
  }
  if (::rename(source.c_str(), target.c_str()) != 0) {
    return system_error(fmt::format("rename {} to {}", source.string(), target.string()), errno);
  }
  return sync_directory(target.parent_path());
}

Result<void> RegistryStore::finish_upload(std::string_view repository, std::string_view id, const Digest& digest) {
  if (digest.algorithm() != DigestAlgorithm::sha256) {
    return make_error(ErrorCode::unsupported, "this registry stores sha256 blobs only");
  }
  std::unique_ptr<Hasher> hasher;
  std::uint64_t size = 0;
  {
    std::unique_lock lock(mutex_);
    auto found = uploads_.find(id);
    if (found == uploads_.end() || found->second.repository != repository) {
      return make_error(ErrorCode::not_found, "no upload session {} in {}", id, repository);
    }
    if (found->second.writing) return make_error(ErrorCode::refused, "another request is writing to upload {}", id);
    found->second.writing = true;  // no chunk may arrive while the bytes are checked
    size = found->second.size;
    hasher = std::move(found->second.hasher);
  }
  fs::path file = root_ / "uploads" / std::string(id);
  auto checked = [&]() -> Result<void> {
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return system_error(fmt::format("open {}", file.string()), errno);
    // The hash kept while the chunks came in, unless the session began before this process did.
    Digest actual = Digest::sha256_of("");
    if (hasher) {
      actual = hasher->finish();
    } else {
      actual = CAIRN_TRY(digest_fd(fd.get()));
    }
    hasher.reset();
    if (actual != digest) {
      return make_error(ErrorCode::malformed, "the {} bytes uploaded have digest {}, not {}", size, actual.to_string(),
                        digest.to_string());
    }
    CAIRN_TRY(sync_file(fd.get(), file));
    // Into blobs/ outside the lock (hashing a stored copy may take a while): renames are atomic,
    // and a reader with the old file open keeps reading the old bytes.
    CAIRN_TRY(store_blob_file(file, digest));
    return {};
  }();
  std::unique_lock lock(mutex_);
  auto found = uploads_.find(id);
  if (!checked.ok()) {
    if (found != uploads_.end()) found->second.writing = false;  // hasher gone: the next finish reads the file
    return std::move(checked).error();
  }
  std::error_code error;
  fs::remove(file, error);  // when the blob was there already
  sql::Transaction transaction = CAIRN_TRY(sql::Transaction::begin(*db_));
  sql::Statement insert = CAIRN_TRY(db_->prepare("INSERT OR IGNORE INTO blobs (repository, digest) VALUES (?, ?)"));
  sql::bind(insert, 1, repository);
  sql::bind(insert, 2, digest.to_string());
  CAIRN_TRY(db_->run(insert, "link a blob"));
  sql::Statement forget = CAIRN_TRY(db_->prepare("DELETE FROM uploads WHERE id = ?"));
  sql::bind(forget, 1, id);
  CAIRN_TRY(db_->run(forget, "end an upload"));
  CAIRN_TRY(transaction.commit());
  repositories_[std::string(repository)].blobs.insert(digest.to_string());
  uploads_.erase(found);
  return {};
}

Result<void> RegistryStore::cancel_upload(std::string_view repository, std::string_view id) {
  std::unique_lock lock(mutex_);
  auto found = uploads_.find(id);
  if (found == uploads_.end() || found->second.repository != repository) {
    return make_error(ErrorCode::not_found, "no upload session {} in {}", id, repository);
  }
  if (found->second.writing) return make_error(ErrorCode::refused, "another request is writing to upload {}", id);
  sql::Statement forget = CAIRN_TRY(db_->prepare("DELETE FROM uploads WHERE id = ?"));
  sql::bind(forget, 1, id);
  CAIRN_TRY(db_->run(forget, "cancel an upload"));
  std::error_code error;
  fs::remove(root_ / "uploads" / std::string(id), error);
  uploads_.erase(found);
  return {};
}

Result<PutManifestResult> RegistryStore::put_manifest(std::string_view repository, std::string_view reference,
                                                      std::string_view media_type, std::string_view body) {
  if (body.size() > limits_.max_manifest_size) {
    return make_error(ErrorCode::limit_exceeded, "a manifest of {} bytes (at most {})", body.size(),
                      limits_.max_manifest_size);
  }
  ManifestInfo info = CAIRN_TRY(describe_manifest(body, media_type));
  bool by_digest = reference.find(':') != std::string_view::npos;
  if (by_digest) {
    Digest named = CAIRN_TRY(Digest::parse(reference));
    if (named != info.digest) {
      return make_error(ErrorCode::malformed, "the manifest's digest is {}, not {}", info.digest.to_string(),
                        reference);
    }
  }
  std::string digest = info.digest.to_string();
  std::unique_lock lock(mutex_);
  auto existing = repositories_.find(repository);
  bool index = is_index_type(info.media_type);
  for (const auto& reference_digest : info.references) {
    std::string text = reference_digest.to_string();
    bool present = existing != repositories_.end() &&
                   (index ? existing->second.manifests.contains(text) : existing->second.blobs.contains(text));
    if (!present) {
      return make_error(ErrorCode::refused, "the manifest names {} {}, which {} does not hold",
                        index ? "manifest" : "blob", text, repository);
    }
  }
  if (!fs::exists(blob_path(info.digest))) {
    fs::path staged = root_ / "uploads" / fmt::format(".manifest-{}", info.digest.hex());
    CAIRN_TRY(write_file_atomically(staged, body));
    CAIRN_TRY(store_blob_file(staged, info.digest));
  }
  std::string annotations = info.annotations.is_null() ? "null" : info.annotations.dump();
  sql::Transaction transaction = CAIRN_TRY(sql::Transaction::begin(*db_));
  sql::Statement insert = CAIRN_TRY(
      db_->prepare("INSERT OR REPLACE INTO manifests (repository, digest, media_type, size, artifact_type, subject,"
                   " annotations, refs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  sql::bind(insert, 1, repository);
  sql::bind(insert, 2, digest);
  sql::bind(insert, 3, info.media_type);
  sql::bind(insert, 4, static_cast<std::int64_t>(info.size));
  sql::bind(insert, 5, info.artifact_type);
  sql::bind(insert, 6, info.subject ? info.subject->to_string() : std::string());
  sql::bind(insert, 7, annotations);
  sql::bind(insert, 8, join_digests(info.references));
  CAIRN_TRY(db_->run(insert, "store a manifest"));
  if (!by_digest) {
    sql::Statement tag =
        CAIRN_TRY(db_->prepare("INSERT OR REPLACE INTO tags (repository, tag, digest) VALUES (?, ?, ?)"));
    sql::bind(tag, 1, repository);
    sql::bind(tag, 2, reference);
    sql::bind(tag, 3, digest);
    CAIRN_TRY(db_->run(tag, "tag a manifest"));
  }
  CAIRN_TRY(transaction.commit());
  Repository& target = repositories_[std::string(repository)];
  if (!by_digest) target.tags[std::string(reference)] = digest;
  PutManifestResult result{info.digest, info.subject};
  target.manifests.insert_or_assign(digest, std::move(info));
  return result;
}

Result<std::pair<ManifestInfo, BlobFile>> RegistryStore::manifest(std::string_view repository,
                                                                  std::string_view reference) const {
  ManifestInfo info;
  {
    std::shared_lock lock(mutex_);
    auto found = repositories_.find(repository);
    if (found == repositories_.end()) return make_error(ErrorCode::not_found, "no repository {}", repository);
    std::string digest(reference);
    if (reference.find(':') == std::string_view::npos) {
      auto tag = found->second.tags.find(digest);
      if (tag == found->second.tags.end()) {
        return make_error(ErrorCode::not_found, "{} has no tag {}", repository, reference);
      }
      digest = tag->second;
    }
    auto manifest = found->second.manifests.find(digest);
    if (manifest == found->second.manifests.end()) {
      return make_error(ErrorCode::not_found, "{} has no manifest {}", repository, digest);
    }
    info = manifest->second;
  }
  BlobFile file{blob_path(info.digest), info.size};
  return std::pair{std::move(info), std::move(file)};
}

std::optional<Digest> RegistryStore::tagged(std::string_view repository, std::string_view tag) const {
  std::shared_lock lock(mutex_);
  auto found = repositories_.find(repository);
  if (found == repositories_.end()) return std::nullopt;
  auto entry = found->second.tags.find(std::string(tag));
  if (entry == found->second.tags.end()) return std::nullopt;
  auto digest = Digest::parse(entry->second);
  if (!digest.ok()) return std::nullopt;
  return *digest;
}

Result<void> RegistryStore::delete_manifest(std::string_view repository, std::string_view reference) {
  std::unique_lock lock(mutex_);
  auto found = repositories_.find(repository);
  if (found == repositories_.end()) return make_error(ErrorCode::not_found, "no repository {}", repository);
  Repository& target = found->second;
  if (reference.find(':') == std::string_view::npos) {
    auto tag = target.tags.find(std::string(reference));
    if (tag == target.tags.end()) return make_error(ErrorCode::not_found, "{} has no tag {}", repository, reference);
    sql::Statement forget = CAIRN_TRY(db_->prepare("DELETE FROM tags WHERE repository = ? AND tag = ?"));
    sql::bind(forget, 1, repository);
    sql::bind(forget, 2, reference);
    CAIRN_TRY(db_->run(forget, "delete a tag"));
    target.tags.erase(tag);
    return {};
  }
  std::string digest(reference);
  auto manifest = target.manifests.find(digest);
  if (manifest == target.manifests.end()) {
    return make_error(ErrorCode::not_found, "{} has no manifest {}", repository, digest);
  }
  sql::Transaction transaction = CAIRN_TRY(sql::Transaction::begin(*db_));
  sql::Statement forget_tags = CAIRN_TRY(db_->prepare("DELETE FROM tags WHERE repository = ? AND digest = ?"));
  sql::bind(forget_tags, 1, repository);
  sql::bind(forget_tags, 2, digest);
  CAIRN_TRY(db_->run(forget_tags, "delete tags"));
  sql::Statement forget = CAIRN_TRY(db_->prepare("DELETE FROM manifests WHERE repository = ? AND digest = ?"));
  sql::bind(forget, 1, repository);
  sql::bind(forget, 2, digest);
  CAIRN_TRY(db_->run(forget, "delete a manifest"));
  CAIRN_TRY(transaction.commit());
  std::erase_if(target.tags, [&](const auto& tag) { return tag.second == digest; });
  target.manifests.erase(manifest);
  return {};
}

Result<std::vector<std::string>> RegistryStore::tags(std::string_view repository, std::size_t limit,
                                                     std::string_view last, bool* more) const {
  std::shared_lock lock(mutex_);
  auto found = repositories_.find(repository);
  if (found == repositories_.end()) return make_error(ErrorCode::not_found, "no repository {}", repository);
  std::vector<std::string> names;
  *more = false;
  auto tag = last.empty() ? found->second.tags.begin() : found->second.tags.upper_bound(std::string(last));
  for (; tag != found->second.tags.end(); ++tag) {
    if (names.size() == limit) {
      *more = true;
      break;
    }
    names.push_back(tag->first);
  }
  return names;
}

std::vector<ManifestInfo> RegistryStore::referrers(std::string_view repository, const Digest& digest,
                                                   std::string_view artifact_type) const {
  std::shared_lock lock(mutex_);
  std::vector<ManifestInfo> found;
  auto repo = repositories_.find(repository);
  if (repo == repositories_.end()) return found;
  for (const auto& [text, info] : repo->second.manifests) {
    if (info.subject == digest && (artifact_type.empty() || info.artifact_type == artifact_type)) {
      found.push_back(info);
    }
  }
  return found;
}

Result<std::string> RegistryStore::add_token(std::string_view scope, std::string_view prefix) {
  if (scope != "push" && scope != "pull") return make_error(ErrorCode::invalid_argument, "a token scope is push or pull");
  std::string secret = CAIRN_TRY(random_hex(token_bytes));
  std::string token = "cairn_" + secret;
  sql::Statement insert =
      CAIRN_TRY(db_->prepare("INSERT INTO tokens (hash, scope, prefix, created) VALUES (?, ?, ?, ?)"));
  sql::bind(insert, 1, Digest::sha256_of(token).to_string());
  sql::bind(insert, 2, scope);
  sql::bind(insert, 3, prefix);
  sql::bind(insert, 4, now_seconds());
  CAIRN_TRY(db_->run(insert, "add a token"));
  return token;
}

Result<std::vector<TokenInfo>> RegistryStore::token_scopes(std::string_view token) const {
  std::vector<TokenInfo> scopes;
  if (token.empty() || token.size() > 256) return scopes;
  sql::Statement query = CAIRN_TRY(db_->prepare("SELECT scope, prefix FROM tokens WHERE hash = ?"));
  sql::bind(query, 1, Digest::sha256_of(token).to_string());
  while (CAIRN_TRY(db_->step(query, "check a token"))) {
    scopes.push_back({sql::column_text(query, 0), sql::column_text(query, 1)});
  }
  return scopes;
}

Result<GcReport> RegistryStore::collect_garbage(bool dry_run) {
  std::unique_lock lock(mutex_);
  GcReport report;
  std::set<std::string> referenced;  // digest texts any manifest needs, in any repository
  std::vector<std::pair<std::string, std::string>> unneeded_links;
  for (const auto& [name, repository] : repositories_) {
    std::set<std::string> needed;
    for (const auto& [digest, info] : repository.manifests) {
      referenced.insert(digest);
      for (const auto& reference : info.references) needed.insert(reference.to_string());
    }
    referenced.insert(needed.begin(), needed.end());
    for (const auto& blob : repository.blobs) {
      if (!needed.contains(blob)) unneeded_links.emplace_back(name, blob);
    }
  }
  report.links_removed = unneeded_links.size();
  std::vector<fs::path> unreferenced;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root_ / "blobs" / "sha256", error)) {
    std::string digest = "sha256:" + entry.path().filename().string();
    if (referenced.contains(digest)) continue;
    unreferenced.push_back(entry.path());
    ++report.blobs_removed;
    report.bytes_removed += entry.file_size(error);
  }
  if (error) return make_error(ErrorCode::io, "list {}: {}", (root_ / "blobs").string(), error.message());
  std::int64_t oldest = now_seconds() - limits_.upload_idle_timeout.count();
  for (const auto& [id, upload] : uploads_) report.uploads_removed += upload.updated < oldest ? 1 : 0;
  if (dry_run) return report;

  // Links first, then files: a crash between leaves files no one links, which the next gc removes.
  sql::Transaction transaction = CAIRN_TRY(sql::Transaction::begin(*db_));
  sql::Statement unlink = CAIRN_TRY(db_->prepare("DELETE FROM blobs WHERE repository = ? AND digest = ?"));
  for (const auto& [name, digest] : unneeded_links) {
    sql::bind(unlink, 1, name);
    sql::bind(unlink, 2, digest);
    CAIRN_TRY(db_->run(unlink, "unlink a blob"));
    sqlite3_reset(unlink.get());
  }
  CAIRN_TRY(transaction.commit());
  for (const auto& [name, digest] : unneeded_links) repositories_[name].blobs.erase(digest);
  for (const auto& path : unreferenced) {
    if (!fs::remove(path, error) && error) return make_error(ErrorCode::io, "remove {}: {}", path.string(), error.message());
  }
  CAIRN_TRY(expire_uploads());
  return report;
}

}  // namespace cairn::registry
