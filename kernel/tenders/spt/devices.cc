// Device matching and attachment (see devices.h).
#include "devices.h"

#include "cairn/abi/spt_abi.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

namespace cairn::tender {

namespace {

constexpr uint16_t kInheritedTapMtu = 1500;  // nothing tells the MTU of an inherited descriptor

uint32_t mft_type(DeviceKind kind) {
  return kind == DeviceKind::net ? MFT_DEV_NET_BASIC : MFT_DEV_BLOCK_BASIC;
}

unsigned long long decimal(uint64_t value) {
  return static_cast<unsigned long long>(value);
}

// Closes a descriptor on every path out of a scope unless released.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// --net:NAME=@FD: a tap descriptor opened by whoever started us.
Status attach_inherited_tap(const DeviceRequest& request, int* fd) {
  const char* digits = request.target + 1;
  long number = 0;
  bool valid = *digits != '\0';
  for (const char* p = digits; valid && *p != '\0'; ++p) {
    valid = *p >= '0' && *p <= '9' && number <= (INT_MAX - (*p - '0')) / 10;
    if (valid) number = number * 10 + (*p - '0');
  }
  if (!valid) return Status::failure("malformed option '%s': '@%s' is not a descriptor number", request.option, digits);
  if (number <= STDERR_FILENO) {
    return Status::failure("'%s': descriptor %ld is standard input, output or error, not a tap", request.option,
                           number);
  }
  int flags = fcntl(static_cast<int>(number), F_GETFL);
  if (flags == -1) return Status::failure("'%s': descriptor %ld is not open", request.option, number);
  if (fcntl(static_cast<int>(number), F_SETFL, flags | O_NONBLOCK) == -1) {
    return Status::failure("'%s': cannot make descriptor %ld non-blocking: %s", request.option, number,
                           strerror(errno));
  }
  *fd = static_cast<int>(number);
  return Status::success();
}

// --net:NAME=TAP: attaches to an existing tap interface, which must be up and not in use.
Status attach_tap_interface(const DeviceRequest& request, int* fd, uint16_t* mtu) {
  const char* interface = request.target;
  if (strlen(interface) >= IFNAMSIZ) {
    return Status::failure("'%s': interface names have at most %d characters", request.option, IFNAMSIZ - 1);
  }
  ScopedFd socket_fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (socket_fd.get() < 0) return Status::failure("'%s': cannot open a socket: %s", request.option, strerror(errno));

  struct ifreq query;
  memset(&query, 0, sizeof query);
  memcpy(query.ifr_name, interface, strlen(interface));
  // Check first: TUNSETIFF would otherwise create a new interface of that name.
  if (ioctl(socket_fd.get(), SIOCGIFFLAGS, &query) == -1) {
    if (errno == ENODEV) return Status::failure("'%s': there is no interface named '%s'", request.option, interface);
    return Status::failure("'%s': cannot query interface '%s': %s", request.option, interface, strerror(errno));
  }
  if ((query.ifr_flags & IFF_UP) == 0) {
    return Status::failure("'%s': interface '%s' is down (ip link set %s up)", request.option, interface, interface);
  }

  ScopedFd tap(open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (tap.get() < 0) return Status::failure("'%s': cannot open /dev/net/tun: %s", request.option, strerror(errno));
  struct ifreq attach;
  memset(&attach, 0, sizeof attach);
  memcpy(attach.ifr_name, interface, strlen(interface));
  attach.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (ioctl(tap.get(), TUNSETIFF, &attach) == -1) {
    int error = errno;
    if (error == EBUSY) {
      return Status::failure("'%s': tap interface '%s' is busy (another process holds it)", request.option, interface);
    }
    if (error == EINVAL) return Status::failure("'%s': '%s' is not a tap interface", request.option, interface);
    if (error == EPERM) {
      return Status::failure(
          "'%s': not allowed to attach to '%s' (it belongs to another user, or CAP_NET_ADMIN is "
          "needed)",
          request.option, interface);
    }
    return Status::failure("'%s': cannot attach to tap interface '%s': %s", request.option, interface, strerror(error));
  }
  if (strncmp(attach.ifr_name, interface, IFNAMSIZ) != 0) {
    return Status::failure("'%s': attached to '%.*s' instead of '%s'", request.option, IFNAMSIZ, attach.ifr_name,
                           interface);
  }
  if (ioctl(socket_fd.get(), SIOCGIFMTU, &query) == -1) {
    return Status::failure("'%s': cannot read the MTU of '%s': %s", request.option, interface, strerror(errno));
  }
  if (query.ifr_mtu <= 0 || query.ifr_mtu > UINT16_MAX) {
    return Status::failure("'%s': interface '%s' has MTU %d, outside what the manifest holds", request.option,
                           interface, query.ifr_mtu);
  }
  *mtu = static_cast<uint16_t>(query.ifr_mtu);
  *fd = tap.release();
  return Status::success();
}

// A random locally administered unicast address.
Status random_mac(const DeviceRequest& request, uint8_t mac[SOLO5_NET_ALEN]) {
  ssize_t got = getrandom(mac, SOLO5_NET_ALEN, 0);
  if (got != SOLO5_NET_ALEN) {
    return Status::failure("'%s': cannot get random bytes for a MAC address: %s", request.option, strerror(errno));
  }
  mac[0] = static_cast<uint8_t>((mac[0] & ~0x01) | 0x02);
  return Status::success();
}

Status attach_net(const DeviceRequest& request, struct mft_entry& entry) {
  int fd = -1;
  uint16_t mtu = kInheritedTapMtu;
  if (request.target[0] == '@') {
    TENDER_TRY(attach_inherited_tap(request, &fd));
  } else {
    TENDER_TRY(attach_tap_interface(request, &fd, &mtu));
  }
  memset(&entry.u, 0, sizeof entry.u);
  memset(&entry.b, 0, sizeof entry.b);
  if (request.has_mac) {
    memcpy(entry.u.net_basic.mac, request.mac, SOLO5_NET_ALEN);
  } else {
    TENDER_TRY(random_mac(request, entry.u.net_basic.mac));
  }
  entry.u.net_basic.mtu = mtu;
  entry.b.hostfd = fd;
  entry.attached = true;
  return Status::success();
}

Status attach_block(const DeviceRequest& request, struct mft_entry& entry) {
  const char* path = request.target;
  ScopedFd file(open(path, O_RDWR | O_CLOEXEC));
  if (file.get() < 0) return Status::failure("'%s': cannot open %s: %s", request.option, path, strerror(errno));
  struct stat status;
  if (fstat(file.get(), &status) != 0)
    return Status::failure("'%s': cannot stat %s: %s", request.option, path, strerror(errno));
  uint64_t capacity = 0;
  if (S_ISREG(status.st_mode)) {
    capacity = static_cast<uint64_t>(status.st_size);
  } else if (S_ISBLK(status.st_mode)) {
    if (ioctl(file.get(), BLKGETSIZE64, &capacity) == -1) {
      return Status::failure("'%s': cannot read the size of %s: %s", request.option, path, strerror(errno));
    }
  } else {
    return Status::failure("'%s': %s is not a regular file or a block device", request.option, path);
  }
  uint16_t sector_size = request.sector_size != 0 ? request.sector_size : kDefaultSectorSize;
  if (capacity % sector_size != 0) {
    return Status::failure("block device '%s': %s is %llu bytes, not a multiple of the sector size (%u bytes)",
                           request.name, path, decimal(capacity), sector_size);
  }
  if (capacity < sector_size) {
    return Status::failure("block device '%s': %s is %llu bytes, smaller than one sector (%u bytes)", request.name,
                           path, decimal(capacity), sector_size);
  }
  memset(&entry.u, 0, sizeof entry.u);
  memset(&entry.b, 0, sizeof entry.b);
  entry.u.block_basic.capacity = capacity;
  entry.u.block_basic.block_size = sector_size;
  entry.b.hostfd = file.release();
  entry.attached = true;
  return Status::success();
}

}  // namespace

Status match_devices(const TenderOptions& options, const Mft& mft, const char* image_path) {
  for (unsigned i = 0; i < options.device_count; ++i) {
    const DeviceRequest& request = options.devices[i];
    int index = mft.find(request.name);
    if (index < 0) {
      return Status::failure("'%s': %s declares no device named '%s'", request.option, image_path, request.name);
    }
    uint32_t declared = mft.entry(static_cast<unsigned>(index)).type;
    if (declared != mft_type(request.kind)) {
      return Status::failure("'%s': '%s' is a %s device in %s, not a %s device", request.option, request.name,
                             mft_type_name(declared), image_path, device_kind_name(request.kind));
    }
  }

  // Every declared device must be attached (as Solo5's tenders require).
  unsigned missing = 0;
  int first_missing = -1;
  for (unsigned i = 1; i < mft.entry_count(); ++i) {
    struct mft_entry entry = mft.entry(i);
    bool requested = false;
    for (unsigned j = 0; j < options.device_count && !requested; ++j) {
      requested = strcmp(options.devices[j].name, entry.name) == 0;
    }
    if (requested) continue;
    if (missing++ == 0) first_missing = static_cast<int>(i);
  }
  if (missing == 0) return Status::success();
  struct mft_entry first = mft.entry(static_cast<unsigned>(first_missing));
  char hint[MFT_NAME_SIZE + 16];
  if (first.type == MFT_DEV_NET_BASIC) {
    snprintf(hint, sizeof hint, "--net:%s=TAP", first.name);
  } else {
    snprintf(hint, sizeof hint, "--block:%s=PATH", first.name);
  }
  if (missing == 1) {
    return Status::failure("%s declares the %s device '%s', which is not attached: give %s", image_path,
                           mft_type_name(first.type), first.name, hint);
  }
  return Status::failure("%s declares %u devices that are not attached, the first being the %s device '%s': give %s",
                         image_path, missing, mft_type_name(first.type), first.name, hint);
}

Status attach_devices(const TenderOptions& options, Mft& mft) {
  for (unsigned i = 0; i < options.device_count; ++i) {
    const DeviceRequest& request = options.devices[i];
    unsigned index = static_cast<unsigned>(mft.find(request.name));
    struct mft_entry entry = mft.entry(index);
    if (request.kind == DeviceKind::net) {
      TENDER_TRY(attach_net(request, entry));
    } else {
      TENDER_TRY(attach_block(request, entry));
    }
    mft.set_entry(index, entry);
  }
  return Status::success();
}

Status create_event_set(const Mft& mft, EventSet& events) {
  events.epollfd = epoll_create1(EPOLL_CLOEXEC);
  if (events.epollfd == -1) return Status::failure("cannot create an epoll set: %s", strerror(errno));
  events.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (events.timerfd == -1) return Status::failure("cannot create a timerfd: %s", strerror(errno));

  struct epoll_event event;
  memset(&event, 0, sizeof event);
  event.events = EPOLLIN;
  event.data.u64 = SPT_INTERNAL_TIMERFD;
  if (epoll_ctl(events.epollfd, EPOLL_CTL_ADD, events.timerfd, &event) == -1) {
    return Status::failure("cannot add the timerfd to the epoll set: %s", strerror(errno));
  }
  for (unsigned i = 1; i < mft.entry_count(); ++i) {
    struct mft_entry entry = mft.entry(i);
    if (entry.type != MFT_DEV_NET_BASIC || !entry.attached) continue;
    event.data.u64 = i;  // the device handle solo5_yield() reports
    if (epoll_ctl(events.epollfd, EPOLL_CTL_ADD, entry.b.hostfd, &event) == -1) {
      return Status::failure("network device '%s': cannot add descriptor %d to the epoll set: %s", entry.name,
                             entry.b.hostfd, strerror(errno));
    }
  }
  return Status::success();
}

}  // namespace cairn::tender
