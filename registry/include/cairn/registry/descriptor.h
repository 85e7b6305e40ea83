// OCI descriptors and image manifests (OCI image spec v1.1), written as canonical JSON so that
// the same content always has the same manifest digest, and read back strictly.
//
//   descriptor  {"mediaType", "digest", "size", "artifactType"?, "annotations"?}
//   manifest    {"schemaVersion": 2, "mediaType": oci_manifest_media_type, "artifactType"?,
//                "config": descriptor, "layers": [descriptor], "subject"?: descriptor,
//                "annotations"?: {...}}
#pragma once

#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/json_reader.h"
#include "cairn/core/result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::registry {

struct Descriptor {
  std::string media_type;
  Digest digest = Digest::sha256_of("");
  std::uint64_t size = 0;
  std::string artifact_type;                       // empty: not written
  std::map<std::string, std::string> annotations;  // empty: not written

  // The descriptor of `bytes` with `media_type`.
  static Descriptor of(std::string_view media_type, std::string_view bytes);
};

Json to_json(const Descriptor& descriptor);
// Reads a descriptor strictly: a sha256 digest (oci.h), a size, string annotations.
Result<Descriptor> read_descriptor(const JsonReader& reader);

struct ImageManifest {
  std::string artifact_type;  // empty: not written
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
};

// The manifest's canonical JSON: its bytes are what the registry stores and the digest names.
Result<std::string> serialize_manifest(const ImageManifest& manifest);
// Parses an OCI image manifest (schemaVersion 2, the OCI manifest media type when given).
Result<ImageManifest> parse_manifest(std::string_view text);

// The largest manifest Cairn sends or accepts (the distribution spec suggests 4 MiB).
inline constexpr std::size_t max_manifest_size = std::size_t{4} << 20;

}  // namespace cairn::registry
