// DHCP messages (message.h).
#include "cairn/protocols/dhcp/message.h"

namespace cairn::protocols::dhcp {

namespace {

constexpr size_t options_offset = fixed_size + 4;  // after the magic cookie
constexpr uint8_t hardware_ethernet = 1;

// Stores one option's value in `message` if this client reads it (first occurrence wins).
void read_option(Message& message, uint8_t code, const uint8_t* value, size_t size) {
  auto address = [&](Ipv4Address& field, bool& present) {
    if (present || size < 4) return;
    field = Ipv4Address::load(value);
    present = true;
  };
  auto seconds = [&](uint32_t& field, bool& present) {
    if (present || size != 4) return;
    field = load_be32(value);
    present = true;
  };
  bool ignored = false;
  switch (code) {
    case option::message_type:
      if (message.type == MessageType::none && size == 1 && value[0] >= 1 && value[0] <= 8) {
        message.type = static_cast<MessageType>(value[0]);
      }
      break;
    case option::subnet_mask:
      if (size == 4) address(message.subnet_mask, message.has_subnet_mask);
      break;
    case option::router:  // a list: the first router is the default route
      if (size % 4 == 0) address(message.router, message.has_router);
      break;
    case option::server_identifier:
      if (size == 4) address(message.server_identifier, message.has_server_identifier);
      break;
    case option::requested_address:
      if (size == 4) address(message.requested_address, ignored);
      break;
    case option::dns_servers:
      if (message.dns_server_count != 0 || size % 4 != 0) break;
      for (size_t at = 0; at < size && message.dns_server_count < max_dns_servers; at += 4) {
        message.dns_servers[message.dns_server_count++] = Ipv4Address::load(value + at);
      }
      break;
    case option::lease_time: seconds(message.lease_time, message.has_lease_time); break;
    case option::renewal_time: seconds(message.renewal_time, message.has_renewal_time); break;
    case option::rebinding_time: seconds(message.rebinding_time, message.has_rebinding_time); break;
    default: break;  // overload (52) included: see message.h
  }
}

}  // namespace

Result<Message> parse(ByteView bytes) {
  if (bytes.size() < options_offset) return Error::truncated;
  const uint8_t* p = bytes.data();
  if (load_be32(p + fixed_size) != magic_cookie) return Error::bad_format;
  Message message;
  message.operation = p[0];
  if (message.operation != operation::boot_request && message.operation != operation::boot_reply) {
    return Error::bad_format;
  }
  message.transaction_id = load_be32(p + 4);
  message.seconds = load_be16(p + 8);
  message.flags = load_be16(p + 10);
  message.client_address = Ipv4Address::load(p + 12);
  message.your_address = Ipv4Address::load(p + 16);
  message.server_address = Ipv4Address::load(p + 20);
  message.relay_address = Ipv4Address::load(p + 24);
  if (p[1] == hardware_ethernet && p[2] == 6) message.client_mac = MacAddress::load(p + 28);

  size_t at = options_offset;
  while (at < bytes.size()) {
    uint8_t code = p[at];
    if (code == option::end) break;
    if (code == option::pad) {
      ++at;
      continue;
    }
    if (at + 2 > bytes.size()) return Error::truncated;
    size_t size = p[at + 1];
    if (at + 2 + size > bytes.size()) return Error::truncated;
    if (++message.option_count > max_options) return Error::too_many_options;
    read_option(message, code, p + at + 2, size);
    at += 2 + size;
  }
  return message;
}

size_t write(uint8_t* out, const Request& request) {
  fill_bytes(out, 0, options_offset);
  out[0] = operation::boot_request;
  out[1] = hardware_ethernet;
  out[2] = 6;
  store_be32(out + 4, request.transaction_id);
  store_be16(out + 8, request.seconds);
  store_be16(out + 10, request.broadcast_flag ? 0x8000 : 0);
  request.client_address.store(out + 12);
  request.client_mac.store(out + 28);
  store_be32(out + fixed_size, magic_cookie);

  uint8_t* next = out + options_offset;
  auto put = [&](uint8_t code, const uint8_t* value, size_t size) {
    next[0] = code;
    next[1] = static_cast<uint8_t>(size);
    copy_bytes(next + 2, value, size);
    next += 2 + size;
  };
  auto put_address = [&](uint8_t code, Ipv4Address address) {
    uint8_t value[4];
    address.store(value);
    put(code, value, 4);
  };
  const uint8_t type = static_cast<uint8_t>(request.type);
  put(option::message_type, &type, 1);
  uint8_t client_identifier[1 + MacAddress::size] = {hardware_ethernet};
  request.client_mac.store(client_identifier + 1);
  put(option::client_identifier, client_identifier, sizeof client_identifier);
  if (!request.requested_address.is_any()) put_address(option::requested_address, request.requested_address);
  if (!request.server_identifier.is_any()) put_address(option::server_identifier, request.server_identifier);
  // DECLINE and RELEASE carry no wishes (RFC 2131 table 5: no host name, no parameter list).
  const bool wants_reply = request.type != MessageType::decline && request.type != MessageType::release;
  if (request.hostname != nullptr && wants_reply) {
    size_t size = __builtin_strlen(request.hostname);
    if (size > 63) size = 63;
    if (size != 0) put(option::hostname, reinterpret_cast<const uint8_t*>(request.hostname), size);
  }
  static constexpr uint8_t wanted[] = {option::subnet_mask, option::router,       option::dns_servers,
                                       option::lease_time,  option::renewal_time, option::rebinding_time};
  if (wants_reply) put(option::parameter_request_list, wanted, sizeof wanted);
  *next++ = option::end;

  size_t size = static_cast<size_t>(next - out);
  if (size < min_message_size) {
    fill_bytes(next, 0, min_message_size - size);
    size = min_message_size;
  }
  return size;
}

}  // namespace cairn::protocols::dhcp
