// The devices of the kernel host tests, in the form `cairn build` generates <cairn/devices.h>
// (builder/src/glue.cc) for an app that declares net devices service0 and service1.
#pragma once

#include <cairn/device.h>

namespace cairn {

struct DeclaredDevices {
  static constexpr NetDevice service0{"service0"};
  static constexpr NetDevice service1{"service1"};
};

namespace devices {
inline constexpr const NetDevice& service0 = DeclaredDevices::service0;
inline constexpr const NetDevice& service1 = DeclaredDevices::service1;
}  // namespace devices

}  // namespace cairn
