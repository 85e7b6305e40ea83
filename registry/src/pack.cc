// Deterministic OCI packing of a build (see pack.h).
#include "cairn/registry/pack.h"

#include "cairn/core/canonical_json.h"
#include "cairn/core/json_reader.h"
#include "cairn/core/time.h"
#include "cairn/manifest/lock.h"
#include "cairn/manifest/store.h"
#include "cairn/registry/oci.h"
#include "cairn/reproducibility/archive.h"
#include "cairn/reproducibility/image_notes.h"

#include <set>
#include <system_error>

namespace cairn::registry {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_provenance_size = std::size_t{64} << 20;

// What packing needs from provenance.json.
struct ProvenanceFacts {
  std::string image_name;
  Digest image_digest = Digest::sha256_of("");
  std::string name;
  std::string version;
  std::optional<Digest> app_tree;
};

// A file name that stays in its folder: no separators, not "." or "..", printable ASCII.
bool plain_file_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 255) return false;
  for (char c : name) {
    if (c == '/' || c == '\\' || c <= ' ' || c > '~') return false;
  }
  return true;
}

Result<ProvenanceFacts> read_provenance_facts(std::string_view text, const fs::path& path) {
  Json json = CAIRN_TRY(parse_json(text));
  JsonReader statement(json);
  std::vector<JsonReader> subjects = CAIRN_TRY(statement.elements_of("subject"));
  if (subjects.size() != 1) {
    return make_error(ErrorCode::malformed, "{}: {} subjects, expected the image alone", path.string(),
                      subjects.size());
  }
  ProvenanceFacts facts;
  facts.image_name = CAIRN_TRY(subjects[0].string("name"));
  JsonReader subject_digest = CAIRN_TRY(subjects[0].object("digest"));
  std::string hex = CAIRN_TRY(subject_digest.string("sha256"));
  facts.image_digest = CAIRN_TRY(parse_digest("sha256:" + hex));
  if (!plain_file_name(facts.image_name)) {
    return make_error(ErrorCode::refused, "{}: subject name '{}' is not a file name", path.string(),
                      facts.image_name);
  }
  JsonReader predicate = CAIRN_TRY(statement.object("predicate"));
  JsonReader definition = CAIRN_TRY(predicate.object("buildDefinition"));
  JsonReader parameters = CAIRN_TRY(definition.object("externalParameters"));
  JsonReader unikernel = CAIRN_TRY(parameters.object("unikernel"));
  facts.name = CAIRN_TRY(unikernel.string("name"));
  facts.version = CAIRN_TRY(unikernel.string("version"));
  for (const JsonReader& dependency : CAIRN_TRY(definition.elements_of("resolvedDependencies"))) {
    std::string name = CAIRN_TRY(dependency.string_or("name", ""));
    if (name != "app") continue;
    JsonReader digest = CAIRN_TRY(dependency.object("digest"));
    std::string app_hex = CAIRN_TRY(digest.string("sha256"));
    facts.app_tree = CAIRN_TRY(parse_digest("sha256:" + app_hex));
  }
  return facts;
}

// The run configuration, from the image's notes: what the tender will give the image.
Result<std::string> run_configuration(const fs::path& image, std::string_view image_name) {
  reproducibility::ImageNotes notes = CAIRN_TRY(reproducibility::read_image_notes(image));
  Json devices = Json::array();
  for (const auto& device : notes.devices) {
    devices.push_back({{"name", device.name}, {"type", reproducibility::to_string(device.type)}});
  }
  Json config = {{"abi_version", notes.abi_version},
                 {"devices", std::move(devices)},
                 {"image", image_name},
                 {"target", reproducibility::to_string(notes.target)}};
  if (notes.build && notes.build->memory_mib) config["memory_mib"] = *notes.build->memory_mib;
  return canonical_json(config);
}

