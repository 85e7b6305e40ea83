// The guest's devices: matching the command line against the image's manifest, attaching each
// device to its host resource (a tap interface or inherited descriptor, a file or block device),
// and the epoll set the guest waits on.
#pragma once

#include "mft.h"
#include "options.h"
#include "status.h"

namespace cairn::tender {

// Checks that the command line names exactly the devices the manifest declares, each with its
// declared kind. Every refusal names the device and the option to use.
Status match_devices(const TenderOptions& options, const Mft& mft, const char* image_path);

// Opens every requested device and fills its manifest entry: host descriptor, MAC and MTU, or
// capacity and sector size, and `attached`. Call after match_devices().
Status attach_devices(const TenderOptions& options, Mft& mft);

// The descriptors behind solo5_yield(): an epoll set holding the timerfd (data
// SPT_INTERNAL_TIMERFD) and every network device (data = its manifest index). Block devices are
// files, which epoll does not take; their I/O never waits.
struct EventSet {
  int epollfd;
  int timerfd;
};

Status create_event_set(const Mft& mft, EventSet& events);

}  // namespace cairn::tender
