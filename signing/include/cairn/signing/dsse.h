// DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse v1.0.0): how Cairn signs artifacts
// such as in-toto provenance statements.
//
// Every signature covers PAE(payloadType, payload) =
//   "DSSEv1" SP LEN(payloadType) SP payloadType SP LEN(payload) SP payload
// (lengths in bytes, ASCII decimal), never the payload alone, so a signature cannot be moved to a
// payload of another type. The envelope is JSON:
//   {"payload": base64, "payloadType": "...", "signatures": [{"keyid": "...", "sig": base64}]}
// with either key type: "sig" holds the 64 Ed25519 bytes or one binary OpenPGP detached signature.
// DSSE's envelope has no "method" field; a verifier takes the method from the pinned key the
// keyid names (or, without a keyid, from the signature's size: 64 bytes is Ed25519).
#pragma once

#include "cairn/core/file_lock.h"
#include "cairn/core/result.h"
#include "cairn/signing/signer.h"
#include "cairn/signing/threshold.h"
#include "cairn/signing/trusted_keys.h"

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::signing::dsse {

// The payload type of in-toto statements.
inline constexpr std::string_view in_toto_payload_type = "application/vnd.in-toto+json";

// The bytes a DSSE signature covers.
std::string pae(std::string_view payload_type, std::string_view payload);

struct EnvelopeSignature {
  std::string keyid;  // an unauthenticated hint; may be empty
  std::string sig;    // raw signature bytes
};

struct Envelope {
  std::string payload_type;
  std::string payload;  // raw bytes
  std::vector<EnvelopeSignature> signatures;
  // The fields parse_envelope read past, as paths ("cert", "signatures[1].cert"). They are not
  // serialized, so an envelope rewritten after parsing loses them; a caller that rewrites one
  // refuses to when this is not empty.
  std::vector<std::string> ignored_fields;
};

// Parses envelope JSON strictly: the three fields with the right types (unknown fields are
// ignored, as DSSE allows extensions, and listed in ignored_fields), no duplicate keys, payload
// and sigs in standard or URL-safe base64 (verifiers must accept both). Errors are malformed and
// say which field.
Result<Envelope> parse_envelope(std::string_view json);
// The envelope as canonical JSON with standard, padded base64 ("keyid" left out when empty).
// Fails only if the payload type is not valid UTF-8.
Result<std::string> serialize_envelope(const Envelope& envelope);

// Adds a signature over PAE(envelope) by each of `signers`, after the signatures already there and
// in the order given, so co-signing one key after another lists the signatures as signing with all
// of them at once would. Nothing is checked about the signatures already there, and they, the
// payload and the payload type are left as they are. Refuses (code already_exists) a signer whose
// key id is already on a signature, in any spelling, or repeats among `signers`; on any error the
// envelope is unchanged.
Result<void> add_signatures(Envelope& envelope, std::span<const Signer* const> signers);
// The largest envelope file read (an envelope carries its payload).
inline constexpr std::size_t max_envelope_file_size = std::size_t{64} << 20;

// Co-signs the envelope file at `path` as signers on different machines do, one after another:
// reads it, checks that its payload is `payload` (named `payload_name` in errors) and, unless
// `payload_type` is empty, that its type is `payload_type`; adds the signatures (add_signatures)
// and writes it back atomically (to `output` instead, when given). Refuses an envelope with fields
// Cairn does not keep, since rewriting would drop them. The read-modify-write holds an exclusive
// lock on the file, so two co-signers at the same moment both land; the second waits up to
// lock_options.wait for the first. Returns the envelope written.
Result<Envelope> cosign_file(const std::filesystem::path& path, std::string_view payload, std::string_view payload_name,
                             std::string_view payload_type, std::span<const Signer* const> signers,
                             const std::filesystem::path& output = {}, const FileLockOptions& lock_options = {});
// A new envelope for `payload`, signed by each of `signers` in order (see add_signatures).
Result<Envelope> sign(std::string_view payload_type, std::string payload, std::span<const Signer* const> signers);

// Verifies that at least `threshold` distinct pinned keys signed PAE(envelope), and that the
// payload type is one of `accepted_payload_types` (any type when the list is empty). A changed
// payloadType breaks every signature; an unaccepted one is refused by name.
Result<ThresholdReport> verify(const Envelope& envelope, const TrustedKeys& keys, std::size_t threshold,
                               std::span<const std::string> accepted_payload_types = {});

}  // namespace cairn::signing::dsse
