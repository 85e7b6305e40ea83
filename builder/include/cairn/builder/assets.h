// Static assets baked into an image: the files of the folder unikernel.json names in "assets",
// each with its content type, a strong ETag (its SHA-256) and a gzip form when that is smaller.
// `cairn build` generates, beside the rest of the glue:
//   include/cairn/assets.h  the table's type and cairn::assets::find (freestanding, the same for
//                           every app);
//   assets.S                one .incbin per file and per kept gzip form, in .rodata.cairn_assets;
//                           the assembler reads them from the sandbox's working folder /cairn:
//                           app/<folder>/<path> and gen/assets/<n>.gz; every size is checked there
//                           and every SHA-256 is written beside its .incbin, so that a change to a
//                           file changes the text the action cache keys the object by;
//   assets.cc               the table, sorted by URL path;
//   assets/<n>.gz           the gzip forms kept (n: the file's index in the table).
// The file bytes never pass through the compiler as C arrays: a 64 MiB file assembles in a
// moment. The same folder (and zlib, see reproducibility/gzip.h) always gives the same bytes.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::builder {

struct AssetLimits {
  std::uint64_t max_files = 100'000;
  std::uint64_t max_bytes = std::uint64_t{1} << 30;  // the files' sizes added up
};

struct AssetFile {
  std::string path;          // the URL path: "/" + the path inside the assets folder
  std::string content_type;  // "text/html; charset=utf-8"
  std::string etag;          // "\"<64 lower-case hex of the SHA-256>\"", quotes included
  Digest digest = Digest::sha256_of("");
  std::uint64_t size = 0;
  std::optional<Digest> gzip_digest;  // only when the gzip form is kept (strictly smaller)
  std::uint64_t gzip_size = 0;        // 0 when not kept
};

struct GeneratedAssets {
  std::vector<AssetFile> files;           // sorted by path (byte-wise), as the table is
  std::map<std::string, Digest> written;  // every file written, relative to the glue folder
  std::uint64_t total_size = 0;           // the files' sizes added up
  std::uint64_t total_gzip_size = 0;      // the kept gzip forms' sizes added up
};

// Gzip forms made by earlier builds, by the SHA-256 of the file they compress (the build keeps
// them in its action cache, keyed with the compressor's identity): without it, every build would
// compress every file again.
class GzipMemo {
 public:
  struct Known {
    std::optional<Digest> gzip;  // nullopt: the gzip form was not smaller
    std::uint64_t gzip_size = 0;
  };
  virtual ~GzipMemo() = default;
  // What is known of the file with `input` digest, the gzip form (if any) written to
  // `destination`; nullopt when nothing is.
  virtual Result<std::optional<Known>> find(const Digest& input, const std::filesystem::path& destination) = 0;
  // Remembers `known` for `input`; `gzip_file` holds the form when there is one.
  virtual Result<void> remember(const Digest& input, const Known& known, const std::filesystem::path& gzip_file) = 0;
};

// Where the generated files sit in the glue folder.
inline constexpr std::string_view assets_header_path = "include/cairn/assets.h";
inline constexpr std::string_view assets_assembly_path = "assets.S";
inline constexpr std::string_view assets_table_path = "assets.cc";

// The content type served for `path`, by its extension (ASCII letters in any case), from a fixed
// table; application/octet-stream for anything else.
std::string_view asset_content_type(std::string_view path);

// Why the name `path` (inside the assets folder) cannot be a URL path as it is: a control
// character, a space, '?', '#', '%', '"' or '\\'; nullopt when it can. Other bytes (UTF-8 too)
// are kept raw.
std::optional<std::string> asset_name_problem(std::string_view path);

// The text of <cairn/assets.h>.
std::string assets_header();

// What write_assets may take from elsewhere instead of reading the files again.
struct AssetSources {
  // Each file's digest by its path in the folder, as the staged tree was hashed; a file missing
  // here is read.
  const std::map<std::string, Digest>* digests = nullptr;
  GzipMemo* memo = nullptr;
};

// Generates the asset glue into `glue_folder` from the files under `assets_folder` on the host
// (the staged copy of <app>/<folder>; a missing folder is an empty one). `folder` is the
// "assets" value, which the assembler finds under /cairn/app. Refuses symlinks, names a URL path
// cannot carry, and folders beyond `limits`, naming the file or the limit. A file compressed now
// must have the digest `sources.digests` gives it.
Result<GeneratedAssets> write_assets(const std::filesystem::path& glue_folder,
                                     const std::filesystem::path& assets_folder, std::string_view folder,
                                     const AssetLimits& limits = {}, const AssetSources& sources = {});

}  // namespace cairn::builder
