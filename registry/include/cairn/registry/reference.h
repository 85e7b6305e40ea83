// References to artifacts in a registry, as `cairn publish` and `cairn pull` take them:
//   [http://|https://]HOST[:PORT]/NAME[:TAG|@DIGEST]
// HTTPS unless "http://" is written out. HOST is a DNS name, an IPv4 address or a bracketed IPv6
// address; NAME, TAG and DIGEST follow oci.h. Parsing is strict: anything else is refused with a
// message that says which part is wrong.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <optional>
#include <string>
#include <string_view>

namespace cairn::registry {

struct Reference {
  bool plain_http = false;  // "http://" was written
  std::string host;         // "registry.example.org", "127.0.0.1:5000", "[::1]:5000"
  std::string repository;   // "cairn/udp-echo"
  std::optional<std::string> tag;
  std::optional<Digest> digest;

  // "https://HOST" (or "http://HOST"): where the registry's API is.
  std::string base_url() const;
  // The reference written back ("http://" kept; a digest wins over a tag).
  std::string to_string() const;
  // "HOST/NAME@sha256:…": this artifact pinned to `digest`.
  std::string with_digest(const Digest& digest) const;
};

Result<Reference> parse_reference(std::string_view text);

}  // namespace cairn::registry
