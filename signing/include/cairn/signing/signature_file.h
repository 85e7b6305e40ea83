// Signature files as users hand them to `cairn verify-signature`, recognised by their content,
// never by their name:
//   - a DSSE envelope (JSON, see dsse.h), verified on its own and whose payload is the signed file;
//   - an OpenPGP detached signature, binary (what `gpg --detach-sign` writes) or armored;
//   - 64 raw bytes: an Ed25519 signature (what `openssl pkeyutl -sign -rawin` writes).
// A raw Ed25519 signature is arbitrary bytes and may begin with '{' or with what looks like an
// OpenPGP packet header, so exactly 64 bytes with an Ed25519 key pinned are always taken for one:
// no OpenPGP signature is that short (an EdDSA one has at least 78 bytes) and no useful envelope
// either.
#pragma once

#include "cairn/core/result.h"
#include "cairn/signing/threshold.h"
#include "cairn/signing/trusted_keys.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::signing {

enum class SignatureFileKind { dsse_envelope, openpgp, ed25519 };

// "a DSSE envelope", "an OpenPGP signature", "a raw Ed25519 signature": what a file was taken for.
std::string_view describe(SignatureFileKind kind);

// What `content` holds, by the rules above; `ed25519_pinned` says whether an Ed25519 key is
// among the keys it will be checked against. Content that is none of them is malformed.
Result<SignatureFileKind> recognize_signature_file(std::string_view content, bool ed25519_pinned);

struct SignatureFile {
  std::string name;  // for messages
  std::string content;
};

struct SignatureFilesReport {
  ThresholdReport threshold;
  std::vector<SignatureFileKind> kinds;  // what each file was taken for, in order
};

// Checks that at least `threshold` distinct pinned keys signed `data` (named `data_name` in
// errors), by detached signature files (any number, of either method) or by one DSSE envelope
// whose payload must be `data` and whose type must be `payload_type` unless that is empty.
// Errors name the file and what it was taken for: "data.sig (a raw Ed25519 signature): …".
Result<SignatureFilesReport> verify_signature_files(std::string_view data, std::string_view data_name,
                                                    const std::vector<SignatureFile>& files, const TrustedKeys& keys,
                                                    std::size_t threshold, std::string_view payload_type = {});

}  // namespace cairn::signing
