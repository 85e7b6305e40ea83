// The gzip form of one file, made so that its bytes depend only on the file's bytes and on zlib:
// libarchive's raw format through its gzip filter at level 9, with no name and no timestamp in the
// header. `cairn build` bakes such forms of an app's static assets into its image.
//
// zlib does not promise the same deflate stream across its versions (1.2.12 changed it), so the
// bytes are reproducible for a given zlib (and libarchive, which writes the header);
// gzip_library_version() says which made them.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace cairn::reproducibility {

struct GzipReport {
  Digest input_digest = Digest::sha256_of("");  // SHA-256 of exactly the bytes compressed
  std::uint64_t input_size = 0;
  Digest output_digest = Digest::sha256_of("");  // SHA-256 of the gzip bytes written
  std::uint64_t output_size = 0;
};

// Writes the gzip form of the regular file `input` to `output` (created or truncated, not
// atomically: a scratch file) and reports both sides. Refuses an input that is not a regular file
// or changes size while it is read.
Result<GzipReport> gzip_file(const std::filesystem::path& input, const std::filesystem::path& output);

// "libarchive <version>, zlib <version>": what this process compresses with (the libraries loaded,
// not the ones compiled against); libarchive writes the gzip header, zlib the deflate stream.
std::string gzip_library_version();

}  // namespace cairn::reproducibility
