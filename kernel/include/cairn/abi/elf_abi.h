/*
 * cairn/abi/elf_abi.h — the ELF notes every image carries, and the ABI note in particular: which
 * target and ABI version the image was built for. The device manifest note's content is in
 * mft_abi.h. Written by the toolchain (`cairn image notes`), read by tenders and `cairn image
 * inspect`.
 */
#ifndef CAIRN_ABI_ELF_ABI_H
#define CAIRN_ABI_ELF_ABI_H

#include <stdint.h>

#include "cairn/abi/layout.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* Layout checks: these sizes are the ABI. */
CAIRN_ABI_ASSERT(sizeof(struct abi1_info) == 16, "abi1_info layout");

#ifdef __cplusplus
}
#endif

#endif /* CAIRN_ABI_ELF_ABI_H */
