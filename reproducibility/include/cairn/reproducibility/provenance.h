// Build provenance: an in-toto Statement v1 whose predicate is SLSA Provenance v1, written as
// canonical JSON so that the same build gives the same bytes. No field holds a time, a host name
// or a random id: two builders of the same inputs write the same statement.
//
//   {"_type": "https://in-toto.io/Statement/v1",
//    "subject": [{"name": "<image file name>", "digest": {"sha256": "<hex>"}}],
//    "predicateType": "https://slsa.dev/provenance/v1",
//    "predicate": {
//      "buildDefinition": {"buildType": build_type, "externalParameters": {...},
//                          "internalParameters": {...}, "resolvedDependencies": [descriptor...]},
//      "runDetails": {"builder": {"id": "...", "version": {...}}, "byproducts": [descriptor...]}}}
//
// A descriptor is SLSA's ResourceDescriptor: {name?, uri?, digest?: {"sha256": hex},
// content? (base64), mediaType?, annotations?}.
#pragma once

#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn::reproducibility {

inline constexpr std::string_view statement_type = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view slsa_provenance_type = "https://slsa.dev/provenance/v1";
// The buildType of `cairn build` (what its parameters hold is described in builder/README.md),
// and its builder id (the version goes in builder.version).
inline constexpr std::string_view cairn_build_type = "urn:cairn:build-type:unikernel:v1";
inline constexpr std::string_view cairn_builder_id = "urn:cairn:builder:cairn-build";

struct ResourceDescriptor {
  std::string name;
  std::string uri;
  std::optional<Digest> digest;        // written as {"sha256": "<hex>"}
  std::optional<std::string> content;  // raw bytes, written base64
  std::string media_type;
  Json annotations = Json::object();
};

struct Provenance {
  std::string subject_name;
  Digest subject_digest = Digest::sha256_of("");
  std::string build_type{cairn_build_type};
  Json external_parameters = Json::object();
  Json internal_parameters = Json::object();
  std::vector<ResourceDescriptor> resolved_dependencies;
  std::string builder_id;
  std::map<std::string, std::string> builder_version;
  std::vector<ResourceDescriptor> byproducts;
};

Json to_json(const ResourceDescriptor& descriptor);
// The statement as JSON (write it with canonical_json).
Json provenance_statement(const Provenance& provenance);

// The largest statement read (the lock travels inside it as a byproduct).
inline constexpr std::size_t max_provenance_size = std::size_t{16} << 20;

// Reads a statement written by provenance_statement back, strictly: the in-toto Statement v1 type,
// exactly one subject with a SHA-256 digest and a plain file name, the SLSA v1 predicate type, and
// every descriptor's fields typed (digests other than sha256 are refused; content is base64).
// The statement is untrusted: errors are malformed and name the field.
Result<Provenance> parse_provenance_statement(std::string_view text);

// The descriptor named `name` among `descriptors`, or nullptr.
const ResourceDescriptor* find_descriptor(const std::vector<ResourceDescriptor>& descriptors, std::string_view name);

}  // namespace cairn::reproducibility
