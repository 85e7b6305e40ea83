// Differential testing of protocols/http's request parser against Node's http-parser 2.9 (Debian's
// libhttp-parser): the same bytes go to both, and what both accept must mean the same thing.
//
// For an input both accept (up to where either stops: end of input, a refusal, a message after
// which the connection closes, CONNECT or Upgrade), the completed messages must agree on method,
// target, header names and values (after http-parser's own whitespace treatment), body bytes and
// their number. An input only one side refuses is no failure: it is classified ("ours 400
// obsolete_line_folding / theirs accepted") for the summary that protocols/README.md explains.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cairn::fuzz {

struct HttpComparison {
  bool violation = false;   // both accepted, and they disagree: a bug in one of them
  std::string explanation;  // what disagreed, for a violation
  std::string refusal;      // the class of a one-sided (or two-sided) refusal; empty when none
};

// Feeds `data` to both parsers as one stream and compares what they saw.
HttpComparison compare_http_parsers(const std::uint8_t* data, std::size_t size);

}  // namespace cairn::fuzz
