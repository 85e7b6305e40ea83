/*
 * cairn/platform.h — the whole contract between a Cairn unikernel and the host that runs it.
 *
 * Cairn speaks Solo5's ABI, binary-compatible in both directions: images built by Cairn run under
 * Solo5's tenders, and Cairn's tenders run Solo5 (and so MirageOS) images. This header is Cairn's
 * own statement of that ABI, in three parts:
 *
 *   1. the application calls (solo5_*): what the kernel and apps inside an image may ask of the
 *      platform — console, clocks, yield, exit, network and block devices, TLS base;
 *   2. the spt boot interface: what the spt tender puts in guest memory before it jumps to the
 *      image's entry point (struct spt_boot_info) and the guest memory layout;
 *   3. the ELF notes every image carries: the ABI note (which target and ABI version) and the
 *      MFT device manifest note (which devices the image expects).
 *
 * The function names and types follow Solo5's so that code written for Solo5's API links against
 * Cairn's bindings unchanged. Freestanding C (C11) and C++ both include this header; it uses only
 * <stddef.h>, <stdint.h> and <stdbool.h>. Layouts are fixed by the static assertions at the end.
 */
#ifndef CAIRN_PLATFORM_H
#define CAIRN_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- 1. Application calls -------------------------------------------------------------------- */

typedef enum {
  SOLO5_R_OK = 0,   /* done */
  SOLO5_R_AGAIN,    /* nothing to do now (no packet waiting); try again after yield */
  SOLO5_R_EINVAL,   /* bad argument: unknown handle, wrong size, misaligned offset */
  SOLO5_R_EUNSPEC,  /* the host failed */
} solo5_result_t;

/* What the bindings pass to the application's entry point. */
struct solo5_start_info {
  const char *cmdline;  /* the command line after the bindings took their own options */
  uintptr_t heap_start; /* free memory for the application: [heap_start, heap_start+heap_size) */
  size_t heap_size;
};

/* Implemented by the application; its return value becomes the exit status. */
int solo5_app_main(const struct solo5_start_info *info);

#define SOLO5_EXIT_SUCCESS 0
#define SOLO5_EXIT_FAILURE 1
#define SOLO5_EXIT_ABORT 255

void solo5_exit(int status) __attribute__((noreturn));
void solo5_abort(void) __attribute__((noreturn));

/* Thread-local storage: size of the block to allocate, offset of the thread pointer within it,
 * initialisation of a block from the image's TLS template, and installing it. */
size_t solo5_tls_size(void);
uintptr_t solo5_tls_tp_offset(uintptr_t tls);
solo5_result_t solo5_tls_init(uintptr_t tls);
solo5_result_t solo5_set_tls_base(uintptr_t base);

/* Nanoseconds: monotonic since an arbitrary point, and wall-clock since the Unix epoch. */
typedef uint64_t solo5_time_t;
solo5_time_t solo5_clock_monotonic(void);
solo5_time_t solo5_clock_wall(void);

/* A device handle, and a set of handles as a bit mask (bit n = handle n). */
typedef uint64_t solo5_handle_t;
typedef uint64_t solo5_handle_set_t;

/* Sleeps until monotonic time `deadline` or until a device has input; on return *ready_set holds
 * the handles with input (0 if the deadline passed). */
void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set);

void solo5_console_write(const char *buf, size_t size);

#define SOLO5_NET_ALEN 6  /* bytes in a MAC address */
#define SOLO5_NET_HLEN 14 /* bytes in an Ethernet header */

struct solo5_net_info {
  uint8_t mac_address[SOLO5_NET_ALEN];
  size_t mtu; /* largest payload, not counting the Ethernet header */
};

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle, struct solo5_net_info *info);
solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf, size_t size);
solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size, size_t *read_size);

typedef uint64_t solo5_off_t;

struct solo5_block_info {
  solo5_off_t capacity;   /* bytes */
  solo5_off_t block_size; /* the unit of every read and write, bytes */
};

solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle, struct solo5_block_info *info);
solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset, const uint8_t *buf, size_t size);
solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset, uint8_t *buf, size_t size);

/* ---- 2. The spt boot interface ---------------------------------------------------------------- */

#define SPT_ABI_VERSION 2

/* Guest addresses are offsets into one host mapping. Nothing may load below SPT_GUEST_MIN_BASE;
 * the mapping itself starts at SPT_HOST_MEM_BASE (Linux refuses to map page 0 and its
 * neighbours: vm.mmap_min_addr). */
#define SPT_GUEST_MIN_BASE 0x100000
#define SPT_HOST_MEM_BASE 0x10000

/* Where the tender writes, in order: struct spt_boot_info, the manifest (struct mft with its
 * entries, devices attached and hostfd filled in), then the command line (SPT_CMDLINE_SIZE). */
#define SPT_BOOT_INFO_BASE (SPT_HOST_MEM_BASE + 0x1000)
#define SPT_CMDLINE_SIZE 8192 /* bytes, including the terminating NUL */

