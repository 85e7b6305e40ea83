// The log published as C2SP tlog-tiles: static, immutable files that any web server or bucket can
// serve, from which a client computes every proof itself.
//
// Tiles have height 8: tile (L, N) holds, as 32-byte hashes, the roots of the complete subtrees
// of height 8·L numbered N·256 to N·256+W−1, W hashes in all (1..256; a tile with W < 256 is
// partial, the rightmost of its level, and is replaced by a wider one as the tree grows). Paths:
//   tile/<L>/<N>[.p/<W>]         hash tiles
//   tile/entries/<N>[.p/<W>]     entry bundles: the entries of leaves N·256.., each a big-endian
//                                16-bit length and its bytes
// where <N> is written in groups of three digits, all but the last prefixed with 'x'
// (1234067 -> x001/x234/067).
#pragma once

#include "cairn/core/result.h"
#include "cairn/registry/merkle.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::registry {

inline constexpr unsigned tile_height = 8;
inline constexpr std::uint64_t tile_width = 256;
inline constexpr std::size_t max_entry_size = 65535;

struct Tile {
  unsigned level = 0;  // 0..63
  std::uint64_t index = 0;
  unsigned width = tile_width;  // 1..256
  bool entries = false;         // an entry bundle (level 0) rather than hashes

  bool operator==(const Tile&) const = default;
};

std::string tile_path(const Tile& tile);
// Parses a path of either kind, as a request names it (untrusted): strict digits, groups and
// widths, nothing after.
Result<Tile> parse_tile_path(std::string_view path);

// The hash tiles of a tree of `size` leaves, level by level.
std::vector<Tile> tiles_of(std::uint64_t size);
// The hash tiles that are new or wider in a tree of `new_size` leaves than in one of `old_size`.
std::vector<Tile> new_tiles(std::uint64_t old_size, std::uint64_t new_size);
// The bytes of a hash tile.
Result<std::string> tile_data(const NodeSource& nodes, const Tile& tile);

Result<std::string> entry_bundle(std::span<const std::string> entries);
Result<std::vector<std::string>> parse_entry_bundle(std::string_view data);

}  // namespace cairn::registry
