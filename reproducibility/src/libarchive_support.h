// What the archive writer and extractor share about libarchive: owning handles, its errors as
// Cairn Errors, and a locale fixed for the duration of one operation.
#pragma once

#include "cairn/core/result.h"
#include "cairn/core/unique_handle.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>

namespace cairn::reproducibility::internal {

// The permissions of archive entries, written and extracted alike: a tree records only whether a
// file is executable.
inline constexpr mode_t file_permissions = 0644;
inline constexpr mode_t executable_permissions = 0755;
inline constexpr mode_t directory_permissions = 0755;

using ArchiveWriteHandle = UniqueHandle<archive, archive_write_free>;
using ArchiveReadHandle = UniqueHandle<archive, archive_read_free>;
using ArchiveEntryHandle = UniqueHandle<archive_entry, archive_entry_free>;

// libarchive's description of the last error on `handle` ("Truncated tar archive"), never empty.
std::string archive_error_text(archive* handle);

// An Error with `code` whose message is "<what>: <libarchive's error text>".
Error archive_error(ErrorCode code, std::string_view what, archive* handle);

// Makes the calling thread use the named locale until destroyed, then restores the previous one.
// libarchive converts names through the thread's locale; fixing it makes the conversion (and so
// the bytes written and the names read) independent of whatever locale the caller has set.
class ScopedLocale {
 public:
  static Result<ScopedLocale> use(const char* name);
  ~ScopedLocale();
  ScopedLocale(ScopedLocale&& other) noexcept
      : locale_(std::exchange(other.locale_, locale_t{})), previous_(other.previous_) {}
  ScopedLocale& operator=(ScopedLocale&&) = delete;

 private:
  ScopedLocale(locale_t locale, locale_t previous) : locale_(locale), previous_(previous) {}

  locale_t locale_{};    // owned; null once moved from
  locale_t previous_{};  // the thread's locale before, possibly LC_GLOBAL_LOCALE
};

}  // namespace cairn::reproducibility::internal
