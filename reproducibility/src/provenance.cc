// The in-toto statement with its SLSA v1 predicate (see provenance.h).
#include "cairn/reproducibility/provenance.h"

#include "cairn/core/base64.h"

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

}  // namespace cairn::reproducibility
