// The SPDX 2.3 and CycloneDX 1.5 writers of `cairn sbom` (see sbom.h). Both are built from the same
// gathered facts (Component below), so the two formats always list the same things.
#include "cairn/consumer/sbom.h"

#include "cairn/core/time.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace cairn::consumer {

namespace {

constexpr std::string_view no_assertion = "NOASSERTION";

// A library of the lock, with what the manifest says about it when one was given.
struct LibraryFacts {
  std::string name;
  const manifest::LockedLibrary* locked = nullptr;
  std::optional<std::string> license;  // from the verified manifest's entry
  std::string description;
};

Result<void> check_input(const SbomInput& input) {
  if (input.record == nullptr || !input.record->image || !input.record->image_digest || !input.record->lock) {
    return make_error(ErrorCode::invalid_argument,
                      "an SBOM needs the image, its provenance and its lock (a build folder, a pulled folder or a "
                      "registry reference)");
  }
  return {};
}

std::vector<LibraryFacts> library_facts(const SbomInput& input) {
  std::vector<LibraryFacts> facts;
  for (const auto& [name, locked] : input.record->lock->libraries) {  // a std::map: sorted by name
    LibraryFacts library;
    library.name = name;
    library.locked = &locked;
    if (input.repository != nullptr) {
      if (const manifest::VerifiedLibrary* entry = input.repository->find(name, locked.version); entry != nullptr) {
        if (!entry->entry.license.empty()) library.license = entry->entry.license;
        library.description = entry->entry.description;
      }
    }
    facts.push_back(std::move(library));
  }
  return facts;
}

std::string image_file_name(const BuildRecord& record) { return record.image->filename().string(); }

std::string unikernel_version(const BuildRecord& record) {
  return record.version.empty() ? std::string(no_assertion) : record.version;
}

std::string library_comment(const manifest::LockedLibrary& locked) {
  std::string comment = fmt::format("cairn tree {}; signed manifest entry {}", locked.tree.to_string(),
                                    locked.entry.to_string());
  if (!locked.signers.empty()) comment += fmt::format("; signed by {}", fmt::join(locked.signers, ", "));
  return comment;
}

// --- SPDX ---------------------------------------------------------------------------------

// Gives each element a distinct id: a sanitised name can collide ("g++" and "g--"), so a second
// one gets "-2", a third "-3".
class SpdxIds {
 public:
  std::string make(std::string_view prefix, std::string_view name) {
    std::string base = spdx_id(prefix, name);
    std::string id = base;
    for (int n = 2; !used_.insert(id).second; ++n) id = fmt::format("{}-{}", base, n);
    return id;
  }

 private:
  std::set<std::string> used_;
};

Json spdx_purl(const std::string& purl) {
  return Json::array({{{"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", purl}}});
}

Json spdx_relationship(const std::string& from, std::string_view type, const std::string& to) {
  return {{"spdxElementId", from}, {"relationshipType", type}, {"relatedSpdxElement", to}};
}

// --- CycloneDX ----------------------------------------------------------------------------

// A license as CycloneDX wants it: a single SPDX license id as {"license": {"id"}}, a
// LicenseRef-… as {"license": {"name"}} (not in SPDX's list of ids), an expression ("MIT OR
// Apache-2.0") as {"expression"}.
Json cyclonedx_licenses(const std::string& license) {
  if (license.find(' ') != std::string::npos || license.find('(') != std::string::npos) {
    return Json::array({{{"expression", license}}});
  }
  if (license.starts_with("LicenseRef-")) return Json::array({{{"license", {{"name", license}}}}});
  return Json::array({{{"license", {{"id", license}}}}});
}

Json cyclonedx_property(std::string_view name, const std::string& value) { return {{"name", name}, {"value", value}}; }

}  // namespace

Result<SbomFormat> parse_sbom_format(std::string_view text) {
  if (text == "spdx") return SbomFormat::spdx;
  if (text == "cyclonedx") return SbomFormat::cyclonedx;
  return make_error(ErrorCode::invalid_argument, "unknown SBOM format \"{}\": spdx or cyclonedx", text);
}

std::string spdx_id(std::string_view prefix, std::string_view name) {
  std::string id = fmt::format("SPDXRef-{}-{}", prefix, name);
  for (std::size_t i = sizeof("SPDXRef-") - 1; i < id.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(id[i]);
    bool allowed = (c < 0x80 && std::isalnum(c) != 0) || c == '.' || c == '-';
    if (!allowed) id[i] = '-';
  }
  return id;
}

