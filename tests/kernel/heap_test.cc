// The kernel's heap allocator, run over an ordinary array on the host.
#include "cairn/runtime/heap.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <vector>

namespace cairn::runtime {
namespace {

class HeapTest : public ::testing::Test {
 protected:
  void SetUp() override { heap_.initialize(memory_.data(), memory_.size()); }

  bool inside(const void* block, size_t size) const {
    auto address = reinterpret_cast<uintptr_t>(block);
    auto start = reinterpret_cast<uintptr_t>(memory_.data());
    return address >= start && address + size <= start + memory_.size();
  }

  alignas(64) std::vector<unsigned char> memory_ = std::vector<unsigned char>(1 << 20);
  Heap heap_;
};

TEST_F(HeapTest, FreshHeapIsOneFreeRegion) {
  EXPECT_EQ(heap_.free_region_count(), 1u);
  EXPECT_EQ(heap_.bytes_in_use(), 0u);
  EXPECT_GT(heap_.capacity(), (1u << 20) - 32);
}

TEST_F(HeapTest, AllocatesAlignedBlocksInsideTheRegion) {
  for (size_t size : {1, 7, 16, 100, 4096, 70000}) {
    void* block = heap_.allocate(size);
    ASSERT_NE(block, nullptr) << size;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % Heap::alignment, 0u);
    EXPECT_TRUE(inside(block, size));
    std::memset(block, 0xab, size);
  }
}

TEST_F(HeapTest, HonoursLargerAlignments) {
  for (size_t align : {32, 64, 256, 4096}) {
    void* block = heap_.allocate(24, align);
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % align, 0u) << align;
  }
  EXPECT_EQ(heap_.allocate(16, 48), nullptr);  // not a power of two
}

TEST_F(HeapTest, ZeroSizedAllocationsAreDistinct) {
  void* a = heap_.allocate(0);
  void* b = heap_.allocate(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
}

TEST_F(HeapTest, ReturnsNullWhenNothingFits) {
  EXPECT_EQ(heap_.allocate(heap_.capacity() + 1), nullptr);
  EXPECT_EQ(heap_.allocate(SIZE_MAX), nullptr);
  void* most = heap_.allocate(heap_.capacity() - 64);
  ASSERT_NE(most, nullptr);
  EXPECT_EQ(heap_.allocate(1024), nullptr);
  heap_.release(most);
  EXPECT_NE(heap_.allocate(1024), nullptr);
}

TEST_F(HeapTest, ReleasingEverythingMergesBackIntoOneRegion) {
  std::vector<void*> blocks;
  for (int i = 0; i < 500; ++i) blocks.push_back(heap_.allocate(static_cast<size_t>(16 + (i * 37) % 900)));
  std::mt19937 random(7);
  std::shuffle(blocks.begin(), blocks.end(), random);
  for (void* block : blocks) heap_.release(block);
  EXPECT_EQ(heap_.bytes_in_use(), 0u);
  EXPECT_EQ(heap_.free_region_count(), 1u);
  // And the whole region is usable again in one piece.
  EXPECT_NE(heap_.allocate(heap_.capacity() - 64), nullptr);
}

TEST_F(HeapTest, CountsBytesInUseAndThePeak) {
  void* a = heap_.allocate(1000);
  size_t after_one = heap_.bytes_in_use();
  EXPECT_GE(after_one, 1000u);
  void* b = heap_.allocate(5000);
  size_t peak = heap_.bytes_in_use();
  heap_.release(b);
  EXPECT_EQ(heap_.bytes_in_use(), after_one);
  EXPECT_EQ(heap_.peak_bytes_in_use(), peak);
  heap_.release(a);
  EXPECT_EQ(heap_.bytes_in_use(), 0u);
  EXPECT_EQ(heap_.peak_bytes_in_use(), peak);
}

TEST_F(HeapTest, ReleaseOfNullIsIgnored) {
  heap_.release(nullptr);
  EXPECT_EQ(heap_.bytes_in_use(), 0u);
}

// 100,000 random allocations and releases against a model: live blocks never overlap, their
// contents survive other operations, and the counters agree.
TEST_F(HeapTest, RandomWorkloadKeepsBlocksDisjointAndIntact) {
  std::mt19937 random(42);
  std::map<uintptr_t, std::pair<size_t, unsigned char>> live;  // address -> (size, fill byte)
  for (int step = 0; step < 100000; ++step) {
    bool allocate = live.empty() || random() % 100 < 55;
    if (allocate) {
      size_t size = random() % 4 == 0 ? random() % 8000 : random() % 200;
      size_t align = size_t{16} << (random() % 4);
      void* block = heap_.allocate(size, align);
      if (block == nullptr) continue;  // full: fine, releases will follow
      auto address = reinterpret_cast<uintptr_t>(block);
      ASSERT_EQ(address % align, 0u);
      ASSERT_TRUE(inside(block, size));
      auto after = live.lower_bound(address);
      if (after != live.end()) {
        ASSERT_LE(address + size, after->first);
      }
      if (after != live.begin()) {
        auto before = std::prev(after);
        ASSERT_LE(before->first + before->second.first, address);
      }
      auto fill = static_cast<unsigned char>(random());
      std::memset(block, fill, size);
      live[address] = {size, fill};
    } else {
      auto victim = live.begin();
      std::advance(victim, static_cast<long>(random() % live.size()));
      const auto* bytes = reinterpret_cast<const unsigned char*>(victim->first);
      for (size_t i = 0; i < victim->second.first; ++i) ASSERT_EQ(bytes[i], victim->second.second);
      heap_.release(reinterpret_cast<void*>(victim->first));
      live.erase(victim);
    }
  }
  for (auto& [address, block] : live) heap_.release(reinterpret_cast<void*>(address));
  EXPECT_EQ(heap_.bytes_in_use(), 0u);
  EXPECT_EQ(heap_.free_region_count(), 1u);
}

}  // namespace
}  // namespace cairn::runtime
