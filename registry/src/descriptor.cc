// OCI descriptors and image manifests (see descriptor.h).
#include "cairn/registry/descriptor.h"

#include "cairn/registry/oci.h"

namespace cairn::registry {

Descriptor Descriptor::of(std::string_view media_type, std::string_view bytes) {
  Descriptor descriptor;
  descriptor.media_type = std::string(media_type);
  descriptor.digest = Digest::sha256_of(bytes);
  descriptor.size = bytes.size();
  return descriptor;
}

Json to_json(const Descriptor& descriptor) {
  Json json = {{"mediaType", descriptor.media_type},
               {"digest", descriptor.digest.to_string()},
               {"size", descriptor.size}};
  if (!descriptor.artifact_type.empty()) json["artifactType"] = descriptor.artifact_type;
  if (!descriptor.annotations.empty()) json["annotations"] = descriptor.annotations;
  return json;
}

Result<Descriptor> read_descriptor(const JsonReader& reader) {
  CAIRN_TRY(reader.require_object());
  Descriptor descriptor;
  descriptor.media_type = CAIRN_TRY(reader.string("mediaType"));
  std::string digest = CAIRN_TRY(reader.string("digest"));
  Result<Digest> parsed = parse_digest(digest);
  if (!parsed.ok()) return std::move(parsed).error().with_context(reader.where());
  descriptor.digest = *parsed;
  descriptor.size = CAIRN_TRY(reader.count("size"));
  descriptor.artifact_type = CAIRN_TRY(reader.string_or("artifactType", ""));
  descriptor.annotations = CAIRN_TRY(reader.string_map_or_empty("annotations"));
  return descriptor;
}

Result<std::string> serialize_manifest(const ImageManifest& manifest) {
  Json json = {{"schemaVersion", 2}, {"mediaType", oci_manifest_media_type}, {"config", to_json(manifest.config)}};
  Json layers = Json::array();
  for (const Descriptor& layer : manifest.layers) layers.push_back(to_json(layer));
  json["layers"] = std::move(layers);
  if (!manifest.artifact_type.empty()) json["artifactType"] = manifest.artifact_type;
  if (manifest.subject) json["subject"] = to_json(*manifest.subject);
  if (!manifest.annotations.empty()) json["annotations"] = manifest.annotations;
  return canonical_json(json);
}

Result<ImageManifest> parse_manifest(std::string_view text) {
  if (text.size() > max_manifest_size) {
    return make_error(ErrorCode::limit_exceeded, "manifest of {} bytes is over the limit of {}", text.size(),
                      max_manifest_size);
  }
  Json json = CAIRN_TRY(parse_json(text));
  JsonReader document(json);
  CAIRN_TRY(document.require_object());
  std::int64_t schema_version = CAIRN_TRY(document.integer("schemaVersion"));
  if (schema_version != 2) {
    return make_error(ErrorCode::unsupported, "manifest schemaVersion {} (only 2 is known)", schema_version);
  }
  std::string media_type = CAIRN_TRY(document.string_or("mediaType", oci_manifest_media_type));
  if (media_type != oci_manifest_media_type) {
    return make_error(ErrorCode::unsupported, "manifest media type '{}' (expected {})", media_type,
                      oci_manifest_media_type);
  }
  ImageManifest manifest;
  manifest.artifact_type = CAIRN_TRY(document.string_or("artifactType", ""));
  JsonReader config = CAIRN_TRY(document.object("config"));
  manifest.config = CAIRN_TRY(read_descriptor(config));
  for (const JsonReader& layer : CAIRN_TRY(document.elements_of("layers"))) {
    Descriptor descriptor = CAIRN_TRY(read_descriptor(layer));
    manifest.layers.push_back(std::move(descriptor));
  }
  std::optional<JsonReader> subject = CAIRN_TRY(document.find("subject"));
  if (subject) {
    Descriptor descriptor = CAIRN_TRY(read_descriptor(*subject));
    manifest.subject = std::move(descriptor);
  }
  manifest.annotations = CAIRN_TRY(document.string_map_or_empty("annotations"));
  return manifest;
}

}  // namespace cairn::registry