Result<Blob> file_blob(const fs::path& file, std::string_view media_type) {
  Blob blob;
  blob.file = file;
  blob.descriptor.media_type = std::string(media_type);
  blob.descriptor.digest = CAIRN_TRY(digest_file(file));
  std::error_code error;
  std::uintmax_t size = fs::file_size(file, error);
  if (error) return make_error(ErrorCode::io, "{}: {}", file.string(), error.message());
  blob.descriptor.size = size;
  return blob;
}

// A deterministic tar.gz of the tree `tree` in the store, checked against that digest.
Result<Blob> tree_archive(const fs::path& store, const Digest& tree, const fs::path& output, std::string_view what) {
  fs::path directory = store / tree.hex();
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    return make_error(ErrorCode::not_found, "{} (tree {}) is not in the store {}: build it again first", what,
                      tree.to_string(), store.string());
  }
  Digest archived = CAIRN_TRY(reproducibility::create_archive(directory, output, {}));
  if (archived != tree) {
    return make_error(ErrorCode::refused, "{}: the store copy {} has tree {}, not {} (remove it and build again)", what,
                      directory.string(), archived.to_string(), tree.to_string());
  }
  return file_blob(output, oci_tar_gzip_media_type);
}

}  // namespace

Descriptor PackedArtifact::manifest_descriptor() const {
  Descriptor descriptor = Descriptor::of(oci_manifest_media_type, manifest);
  descriptor.artifact_type = std::string(cairn_artifact_type);
  return descriptor;
}

Result<PackedArtifact> pack_build(const fs::path& build, const PackOptions& options) {
  fs::path provenance_path = build / "provenance.json";
  std::string provenance = CAIRN_TRY(read_file(provenance_path, max_provenance_size));
  ProvenanceFacts facts = CAIRN_TRY(read_provenance_facts(provenance, provenance_path));
  manifest::LockFile lock = CAIRN_TRY(manifest::read_lock(build / "cairn.lock"));
  fs::path store = options.store;
  if (store.empty()) store = CAIRN_TRY(manifest::store_directory());

  PackedArtifact artifact;
  artifact.name = facts.name;
  artifact.version = facts.version;
  artifact.provenance = provenance;
  TemporaryDirectory scratch = CAIRN_TRY(TemporaryDirectory::create("cairn-pack-", options.scratch));
  artifact.scratch.emplace(std::move(scratch));

  fs::path image_path = build / facts.image_name;
  Blob image = CAIRN_TRY(file_blob(image_path, cairn_image_media_type));
  if (image.descriptor.digest != facts.image_digest) {
    return make_error(ErrorCode::refused, "{} is {}, but provenance.json names {}: the build folder is inconsistent",
                      image_path.string(), image.descriptor.digest.to_string(), facts.image_digest.to_string());
  }
  image.descriptor.annotations[std::string(annotation_title)] = facts.image_name;

  std::string config = CAIRN_TRY(run_configuration(image_path, facts.image_name));
  artifact.config.descriptor = Descriptor::of(cairn_config_media_type, config);
  artifact.config.bytes = std::move(config);
  artifact.layers.push_back(std::move(image));

  Blob statement;
  statement.descriptor = Descriptor::of(in_toto_media_type, provenance);
  statement.descriptor.annotations[std::string(annotation_title)] = "provenance.json";
  statement.bytes = provenance;
  artifact.layers.push_back(std::move(statement));

  std::set<std::string> titles = {facts.image_name, "provenance.json"};
  for (const auto& [name, library] : lock.libraries) {  // sorted by name
    std::string title = fmt::format("{}-{}.tar.gz", name, library.version);
    if (!plain_file_name(title) || !titles.insert(title).second) {
      return make_error(ErrorCode::refused, "cairn.lock: library '{}' {} gives a bad or repeated file name", name,
                        library.version);
    }
    Blob archive = CAIRN_TRY(tree_archive(store, library.tree, artifact.scratch->path() / title,
                                          fmt::format("library '{}' {}", name, library.version)));
    archive.descriptor.annotations = {{std::string(annotation_title), title},
                                      {std::string(annotation_library_name), name},
                                      {std::string(annotation_library_version), library.version},
                                      {std::string(annotation_library_tree), library.tree.to_string()}};
    artifact.layers.push_back(std::move(archive));
  }
  if (facts.app_tree) {
    std::string title = fmt::format("{}-{}.app.tar.gz", facts.name, facts.version);
    if (!plain_file_name(title) || !titles.insert(title).second) {
      return make_error(ErrorCode::refused, "the app '{}' {} gives a bad or repeated file name", facts.name,
                        facts.version);
    }
    Blob archive = CAIRN_TRY(tree_archive(store, *facts.app_tree, artifact.scratch->path() / title,
                                          fmt::format("the app '{}'", facts.name)));
    archive.descriptor.annotations = {{std::string(annotation_title), title},
                                      {std::string(annotation_library_tree), facts.app_tree->to_string()}};
    artifact.layers.push_back(std::move(archive));
  }

  ImageManifest manifest;
  manifest.artifact_type = std::string(cairn_artifact_type);
  manifest.config = artifact.config.descriptor;
  for (const Blob& layer : artifact.layers) manifest.layers.push_back(layer.descriptor);
  manifest.annotations[std::string(annotation_title)] = facts.name;
  manifest.annotations[std::string(annotation_version)] = facts.version;
  if (lock.snapshot_created) manifest.annotations[std::string(annotation_created)] = format_rfc3339(*lock.snapshot_created);
  artifact.manifest = CAIRN_TRY(serialize_manifest(manifest));
  artifact.manifest_digest = Digest::sha256_of(artifact.manifest);
  return artifact;
}

