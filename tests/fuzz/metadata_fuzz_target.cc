// The fuzz target of the manifest's signed documents (host_fuzz_targets.h).
//
// The input is tried as each of the four documents (root, library, snapshot, timestamp). For one
// that parses: its canonical signed bytes are those of its signed part, and the file
// serialize_document writes parses back to the same signed bytes and signatures and is written
// the same again. Then every reader of a signed part (root_from_json, entry_from_json, ...) runs
// on the input's "signed" member (or the whole input), whatever its _type says, since the readers
// do not look at it; what one accepts, written with to_json, reads back to a struct that writes
// the same canonical JSON. An input counts as accepted when it parses as a document whose signed
// part its type's reader accepts, as a repository client would take it.
//
// A root may pin OpenPGP keys, which gpg imports into a GnuPG home under the cache folder: the
// target points XDG_CACHE_HOME into its scratch folder so that a run leaves none behind.
#include "cairn/core/canonical_json.h"
#include "cairn/manifest/metadata.h"
#include "host_fuzz_support.h"
#include "host_fuzz_targets.h"

#include <cstdlib>
#include <string>

namespace cairn::fuzz {

namespace {

using namespace cairn::manifest;  // NOLINT: the target reads every document type

constexpr std::string_view document_types[] = {"root", "library", "snapshot", "timestamp"};

void use_private_cache() {
  static const bool done = [] {
    ::setenv("XDG_CACHE_HOME", scratch_subdirectory("cache").c_str(), 1);
    return true;
  }();
  (void)done;
}

bool same_signatures(const std::vector<signing::Signature>& a, const std::vector<signing::Signature>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].keyid != b[i].keyid || a[i].method != b[i].method || a[i].bytes != b[i].bytes) return false;
  }
  return true;
}

// A document that parses as `type` keeps its signed bytes and signatures through a rewrite.
bool check_document(std::string_view text, std::string_view type) {
  Result<SignedDocument> document = parse_signed_document(text, type, "input");
  if (!document) return false;
  require(document->type == type, "a document parsed as another type");
  Result<std::string> signed_bytes = canonical_json(document->signed_part);
  require(signed_bytes.ok() && *signed_bytes == document->canonical_signed,
          "canonical_signed is not the canonical JSON of the signed part");

  Result<std::string> file = serialize_document(*document);
  if (!file) broken("an accepted document cannot be written", file.error().message());
  Result<SignedDocument> reread = parse_signed_document(*file, type, "rewritten");
  if (!reread) broken("a rewritten document does not parse", reread.error().message());
  require(reread->canonical_signed == document->canonical_signed, "a rewritten document signs other bytes");
  require(same_signatures(reread->signatures, document->signatures), "a rewritten document has other signatures");
  Result<std::string> again = serialize_document(*reread);
  require(again.ok() && *again == *file, "a rewritten document is written differently");
  require(file->ends_with('\n'), "a document file does not end with a newline");
  require(parse_canonical_json(std::string_view(*file).substr(0, file->size() - 1)).ok(),
          "a document file is not canonical JSON");
  return true;
}

// What `from_json` accepts, written with to_json, reads back to a struct that writes the same.
template <typename Document>
bool check_signed_part(const Json& signed_part, Result<Document> (*from_json)(const Json&), std::string_view what) {
  Result<Document> parsed = from_json(signed_part);
  if (!parsed) return false;
  Result<std::string> written = canonical_json(to_json(*parsed));
  if (!written) broken(what, "to_json of an accepted signed part has no canonical form");
  Result<Json> json = parse_canonical_json(*written);
  if (!json) broken(what, json.error().message());
  Result<Document> reread = from_json(*json);
  if (!reread) broken(what, "to_json of an accepted signed part does not read back: " + reread.error().message());
  Result<std::string> rewritten = canonical_json(to_json(*reread));
  if (!rewritten || *rewritten != *written) broken(what, "a signed part read back is written differently");
  return true;
}

bool check_metadata(std::string_view text) {
  use_private_cache();
  std::string_view document_type;
  for (std::string_view type : document_types) {
    if (check_document(text, type)) document_type = type;
  }

  Result<Json> json = parse_json(text);
  if (!json) return false;
  const Json* signed_part = &*json;
  if (json->is_object()) {
    if (auto member = json->find("signed"); member != json->end()) signed_part = &*member;
  }
  bool root = check_signed_part<RootMetadata>(*signed_part, root_from_json, "root");
  bool entry = check_signed_part<LibraryEntry>(*signed_part, entry_from_json, "library entry");
  bool snapshot = check_signed_part<SnapshotMetadata>(*signed_part, snapshot_from_json, "snapshot");
  bool timestamp = check_signed_part<TimestampMetadata>(*signed_part, timestamp_from_json, "timestamp");
  return (document_type == "root" && root) || (document_type == "library" && entry) ||
         (document_type == "snapshot" && snapshot) || (document_type == "timestamp" && timestamp);
}

}  // namespace

int fuzz_metadata(const std::uint8_t* data, std::size_t size) {
  return record_outcome(check_metadata(as_text(data, size)));
}

}  // namespace cairn::fuzz