std::string uuid_from_digest(const Digest& digest) {
  Digest hash = Digest::sha256_of("cairn-sbom:" + digest.to_string());
  std::array<std::uint8_t, 16> bytes{};
  std::copy_n(hash.bytes().begin(), bytes.size(), bytes.begin());
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x80);  // version 8
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // variant 10xx
  std::string hex;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", bytes[i]);
  }
  return hex;
}

std::string sbom_timestamp(const manifest::LockFile& lock) {
  return format_rfc3339(lock.snapshot_created.value_or(0));
}

std::string library_purl(std::string_view name, std::string_view version) {
  return fmt::format("pkg:generic/cairn/{}@{}", name, version);
}

Result<Json> spdx_document(const SbomInput& input) {
  CAIRN_TRY(check_input(input));
  const BuildRecord& record = *input.record;
  const Digest& image = *record.image_digest;
  std::string version = unikernel_version(record);
  SpdxIds ids;
  std::string image_id = ids.make("Image", record.name);

  Json packages = Json::array();
  Json relationships = Json::array();
  relationships.push_back(spdx_relationship("SPDXRef-DOCUMENT", "DESCRIBES", image_id));
  packages.push_back({{"SPDXID", image_id},
                      {"name", record.name},
                      {"versionInfo", version},
                      {"packageFileName", image_file_name(record)},
                      {"primaryPackagePurpose", "OPERATING_SYSTEM"},
                      {"downloadLocation", no_assertion},
                      {"filesAnalyzed", false},
                      {"checksums", Json::array({{{"algorithm", "SHA256"}, {"checksumValue", image.hex()}}})},
                      {"licenseConcluded", no_assertion},
                      {"licenseDeclared", no_assertion},
                      {"copyrightText", no_assertion},
                      {"supplier", no_assertion},
                      {"comment", fmt::format("a unikernel image built by cairn against manifest {} (snapshot {})",
                                              record.lock->repository, record.lock->snapshot_version)}});

  for (const LibraryFacts& library : library_facts(input)) {
    std::string id = ids.make("Library", library.name);
    // The declared license is the one the library's signed manifest entry states; none is
    // concluded (nobody here analysed the sources).
    Json package = {{"SPDXID", id},
                    {"name", library.name},
                    {"versionInfo", library.locked->version},
                    {"primaryPackagePurpose", "LIBRARY"},
                    {"downloadLocation", no_assertion},
                    {"filesAnalyzed", false},
                    {"licenseConcluded", no_assertion},
                    {"licenseDeclared", library.license.value_or(std::string(no_assertion))},
                    {"copyrightText", no_assertion},
                    {"supplier", no_assertion},
                    {"externalRefs", spdx_purl(library_purl(library.name, library.locked->version))},
                    {"comment", library_comment(*library.locked)}};
    if (!library.description.empty()) package["description"] = library.description;
    packages.push_back(std::move(package));
    relationships.push_back(spdx_relationship(image_id, "CONTAINS", id));
  }
  for (const ToolchainPackage& tool : record.toolchain) {
    std::string id = ids.make("Toolchain", tool.name);
    packages.push_back({{"SPDXID", id},
                        {"name", tool.name},
                        {"versionInfo", tool.version.empty() ? std::string(no_assertion) : tool.version},
                        {"primaryPackagePurpose", "APPLICATION"},
                        {"downloadLocation", no_assertion},
                        {"filesAnalyzed", false},
                        {"licenseConcluded", no_assertion},
                        {"licenseDeclared", no_assertion},
                        {"copyrightText", no_assertion},
                        {"supplier", no_assertion},
                        {"externalRefs", spdx_purl(tool.purl)},
                        {"comment", "a Debian package of the build toolchain (not part of the image)"}});
    relationships.push_back(spdx_relationship(id, "BUILD_TOOL_OF", image_id));
  }

  std::string name = fmt::format("{}-{}", record.name, version);
  return Json{{"spdxVersion", "SPDX-2.3"},
              {"dataLicense", "CC0-1.0"},
              {"SPDXID", "SPDXRef-DOCUMENT"},
              {"name", name},
              {"documentNamespace", fmt::format("https://cairn.dev/spdx/{}-{}", name, image.hex())},
              {"creationInfo",
               {{"created", sbom_timestamp(*record.lock)},
                {"creators", Json::array({fmt::format("Tool: cairn-{}", input.tool_version)})}}},
              {"documentDescribes", Json::array({image_id})},
              {"packages", std::move(packages)},
              {"relationships", std::move(relationships)}};
}

