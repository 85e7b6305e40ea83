// Threshold verification: "at least M distinct pinned keys signed these bytes".
//
// Keys are counted, not signatures: two signatures by one key, or by two subkeys of one OpenPGP
// key, count once. A signature that does not verify does not count and is reported with its
// reason; a signature record that cannot even be read (unknown method, bad base64) fails the
// whole check earlier, when the records are parsed (see signatures_from_json).
#pragma once

#include "cairn/core/result.h"
#include "cairn/signing/signer.h"
#include "cairn/signing/trusted_keys.h"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::signing {

struct ThresholdReport {
  std::vector<VerifiedSignature> signers;   // the distinct pinned keys that signed, in order found
  std::vector<SignatureCheck> not_counted;  // every other signature, each with why it did not count
};

// Succeeds when at least `threshold` distinct keys of `keys` made a good signature over `data`.
// Otherwise refused, naming every key and reason:
// "threshold not met: 1 of 2 required keys signed (sha256:ab…: bad signature; 7F3A…: unknown key)".
// A threshold of 0, or one larger than the number of pinned keys, is an invalid_argument.
Result<ThresholdReport> verify_threshold(std::string_view data, std::span<const Signature> signatures,
                                         const TrustedKeys& keys, std::size_t threshold);

// The same over checks already made (DSSE uses it after choosing each signature's method).
Result<ThresholdReport> count_threshold(std::vector<SignatureCheck> checks, const TrustedKeys& keys,
                                        std::size_t threshold);

}  // namespace cairn::signing
