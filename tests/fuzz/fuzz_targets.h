// The protocol fuzz targets: one per parser (and the state that consumes it), plus the whole
// netstack input path, and the HTTP server side (parser, static decisions, writer). libFuzzer runs
// each through fuzz_main.cc; protocols_test replays the corpora in tests/fuzz/corpus/<name>/
// through the same functions in every build.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cairn::fuzz {

int fuzz_ethernet(const std::uint8_t* data, std::size_t size);
int fuzz_arp(const std::uint8_t* data, std::size_t size);
int fuzz_ipv4(const std::uint8_t* data, std::size_t size);
int fuzz_icmp(const std::uint8_t* data, std::size_t size);
int fuzz_udp(const std::uint8_t* data, std::size_t size);
int fuzz_dhcp(const std::uint8_t* data, std::size_t size);
int fuzz_netstack(const std::uint8_t* data, std::size_t size);
int fuzz_tcp(const std::uint8_t* data, std::size_t size);
int fuzz_http(const std::uint8_t* data, std::size_t size);

struct Target {
  const char* name;  // also the corpus folder
  int (*run)(const std::uint8_t* data, std::size_t size);
};

inline constexpr Target targets[] = {
    {"ethernet", fuzz_ethernet}, {"arp", fuzz_arp},   {"ipv4", fuzz_ipv4},         {"icmp", fuzz_icmp},
    {"udp", fuzz_udp},           {"dhcp", fuzz_dhcp}, {"netstack", fuzz_netstack}, {"tcp", fuzz_tcp}, {"http", fuzz_http},
};

}  // namespace cairn::fuzz
