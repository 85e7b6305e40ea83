// libFuzzer's entry point for one target, chosen at compile time (CAIRN_FUZZ_TARGET): a protocol
// target (fuzz_targets.h) or a host one (host_fuzz_targets.h).
#include "fuzz_targets.h"
#include "host_fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return cairn::fuzz::CAIRN_FUZZ_TARGET(data, size);
}
