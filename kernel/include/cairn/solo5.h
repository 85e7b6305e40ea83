/*
 * cairn/solo5.h — what the kernel and apps inside an image may ask of the platform: console,
 * clocks, yield, exit, network and block devices, TLS base.
 *
 * Cairn speaks Solo5's ABI, binary-compatible in both directions: images built by Cairn run under
 * Solo5's tenders, and Cairn's tenders run Solo5 (and so MirageOS) images. This header is the
 * application API of that ABI, the same for every target; how a target boots an image and what
 * an image carries are in cairn/abi/ (spt_abi.h, mft_abi.h, elf_abi.h), which only bindings,
 * tenders and the toolchain include. The function names and types follow Solo5's so that code
 * written for Solo5's API links against Cairn's bindings unchanged. Freestanding C (C11) and C++
 * both include it; it uses only <stddef.h>, <stdint.h> and <stdbool.h>.
 */
#ifndef CAIRN_SOLO5_H
#define CAIRN_SOLO5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* C and C++ both read this header: typedef, not using. */
/* NOLINTBEGIN(modernize-use-using) */

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

/* A device handle, and a set of handles as a bit mask (bit n = handle n): handles are below
 * SOLO5_HANDLE_SET_SIZE. */
typedef uint64_t solo5_handle_t;
typedef uint64_t solo5_handle_set_t;
#define SOLO5_HANDLE_SET_SIZE 64

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

/* NOLINTEND(modernize-use-using) */

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_SOLO5_H */
