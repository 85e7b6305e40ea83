// The explanation of two builds that differ: an image against itself, against a copy with one
// byte of .rodata changed (named by section), against a copy cut short and against random damage
// (never a crash, never a read outside the file), and two files that are not ELF.
#include "cairn/core/file.h"
#include "cairn/reproducibility/binary_diff.h"

#include "support/must.h"

#include <gtest/gtest.h>

#include <random>

namespace cairn::reproducibility {
namespace {

using cairn::test_support::must;
namespace fs = std::filesystem;

fs::path built_hello() { return fs::path(CAIRN_BIN_DIR).parent_path() / "images" / "hello.spt"; }

class BinaryDiff : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& bytes) {
    fs::path path = directory.path() / name;
    must(write_file_atomically(path, bytes));
    return path;
  }
  std::string image = must(read_file(built_hello(), 1 << 24));
  TemporaryDirectory directory = must(TemporaryDirectory::create("cairn-binary-diff-"));
};

TEST_F(BinaryDiff, AnImageAgainstItselfIsIdentical) {
  fs::path a = write("a.spt", image);
  BinaryDifference difference = must(compare_binaries(a, built_hello()));
  EXPECT_TRUE(difference.identical());
  EXPECT_EQ(describe(difference), std::vector<std::string>{"identical"});
}

TEST_F(BinaryDiff, AChangedGreetingIsFoundInRodata) {
  std::size_t at = image.find("Hello from Cairn");
  ASSERT_NE(at, std::string::npos);
  std::string changed = image;
  changed[at] = 'J';
  BinaryDifference difference = must(compare_binaries(built_hello(), write("changed.spt", changed)));
  ASSERT_FALSE(difference.identical());
  EXPECT_TRUE(difference.elf);
  EXPECT_EQ(difference.differing_bytes, 1u);
  EXPECT_EQ(difference.first_difference, at);
  ASSERT_EQ(difference.sections.size(), 1u);
  EXPECT_EQ(difference.sections[0].name, ".rodata");
  EXPECT_EQ(difference.sections[0].differing_bytes, 1u);
  EXPECT_TRUE(difference.symbols.empty());
  std::vector<std::string> lines = describe(difference);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[1], fmt::format("section .rodata: 1 bytes differ (size {0} -> {0})", *difference.sections[0].size_a));
}

TEST_F(BinaryDiff, DamagedFilesAreComparedNeverOverread) {
  BinaryDifference cut = must(compare_binaries(built_hello(), write("cut.spt", image.substr(0, image.size() / 2))));
  EXPECT_FALSE(cut.identical());
  EXPECT_FALSE(cut.elf);  // its section headers are gone
  EXPECT_NE(cut.not_elf.find("section headers outside the file"), std::string::npos) << cut.not_elf;
  std::mt19937 random(5);
  for (int round = 0; round < 150; ++round) {
    std::string damaged = image;
    for (int flips = 0; flips < 1 + round % 16; ++flips) {
      // Aim at the headers half of the time: that is where the offsets and sizes are.
      std::size_t at = round % 2 == 0 ? random() % 64 : random() % damaged.size();
      damaged[at] = static_cast<char>(random());
    }
    if (round % 3 == 0) {
      std::size_t headers = damaged.size() - 12 * 64;  // hello's section headers are at the end
      for (int flips = 0; flips < 8; ++flips) damaged[headers + random() % (12 * 64)] = static_cast<char>(random());
    }
    auto difference = compare_binaries(built_hello(), write("damaged.spt", damaged));
    ASSERT_TRUE(difference.ok()) << difference.error().message();
    static_cast<void>(describe(*difference));
  }
}

TEST_F(BinaryDiff, FilesThatAreNotElfAreComparedAsBytes) {
  BinaryDifference difference = must(compare_binaries(write("a.txt", "hello world\n"), write("b.txt", "hello there\n")));
  EXPECT_FALSE(difference.elf);
  EXPECT_EQ(difference.first_difference, 6u);
  EXPECT_EQ(difference.differing_bytes, 5u);
  EXPECT_NE(difference.not_elf.find("no ELF header"), std::string::npos);
}

}  // namespace
}  // namespace cairn::reproducibility
