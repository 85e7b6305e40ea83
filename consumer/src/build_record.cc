// Reading what a build left behind from a reference, a folder, a bare image or a lock (see
// build_record.h): the pieces are read, then checked to belong together.
#include "cairn/consumer/build_record.h"

#include "cairn/core/json_reader.h"
#include "cairn/registry/publish.h"
#include "cairn/registry/reference.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace cairn::consumer {

namespace fs = std::filesystem;
using reproducibility::Provenance;
using reproducibility::ResourceDescriptor;

namespace {

constexpr std::size_t max_log_file_size = std::size_t{1} << 20;
constexpr std::string_view library_uri_prefix = "cairn-library:";
constexpr std::string_view debian_uri_prefix = "pkg:deb/debian/";

bool present(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error);
}

// A lock file target: cairn.lock, or any file whose name ends in ".lock".
bool is_lock_file(const fs::path& path) {
  return path.filename() == "cairn.lock" || path.extension() == ".lock";
}

// The log entry's index in log.json (written by `cairn publish` and `cairn pull`), when present.
Result<std::optional<std::uint64_t>> read_log_index(const fs::path& folder) {
  fs::path file = folder / "log.json";
  if (!present(file)) return std::optional<std::uint64_t>{};
  std::string text = CAIRN_TRY(read_file(file, max_log_file_size));
  Json json = CAIRN_TRY(parse_json(text).with_context("log.json"));
  JsonReader document(json);
  std::uint64_t index = CAIRN_TRY(document.count("index").with_context("log.json"));
  return std::optional<std::uint64_t>(index);
}

void take_unikernel_facts(BuildRecord& record) {
  const Provenance& provenance = *record.provenance;
  const Json& parameters = provenance.external_parameters;
  if (parameters.contains("unikernel") && parameters["unikernel"].is_object()) {
    const Json& unikernel = parameters["unikernel"];
    if (unikernel.contains("name") && unikernel["name"].is_string()) record.name = unikernel["name"];
    if (unikernel.contains("version") && unikernel["version"].is_string()) record.version = unikernel["version"];
  }
  if (record.name.empty()) record.name = fs::path(provenance.subject_name).stem().string();
  for (const ResourceDescriptor& dependency : provenance.resolved_dependencies) {
    if (!dependency.uri.starts_with(debian_uri_prefix)) continue;
    if (!dependency.annotations.is_object() || dependency.annotations.value("toolchain", false) != true) continue;
    std::string_view rest = std::string_view(dependency.uri).substr(debian_uri_prefix.size());
    std::size_t at = rest.find('@');
    ToolchainPackage package;
    package.name = std::string(rest.substr(0, at));
    package.version = at == std::string_view::npos ? "" : std::string(rest.substr(at + 1));
    package.purl = dependency.uri;
    record.toolchain.push_back(std::move(package));
  }
  std::sort(record.toolchain.begin(), record.toolchain.end(),
            [](const ToolchainPackage& a, const ToolchainPackage& b) { return a.name < b.name; });
}

// A folder with provenance.json: the image it is about, the lock (inside it, or cairn.lock beside
// it), the image's note, log.json.
Result<void> read_folder(BuildRecord& record) {
  fs::path provenance_file = record.folder / "provenance.json";
  if (!present(provenance_file)) {
    return make_error(ErrorCode::not_found,
                      "{} holds no provenance.json: give a folder `cairn pull` wrote or a build folder _build/<name>",
                      record.folder.string());
  }
  std::string text = CAIRN_TRY(read_file(provenance_file, reproducibility::max_provenance_size));
  Provenance provenance = CAIRN_TRY(reproducibility::parse_provenance_statement(text).with_context(
      provenance_file.string()));
  record.provenance = std::move(provenance);
  take_unikernel_facts(record);

  fs::path image = record.folder / record.provenance->subject_name;
  if (!present(image)) {
    return make_error(ErrorCode::not_found, "the provenance is about {}, which is not in {}",
                      record.provenance->subject_name, record.folder.string());
  }
  Digest image_digest = CAIRN_TRY(digest_file(image));
  if (image_digest != record.provenance->subject_digest) {
    return make_error(ErrorCode::refused, "{} is {}, but provenance.json is about {}: the image was replaced, or "
                      "the provenance belongs to another image",
                      image.string(), image_digest.to_string(), record.provenance->subject_digest.to_string());
  }
  record.image = image;
  record.image_digest = image_digest;

  std::optional<manifest::LockFile> lock = CAIRN_TRY(lock_in_provenance(*record.provenance));
  if (lock) {
    record.lock_source = "the provenance's cairn.lock";
  } else if (fs::path beside = record.folder / "cairn.lock"; present(beside)) {
    manifest::LockFile read = CAIRN_TRY(manifest::read_lock(beside));
    lock = std::move(read);
    record.lock_source = beside.string();
  } else {
    return make_error(ErrorCode::not_found, "the provenance carries no cairn.lock byproduct, and {} has no cairn.lock",
                      record.folder.string());
  }
  CAIRN_TRY(check_libraries_agree(*record.provenance, *lock, record.lock_source));

  reproducibility::ImageNotes notes = CAIRN_TRY(reproducibility::read_image_notes(image).with_context(image.string()));
  record.note = notes.build;
  if (record.note) CAIRN_TRY(check_lock_matches_note(*lock, *record.note, record.lock_source));
  record.lock = std::move(lock);

  record.log_index = CAIRN_TRY(read_log_index(record.folder));
  fs::path oci_manifest = record.folder / "manifest.json";
  if (present(oci_manifest)) {
    Digest digest = CAIRN_TRY(digest_file(oci_manifest));
    record.oci_manifest = digest;
  }
  return {};
}

