// TCP segments (segment.h).
#include "cairn/protocols/tcp/segment.h"

#include "cairn/protocols/common/checksum.h"

namespace cairn::protocols::tcp {

namespace {

enum OptionKind : uint8_t {
  end_of_list = 0,
  no_operation = 1,
  maximum_segment_size = 2,
  window_scale = 3,
  sack_permitted = 4,
  sack = 5,
  timestamps = 8,
};

Checksum pseudo_header(Ipv4Address source, Ipv4Address destination, size_t tcp_length) {
  Checksum sum;
  sum.add32(source.value);
  sum.add32(destination.value);
  sum.add16(protocol_number);
  sum.add16(static_cast<uint16_t>(tcp_length));
  return sum;
}

// Reads the options area; bad_format for a length that contradicts its kind or the area.
Status parse_options(ByteView area, Options& options) {
  size_t at = 0;
  while (at < area.size()) {
    uint8_t kind = area[at];
    if (kind == end_of_list) break;
    if (kind == no_operation) {
      ++at;
      continue;
    }
    if (at + 1 >= area.size()) return Error::bad_format;
    uint8_t length = area[at + 1];
    if (length < 2 || at + length > area.size()) return Error::bad_format;
    const uint8_t* value = area.data() + at + 2;
    switch (kind) {
      case maximum_segment_size:
        if (length != 4) return Error::bad_format;
        options.has_mss = true;
        options.mss = load_be16(value);
        break;
      case window_scale:
        if (length != 3) return Error::bad_format;
        options.has_window_scale = true;
        options.window_scale = value[0];
        break;
      case sack_permitted:
        if (length != 2) return Error::bad_format;
        options.sack_permitted = true;
        break;
      case sack: {
        if ((length - 2) % 8 != 0 || length == 2) return Error::bad_format;
        size_t blocks = (length - 2) / 8;
        options.sack_count = 0;
        for (size_t i = 0; i < blocks && i < max_sack_blocks; ++i) {
          options.sack[i] = {load_be32(value + 8 * i), load_be32(value + 8 * i + 4)};
          ++options.sack_count;
        }
        break;
      }
      case timestamps:
        if (length != 10) return Error::bad_format;
        options.has_timestamps = true;
        options.timestamp_value = load_be32(value);
        options.timestamp_echo = load_be32(value + 4);
        break;
      default: break;  // unknown kinds are skipped by their length (RFC 9293 3.2)
    }
    at += length;
  }
  return {};
}

}  // namespace

Result<Segment> parse(ByteView bytes, Ipv4Address source, Ipv4Address destination) {
  if (bytes.size() < header_size) return Error::truncated;
  const uint8_t* p = bytes.data();
  size_t data_offset = static_cast<size_t>(p[12] >> 4) * 4;
  if (data_offset < header_size || data_offset > bytes.size()) return Error::bad_header_length;
  if (bytes.size() > 0xffff) return Error::bad_length;

  Checksum sum = pseudo_header(source, destination, bytes.size());
  sum.add(bytes);
  if (sum.finish() != 0) return Error::bad_checksum;

  Segment segment;
  segment.source_port = load_be16(p);
  segment.destination_port = load_be16(p + 2);
  segment.sequence = load_be32(p + 4);
  segment.acknowledgment = load_be32(p + 8);
  segment.flags = p[13];
  segment.window = load_be16(p + 14);
  segment.urgent = load_be16(p + 18);
  if (Status options = parse_options(bytes.subspan(header_size, data_offset - header_size), segment.options); !options)
    return options.error();
  segment.payload = bytes.subspan(data_offset);
  return segment;
}

size_t header_size_for(const Options& options) {
  size_t size = header_size;
  if (options.has_mss) size += 4;
  if (options.has_timestamps)
    size += 12;  // NOP NOP TS, or SACK-permitted TS
  else if (options.sack_permitted)
    size += 4;
  if (options.has_window_scale) size += 4;
  size_t room = (max_header_size - size - 4) / 8;  // SACK: NOP NOP kind length, 8 per block
  size_t blocks = options.sack_count < room ? options.sack_count : room;
  if (blocks > 0) size += 4 + 8 * blocks;
  return size;
}

size_t write_header(uint8_t* out, const Segment& segment, Ipv4Address source, Ipv4Address destination) {
  const Options& options = segment.options;
  size_t size = header_size_for(options);
  store_be16(out, segment.source_port);
  store_be16(out + 2, segment.destination_port);
  store_be32(out + 4, segment.sequence);
  store_be32(out + 8, segment.acknowledgment);
  out[12] = static_cast<uint8_t>(size / 4 << 4);
  out[13] = segment.flags;
  store_be16(out + 14, segment.window);
  store_be16(out + 16, 0);
  store_be16(out + 18, segment.urgent);

  uint8_t* at = out + header_size;
  if (options.has_mss) {
    at[0] = maximum_segment_size;
    at[1] = 4;
    store_be16(at + 2, options.mss);
    at += 4;
  }
  if (options.has_timestamps) {
    if (options.sack_permitted) {
      at[0] = sack_permitted;
      at[1] = 2;
    } else {
      at[0] = at[1] = no_operation;
    }
    at[2] = timestamps;
    at[3] = 10;
    store_be32(at + 4, options.timestamp_value);
    store_be32(at + 8, options.timestamp_echo);
    at += 12;
  } else if (options.sack_permitted) {
    at[0] = at[1] = no_operation;
    at[2] = sack_permitted;
    at[3] = 2;
    at += 4;
  }
  if (options.has_window_scale) {
    at[0] = no_operation;
    at[1] = window_scale;
    at[2] = 3;
    at[3] = options.window_scale;
    at += 4;
  }
  size_t blocks = (out + size - at) >= 12 ? static_cast<size_t>(out + size - at - 4) / 8 : 0;
  if (blocks > 0) {
    at[0] = at[1] = no_operation;
    at[2] = sack;
    at[3] = static_cast<uint8_t>(2 + 8 * blocks);
    at += 4;
    for (size_t i = 0; i < blocks; ++i) {
      store_be32(at, options.sack[i].left);
      store_be32(at + 4, options.sack[i].right);
      at += 8;
    }
  }

  Checksum sum = pseudo_header(source, destination, size + segment.payload.size());
  sum.add(ByteView(out, size));
  sum.add(segment.payload);
  store_be16(out + 16, sum.finish());
  return size;
}

}  // namespace cairn::protocols::tcp
