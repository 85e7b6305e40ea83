// Packing a build (`_build/<name>/`) as an OCI artifact, deterministically: the same build gives
// the same manifest digest on any machine, on any day.
//
//   artifactType  cairn_artifact_type
//   config        the run configuration, from the image's own notes (what a tender enforces):
//                 {"abi_version", "devices": [{"name", "type"}], "image", "memory_mib"?, "target"}
//   layers        the image; provenance.json (in_toto_media_type); then a deterministic tar.gz
//                 (reproducibility/archive.h, mtime 0, so equal to `cairn manifest release`'s
//                 archive of the same tree) of every library in cairn.lock and of the app, taken
//                 from the store and checked against the tree digest the lock and provenance give
//   annotations   created = the lock's snapshot_created (never the clock), title and version of the
//                 unikernel; each layer has a title, the archives the library name, version, tree
// Everything is canonical JSON; nothing depends on the folder, the time or the user.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/file.h"
#include "cairn/core/result.h"
#include "cairn/registry/descriptor.h"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::registry {

// A blob of an artifact: its descriptor and where its bytes are.
struct Blob {
  Descriptor descriptor;
  std::filesystem::path file;  // the bytes are in this file...
  std::string bytes;           // ...or, when `file` is empty, here
};

struct PackedArtifact {
  std::string name;  // the unikernel's name
  std::string version;
  Blob config;
  std::vector<Blob> layers;
  std::string manifest;  // canonical JSON
  Digest manifest_digest = Digest::sha256_of("");
  std::string provenance;  // the bytes of provenance.json (what publish signs)
  // Holds the source archives for as long as the artifact lives.
  std::optional<TemporaryDirectory> scratch;

  // The manifest's descriptor (what a signature's `subject` names).
  Descriptor manifest_descriptor() const;
};

struct PackOptions {
  std::filesystem::path store;    // the store of library trees; empty: manifest::store_directory()
  std::filesystem::path scratch;  // where to write the archives; empty: $TMPDIR
};

// Packs the build in `build` (image, provenance.json, cairn.lock). Errors name the file or the
// library that is missing or does not match its recorded digest.
Result<PackedArtifact> pack_build(const std::filesystem::path& build, const PackOptions& options = {});

// Writes `artifact` (and `extra` blobs and manifests, such as a signature referring to it) as an
// OCI image layout in `directory` (oci-layout, index.json, blobs/sha256/<hex>), which must not
// exist; the image manifest is named `tag` in index.json (org.opencontainers.image.ref.name).
struct LayoutManifest {
  std::string bytes;
  std::string artifact_type;
  std::string tag;  // empty: unnamed
};
Result<void> write_oci_layout(const std::filesystem::path& directory, const std::vector<const Blob*>& blobs,
                              const std::vector<LayoutManifest>& manifests);

}  // namespace cairn::registry
