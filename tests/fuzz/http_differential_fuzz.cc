// fuzz_http_differential: libFuzzer's entry for the HTTP differential comparison
// (http_differential.h). An input both parsers accept and read differently stops the fuzzer.
#include <cstdio>
#include <cstdlib>

#include "http_differential.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cairn::fuzz::HttpComparison comparison = cairn::fuzz::compare_http_parsers(data, size);
  if (comparison.violation) {
    std::fprintf(stderr, "http parsers disagree: %s\n", comparison.explanation.c_str());
    std::abort();
  }
  return 0;
}
