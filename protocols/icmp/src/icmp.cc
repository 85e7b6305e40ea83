// ICMP (icmp.h).
#include "cairn/protocols/icmp/icmp.h"

#include "cairn/protocols/common/checksum.h"

namespace cairn::protocols::icmp {

Result<Message> parse(ByteView bytes) {
  if (bytes.size() < header_size) return Error::truncated;
  if (internet_checksum(bytes) != 0) return Error::bad_checksum;
  Message message;
  message.type = bytes[0];
  message.code = bytes[1];
  message.rest = load_be32(bytes.data() + 4);
  message.body = bytes.subspan(header_size);
  return message;
}

namespace {

void write_header(uint8_t* out, uint8_t message_type, uint8_t code, uint32_t rest, ByteView body) {
  out[0] = message_type;
  out[1] = code;
  store_be16(out + 2, 0);
  store_be32(out + 4, rest);
  Checksum sum;
  sum.add(ByteView(out, header_size));
  sum.add(body);
  store_be16(out + 2, sum.finish());
}

}  // namespace

void write_echo_reply_header(uint8_t* out, const Message& request) {
  write_header(out, type::echo_reply, 0, request.rest, request.body);
}

void write_unreachable_header(uint8_t* out, uint8_t code, ByteView quoted) {
  write_header(out, type::destination_unreachable, code, 0, quoted);
}

RateLimiter::RateLimiter(uint32_t burst, uint32_t per_second)
    : interval_(seconds(1) / (per_second != 0 ? per_second : 1)),
      capacity_(interval_ * (burst != 0 ? burst : 1)),
      credit_(capacity_) {}

bool RateLimiter::allow(Time now) {
  if (now > last_) {
    Duration earned = now - last_;
    credit_ = earned >= capacity_ - credit_ ? capacity_ : credit_ + earned;
    last_ = now;
  }
  if (credit_ < interval_) return false;
  credit_ -= interval_;
  return true;
}

}  // namespace cairn::protocols::icmp
