// In-process throughput of Digest (SHA-256/512 through OpenSSL EVP) and of the tree hash.
// Whole-process comparisons with sha256sum and openssl are in foundation.sh.
#include "cairn/core/digest.h"
#include "cairn/core/tree.h"

#include <benchmark/benchmark.h>

#include <vector>

namespace {

void hash_buffer(benchmark::State& state, cairn::DigestAlgorithm algorithm) {
  std::vector<std::byte> buffer(static_cast<std::size_t>(state.range(0)), std::byte{0x5a});
  cairn::Hasher hasher(algorithm);
  for (auto _ : state) {
    hasher.update(buffer);
    benchmark::DoNotOptimize(hasher.finish());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_Sha256(benchmark::State& state) { hash_buffer(state, cairn::DigestAlgorithm::sha256); }
void BM_Sha512(benchmark::State& state) { hash_buffer(state, cairn::DigestAlgorithm::sha512); }
BENCHMARK(BM_Sha256)->Arg(64)->Arg(4096)->Arg(1 << 20);
BENCHMARK(BM_Sha512)->Arg(64)->Arg(4096)->Arg(1 << 20);

// The tree hash of /usr/include with a warm page cache: directory walk, stat, open and hash.
void BM_TreeHashUsrInclude(benchmark::State& state) {
  for (auto _ : state) {
    auto digest = cairn::hash_tree("/usr/include");
    if (!digest.ok()) {
      state.SkipWithError(digest.error().message().c_str());
      return;
    }
    benchmark::DoNotOptimize(digest);
  }
}
BENCHMARK(BM_TreeHashUsrInclude)->Unit(benchmark::kMillisecond);

}  // namespace
