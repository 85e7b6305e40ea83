/*
 * cairn/abi/spt_abi.h — the spt target's boot interface: what the spt tender puts in guest memory
 * before it jumps to the image's entry point (struct spt_boot_info), and the guest memory layout.
 * Shared by the spt bindings (inside images) and the spt tender (on the host), and by nothing
 * else: applications see only cairn/solo5.h.
 */
#ifndef CAIRN_ABI_SPT_ABI_H
#define CAIRN_ABI_SPT_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/abi/layout.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* Layout checks: these sizes are the ABI. */
CAIRN_ABI_ASSERT(sizeof(struct spt_boot_info) == 40, "spt_boot_info layout");

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_ABI_SPT_ABI_H */
