// Validation of the image's device manifest (see mft.h).
#include "mft.h"

#include <string.h>

namespace cairn::tender {

namespace {

constexpr size_t kEntryOffset = offsetof(struct mft, e);

uint32_t read_u32(const unsigned char* p) {
  uint32_t value;
  memcpy(&value, p, sizeof value);
  return value;
}

bool is_alphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

const char* mft_type_name(uint32_t type) {
  switch (type) {
    case MFT_DEV_NET_BASIC: return "network";
    case MFT_DEV_BLOCK_BASIC: return "block";
    case MFT_RESERVED_FIRST: return "reserved";
    default: return "unknown";
  }
}

Status Mft::validate(size_t size, const char* image_path) {
  size_ = 0;
  entry_count_ = 0;
  const unsigned char* descriptor = bytes_;
  if (size > kMaxMftSize || size < sizeof(struct mft)) {
    return Status::failure("%s: the manifest note is %zu bytes, too short for a manifest header", image_path, size);
  }
  uint32_t version = read_u32(descriptor + offsetof(struct mft, version));
  uint32_t entries = read_u32(descriptor + offsetof(struct mft, entries));
  if (version != MFT_VERSION) {
    return Status::failure("%s: manifest version %u is not supported (this tender reads version %d)", image_path,
                           version, MFT_VERSION);
  }
  if (entries == 0) {
    return Status::failure("%s: the manifest has no entries (entry 0 must be the reserved entry)", image_path);
  }
  if (entries > MFT_MAX_ENTRIES) {
    return Status::failure("%s: the manifest declares %u entries, more than the limit of %d", image_path, entries,
                           MFT_MAX_ENTRIES);
  }
  size_t expected = kEntryOffset + entries * sizeof(struct mft_entry);
  if (size != expected) {
    return Status::failure("%s: the manifest note is %zu bytes, but %u entries take exactly %zu", image_path, size,
                           entries, expected);
  }
  size_ = size;
  entry_count_ = entries;

  for (unsigned i = 0; i < entries; ++i) {
    const unsigned char* raw = bytes_ + kEntryOffset + i * sizeof(struct mft_entry);
    const char* name = reinterpret_cast<const char*>(raw + offsetof(struct mft_entry, name));
    uint32_t type = read_u32(raw + offsetof(struct mft_entry, type));
    // Read as a byte: a bool holding anything but 0 or 1 would be undefined behaviour.
    unsigned char attached = raw[offsetof(struct mft_entry, attached)];

    if (name[MFT_NAME_MAX] != '\0') {
      return Status::failure("%s: manifest entry %u: the device name is not NUL-terminated", image_path, i);
    }
    if (attached != 0) {
      return Status::failure("%s: manifest entry %u is marked attached in the image; only a tender attaches devices",
                             image_path, i);
    }
    if (i == 0) {
      if (type != MFT_RESERVED_FIRST || name[0] != '\0') {
        return Status::failure("%s: manifest entry 0 must be the nameless reserved entry", image_path);
      }
      continue;
    }
    if (type != MFT_DEV_NET_BASIC && type != MFT_DEV_BLOCK_BASIC) {
      return Status::failure("%s: manifest entry %u has unknown device type 0x%x", image_path, i, type);
    }
    if (name[0] == '\0') return Status::failure("%s: manifest entry %u has an empty device name", image_path, i);
    for (const char* p = name; *p != '\0'; ++p) {
      if (!is_alphanumeric(*p)) {
        return Status::failure("%s: manifest entry %u: the device name has a character other than A-Z, a-z, 0-9",
                               image_path, i);
      }
    }
    for (unsigned j = 1; j < i; ++j) {
      const char* other = reinterpret_cast<const char*>(bytes_ + kEntryOffset + j * sizeof(struct mft_entry));
      if (strcmp(name, other) == 0) {
        return Status::failure("%s: manifest entries %u and %u both declare a device named '%s'", image_path, j, i,
                               name);
      }
    }
  }
  return Status::success();
}

struct mft_entry Mft::entry(unsigned index) const {
  struct mft_entry result;
  memcpy(&result, bytes_ + kEntryOffset + index * sizeof(struct mft_entry), sizeof result);
  return result;
}

void Mft::set_entry(unsigned index, const struct mft_entry& entry) {
  memcpy(bytes_ + kEntryOffset + index * sizeof(struct mft_entry), &entry, sizeof entry);
}

int Mft::find(const char* name) const {
  for (unsigned i = 1; i < entry_count_; ++i) {
    const char* entry_name = reinterpret_cast<const char*>(bytes_ + kEntryOffset + i * sizeof(struct mft_entry));
    if (strcmp(entry_name, name) == 0) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace cairn::tender