/* The entry point is called as `void start(struct spt_boot_info *)` on a stack whose top is at
 * mem_size - 8 (x86-64). */
struct spt_boot_info {
  uint64_t mem_size;   /* guest memory, bytes */
  uint64_t kernel_end; /* first address after the image's highest segment */
  const char *cmdline;
  const void *mft;     /* struct mft */
  int epollfd;         /* epoll set for yield: every network device's host fd, plus timerfd */
  int timerfd;         /* armed by yield for its deadline */
};

/* epoll data.u64 of the timerfd; devices use their manifest index. */
#define SPT_INTERNAL_TIMERFD (~1U)

/* ---- 3. ELF notes ------------------------------------------------------------------------------ */

/* Every Solo5 note is named "Solo5" and sits at the start of its own PT_NOTE segment, because
 * tenders read only the first note of each PT_NOTE. The descriptor starts at the next multiple
 * of its own alignment after the 20-byte header+name (so the manifest has 4 bytes of padding). */
#define SOLO5_NOTE_NAME "Solo5"
#define SOLO5_NOTE_HEADER_SIZE 20 /* n_namesz, n_descsz, n_type, "Solo5\0" padded to 8 */

/* The ABI note: which target the image was built for. */
#define ABI1_NOTE_TYPE 0x31494241 /* "ABI1" */

enum abi_target {
  HVT_ABI_TARGET = 1,
  SPT_ABI_TARGET,
  VIRTIO_ABI_TARGET,
  MUEN_ABI_TARGET,
  GENODE_ABI_TARGET,
  XEN_ABI_TARGET,
};

struct abi1_info {
  uint32_t abi_target;  /* enum abi_target */
  uint32_t abi_version; /* SPT_ABI_VERSION for spt */
  uint32_t reserved0;
  uint32_t reserved1;
};

/* The MFT note: the devices the image declares, each with a name the operator wires to a host
 * resource (--net:NAME=TAP, --block:NAME=FILE). Entry 0 is always a nameless
 * MFT_RESERVED_FIRST; device handles are entry indexes. */
#define MFT1_NOTE_TYPE 0x3154464d /* "MFT1" */
#define MFT_VERSION 1
#define MFT_MAX_ENTRIES 64
#define MFT_NAME_SIZE 68 /* bytes, including the terminating NUL */
#define MFT_NAME_MAX 67  /* characters: alphanumeric only */

typedef enum mft_type {
  MFT_DEV_BLOCK_BASIC = 1,
  MFT_DEV_NET_BASIC,
  MFT_RESERVED_FIRST = (1U << 30),
} mft_type_t;

struct mft_block_basic {
  uint64_t capacity;   /* bytes; filled in by the tender */
  uint16_t block_size; /* bytes; filled in by the tender */
};

struct mft_net_basic {
  uint8_t mac[6]; /* filled in by the tender */
  uint16_t mtu;   /* filled in by the tender */
};

struct mft_entry {
  char name[MFT_NAME_SIZE];
  mft_type_t type;
  union {
    struct mft_block_basic block_basic;
    struct mft_net_basic net_basic;
  } u;
  union {
    int hostfd; /* the host descriptor behind the device (spt) */
    void *data;
  } b;
  bool attached; /* false in the image; set by the tender for each device it wired */
};

/* The manifest: a header followed by `entries` entries. */
struct mft {
  uint32_t version;
  uint32_t entries;
  struct mft_entry e[];
};

/* ---- Layout checks: these sizes are the ABI ----------------------------------------------------- */

#ifdef __cplusplus
#define CAIRN_PLATFORM_ASSERT static_assert
#define CAIRN_PLATFORM_ALIGNOF alignof
#else
#define CAIRN_PLATFORM_ASSERT _Static_assert
#define CAIRN_PLATFORM_ALIGNOF _Alignof
#endif
CAIRN_PLATFORM_ASSERT(sizeof(struct spt_boot_info) == 40, "spt_boot_info layout");
CAIRN_PLATFORM_ASSERT(sizeof(struct abi1_info) == 16, "abi1_info layout");
CAIRN_PLATFORM_ASSERT(sizeof(mft_type_t) == 4, "mft_type_t is 32 bits");
CAIRN_PLATFORM_ASSERT(sizeof(struct mft_entry) == 104, "mft_entry layout");
CAIRN_PLATFORM_ASSERT(offsetof(struct mft_entry, u) == 72, "mft_entry.u offset");
CAIRN_PLATFORM_ASSERT(offsetof(struct mft_entry, b) == 88, "mft_entry.b offset");
CAIRN_PLATFORM_ASSERT(offsetof(struct mft_entry, attached) == 96, "mft_entry.attached offset");
CAIRN_PLATFORM_ASSERT(sizeof(struct mft) == 8, "mft header layout");
CAIRN_PLATFORM_ASSERT(CAIRN_PLATFORM_ALIGNOF(struct mft) == 8, "mft alignment: its note descriptor has 4 bytes of padding");
#undef CAIRN_PLATFORM_ASSERT
#undef CAIRN_PLATFORM_ALIGNOF

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_PLATFORM_H */
