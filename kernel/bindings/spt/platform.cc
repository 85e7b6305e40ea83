// The application calls of cairn/solo5.h for the spt target: each is one or two Linux system calls
// on descriptors the tender prepared (console, clocks, epoll + timerfd for yield, tap and block
// device fds from the manifest).
#include <cairn/abi/mft_abi.h>
#include <cairn/abi/spt_abi.h>
#include <cairn/solo5.h>

#include "platform_state.h"
#include "syscalls.h"

namespace cairn::spt {

namespace {

const spt_boot_info* boot;
const mft* manifest;
// The deadline the timerfd is armed for; at first none, which is what the largest deadline
// means too. A busy network loop yields with the same deadline after every frame: re-arming the
// timer each time cost one system call in five.
solo5_time_t armed_deadline = ~solo5_time_t{0};

constexpr uint64_t nanoseconds_per_second = 1000000000ull;

solo5_time_t read_clock(int clock) {
  Timespec now{};
  system_call(sys_clock_gettime, clock, reinterpret_cast<long>(&now));
  return static_cast<solo5_time_t>(now.seconds) * nanoseconds_per_second + static_cast<solo5_time_t>(now.nanoseconds);
}

bool same_name(const char* a, const char* b) {
  for (size_t i = 0; i < MFT_NAME_SIZE; ++i) {
    if (a[i] != b[i]) return false;
    if (a[i] == '\0') return true;
  }
  return false;
}

const mft_entry* find_device(const char* name, mft_type_t type, solo5_handle_t* handle) {
  for (uint32_t i = 0; i < manifest->entries; ++i) {
    const mft_entry& entry = manifest->e[i];
    if (entry.type == type && entry.attached && same_name(entry.name, name)) {
      *handle = i;
      return &entry;
    }
  }
  return nullptr;
}

const mft_entry* device(solo5_handle_t handle, mft_type_t type) {
  if (handle >= manifest->entries) return nullptr;
  const mft_entry& entry = manifest->e[handle];
  return entry.type == type && entry.attached ? &entry : nullptr;
}

// Block I/O is whole blocks at block-aligned offsets inside the device, as on every Solo5 target.
bool valid_block_request(const mft_entry& entry, solo5_off_t offset, size_t size) {
  uint64_t block_size = entry.u.block_basic.block_size;
  uint64_t capacity = entry.u.block_basic.capacity;
  return size == block_size && (offset & (block_size - 1)) == 0 && capacity >= block_size &&
         offset <= capacity - block_size;
}

unsigned count_net_devices() {
  unsigned count = 0;
  for (uint32_t i = 0; i < manifest->entries; ++i) {
    if (manifest->e[i].type == MFT_DEV_NET_BASIC && manifest->e[i].attached) ++count;
  }
  return count;
}

unsigned net_device_count;

// TLS template bounds, from the linker script.
extern "C" const char _stdata[];
extern "C" const char _ltdata[];
extern "C" const char _ltbss[];

}  // namespace

void initialize_platform(const spt_boot_info* boot_info) {
  boot = boot_info;
  manifest = static_cast<const mft*>(boot_info->mft);
  net_device_count = count_net_devices();
}

}  // namespace cairn::spt

using namespace cairn::spt;

extern "C" {

void solo5_console_write(const char* buffer, size_t size) {
  while (size > 0) {
    long written = system_call(sys_write, console_fd, reinterpret_cast<long>(buffer), static_cast<long>(size));
    if (written == error_interrupted) continue;
    if (written <= 0) return;  // the console is gone; nothing sensible is left to do
    buffer += written;
    size -= static_cast<size_t>(written);
  }
}

solo5_time_t solo5_clock_monotonic(void) { return read_clock(clock_monotonic); }
solo5_time_t solo5_clock_wall(void) { return read_clock(clock_realtime); }

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t* ready_set) {
  // The deadline goes to the timerfd as an absolute CLOCK_MONOTONIC time (solo5 monotonic time
  // is CLOCK_MONOTONIC here). A zero it_value would disarm the timer, hence the low bit.
  // Deadline 0 (the scheduler has runnable tasks and only polls the devices) needs no timer. An
  // unchanged deadline leaves the timer as it is: if that deadline has passed, the timerfd is
  // still readable (it is never read) and epoll returns at once, as it must.
  const long timeout_ms = deadline == 0 ? 0 : -1;
  if (deadline != 0 && deadline != armed_deadline) {
    TimerSpec timer{};
    timer.value.seconds = static_cast<int64_t>(deadline / nanoseconds_per_second);
    timer.value.nanoseconds = static_cast<int64_t>(deadline % nanoseconds_per_second) | 1;
    system_call(sys_timerfd_settime, boot->timerfd, timer_absolute, reinterpret_cast<long>(&timer), 0);
    armed_deadline = deadline;
  }

  EpollEvent events[MFT_MAX_ENTRIES + 1];
  long count;
  do {
    count = system_call(sys_epoll_pwait, boot->epollfd, reinterpret_cast<long>(events),
                        static_cast<long>(net_device_count) + 1, timeout_ms, 0, 0);
  } while (count == error_interrupted);
  solo5_handle_set_t ready = 0;
  for (long i = 0; i < count; ++i) {
    if (events[i].data != SPT_INTERNAL_TIMERFD && events[i].data < MFT_MAX_ENTRIES) ready |= 1ull << events[i].data;
  }
  if (ready_set != nullptr) *ready_set = ready;
}

