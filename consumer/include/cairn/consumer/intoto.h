// Classic in-toto metadata (the format Debian's in-toto 1.3.1 and apt-transport-in-toto read, older
// than DSSE and Statement v1): a link per rebuilder saying which image its rebuild produced, and a
// layout that requires k rebuilders to agree. Keys are Ed25519 in securesystemslib's form
//   {"keytype": "ed25519", "scheme": "ed25519", "keyid_hash_algorithms": ["sha256", "sha512"],
//    "keyval": {"public": "<64 hex>"}}
// whose keyid is the SHA-256 of that object's canonical JSON; metadata is
//   {"signed": {...}, "signatures": [{"keyid": "<hex>", "sig": "<hex of the Ed25519 signature
//    over the canonical JSON of signed>"}]}.
// Everything here is ASCII, where Cairn's canonical JSON and OLPC canonical JSON (securesystemslib's)
// write the same bytes.
#pragma once

#include "cairn/core/canonical_json.h"
#include "cairn/core/digest.h"
#include "cairn/core/result.h"
#include "cairn/signing/ed25519.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::consumer::intoto {

// The step a rebuilder's link records.
inline constexpr std::string_view rebuild_step = "rebuild";

// The securesystemslib form of `key` (public part only), and its keyid.
Json public_key_json(const signing::Ed25519PublicKey& key);
std::string keyid_of(const signing::Ed25519PublicKey& key);

// `signed_part` wrapped with one signature by `key` (the keyid is the securesystemslib one).
Result<Json> sign_metadata(const Json& signed_part, const signing::Ed25519PrivateKey& key);

// The link of a rebuild whose product is `image_name` with digest `image` (no materials, command
// or environment: the rebuild's inputs are the published artifact, which the layout does not name).
Json rebuild_link(std::string_view image_name, const Digest& image);
// "rebuild.<first 8 hex of the keyid>.link", the name in-toto-verify looks for.
std::string link_file_name(const signing::Ed25519PublicKey& key);

// A layout that expires at `expires` (Unix time), with one step: `threshold` of `rebuilders` must
// each have produced `image_name`, and nothing else.
Json rebuild_layout(std::int64_t expires, const std::vector<signing::Ed25519PublicKey>& rebuilders,
                    std::size_t threshold, std::string_view image_name);

// Writes `directory`/root.layout (`layout` signed by `owner`) and `directory`/owner.pub (the
// owner's public key in securesystemslib's form, what `in-toto-verify -k owner.pub -t ed25519`
// reads). The directory is created if needed; both files are written atomically.
Result<void> write_layout(const std::filesystem::path& directory, const Json& layout,
                          const signing::Ed25519PrivateKey& owner);

}  // namespace cairn::consumer::intoto
