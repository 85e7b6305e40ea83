/*
 * cairn/abi/mft_abi.h — the MFT, the device manifest an image declares in its MFT note (see
 * elf_abi.h for notes in general): the devices it expects, by name. The tender checks it, wires
 * each device to a host resource and hands the filled-in manifest to the bindings at boot.
 */
#ifndef CAIRN_ABI_MFT_ABI_H
#define CAIRN_ABI_MFT_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/abi/layout.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C and C++ both read this header: typedef, not using. */
/* NOLINTBEGIN(modernize-use-using) */

/* The MFT note: the devices the image declares, each with a name the operator wires to a host
 * resource (--net:NAME=TAP, --block:NAME=FILE). Entry 0 is always a nameless
 * MFT_RESERVED_FIRST; device handles are entry indexes. */
#define MFT1_NOTE_TYPE 0x3154464d /* "MFT1" */
#define MFT_VERSION 1
#define MFT_MAX_ENTRIES 64 /* a handle is an entry index: at most SOLO5_HANDLE_SET_SIZE */
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

/* Layout checks: these sizes are the ABI. */
CAIRN_ABI_ASSERT(sizeof(mft_type_t) == 4, "mft_type_t is 32 bits");
CAIRN_ABI_ASSERT(sizeof(struct mft_entry) == 104, "mft_entry layout");
CAIRN_ABI_ASSERT(offsetof(struct mft_entry, u) == 72, "mft_entry.u offset");
CAIRN_ABI_ASSERT(offsetof(struct mft_entry, b) == 88, "mft_entry.b offset");
CAIRN_ABI_ASSERT(offsetof(struct mft_entry, attached) == 96, "mft_entry.attached offset");
CAIRN_ABI_ASSERT(sizeof(struct mft) == 8, "mft header layout");
CAIRN_ABI_ASSERT(CAIRN_ABI_ALIGNOF(struct mft) == 8, "mft alignment: its note descriptor has 4 bytes of padding");

/* NOLINTEND(modernize-use-using) */

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_ABI_MFT_ABI_H */