Result<void> write_oci_layout(const fs::path& directory, const std::vector<const Blob*>& blobs,
                              const std::vector<LayoutManifest>& manifests) {
  std::error_code error;
  if (fs::exists(directory, error)) {
    return make_error(ErrorCode::already_exists, "{} already exists", directory.string());
  }
  fs::path parent = directory.parent_path().empty() ? fs::path(".") : directory.parent_path();
  TemporaryDirectory work = CAIRN_TRY(TemporaryDirectory::create(".oci-layout-", parent));
  fs::path blob_directory = work.path() / "blobs" / "sha256";
  fs::create_directories(blob_directory, error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", blob_directory.string(), error.message());
  for (const Blob* blob : blobs) {
    fs::path target = blob_directory / blob->descriptor.digest.hex();
    if (blob->file.empty()) {
      CAIRN_TRY(write_file_atomically(target, blob->bytes));
    } else {
      fs::copy_file(blob->file, target, fs::copy_options::overwrite_existing, error);
      if (error) return make_error(ErrorCode::io, "copy {}: {}", blob->file.string(), error.message());
      // The copy is what the layout names: check it, not the original.
      Digest copied = CAIRN_TRY(digest_file(target));
      if (copied != blob->descriptor.digest) {
        return make_error(ErrorCode::refused, "{} changed while it was copied", blob->file.string());
      }
    }
  }
  Json index_manifests = Json::array();
  for (const LayoutManifest& manifest : manifests) {
    Descriptor descriptor = Descriptor::of(oci_manifest_media_type, manifest.bytes);
    descriptor.artifact_type = manifest.artifact_type;
    if (!manifest.tag.empty()) descriptor.annotations["org.opencontainers.image.ref.name"] = manifest.tag;
    CAIRN_TRY(write_file_atomically(blob_directory / descriptor.digest.hex(), manifest.bytes));
    index_manifests.push_back(to_json(descriptor));
  }
  Json index = {{"schemaVersion", 2}, {"mediaType", oci_index_media_type}, {"manifests", std::move(index_manifests)}};
  std::string index_text = CAIRN_TRY(canonical_json(index));
  CAIRN_TRY(write_file_atomically(work.path() / "index.json", index_text));
  CAIRN_TRY(write_file_atomically(work.path() / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  fs::permissions(work.path(), fs::perms(0755), error);
  fs::rename(work.path(), directory, error);
  if (error) return make_error(ErrorCode::io, "rename to {}: {}", directory.string(), error.message());
  static_cast<void>(work.release());
  return sync_directory(parent);
}

}  // namespace cairn::registry
