// IPv4 fragment reassembly (reassembly.h).
#include "cairn/protocols/ipv4/reassembly.h"

#include "cairn/protocols/common/allocation.h"

namespace cairn::protocols::ipv4 {

Reassembler::~Reassembler() {
  for (Datagram& datagram : datagrams_) delete[] datagram.buffer;
}

Reassembler::Datagram* Reassembler::find(const Header& header) {
  for (Datagram& datagram : datagrams_) {
    if (datagram.used && datagram.identification == header.identification && datagram.source == header.source &&
        datagram.destination == header.destination && datagram.protocol == header.protocol) {
      return &datagram;
    }
  }
  return nullptr;
}

Reassembler::Datagram* Reassembler::start(const Header& header, Time now) {
  for (Datagram& datagram : datagrams_) {
    if (datagram.used) continue;
    if (datagram.buffer == nullptr) {
      datagram.buffer = allocate_array<uint8_t>(max_payload_size);
      if (datagram.buffer == nullptr) return nullptr;
    }
    datagram.used = true;
    datagram.source = header.source;
    datagram.destination = header.destination;
    datagram.identification = header.identification;
    datagram.protocol = header.protocol;
    datagram.total = datagram.received = datagram.highest_end = 0;
    datagram.deadline = later(now, timeout);
    for (uint64_t& word : datagram.blocks) word = 0;
    return &datagram;
  }
  return nullptr;
}

Error Reassembler::discard(Datagram& datagram, Error reason) {
  datagram.used = false;
  counters_.drop(reason);
  return reason;
}

Result<bool> Reassembler::add(const Packet& fragment, Time now, ByteView& payload) {
  const Header& header = fragment.header;
  const ByteView data = fragment.payload;
  const size_t begin = header.fragment_offset;
  const size_t end = begin + data.size();
  if (data.empty() || (header.more_fragments && data.size() % 8 != 0)) {
    counters_.drop(Error::bad_length);
    return Error::bad_length;
  }
  Datagram* datagram = find(header);
  if (end > max_payload_size) {
    if (datagram != nullptr) return discard(*datagram, Error::too_large);
    counters_.drop(Error::too_large);
    return Error::too_large;
  }
  if (datagram == nullptr) datagram = start(header, now);
  if (datagram == nullptr) {
    counters_.drop(Error::queue_full);
    return Error::queue_full;
  }
  if (!header.more_fragments) {
    // The last fragment fixes the length; nothing may lie beyond it, and it may come only once.
    if (datagram->total != 0 || datagram->highest_end > end) return discard(*datagram, Error::bad_length);
    datagram->total = static_cast<uint16_t>(end);
  } else if (datagram->total != 0 && end > datagram->total) {
    return discard(*datagram, Error::bad_length);
  }
  const size_t first_block = begin / 8;
  const size_t last_block = (end + 7) / 8;  // exclusive
  for (size_t block = first_block; block < last_block; ++block) {
    if ((datagram->blocks[block / 64] >> (block % 64) & 1) != 0) return discard(*datagram, Error::fragment_overlap);
  }
  for (size_t block = first_block; block < last_block; ++block)
    datagram->blocks[block / 64] |= uint64_t{1} << (block % 64);
  copy_bytes(datagram->buffer + begin, data.data(), data.size());
  datagram->received = static_cast<uint16_t>(datagram->received + data.size());
  if (end > datagram->highest_end) datagram->highest_end = static_cast<uint16_t>(end);

  // No overlaps and nothing beyond the total: as many bytes as the total means every byte.
  if (datagram->total == 0 || datagram->received != datagram->total) return false;
  datagram->used = false;  // the buffer stays as it is until the next add()
  payload = ByteView(datagram->buffer, datagram->total);
  return true;
}

void Reassembler::on_timer(Time now) {
  for (Datagram& datagram : datagrams_) {
    if (datagram.used && datagram.deadline <= now) discard(datagram, Error::fragment_timeout);
  }
}

Time Reassembler::next_deadline() const {
  Time deadline = never;
  for (const Datagram& datagram : datagrams_) {
    if (datagram.used) deadline = earliest(deadline, datagram.deadline);
  }
  return deadline;
}

size_t Reassembler::datagrams_in_progress() const {
  size_t count = 0;
  for (const Datagram& datagram : datagrams_) count += datagram.used ? 1 : 0;
  return count;
}

}  // namespace cairn::protocols::ipv4
