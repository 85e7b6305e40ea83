// The tlog-tiles layout: paths both ways, which tiles a growing tree writes, tile bytes, and
// entry bundles.
#include "cairn/registry/tiles.h"

#include "support/must.h"

#include <gtest/gtest.h>

namespace cairn::registry {
namespace {

using cairn::test_support::must;

TEST(Tiles, PathsAreTheC2spOnesAndParseBack) {
  EXPECT_EQ(tile_path({0, 1234067, 256, false}), "tile/0/x001/x234/067");
  EXPECT_EQ(tile_path({2, 0, 8, false}), "tile/2/000.p/8");
  EXPECT_EQ(tile_path({0, 1000, 256, true}), "tile/entries/x001/000");
  EXPECT_EQ(tile_path({0, 5, 3, true}), "tile/entries/005.p/3");
  for (Tile tile : {Tile{0, 1234067, 256, false}, Tile{63, 0, 1, false}, Tile{0, 999, 255, true},
                    Tile{1, 18446744073709551615u, 256, false}}) {
    EXPECT_EQ(must(parse_tile_path(tile_path(tile))), tile) << tile_path(tile);
  }
}

TEST(Tiles, RefusesEveryOtherPath) {
  for (const char* path :
       {"tile/0/1", "tile/0/0001", "tile/0/x000/001", "tile/0/001/002", "tile/0/x1/002", "tile/64/000", "tile/00/000",
        "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/08", "tile/0/000.p/", "tile/0/../000", "tile/0/000/",
        "tiles/0/000", "tile/entries/00a", "tile/0/x018/x446/x744/x073/x709/x551/616", "tile/0/"}) {
    EXPECT_FALSE(parse_tile_path(path).ok()) << path;
  }
}

TEST(Tiles, AGrowingTreeWritesOnlyNewOrWiderTiles) {
  EXPECT_EQ(tiles_of(0), std::vector<Tile>{});
  EXPECT_EQ(tiles_of(3), (std::vector<Tile>{{0, 0, 3, false}}));
  EXPECT_EQ(tiles_of(256), (std::vector<Tile>{{0, 0, 256, false}, {1, 0, 1, false}}));
  // 70000 leaves: 274 level-0 tiles (the last 112 wide), 2 of level 1 (256 and 17), 1 of level 2.
  std::vector<Tile> many = tiles_of(70000);
  ASSERT_EQ(many.size(), 274u + 2u + 1u);
  EXPECT_EQ(many[273], (Tile{0, 273, 112, false}));
  EXPECT_EQ(many[275], (Tile{1, 1, 17, false}));
  EXPECT_EQ(many[276], (Tile{2, 0, 1, false}));
  EXPECT_EQ(new_tiles(256, 300), (std::vector<Tile>{{0, 1, 44, false}}));
  EXPECT_EQ(new_tiles(300, 512), (std::vector<Tile>{{0, 1, 256, false}, {1, 0, 2, false}}));
  EXPECT_EQ(new_tiles(10, 10), std::vector<Tile>{});
}

TEST(Tiles, ATileHoldsItsNodesHashes) {
  MemoryTree tree;
  for (int i = 0; i < 600; ++i) tree.append(leaf_hash(std::to_string(i)));

  std::string level0 = must(tile_data(tree, {0, 2, 88, false}));
  std::string level1 = must(tile_data(tree, {1, 0, 2, false}));

  ASSERT_EQ(level0.size(), 88u * 32u);
  EXPECT_EQ(level0.substr(0, 32), std::string(reinterpret_cast<const char*>(leaf_hash("512").data()), 32));
  Hash first256 = must(tree_root(tree, 256));
  EXPECT_EQ(level1.substr(0, 32), std::string(reinterpret_cast<const char*>(first256.data()), 32));
  EXPECT_FALSE(tile_data(tree, {0, 2, 89, false}).ok());  // leaves the tree does not have
}

TEST(Tiles, EntryBundlesRoundTripAndRefuseGarbage) {
  std::vector<std::string> entries{"", "a", std::string(65535, 'x')};
  std::string bundle = must(entry_bundle(entries));
  EXPECT_EQ(bundle.substr(0, 5), std::string("\0\0\0\x01"
                                             "a",
                                             5));
  EXPECT_EQ(must(parse_entry_bundle(bundle)), entries);
  EXPECT_FALSE(entry_bundle(std::vector<std::string>{std::string(65536, 'x')}).ok());
  EXPECT_FALSE(parse_entry_bundle(std::string("\0", 1)).ok());
  EXPECT_FALSE(parse_entry_bundle(std::string("\0\x05"
                                              "abc",
                                              5))
                   .ok());
  std::string too_many;
  for (int i = 0; i < 257; ++i) too_many += std::string("\0\0", 2);
  EXPECT_FALSE(parse_entry_bundle(too_many).ok());
}

}  // namespace
}  // namespace cairn::registry