void solo5_exit(int status) { exit_group(status); }
void solo5_abort(void) { exit_group(SOLO5_EXIT_ABORT); }

solo5_result_t solo5_net_acquire(const char* name, solo5_handle_t* handle, solo5_net_info* info) {
  const mft_entry* entry = find_device(name, MFT_DEV_NET_BASIC, handle);
  if (entry == nullptr) return SOLO5_R_EINVAL;
  for (int i = 0; i < SOLO5_NET_ALEN; ++i) info->mac_address[i] = entry->u.net_basic.mac[i];
  info->mtu = entry->u.net_basic.mtu;
  return SOLO5_R_OK;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t* buffer, size_t size, size_t* read_size) {
  const mft_entry* entry = device(handle, MFT_DEV_NET_BASIC);
  if (entry == nullptr) return SOLO5_R_EINVAL;
  long got = system_call(sys_read, entry->b.hostfd, reinterpret_cast<long>(buffer), static_cast<long>(size));
  if (got == error_again) return SOLO5_R_AGAIN;
  if (got < 0) return SOLO5_R_EUNSPEC;
  *read_size = static_cast<size_t>(got);
  return SOLO5_R_OK;
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t* buffer, size_t size) {
  const mft_entry* entry = device(handle, MFT_DEV_NET_BASIC);
  if (entry == nullptr) return SOLO5_R_EINVAL;
  long written = system_call(sys_write, entry->b.hostfd, reinterpret_cast<long>(buffer), static_cast<long>(size));
  return written == static_cast<long>(size) ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_acquire(const char* name, solo5_handle_t* handle, solo5_block_info* info) {
  const mft_entry* entry = find_device(name, MFT_DEV_BLOCK_BASIC, handle);
  if (entry == nullptr) return SOLO5_R_EINVAL;
  info->capacity = entry->u.block_basic.capacity;
  info->block_size = entry->u.block_basic.block_size;
  return SOLO5_R_OK;
}

solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset, uint8_t* buffer, size_t size) {
  const mft_entry* entry = device(handle, MFT_DEV_BLOCK_BASIC);
  if (entry == nullptr || !valid_block_request(*entry, offset, size)) return SOLO5_R_EINVAL;
  long got = system_call(sys_pread64, entry->b.hostfd, reinterpret_cast<long>(buffer), static_cast<long>(size),
                         static_cast<long>(offset));
  return got == static_cast<long>(size) ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset, const uint8_t* buffer, size_t size) {
  const mft_entry* entry = device(handle, MFT_DEV_BLOCK_BASIC);
  if (entry == nullptr || !valid_block_request(*entry, offset, size)) return SOLO5_R_EINVAL;
  long written = system_call(sys_pwrite64, entry->b.hostfd, reinterpret_cast<long>(buffer), static_cast<long>(size),
                             static_cast<long>(offset));
  return written == static_cast<long>(size) ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

// x86-64 TLS (variant II): the block is [.tdata copy][.tbss zeroes][thread pointer], and the
// thread pointer holds its own address.
size_t solo5_tls_size(void) {
  return reinterpret_cast<size_t>(_ltdata) + reinterpret_cast<size_t>(_ltbss) + sizeof(uintptr_t);
}

uintptr_t solo5_tls_tp_offset(uintptr_t tls) {
  return tls + reinterpret_cast<size_t>(_ltdata) + reinterpret_cast<size_t>(_ltbss);
}

solo5_result_t solo5_tls_init(uintptr_t tls) {
  auto* block = reinterpret_cast<char*>(tls);
  size_t data_size = reinterpret_cast<size_t>(_ltdata);
  size_t bss_size = reinterpret_cast<size_t>(_ltbss);
  for (size_t i = 0; i < data_size; ++i) block[i] = _stdata[i];
  for (size_t i = 0; i < bss_size; ++i) block[data_size + i] = 0;
  uintptr_t thread_pointer = solo5_tls_tp_offset(tls);
  *reinterpret_cast<uintptr_t*>(thread_pointer) = thread_pointer;
  return SOLO5_R_OK;
}

solo5_result_t solo5_set_tls_base(uintptr_t base) {
  return system_call(sys_arch_prctl, arch_set_fs, static_cast<long>(base)) == 0 ? SOLO5_R_OK : SOLO5_R_EUNSPEC;
}

}  // extern "C"