// A bare image: its note, and the lock beside it when it gives the note's dependency list.
Result<void> read_bare_image(BuildRecord& record, const fs::path& image) {
  record.image = image;
  Digest image_digest = CAIRN_TRY(digest_file(image));
  record.image_digest = image_digest;
  record.name = image.stem().string();
  reproducibility::ImageNotes notes = CAIRN_TRY(reproducibility::read_image_notes(image).with_context(image.string()));
  record.note = notes.build;
  record.log_index = CAIRN_TRY(read_log_index(record.folder));

  fs::path provenance_file = record.folder / "provenance.json";
  fs::path lock_file = record.folder / "cairn.lock";
  std::optional<manifest::LockFile> lock;
  if (present(provenance_file)) {
    std::string text = CAIRN_TRY(read_file(provenance_file, reproducibility::max_provenance_size));
    Provenance provenance = CAIRN_TRY(reproducibility::parse_provenance_statement(text).with_context(
        provenance_file.string()));
    if (provenance.subject_digest == image_digest) {
      record.provenance = std::move(provenance);
      take_unikernel_facts(record);
      lock = CAIRN_TRY(lock_in_provenance(*record.provenance));
      if (lock) record.lock_source = provenance_file.string() + "'s cairn.lock";
    }
  }
  if (!lock && present(lock_file)) {
    manifest::LockFile read = CAIRN_TRY(manifest::read_lock(lock_file));
    lock = std::move(read);
    record.lock_source = lock_file.string();
  }
  if (!lock) {
    record.missing_lock = fmt::format("the dependency list needs the build's lock: put its provenance.json or "
                                      "cairn.lock beside {}, or audit the build or pulled folder",
                                      image.filename().string());
    return {};
  }
  if (!record.note) {
    return make_error(ErrorCode::refused,
                      "{} has no .note.cairn, so {} cannot be tied to it (was it built by cairn build?)",
                      image.string(), record.lock_source);
  }
  CAIRN_TRY(check_lock_matches_note(*lock, *record.note, record.lock_source));
  if (record.provenance) CAIRN_TRY(check_libraries_agree(*record.provenance, *lock, record.lock_source));
  record.lock = std::move(lock);
  return {};
}

}  // namespace

// The lock the provenance carries as its "cairn.lock" byproduct, checked against its own digest
// and against the provenance's list of libraries; nullopt when the provenance carries none.
Result<std::optional<manifest::LockFile>> lock_in_provenance(const Provenance& provenance) {
  const ResourceDescriptor* descriptor = reproducibility::find_descriptor(provenance.byproducts, "cairn.lock");
  if (descriptor == nullptr || !descriptor->content) return std::optional<manifest::LockFile>{};
  if (!descriptor->digest || Digest::sha256_of(*descriptor->content) != *descriptor->digest) {
    return make_error(ErrorCode::malformed,
                      "provenance.json: its cairn.lock byproduct does not match the byproduct's own digest (the "
                      "provenance was damaged or changed)");
  }
  manifest::LockFile lock =
      CAIRN_TRY(manifest::parse_lock(*descriptor->content).with_context("provenance.json's cairn.lock byproduct"));
  return std::optional<manifest::LockFile>(std::move(lock));
}

