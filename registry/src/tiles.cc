// tlog-tiles paths, tiles and entry bundles (see tiles.h).
#include "cairn/registry/tiles.h"

#include <charconv>

namespace cairn::registry {

namespace {

std::string encode_index(std::uint64_t index) {
  std::vector<unsigned> groups;
  do {
    groups.push_back(static_cast<unsigned>(index % 1000));
    index /= 1000;
  } while (index > 0);
  std::string text;
  for (std::size_t i = groups.size(); i-- > 0;) {
    text += fmt::format("{}{:03}", i > 0 ? "x" : "", groups[i]);
    if (i > 0) text.push_back('/');
  }
  return text;
}

Error bad_path(std::string_view path, std::string_view why) {
  return make_error(ErrorCode::malformed, "tile path '{}': {}", path, why);
}

bool parse_decimal(std::string_view text, std::uint64_t& value) {
  if (text.empty() || text.size() > 19) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string tile_path(const Tile& tile) {
  std::string path = tile.entries ? "tile/entries/" : fmt::format("tile/{}/", tile.level);
  path += encode_index(tile.index);
  if (tile.width < tile_width) path += fmt::format(".p/{}", tile.width);
  return path;
}

Result<Tile> parse_tile_path(std::string_view path) {
  std::string_view rest = path;
  if (!rest.starts_with("tile/")) return bad_path(path, "does not start with tile/");
  rest.remove_prefix(5);
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return bad_path(path, "no index");
  Tile tile;
  std::string_view level = rest.substr(0, slash);
  if (level == "entries") {
    tile.entries = true;
  } else {
    std::uint64_t value = 0;
    if (level.size() > 2 || (level.size() == 2 && level[0] == '0') || !parse_decimal(level, value) || value > 63) {
      return bad_path(path, "the level is not 0..63");
    }
    tile.level = static_cast<unsigned>(value);
  }
  rest.remove_prefix(slash + 1);
  std::string_view width;
  if (std::size_t partial = rest.find(".p/"); partial != std::string_view::npos) {
    width = rest.substr(partial + 3);
    rest = rest.substr(0, partial);
    std::uint64_t value = 0;
    if (width.empty() || width[0] == '0' || !parse_decimal(width, value) || value >= tile_width) {
      return bad_path(path, "a partial width is not 1..255");
    }
    tile.width = static_cast<unsigned>(value);
  }
  // Groups of three digits; all but the last start with 'x'; the first is not x000.
  std::uint64_t index = 0;
  bool first = true;
  while (true) {
    std::size_t end = rest.find('/');
    std::string_view group = rest.substr(0, end);
    bool last = end == std::string_view::npos;
    if (!last) {
      if (!group.starts_with('x')) return bad_path(path, "an index group before the last lacks its x");
      group.remove_prefix(1);
    }
    std::uint64_t value = 0;
    if (group.size() != 3 || group.find_first_not_of("0123456789") != std::string_view::npos ||
        !parse_decimal(group, value)) {
      return bad_path(path, "an index group is not three digits");
    }
    if (first && !last && value == 0) return bad_path(path, "the index has a leading x000 group");
    if (index > (UINT64_MAX - value) / 1000) return bad_path(path, "the index is out of range");
    index = index * 1000 + value;
    first = false;
    if (last) break;
    rest.remove_prefix(end + 1);
  }
  tile.index = index;
  return tile;
}

std::vector<Tile> tiles_of(std::uint64_t size) {
  return new_tiles(0, size);
}

std::vector<Tile> new_tiles(std::uint64_t old_size, std::uint64_t new_size) {
  std::vector<Tile> tiles;
  for (unsigned level = 0; level < 64 && level * tile_height < 64; ++level) {
    unsigned shift = level * tile_height;
    std::uint64_t old_count = old_size >> shift, new_count = new_size >> shift;  // nodes at height 8·level
    if (new_count == 0) break;
    if (new_count == old_count) continue;
    for (std::uint64_t index = old_count / tile_width; index * tile_width < new_count; ++index) {
      std::uint64_t width = std::min<std::uint64_t>(tile_width, new_count - index * tile_width);
      tiles.push_back({level, index, static_cast<unsigned>(width), false});
    }
  }
  return tiles;
}

Result<std::string> tile_data(const NodeSource& nodes, const Tile& tile) {
  if (tile.entries) return make_error(ErrorCode::invalid_argument, "an entry bundle holds no hashes");
  std::string data;
  data.reserve(std::size_t{tile.width} * sizeof(Hash));
  for (std::uint64_t i = 0; i < tile.width; ++i) {
    Hash hash = CAIRN_TRY(nodes.node(tile.level * tile_height, tile.index * tile_width + i));
    data.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  }
  return data;
}

Result<std::string> entry_bundle(std::span<const std::string> entries) {
  if (entries.size() > tile_width) {
    return make_error(ErrorCode::invalid_argument, "{} entries in one bundle (at most 256)", entries.size());
  }
  std::string data;
  for (const auto& entry : entries) {
    if (entry.size() > max_entry_size) {
      return make_error(ErrorCode::limit_exceeded, "an entry of {} bytes (at most 65535)", entry.size());
    }
    data.push_back(static_cast<char>(entry.size() >> 8));
    data.push_back(static_cast<char>(entry.size() & 0xff));
    data += entry;
  }
  return data;
}

Result<std::vector<std::string>> parse_entry_bundle(std::string_view data) {
  std::vector<std::string> entries;
  while (!data.empty()) {
    if (entries.size() == tile_width) return make_error(ErrorCode::malformed, "entry bundle: more than 256 entries");
    if (data.size() < 2) return make_error(ErrorCode::malformed, "entry bundle: a length cut short");
    std::size_t length = std::size_t{static_cast<unsigned char>(data[0])} << 8 | static_cast<unsigned char>(data[1]);
    if (data.size() - 2 < length) {
      return make_error(ErrorCode::malformed, "entry bundle: entry {} says {} bytes, {} remain", entries.size(), length,
                        data.size() - 2);
    }
    entries.emplace_back(data.substr(2, length));
    data.remove_prefix(2 + length);
  }
  return entries;
}

}  // namespace cairn::registry
