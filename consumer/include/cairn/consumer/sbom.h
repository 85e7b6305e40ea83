// `cairn sbom TARGET --format spdx|cyclonedx`: a software bill of materials of a built unikernel,
// from what its build recorded (build_record.h: the provenance, its lock, the image).
//
// What goes in: the image itself (name, version, SHA-256), every library of the lock (version,
// tree digest, signed-entry digest, signers; license and description when a verified manifest is
// given, else unknown), and the Debian packages of the toolchain the provenance records (build
// tools: not part of the image). Relationships: the document describes the image, the image
// contains each library, each toolchain package is a build tool of the image.
//
// The output is deterministic: the same build gives the same bytes. There is no clock and no
// randomness: the creation time is the manifest snapshot's "created" (the build's
// SOURCE_DATE_EPOCH; 1970-01-01T00:00:00Z when the lock has none), the SPDX namespace and the
// CycloneDX serial number are derived from the image digest, objects are written with sorted keys
// and lists in a fixed order.
#pragma once

#include "cairn/consumer/build_record.h"
#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/result.h"
#include "cairn/manifest/client.h"

#include <optional>
#include <string>
#include <string_view>

namespace cairn::consumer {

enum class SbomFormat { spdx, cyclonedx };
// "spdx" or "cyclonedx"; anything else is invalid_argument.
Result<SbomFormat> parse_sbom_format(std::string_view text);

struct SbomInput {
  const BuildRecord* record = nullptr;  // must hold an image, a provenance and a lock
  // The verified manifest the build used (--manifest/--root), for licenses and descriptions.
  const manifest::VerifiedRepository* repository = nullptr;
  std::string tool_version;  // cairn's own version, for "Tool: cairn-<version>"
};

// The SPDX 2.3 JSON document, and the CycloneDX 1.5 JSON BOM.
Result<Json> spdx_document(const SbomInput& input);
Result<Json> cyclonedx_bom(const SbomInput& input);
// The chosen one as text: JSON indented by two spaces, keys sorted, ending with a newline.
Result<std::string> write_sbom(const SbomInput& input, SbomFormat format);

// The pieces, exposed for tests:
// An SPDX element id "SPDXRef-<prefix>-<name>", with every character other than ASCII letters,
// digits, '.' and '-' replaced by '-' (the only ones SPDX allows after "SPDXRef-").
std::string spdx_id(std::string_view prefix, std::string_view name);
// A name-based UUID from the image digest: the first 16 bytes of SHA-256("cairn-sbom:" + digest
// text), with the version set to 8 and the RFC 4122 variant (RFC 9562 §5.8 and its Appendix B.2
// show this SHA-256 name-based form). Lower-case 8-4-4-4-12 hex.
std::string uuid_from_digest(const Digest& digest);
// The RFC 3339 creation time: the lock's snapshot_created, or 1970-01-01T00:00:00Z.
std::string sbom_timestamp(const manifest::LockFile& lock);

// The cairn library's package URL: "pkg:generic/cairn/<name>@<version>".
std::string library_purl(std::string_view name, std::string_view version);

// Reads the target and its manifest (when `manifest` is given) and writes the SBOM: what
// `cairn sbom` runs. The manifest must be the one the build used (same root identity).
struct SbomOptions {
  ReadTargetOptions target;
  std::optional<manifest::ManifestRequest> manifest;
  SbomFormat format = SbomFormat::spdx;
  std::string tool_version;
};
Result<std::string> make_sbom(const SbomOptions& options);

}  // namespace cairn::consumer
