// The image's device manifest (the MFT1 note), read from an untrusted file.
//
// The manifest is kept as the exact bytes of the note's descriptor, because the tender later
// copies it, with its devices filled in, into guest memory where the bindings read it. Entries are
// read and written by copy (memcpy), so no field is ever interpreted before it is validated.
#pragma once

#include "cairn/abi/mft_abi.h"
#include "status.h"

#include <stddef.h>
#include <stdint.h>

namespace cairn::tender {

inline constexpr size_t kMaxMftSize = sizeof(struct mft) + MFT_MAX_ENTRIES * sizeof(struct mft_entry);

class Mft {
 public:
  // Where the note's descriptor is to be read: kMaxMftSize bytes.
  unsigned char* storage() { return bytes_; }

  // Validates the first `size` bytes of storage() as untrusted: version, entry count, exact size,
  // the reserved first entry, NUL-terminated alphanumeric unique names, known types, nothing
  // attached.
  Status validate(size_t size, const char* image_path);

  unsigned entry_count() const { return entry_count_; }
  struct mft_entry entry(unsigned index) const;
  void set_entry(unsigned index, const struct mft_entry& entry);

  // The index of the device called `name`, or -1.
  int find(const char* name) const;

  const unsigned char* bytes() const { return bytes_; }
  size_t size() const { return size_; }

 private:
  size_t size_ = 0;
  unsigned entry_count_ = 0;
  alignas(8) unsigned char bytes_[kMaxMftSize];
};

// "network", "block" or "reserved", for messages.
const char* mft_type_name(uint32_t type);

}  // namespace cairn::tender
