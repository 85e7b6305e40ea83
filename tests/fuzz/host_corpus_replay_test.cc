// The host fuzz corpora (tests/fuzz/corpus/<target>/) replayed through the host fuzz targets in
// every build, g++ included: the seeds and every input a fuzzer once broke an invariant with stay
// regression tests (a broken invariant aborts the test with its message). Seeds named seed-* are
// real inputs made by the real tools (make_host_corpus.py): each must be accepted by the reader
// under test, so that the fuzzers start from inputs that reach past the first check; refused-*
// are hostile or broken inputs it must refuse.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "host_fuzz_support.h"
#include "host_fuzz_targets.h"

namespace cairn::fuzz {
namespace {

std::vector<std::uint8_t> read_input(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(HostCorpusReplayTest, EveryTargetRunsItsWholeCorpusKeepingItsInvariants) {
  for (const Target& target : host_targets) {
    std::filesystem::path folder = std::filesystem::path(CAIRN_FUZZ_CORPUS_DIR) / target.name;
    ASSERT_TRUE(std::filesystem::is_directory(folder)) << folder;
    std::size_t seeds = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
      std::vector<std::uint8_t> input = read_input(entry.path());
      SCOPED_TRACE(entry.path().string());
      EXPECT_EQ(target.run(input.data(), input.size()), 0);
      std::string name = entry.path().filename().string();
      if (name.starts_with("seed-")) {
        EXPECT_TRUE(last_input_accepted()) << "the reader under " << target.name << " refuses a seed";
        ++seeds;
      }
      if (name.starts_with("refused-")) {
        EXPECT_FALSE(last_input_accepted()) << "the reader under " << target.name << " accepts a hostile input";
      }
    }
    EXPECT_GT(seeds, 0u) << target.name << " has no accepted seeds";
  }
}

TEST(HostCorpusReplayTest, TargetsTakeEmptyAndTinyInputs) {
  const std::uint8_t byte = 0xff;
  for (const Target& target : host_targets) {
    EXPECT_EQ(target.run(nullptr, 0), 0) << target.name;
    EXPECT_EQ(target.run(&byte, 1), 0) << target.name;
  }
}

}  // namespace
}  // namespace cairn::fuzz
