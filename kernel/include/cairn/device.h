// Devices by their declared names. An image's devices are those its unikernel.json declares;
// `cairn build` generates <cairn/devices.h>, which names each of them in cairn::devices (net
// devices as NetDevice, block devices as BlockDevice). Only that header can make one, so an app
// that opens a device its description does not declare fails to compile instead of finding
// nothing at run time:
//
//   #include <cairn/devices.h>
//   net::Stack* stack = net::Stack::open(cairn::devices::service0, config);
#pragma once

namespace cairn {

struct DeclaredDevices;  // defined by the generated <cairn/devices.h>

class NetDevice {
 public:
  constexpr const char* name() const { return name_; }

 private:
  friend struct DeclaredDevices;
  constexpr explicit NetDevice(const char* name) : name_(name) {}
  const char* name_;
};

class BlockDevice {
 public:
  constexpr const char* name() const { return name_; }

 private:
  friend struct DeclaredDevices;
  constexpr explicit BlockDevice(const char* name) : name_(name) {}
  const char* name_;
};

}  // namespace cairn
