// UTF-8 checks for untrusted text: file names, symlink targets, JSON strings.
#pragma once

#include <string_view>

namespace cairn {

// Whether `text` is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace cairn
