// The in-toto statement with its SLSA v1 predicate (see provenance.h).
#include "cairn/reproducibility/provenance.h"

#include "cairn/core/base64.h"
#include "cairn/core/json_reader.h"

namespace cairn::reproducibility {

Json to_json(const ResourceDescriptor& descriptor) {
  Json json = Json::object();
  if (!descriptor.name.empty()) json["name"] = descriptor.name;
  if (!descriptor.uri.empty()) json["uri"] = descriptor.uri;
  if (descriptor.digest) {
    json["digest"] = {{std::string(to_string(descriptor.digest->algorithm())), descriptor.digest->hex()}};
  }
  if (descriptor.content) json["content"] = base64_encode(*descriptor.content);
  if (!descriptor.media_type.empty()) json["mediaType"] = descriptor.media_type;
  if (!descriptor.annotations.empty()) json["annotations"] = descriptor.annotations;
  return json;
}

Json provenance_statement(const Provenance& provenance) {
  Json dependencies = Json::array();
  for (const auto& dependency : provenance.resolved_dependencies) dependencies.push_back(to_json(dependency));
  Json byproducts = Json::array();
  for (const auto& byproduct : provenance.byproducts) byproducts.push_back(to_json(byproduct));
  Json builder = {{"id", provenance.builder_id}};
  if (!provenance.builder_version.empty()) builder["version"] = provenance.builder_version;
  Json run_details = {{"builder", builder}};
  if (!byproducts.empty()) run_details["byproducts"] = byproducts;
  return {{"_type", statement_type},
          {"subject", Json::array({{{"name", provenance.subject_name},
                                    {"digest",
                                     {{std::string(to_string(provenance.subject_digest.algorithm())),
                                       provenance.subject_digest.hex()}}}}})},
          {"predicateType", slsa_provenance_type},
          {"predicate",
           {{"buildDefinition",
             {{"buildType", provenance.build_type},
              {"externalParameters", provenance.external_parameters},
              {"internalParameters", provenance.internal_parameters},
              {"resolvedDependencies", dependencies}}},
            {"runDetails", run_details}}}};
}

namespace {

Result<ResourceDescriptor> read_descriptor(const JsonReader& reader) {
  CAIRN_TRY(reader.allow_only({"name", "uri", "digest", "content", "mediaType", "annotations"}));
  ResourceDescriptor descriptor;
  descriptor.name = CAIRN_TRY(reader.string_or("name", ""));
  descriptor.uri = CAIRN_TRY(reader.string_or("uri", ""));
  descriptor.media_type = CAIRN_TRY(reader.string_or("mediaType", ""));
  if (std::optional<JsonReader> digest = CAIRN_TRY(reader.find("digest"))) {
    CAIRN_TRY(digest->allow_only({"sha256"}));
    std::string hex = CAIRN_TRY(digest->string("sha256"));
    Result<Digest> parsed = Digest::parse("sha256:" + hex);
    if (!parsed.ok()) return digest->error(parsed.error().message());
    descriptor.digest = *parsed;
  }
  if (std::optional<std::string> content = CAIRN_TRY(reader.optional_string("content"))) {
    Result<std::string> bytes = base64_decode(*content);
    if (!bytes.ok()) return reader.error("content: " + bytes.error().message());
    descriptor.content = std::move(*bytes);
  }
  if (std::optional<JsonReader> annotations = CAIRN_TRY(reader.find("annotations"))) {
    CAIRN_TRY(annotations->require_object());
    descriptor.annotations = annotations->json();
  }
  return descriptor;
}

Result<std::vector<ResourceDescriptor>> read_descriptors(const JsonReader& parent, std::string_view key) {
  std::vector<ResourceDescriptor> descriptors;
  for (const JsonReader& item : CAIRN_TRY(parent.elements_of(key))) {
    ResourceDescriptor descriptor = CAIRN_TRY(read_descriptor(item));
    descriptors.push_back(std::move(descriptor));
  }
  return descriptors;
}

bool plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

Result<Provenance> parse_provenance_statement(std::string_view text) {
  if (text.size() > max_provenance_size) {
    return make_error(ErrorCode::malformed, "the statement is over {} bytes", max_provenance_size);
  }
  Json json = CAIRN_TRY(parse_json(text));
  JsonReader statement(json);
  CAIRN_TRY(statement.allow_only({"_type", "subject", "predicateType", "predicate"}));
  std::string type = CAIRN_TRY(statement.string("_type"));
  if (type != statement_type) return statement.error(fmt::format("_type is '{}', not {}", type, statement_type));
  std::string predicate_type = CAIRN_TRY(statement.string("predicateType"));
  if (predicate_type != slsa_provenance_type) {
    return statement.error(fmt::format("predicateType is '{}', not {}", predicate_type, slsa_provenance_type));
  }
  JsonReader subjects = CAIRN_TRY(statement.array("subject"));
  std::vector<JsonReader> subject_list = CAIRN_TRY(subjects.elements());
  if (subject_list.size() != 1) {
    return subjects.error(fmt::format("{} subjects; a Cairn statement has the image alone", subject_list.size()));
  }
  Provenance provenance;
  ResourceDescriptor subject = CAIRN_TRY(read_descriptor(subject_list[0]));
  if (!subject.digest) return subject_list[0].error("no sha256 digest");
  if (!plain_name(subject.name)) {
    return subject_list[0].error(fmt::format("name '{}' is not a plain file name", subject.name));
  }
  provenance.subject_name = subject.name;
  provenance.subject_digest = *subject.digest;

  JsonReader predicate = CAIRN_TRY(statement.object("predicate"));
  JsonReader definition = CAIRN_TRY(predicate.object("buildDefinition"));
  provenance.build_type = CAIRN_TRY(definition.string("buildType"));
  JsonReader external = CAIRN_TRY(definition.object("externalParameters"));
  provenance.external_parameters = external.json();
  if (std::optional<JsonReader> internal = CAIRN_TRY(definition.find("internalParameters"))) {
    CAIRN_TRY(internal->require_object());
    provenance.internal_parameters = internal->json();
  }
  provenance.resolved_dependencies = CAIRN_TRY(read_descriptors(definition, "resolvedDependencies"));
  JsonReader run_details = CAIRN_TRY(predicate.object("runDetails"));
  JsonReader builder = CAIRN_TRY(run_details.object("builder"));
  provenance.builder_id = CAIRN_TRY(builder.string("id"));
  provenance.builder_version = CAIRN_TRY(builder.string_map_or_empty("version"));
  provenance.byproducts = CAIRN_TRY(read_descriptors(run_details, "byproducts"));
  return provenance;
}

const ResourceDescriptor* find_descriptor(const std::vector<ResourceDescriptor>& descriptors, std::string_view name) {
  for (const auto& descriptor : descriptors) {
    if (descriptor.name == name) return &descriptor;
  }
  return nullptr;
}

}  // namespace cairn::reproducibility
