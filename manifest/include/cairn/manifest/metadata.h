// The four documents of a manifest repository (root, library entry, snapshot, timestamp), their
// JSON form, and the signing and threshold checks over them. The format is in manifest/README.md.
//
// Every document is {"signed": {...}, "signatures": [{keyid, method, sig}]}; signatures are over
// the canonical JSON bytes of "signed". `version` is always the document's integer metadata
// version (>= 1); a library entry carries the library's semver in `library_version`.
#pragma once

#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/json_reader.h"
#include "cairn/core/result.h"
#include "cairn/core/time.h"
#include "cairn/core/tree.h"
#include "cairn/signing/signer.h"
#include "cairn/signing/threshold.h"
#include "cairn/signing/trusted_keys.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::manifest {

inline constexpr std::string_view spec_version = "1.0.0";

// Seconds since 1970-01-01 UTC. Tests inject a fixed clock; the default reads the system clock.
using Clock = std::function<std::int64_t()>;
Clock system_clock();

// Parses "2027-01-01T00:00:00Z" exactly (RFC 3339, UTC, no fractions); anything else is malformed.
Result<std::int64_t> parse_rfc3339(std::string_view text);
// The "YYYY-MM-DDTHH:MM:SSZ" spelling of a time: cairn::format_rfc3339 (core/time.h).
using cairn::format_rfc3339;

struct KeyMaterial {
  signing::SignatureMethod method = signing::SignatureMethod::ed25519;
  std::string public_key;  // Ed25519: the 32 raw bytes (base64 in JSON); OpenPGP: armored key
};

struct Role {
  std::vector<std::string> keyids;
  std::size_t threshold = 1;
};

struct RootMetadata {
  std::int64_t version = 1;
  std::int64_t expires = 0;
  bool development = false;                 // made by `cairn manifest dev`
  std::map<std::string, KeyMaterial> keys;  // keyid -> material
  Role root, snapshot, timestamp;
  std::map<std::string, Role> maintainers;  // library name (or "*", the default) -> role

  // The maintainers role of `library`: its own, else "*"; nullptr when neither exists.
  const Role* maintainers_of(std::string_view library) const;
};

struct ArchiveRef {
  std::string url;  // absolute URL, or a path relative to the repository
  Digest digest = Digest::sha256_of("");
  std::uint64_t size = 0;
};

struct Advisory {
  std::string id;
  std::string affected;  // a constraint (see semver.h): the versions it affects
  std::string summary;
};

struct LibraryEntry {
  std::int64_t version = 1;
  std::int64_t expires = 0;
  std::string name;
  std::string library_version;  // semver
  std::string license;
  std::string description;
  Digest tree = Digest::sha256_of("");
  std::map<std::string, Digest> files;  // relative path -> content digest, for precise errors
  std::optional<ArchiveRef> archive;
  std::map<std::string, std::string> depends;  // name -> constraint
  std::vector<std::string> targets;
  std::optional<std::string> yanked;  // the reason, when yanked
  std::vector<Advisory> advisories;

  // "libraries/<name>/<library_version>.json".
  std::string path() const;
};

struct MetaFile {
  Digest digest = Digest::sha256_of("");
  std::uint64_t length = 0;
};

struct SnapshotMetadata {
  std::int64_t version = 1;
  std::int64_t expires = 0;
  // When it was made ("created", RFC 3339; absent in snapshots made before it existed). Builds
  // from this snapshot take it as their SOURCE_DATE_EPOCH, through the lock.
  std::optional<std::int64_t> created;
  std::map<std::string, MetaFile> meta;  // "libraries/<name>/<ver>.json" -> digest, length
};

struct TimestampMetadata {
  std::int64_t version = 1;
  std::int64_t expires = 0;
  MetaFile snapshot;
  std::int64_t snapshot_version = 1;
};

// A parsed {signed, signatures} document: the checked header, the canonical bytes that were
// signed and the signature records.
// (clang-tidy 14 takes nlohmann::json's noexcept move for one that may throw.)
struct SignedDocument {  // NOLINT(bugprone-exception-escape)
  std::string type;
  Json signed_part;
  std::string canonical_signed;
  std::vector<signing::Signature> signatures;
};

// Parses and checks a document of `_type` `expected_type`: strict JSON, exactly {signed,
// signatures}, known spec_version major, integer version >= 1, RFC 3339 expires. `name` is for errors.
Result<SignedDocument> parse_signed_document(std::string_view text, std::string_view expected_type,
                                             std::string_view name);
// The document's file bytes: canonical JSON of {signed, signatures} and a final newline.
Result<std::string> serialize_document(const SignedDocument& document);
// Wraps a `signed` object (as to_json below makes) into an unsigned document.
Result<SignedDocument> make_document(Json signed_part);
// Adds (or replaces) the signature of `signer` over the document's canonical signed bytes.
Result<void> sign_document(SignedDocument& document, const signing::Signer& signer);

Json to_json(const RootMetadata& root);
Json to_json(const LibraryEntry& entry);
// {url, digest, size}, as library entries and lock files both carry it.
Json to_json(const ArchiveRef& archive);
Result<ArchiveRef> archive_from_json(const JsonReader& archive);
Json to_json(const SnapshotMetadata& snapshot);
Json to_json(const TimestampMetadata& timestamp);
// Read the `signed` part of a checked document; errors are malformed and name the field.
Result<RootMetadata> root_from_json(const Json& signed_part);
Result<LibraryEntry> entry_from_json(const Json& signed_part);
Result<SnapshotMetadata> snapshot_from_json(const Json& signed_part);
Result<TimestampMetadata> timestamp_from_json(const Json& signed_part);

// The key material of a public key file (Ed25519 PEM/raw or armored OpenPGP) and its key id.
Result<std::pair<std::string, KeyMaterial>> key_from_public_file(std::string_view content, std::string_view name);

// The pinned keys of each distinct set of key ids that roles of one root name, made on first use
// and kept: a repository's entries are mostly signed by the same few maintainers, and making a
// TrustedKeys (parsing keys; for OpenPGP, opening a GnuPG home) costs more than checking one
// signature with it. `root` must outlive it and stay unchanged. Used by one thread at a time.
class RoleKeys {
 public:
  explicit RoleKeys(const RootMetadata& root) : root_(root) {}
  const RootMetadata& root() const { return root_; }
  // The keys of `role`; malformed, naming the key, when root.json does not list one of them.
  Result<const signing::TrustedKeys*> of(const Role& role);

 private:
  const RootMetadata& root_;
  std::map<std::vector<std::string>, signing::TrustedKeys> keys_;  // sorted key ids -> their keys
};

// Checks that at least the role's threshold of its keys signed `document`. `what` names the
// document in errors; a signature by a root key outside the role is named as such.
Result<signing::ThresholdReport> verify_role(const SignedDocument& document, const RootMetadata& root, const Role& role,
                                             std::string_view role_name, std::string_view what);
// The same with the role's keys taken from (and kept in) `keys`, for many documents under one root.
Result<signing::ThresholdReport> verify_role(const SignedDocument& document, RoleKeys& keys, const Role& role,
                                             std::string_view role_name, std::string_view what);

}  // namespace cairn::manifest
