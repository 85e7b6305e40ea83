// `cairn verify TARGET --policy FILE`: is this image what its publisher says it is? Each check is
// a step with its own verdict and reason, so a consumer sees exactly what passed and what did not.
//
// TARGET is a registry reference (HOST/NAME:TAG or HOST/NAME@sha256:…, pulled into a temporary
// folder first, every digest checked), a folder `cairn pull` wrote, or a build folder
// (_build/<name>, after `cairn publish`, which leaves provenance.dsse.json and log.json there).
// The steps, in order (a step that cannot run because an earlier one failed is skipped):
//   fetch         the artifact's files are there and every blob matched its digest
//   signatures    the DSSE envelope is signed by the policy's threshold of pinned keys, its payload
//                 an in-toto statement, and provenance.json is exactly what it covers
//   subject       the statement's subject is the image actually fetched (name and SHA-256), and
//                 the artifact's manifest lists that image as its first layer
//   log           the log entry names this envelope (and manifest), its inclusion proof leads to a
//                 checkpoint signed by the policy's log key, and that checkpoint is consistent
//                 with the newest one this client has seen (a fork names both)
//   dependencies  the lock inside the provenance agrees with the provenance's libraries and with
//                 the image's .note.cairn; the manifest is the one the policy pins, not a
//                 development one unless allowed, and every library is in it, signed by its
//                 maintainers, with the tree the build used
//   advisories    no library is yanked or affected by an advisory, unless the policy allows it
//   rebuilds      independent rebuilders attest the same image, when the policy asks for it (the
//                 attestations `cairn pull` keeps in the folder's attestations/)
// The image is accepted only when every step passed, warned (where the policy says warn) or was
// not required by the policy.
#pragma once

#include "cairn/consumer/policy.h"
#include "cairn/core/digest.h"
#include "cairn/core/result.h"
#include "cairn/manifest/metadata.h"
#include "cairn/registry/client.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cairn::consumer {

struct VerifyOptions {
  std::string target;  // a registry reference or a folder
  Policy policy;
  // The name a folder is matched against the policy by; empty: the unikernel's name in its
  // provenance. A registry reference is matched as HOST/NAME and as NAME.
  std::string name;
  // Never contact a registry: the target must be a folder, the manifest a folder (or skipped),
  // and a checkpoint of another size than the one seen before cannot be proven consistent (a
  // warning; a fork at the same size is still found).
  bool offline = false;
  // Where the newest checkpoint seen of each log is kept; empty: <state dir>/logs.
  std::filesystem::path log_state;
  registry::ClientOptions client;
  manifest::Clock clock = manifest::system_clock();  // for the manifest's expiry
};

// skipped: not run because an earlier step failed (the image is refused); not_required: the
// policy says this check is not wanted.
enum class StepStatus { passed, warning, failed, skipped, not_required };
std::string_view to_string(StepStatus status);

struct StepResult {
  std::string id;     // "signatures"
  std::string title;  // "signatures meet the threshold with pinned keys"
  StepStatus status = StepStatus::skipped;
  std::string detail;  // why it failed, or what was found
};

struct VerifyReport {
  std::string target;
  std::vector<std::string> names;  // the names matched against the policy
  std::string policy_match;        // the pattern of the entry that applied
  std::optional<Digest> image;     // the image's SHA-256, once read
  std::optional<Digest> manifest;  // the OCI manifest's digest, for registry references and pulled folders
  std::optional<std::uint64_t> log_index;
  std::vector<StepResult> steps;

  // Every step passed or warned; none failed or was skipped for a failure.
  bool accepted() const;
};

// Runs every step. An error means verification could not be attempted at all (no policy entry
// for the image, an unreadable policy key, a registry that cannot be reached); a refused image is
// a report whose accepted() is false.
Result<VerifyReport> verify_image(const VerifyOptions& options);

}  // namespace cairn::consumer
