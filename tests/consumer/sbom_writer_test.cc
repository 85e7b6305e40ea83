// The SBOM writers (consumer/sbom.h) on a build record made here, without a build: SPDX ids keep
// only the characters SPDX allows and stay distinct, the CycloneDX serial number is a well-formed
// UUID derived from the image digest alone, the timestamp comes from the lock, licenses appear
// only when a manifest gave them, and the same input gives the same bytes.
#include "cairn/consumer/sbom.h"

#include "support/must.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace cairn::consumer {
namespace {

using cairn::test_support::must;

BuildRecord sample_record() {
  BuildRecord record;
  record.target = "_build/hello";
  record.name = "hello";
  record.version = "0.1.0";
  record.image = "_build/hello/hello.spt";
  record.image_digest = Digest::sha256_of("an image");
  manifest::LockFile lock;
  lock.repository = Digest::sha256_of("a root").to_string();
  lock.snapshot_version = 3;
  lock.snapshot_created = 1767225600;  // 2026-01-01T00:00:00Z
  manifest::LockedLibrary kernel;
  kernel.version = "0.1.0";
  kernel.tree = Digest::sha256_of("kernel tree");
  kernel.entry = Digest::sha256_of("kernel entry");
  kernel.signers = {"abcd"};
  lock.libraries["kernel"] = kernel;
  manifest::LockedLibrary net = kernel;
  net.tree = Digest::sha256_of("net tree");
  lock.libraries["net"] = net;
  record.lock = lock;
  record.toolchain = {{"g++-12", "12.2.0-14", "pkg:deb/debian/g++-12@12.2.0-14"},
                      {"g--12", "1", "pkg:deb/debian/g--12@1"}};
  return record;
}

TEST(SbomWriter, SpdxIdsKeepOnlyAllowedCharacters) {
  EXPECT_EQ(spdx_id("Toolchain", "libstdc++-12-dev"), "SPDXRef-Toolchain-libstdc---12-dev");
  EXPECT_EQ(spdx_id("Library", "a_b c/d.e"), "SPDXRef-Library-a-b-c-d.e");
  EXPECT_EQ(spdx_id("Library", "caf\xc3\xa9"), "SPDXRef-Library-caf--");
  std::regex allowed("SPDXRef-[A-Za-z0-9.-]+");
  EXPECT_TRUE(std::regex_match(spdx_id("X", "!@#$%^&*()"), allowed));
}

TEST(SbomWriter, SpdxIdsStayDistinctAfterSanitising) {
  BuildRecord record = sample_record();
  SbomInput input{&record, nullptr, "9.9.9"};
  Json document = must(spdx_document(input));
  std::set<std::string> ids;
  for (const auto& package : document["packages"]) {
    EXPECT_TRUE(ids.insert(package["SPDXID"].get<std::string>()).second) << package.dump();
  }
  EXPECT_EQ(ids.size(), 5u);  // the image, two libraries, two toolchain packages ("g++-12", "g--12")
}

TEST(SbomWriter, UuidIsWellFormedAndDerivedFromTheDigest) {
  std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::string first = uuid_from_digest(Digest::sha256_of("a"));
  EXPECT_TRUE(std::regex_match(first, uuid)) << first;
  EXPECT_EQ(first, uuid_from_digest(Digest::sha256_of("a")));
  EXPECT_NE(first, uuid_from_digest(Digest::sha256_of("b")));
}

TEST(SbomWriter, TimestampComesFromTheLock) {
  manifest::LockFile lock;
  EXPECT_EQ(sbom_timestamp(lock), "1970-01-01T00:00:00Z");
  lock.snapshot_created = 1767225600;
  EXPECT_EQ(sbom_timestamp(lock), "2026-01-01T00:00:00Z");
}

TEST(SbomWriter, SpdxDocument) {
  BuildRecord record = sample_record();
  SbomInput input{&record, nullptr, "9.9.9"};
  Json document = must(spdx_document(input));
  EXPECT_EQ(document["spdxVersion"], "SPDX-2.3");
  EXPECT_EQ(document["creationInfo"]["created"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(document["creationInfo"]["creators"][0], "Tool: cairn-9.9.9");
  EXPECT_EQ(document["documentNamespace"],
            "https://cairn.dev/spdx/hello-0.1.0-" + record.image_digest->hex());
  const Json& image = document["packages"][0];
  EXPECT_EQ(image["checksums"][0]["checksumValue"], record.image_digest->hex());
  const Json& kernel = document["packages"][1];
  EXPECT_EQ(kernel["name"], "kernel");
  EXPECT_EQ(kernel["licenseDeclared"], "NOASSERTION");  // no manifest given
  EXPECT_EQ(kernel["externalRefs"][0]["referenceLocator"], "pkg:generic/cairn/kernel@0.1.0");
  std::size_t build_tools = 0;
  for (const auto& relationship : document["relationships"]) build_tools += relationship["relationshipType"] == "BUILD_TOOL_OF";
  EXPECT_EQ(build_tools, 2u);
}

TEST(SbomWriter, CycloneDxBom) {
  BuildRecord record = sample_record();
  SbomInput input{&record, nullptr, "9.9.9"};
  Json bom = must(cyclonedx_bom(input));
  EXPECT_EQ(bom["serialNumber"], "urn:uuid:" + uuid_from_digest(*record.image_digest));
  EXPECT_EQ(bom["metadata"]["component"]["hashes"][0]["content"], record.image_digest->hex());
  EXPECT_FALSE(bom["components"][0].contains("licenses"));  // no manifest given
  EXPECT_EQ(bom["dependencies"][0]["ref"], "unikernel:hello");
  EXPECT_EQ(bom["dependencies"][0]["dependsOn"].size(), 2u);
}

TEST(SbomWriter, LicensesComeFromTheManifest) {
  BuildRecord record = sample_record();
  manifest::VerifiedRepository repository;
  manifest::VerifiedLibrary kernel;
  kernel.entry.name = "kernel";
  kernel.entry.library_version = "0.1.0";
  kernel.entry.license = "Apache-2.0";
  kernel.entry.description = "the scheduler";
  repository.libraries.push_back(kernel);
  SbomInput input{&record, &repository, "9.9.9"};
  Json document = must(spdx_document(input));
  EXPECT_EQ(document["packages"][1]["licenseDeclared"], "Apache-2.0");
  EXPECT_EQ(document["packages"][1]["description"], "the scheduler");
  EXPECT_EQ(document["packages"][2]["licenseDeclared"], "NOASSERTION");  // net is not in this manifest
  Json bom = must(cyclonedx_bom(input));
  EXPECT_EQ(bom["components"][0]["licenses"][0]["license"]["id"], "Apache-2.0");
  EXPECT_FALSE(bom["components"][1].contains("licenses"));
}

TEST(SbomWriter, SameInputSameBytes) {
  BuildRecord record = sample_record();
  SbomInput input{&record, nullptr, "9.9.9"};
  EXPECT_EQ(must(write_sbom(input, SbomFormat::spdx)), must(write_sbom(input, SbomFormat::spdx)));
  EXPECT_EQ(must(write_sbom(input, SbomFormat::cyclonedx)), must(write_sbom(input, SbomFormat::cyclonedx)));
}

TEST(SbomWriter, RefusesARecordWithoutImageOrLock) {
  BuildRecord record = sample_record();
  record.lock.reset();
  SbomInput input{&record, nullptr, "9.9.9"};
  EXPECT_FALSE(spdx_document(input).ok());
  EXPECT_FALSE(cyclonedx_bom(input).ok());
  EXPECT_FALSE(parse_sbom_format("swid").ok());
}

}  // namespace
}  // namespace cairn::consumer
