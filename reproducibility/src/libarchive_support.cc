// libarchive handles, errors and the fixed locale shared by the archive writer and extractor.
#include "libarchive_support.h"

#include <cerrno>
#include <cstring>

namespace cairn::reproducibility::internal {

std::string archive_error_text(archive* handle) {
  const char* text = archive_error_string(handle);
  if (text != nullptr && *text != '\0') return text;
  return fmt::format("libarchive failed without a message (errno {})", archive_errno(handle));
}

Error archive_error(ErrorCode code, std::string_view what, archive* handle) {
  return make_error(code, "{}: {}", what, archive_error_text(handle));
}

Result<ScopedLocale> ScopedLocale::use(const char* name) {
  locale_t locale = ::newlocale(LC_ALL_MASK, name, locale_t{});
  if (locale == locale_t{}) {
    return make_error(ErrorCode::unsupported, "the {} locale is not available ({}); install it (Debian: libc-bin)",
                      name, std::strerror(errno));
  }
  locale_t previous = ::uselocale(locale);
  if (previous == locale_t{}) {
    int saved = errno;
    ::freelocale(locale);
    return make_error(ErrorCode::internal, "uselocale({}): {}", name, std::strerror(saved));
  }
  return ScopedLocale(locale, previous);
}

ScopedLocale::~ScopedLocale() {
  if (locale_ == locale_t{}) return;
  ::uselocale(previous_);
  ::freelocale(locale_);
}

}  // namespace cairn::reproducibility::internal