Result<Json> cyclonedx_bom(const SbomInput& input) {
  CAIRN_TRY(check_input(input));
  const BuildRecord& record = *input.record;
  const Digest& image = *record.image_digest;
  std::string image_ref = "unikernel:" + record.name;

  Json components = Json::array();
  Json library_refs = Json::array();
  Json dependencies = Json::array();
  for (const LibraryFacts& library : library_facts(input)) {
    std::string ref = "library:" + library.name;
    Json component = {{"type", "library"},
                      {"bom-ref", ref},
                      {"name", library.name},
                      {"version", library.locked->version},
                      {"purl", library_purl(library.name, library.locked->version)},
                      {"properties", Json::array({cyclonedx_property("cairn:tree", library.locked->tree.to_string()),
                                                  cyclonedx_property("cairn:entry", library.locked->entry.to_string()),
                                                  cyclonedx_property("cairn:signers",
                                                                     fmt::format("{}", fmt::join(library.locked->signers, ",")))})}};
    if (library.license) component["licenses"] = cyclonedx_licenses(*library.license);
    if (!library.description.empty()) component["description"] = library.description;
    components.push_back(std::move(component));
    library_refs.push_back(ref);
    dependencies.push_back({{"ref", ref}, {"dependsOn", Json::array()}});
  }
  for (const ToolchainPackage& tool : record.toolchain) {
    Json component = {{"type", "application"},
                      {"bom-ref", "toolchain:" + tool.name},
                      {"name", tool.name},
                      {"purl", tool.purl},
                      {"scope", "excluded"},
                      {"properties", Json::array({cyclonedx_property("cairn:role", "build-tool")})}};
    if (!tool.version.empty()) component["version"] = tool.version;
    components.push_back(std::move(component));
  }
  dependencies.insert(dependencies.begin(), Json{{"ref", image_ref}, {"dependsOn", std::move(library_refs)}});

  Json unikernel = {{"type", "operating-system"},
                    {"bom-ref", image_ref},
                    {"name", record.name},
                    {"hashes", Json::array({{{"alg", "SHA-256"}, {"content", image.hex()}}})},
                    {"properties", Json::array({cyclonedx_property("cairn:image", image_file_name(record)),
                                                cyclonedx_property("cairn:manifest", record.lock->repository)})}};
  if (!record.version.empty()) unikernel["version"] = record.version;
  Json tool = {{"type", "application"}, {"name", "cairn"}, {"version", input.tool_version}};
  return Json{{"bomFormat", "CycloneDX"},
              {"specVersion", "1.5"},
              {"serialNumber", "urn:uuid:" + uuid_from_digest(image)},
              {"version", 1},
              {"metadata",
               {{"timestamp", sbom_timestamp(*record.lock)},
                {"tools", {{"components", Json::array({tool})}}},
                {"component", std::move(unikernel)}}},
              {"components", std::move(components)},
              {"dependencies", std::move(dependencies)}};
}

Result<std::string> write_sbom(const SbomInput& input, SbomFormat format) {
  if (format == SbomFormat::spdx) {
    Json document = CAIRN_TRY(spdx_document(input));
    return document.dump(2) + "\n";
  }
  Json document = CAIRN_TRY(cyclonedx_bom(input));
  return document.dump(2) + "\n";
}

Result<std::string> make_sbom(const SbomOptions& options) {
  std::optional<TemporaryDirectory> scratch;
  ReadTargetOptions target = options.target;
  target.allow_bare = false;
  BuildRecord record = CAIRN_TRY(read_build_record(target, scratch));
  std::optional<manifest::OpenedManifest> opened;
  if (options.manifest) {
    manifest::OpenedManifest manifest = CAIRN_TRY(manifest::open_manifest(*options.manifest));
    if (manifest.verified.identity.to_string() != record.lock->repository) {
      return make_error(ErrorCode::refused, "the build used manifest {}, but --manifest {} is manifest {}",
                        record.lock->repository, options.manifest->location,
                        manifest.verified.identity.to_string());
    }
    opened = std::move(manifest);
  }
  SbomInput input;
  input.record = &record;
  input.repository = opened ? &opened->verified : nullptr;
  input.tool_version = options.tool_version;
  return write_sbom(input, options.format);
}

}  // namespace cairn::consumer
