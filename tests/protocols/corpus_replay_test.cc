// The fuzz corpora (tests/fuzz/corpus/<target>/) replayed through the fuzz targets in every build,
// g++ included: the seeds and every input a fuzzer once crashed on stay regression tests.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz_targets.h"

namespace cairn::fuzz {
namespace {

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(CorpusReplayTest, EveryTargetRunsItsWholeCorpusWithoutCrashing) {
  for (const Target& target : targets) {
    std::filesystem::path folder = std::filesystem::path(CAIRN_FUZZ_CORPUS_DIR) / target.name;
    ASSERT_TRUE(std::filesystem::is_directory(folder)) << folder;
    size_t inputs = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
      std::vector<std::uint8_t> input = read_file(entry.path());
      SCOPED_TRACE(entry.path().string());
      EXPECT_EQ(target.run(input.data(), input.size()), 0);
      ++inputs;
    }
    EXPECT_GT(inputs, 0u) << target.name << " has no seeds";
  }
}

TEST(CorpusReplayTest, TargetsTakeEmptyAndTinyInputs) {
  const std::uint8_t byte = 0xff;
  for (const Target& target : targets) {
    EXPECT_EQ(target.run(nullptr, 0), 0) << target.name;
    EXPECT_EQ(target.run(&byte, 1), 0) << target.name;
  }
}

}  // namespace
}  // namespace cairn::fuzz
