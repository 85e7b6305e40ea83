// assets-check: the test app of `cairn build`'s static assets (tests/builder/assets_test.sh). At
// boot it walks the table of <cairn/assets.h> and prints, for every file, a line the test compares
// with the folder it was built from:
//   asset|<path>|<size>|<gzip size>|<content type>|<etag>|<fnv of the bytes>|<fnv of the gzip form>
// then each gzip form in hex ("gzip|<path>|<hex>", 32 bytes a line), so that the test can
// decompress it and compare it with the file. It checks on its own that the table is sorted and
// that find() finds every file and nothing else, and exits 1 if not.
#include <cairn/assets.h>
#include <cairn/runtime/app.h>
#include <cairn/runtime/print.h>

namespace {

using cairn::runtime::print;

// 64-bit FNV-1a: a checksum the test recomputes in a few lines of Python.
unsigned long long fnv1a(const unsigned char* data, unsigned long size) {
  unsigned long long hash = 0xcbf29ce484222325ull;
  for (unsigned long i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

unsigned long length_of(const char* text) {
  unsigned long length = 0;
  while (text[length] != '\0') ++length;
  return length;
}

void print_hex(const char* path, const unsigned char* data, unsigned long size) {
  constexpr char digits[] = "0123456789abcdef";
  for (unsigned long at = 0; at < size; at += 32) {
    char line[65];
    unsigned long count = size - at < 32 ? size - at : 32;
    for (unsigned long i = 0; i < count; ++i) {
      line[2 * i] = digits[data[at + i] >> 4];
      line[2 * i + 1] = digits[data[at + i] & 15];
    }
    line[2 * count] = '\0';
    print("gzip|{}|{}\n", path, static_cast<const char*>(line));
  }
}

bool check_table() {
  namespace assets = cairn::assets;
  bool good = true;
  for (unsigned long i = 0; i < assets::file_count; ++i) {
    const assets::File& file = assets::files[i];
    unsigned long length = length_of(file.path);
    if (i > 0 && assets::detail::compare(assets::files[i - 1].path, file.path, length) >= 0) {
      print("error: {} is not after {}\n", file.path, assets::files[i - 1].path);
      good = false;
    }
    if (assets::find(file.path, length) != &file) {
      print("error: find({}) is not its entry\n", file.path);
      good = false;
    }
    // A prefix of a path, and a path with one more byte, are other paths.
    if (length > 1 && assets::find(file.path, length - 1) != nullptr &&
        assets::find(file.path, length - 1)->path[length - 1] != '\0') {
      print("error: find() of a prefix of {} found a longer path\n", file.path);
      good = false;
    }
  }
  if (assets::find("/no-such-file", 13) != nullptr || assets::find("", 0) != nullptr) {
    print("error: find() found a file that is not there\n");
    good = false;
  }
  return good;
}

}  // namespace

int cairn::app_main(cairn::Arguments) {
  namespace assets = cairn::assets;
  print("assets: {} files\n", assets::file_count);
  for (unsigned long i = 0; i < assets::file_count; ++i) {
    const assets::File& file = assets::files[i];
    print("asset|{}|{}|{}|{}|{}|{:x}|{:x}\n", file.path, file.size, file.gzip_size, file.content_type, file.etag,
          fnv1a(file.data, file.size), file.gzip != nullptr ? fnv1a(file.gzip, file.gzip_size) : 0ull);
  }
  for (unsigned long i = 0; i < assets::file_count; ++i) {
    const assets::File& file = assets::files[i];
    if (file.gzip != nullptr) print_hex(file.path, file.gzip, file.gzip_size);
  }
  if (!check_table()) return 1;
  print("assets: table sorted, find() right\n");
  return 0;
}
