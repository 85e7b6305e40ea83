// The transparency log on disk (registry/log.h): appends per second in batches of 1, 64 and 1,024
// entries (each batch writes and syncs its tiles and a signed checkpoint), and inclusion and
// consistency proofs read from the tiles of a log of 1,000,000 entries (made once, in batches of
// 4,096). Entries are 200 bytes, about the size of a publish record.
#include "cairn/core/file.h"
#include "cairn/registry/log.h"

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace cairn;
using namespace cairn::registry;

template <typename T>
T must(Result<T> result) {
  if (!result.ok()) fatal(result.error().message());
  return std::move(result).value();
}

signing::Ed25519PrivateKey log_key() {
  return must(signing::Ed25519PrivateKey::from_seed(std::string(32, 'k')));
}

std::string entry(std::uint64_t i) {
  std::string text = "{\"repository\":\"example/app\",\"digest\":\"sha256:" + std::to_string(i) + "\"}";
  text.resize(200, ' ');
  return text;
}

void BM_LogAppend(benchmark::State& state) {
  TemporaryDirectory scratch = must(TemporaryDirectory::create("cairn-log-bench-"));
  auto log = must(TransparencyLog::open(scratch.path() / "log", "example.org/log", log_key()));
  auto batch = static_cast<std::uint64_t>(state.range(0));
  std::uint64_t next = 0;
  for (auto _ : state) {
    std::vector<std::string> entries;
    for (std::uint64_t i = 0; i < batch; ++i) entries.push_back(entry(next++));
    must(log->append(entries));
  }
  state.counters["entries/s"] = benchmark::Counter(static_cast<double>(next), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LogAppend)->Arg(1)->Arg(64)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);

// One log of a million entries, shared by the proof benchmarks.
TransparencyLog& million() {
  static TemporaryDirectory scratch = must(TemporaryDirectory::create("cairn-log-bench-"));
  static std::unique_ptr<TransparencyLog> log = [] {
    auto made = must(TransparencyLog::open(scratch.path() / "log", "example.org/log", log_key()));
    std::uint64_t next = 0;
    while (next < 1'000'000) {
      std::vector<std::string> entries;
      for (int i = 0; i < 4096 && next < 1'000'000; ++i) entries.push_back(entry(next++));
      must(made->append(entries));
    }
    return made;
  }();
  return *log;
}

void BM_InclusionProofAtAMillion(benchmark::State& state) {
  TransparencyLog& log = million();
  std::uint64_t index = 0;
  for (auto _ : state) {
    index = (index + 7919) % log.size();
    benchmark::DoNotOptimize(must(log.inclusion_proof(index, log.size())));
  }
}
BENCHMARK(BM_InclusionProofAtAMillion)->Unit(benchmark::kMicrosecond);

void BM_FindAndProveAtAMillion(benchmark::State& state) {
  TransparencyLog& log = million();
  std::uint64_t index = 0;
  for (auto _ : state) {
    index = (index + 7919) % log.size();
    auto found = must(log.find(leaf_hash(entry(index))));
    benchmark::DoNotOptimize(must(log.inclusion_proof(*found, log.size())));
  }
}
BENCHMARK(BM_FindAndProveAtAMillion)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProofAtAMillion(benchmark::State& state) {
  TransparencyLog& log = million();
  std::uint64_t old_size = 1;
  for (auto _ : state) {
    old_size = (old_size + 104729) % log.size() + 1;
    benchmark::DoNotOptimize(must(log.consistency_proof(old_size, log.size())));
  }
}
BENCHMARK(BM_ConsistencyProofAtAMillion)->Unit(benchmark::kMicrosecond);

}  // namespace
