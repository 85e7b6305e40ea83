// The OCI vocabulary that Cairn's registry server and its client share: media types, annotation
// keys, and the validators of repository names, tags and digests (OCI distribution spec v1.1).
//
// The validators are pure and strict, since their input comes from requests and command lines:
//   name    [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*, at most 255 bytes
//   tag     [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
//   digest  sha256:<64 lower-case hex> (the only algorithm Cairn writes or accepts)
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <cstddef>
#include <string_view>

namespace cairn::registry {

// Media types of manifests and indexes (what an Accept header names).
inline constexpr std::string_view oci_manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index_media_type = "application/vnd.oci.image.index.v1+json";
// The empty descriptor's media type and its bytes: the config of an artifact that needs none.
inline constexpr std::string_view oci_empty_media_type = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view oci_empty_blob = "{}";
// Layers.
inline constexpr std::string_view oci_tar_gzip_media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view in_toto_media_type = "application/vnd.in-toto+json";
inline constexpr std::string_view dsse_envelope_media_type = "application/vnd.dsse.envelope.v1+json";
// The artifactType of a rebuild attestation (`cairn rebuild --attest`): a manifest whose one layer
// is a DSSE envelope of a SLSA verification summary, referring to the image manifest.
inline constexpr std::string_view rebuild_attestation_type = "application/vnd.cairn.rebuild-attestation.v1";
// Cairn's artifact: a unikernel, its run configuration (the config blob) and its image layer.
inline constexpr std::string_view cairn_artifact_type = "application/vnd.cairn.unikernel.v1";
inline constexpr std::string_view cairn_config_media_type = "application/vnd.cairn.unikernel.config.v1+json";
inline constexpr std::string_view cairn_image_media_type = "application/vnd.cairn.unikernel.image.v1";

// Annotation keys of the OCI image spec, and Cairn's own.
inline constexpr std::string_view annotation_title = "org.opencontainers.image.title";
inline constexpr std::string_view annotation_created = "org.opencontainers.image.created";
inline constexpr std::string_view annotation_version = "org.opencontainers.image.version";
inline constexpr std::string_view annotation_library_name = "dev.cairn.library.name";
inline constexpr std::string_view annotation_library_version = "dev.cairn.library.version";
inline constexpr std::string_view annotation_library_tree = "dev.cairn.library.tree";

// The longest repository name accepted (many registries limit host and name together to 255).
inline constexpr std::size_t max_repository_name_length = 255;
inline constexpr std::size_t max_tag_length = 128;

// True when `name` is a repository name by the grammar above ("cairn/udp-echo", "a.b__c").
bool valid_repository_name(std::string_view name);
// True when `tag` is a tag by the grammar above ("v1.0", "sha256-<hex>.att").
bool valid_tag(std::string_view tag);
// "sha256:<64 lower-case hex>" as a Digest; malformed otherwise, unsupported for other algorithms.
Result<Digest> parse_digest(std::string_view text);

// The tag under which a registry without the referrers API keeps what refers to `subject`:
// "sha256-<hex>.att" (the scheme cosign uses).
std::string attachment_tag(const Digest& subject);

}  // namespace cairn::registry