// The provenance's libraries (resolvedDependencies "cairn-library:NAME@VERSION") are exactly the
// lock's, at the same versions and trees.
Result<void> check_libraries_agree(const Provenance& provenance, const manifest::LockFile& lock,
                                   std::string_view lock_source) {
  std::set<std::string> listed;
  for (const ResourceDescriptor& dependency : provenance.resolved_dependencies) {
    if (!dependency.uri.starts_with(library_uri_prefix)) continue;
    auto locked = lock.libraries.find(dependency.name);
    if (locked == lock.libraries.end()) {
      return make_error(ErrorCode::malformed, "the provenance lists library {}, which {} does not", dependency.name,
                        lock_source);
    }
    std::string expected_uri = fmt::format("{}{}@{}", library_uri_prefix, dependency.name, locked->second.version);
    if (dependency.uri != expected_uri || dependency.digest != locked->second.tree ||
        dependency.annotations.value("entry", "") != locked->second.entry.to_string()) {
      return make_error(ErrorCode::malformed,
                        "library {}: the provenance and {} disagree on its version, tree or signed entry",
                        dependency.name, lock_source);
    }
    listed.insert(dependency.name);
  }
  if (listed.size() != lock.libraries.size()) {
    return make_error(ErrorCode::malformed, "{} has {} libraries, the provenance lists {}", lock_source,
                      lock.libraries.size(), listed.size());
  }
  return {};
}

// The lock gives the dependency-list digest the image's .note.cairn records.
Result<void> check_lock_matches_note(const manifest::LockFile& lock, const reproducibility::BuildNote& note,
                                     std::string_view lock_source) {
  Digest dependencies = CAIRN_TRY(manifest::dependency_list_digest(lock));
  if (dependencies != note.dependencies) {
    return make_error(ErrorCode::refused,
                      "the image's .note.cairn records dependency list {}, but {} gives {}: that lock belongs to "
                      "another build (or was changed)",
                      note.dependencies.to_string(), lock_source, dependencies.to_string());
  }
  return {};
}

std::string_view to_string(TargetKind kind) {
  switch (kind) {
    case TargetKind::reference:
      return "registry reference";
    case TargetKind::folder:
      return "folder";
    case TargetKind::image:
      return "image";
    case TargetKind::lock:
      return "lock file";
  }
  return "folder";
}

Result<BuildRecord> read_build_record(const ReadTargetOptions& options, std::optional<TemporaryDirectory>& scratch) {
  BuildRecord record;
  record.target = options.target;
  std::error_code error;
  fs::path path(options.target);
  if (fs::is_directory(path, error)) {
    record.kind = TargetKind::folder;
    record.folder = path;
    CAIRN_TRY(read_folder(record));
    return record;
  }
  if (fs::is_regular_file(path, error)) {
    if (!options.allow_bare) {
      return make_error(ErrorCode::invalid_argument,
                        "{} is a file: give a registry reference, a folder `cairn pull` wrote or a build folder "
                        "_build/<name> (the SBOM needs the provenance)",
                        options.target);
    }
    record.folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    if (is_lock_file(path)) {
      record.kind = TargetKind::lock;
      manifest::LockFile lock = CAIRN_TRY(manifest::read_lock(path));
      record.lock = std::move(lock);
      record.lock_source = path.string();
      return record;
    }
    record.kind = TargetKind::image;
    CAIRN_TRY(read_bare_image(record, path));
    return record;
  }
  if (options.target.find('/') == std::string::npos) {
    return make_error(ErrorCode::not_found, "{}: no such file or folder, and not a registry reference", options.target);
  }
  registry::Reference reference = CAIRN_TRY(registry::parse_reference(options.target));
  TemporaryDirectory directory = CAIRN_TRY(TemporaryDirectory::create("cairn-audit-"));
  scratch.emplace(std::move(directory));
  registry::PullOptions pull;
  pull.reference = reference;
  pull.destination = scratch->path() / "artifact";
  pull.client = options.client;
  registry::PullReport pulled = CAIRN_TRY(registry::pull(pull).with_context(options.target));
  record.kind = TargetKind::reference;
  record.folder = pull.destination;
  CAIRN_TRY(read_folder(record));
  if (!record.log_index) record.log_index = pulled.log_index;
  record.oci_manifest = pulled.manifest;
  return record;
}

}  // namespace cairn::consumer
