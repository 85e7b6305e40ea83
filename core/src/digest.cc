// SHA-256 / SHA-512 through OpenSSL's EVP interface, and the "sha256:<hex>" text form.
#include "cairn/core/digest.h"

#include "cairn/core/file.h"
#include "cairn/core/unique_handle.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>

namespace cairn {

namespace {

// Fetched once: an implicit fetch on every EVP_DigestInit_ex costs a lock and a lookup, which
// shows when hashing thousands of small files.
const EVP_MD* message_digest(DigestAlgorithm algorithm) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  EVP_MD* md = algorithm == DigestAlgorithm::sha256 ? sha256 : sha512;
  if (md == nullptr) fatal("OpenSSL has no SHA-256/SHA-512 implementation");
  return md;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string_view to_string(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::sha256 ? "sha256" : "sha512";
}

std::size_t digest_size(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::sha256 ? 32 : 64;
}

Result<Digest> Digest::parse(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return make_error(ErrorCode::malformed, "digest '{}' has no algorithm prefix (expected sha256:<hex>)", text);
  }
  std::string_view name = text.substr(0, colon);
  std::string_view hex = text.substr(colon + 1);
  DigestAlgorithm algorithm;
  if (name == "sha256") {
    algorithm = DigestAlgorithm::sha256;
  } else if (name == "sha512") {
    algorithm = DigestAlgorithm::sha512;
  } else {
    return make_error(ErrorCode::unsupported, "digest '{}': unknown algorithm '{}' (expected sha256 or sha512)", text,
                      name);
  }
  std::size_t size = digest_size(algorithm);
  if (hex.size() != 2 * size) {
    return make_error(ErrorCode::malformed, "digest '{}': {} needs {} hex digits, found {}", text, name, 2 * size,
                      hex.size());
  }
  Digest digest(algorithm);
  for (std::size_t i = 0; i < size; ++i) {
    int high = hex_value(hex[2 * i]);
    int low = hex_value(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return make_error(ErrorCode::malformed, "digest '{}': character {} is not a lower-case hex digit", text,
                        colon + 2 + 2 * i + (high < 0 ? 0 : 1));  // 1-based
    }
    digest.bytes_[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return digest;
}

Result<Digest> Digest::from_bytes(DigestAlgorithm algorithm, std::span<const std::uint8_t> bytes) {
  if (bytes.size() != digest_size(algorithm)) {
    return make_error(ErrorCode::malformed, "a {} digest is {} bytes, not {}", cairn::to_string(algorithm),
                      digest_size(algorithm), bytes.size());
  }
  Digest digest(algorithm);
  std::copy(bytes.begin(), bytes.end(), digest.bytes_.begin());
  return digest;
}

Digest Digest::of(DigestAlgorithm algorithm, std::span<const std::byte> data) {
  Hasher hasher(algorithm);
  hasher.update(data);
  return hasher.finish();
}

Digest Digest::sha256_of(std::string_view data) {
  return of(DigestAlgorithm::sha256, std::as_bytes(std::span(data.data(), data.size())));
}

std::string Digest::hex() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest_size(algorithm_));
  for (std::uint8_t byte : bytes()) {
    out.push_back(digits[byte >> 4]);
    out.push_back(digits[byte & 0xf]);
  }
  return out;
}

std::string Digest::to_string() const {
  return std::string(cairn::to_string(algorithm_)) + ":" + hex();
}

struct Hasher::Context {
  UniqueHandle<EVP_MD_CTX, EVP_MD_CTX_free> evp{EVP_MD_CTX_new()};
};

Hasher::Hasher(DigestAlgorithm algorithm) : algorithm_(algorithm), context_(std::make_unique<Context>()) {
  if (context_->evp == nullptr || EVP_DigestInit_ex(context_->evp.get(), message_digest(algorithm), nullptr) != 1) {
    fatal("OpenSSL could not start a digest");
  }
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::span<const std::byte> data) {
  if (EVP_DigestUpdate(context_->evp.get(), data.data(), data.size()) != 1) fatal("OpenSSL digest update failed");
}

void Hasher::update(std::string_view data) {
  update(std::as_bytes(std::span(data.data(), data.size())));
}

Digest Hasher::finish() {
  Digest digest(algorithm_);
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context_->evp.get(), digest.bytes_.data(), &size) != 1 || size != digest_size(algorithm_) ||
      EVP_DigestInit_ex(context_->evp.get(), message_digest(algorithm_), nullptr) != 1) {
    fatal("OpenSSL digest final failed");
  }
  return digest;
}

Result<Digest> digest_fd(int fd, DigestAlgorithm algorithm) {
  Hasher hasher(algorithm);
  // 256 KiB blocks: large enough that system-call overhead vanishes, small enough for the cache.
  static constexpr std::size_t block_size = std::size_t{256} * 1024;
  // One uninitialised buffer per thread: a fresh zeroed one per call would cost more than
  // hashing the small files that trees are mostly made of.
  thread_local const std::unique_ptr<std::byte[]> buffer(new std::byte[block_size]);
  for (;;) {
    std::size_t got = CAIRN_TRY(read_some(fd, buffer.get(), block_size));
    if (got == 0) break;
    hasher.update(std::span(buffer.get(), got));
  }
  return hasher.finish();
}

Result<Digest> digest_file(const std::filesystem::path& path, DigestAlgorithm algorithm) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return make_error(ErrorCode::not_found, "{}: no such file", path.string());
    return system_error(fmt::format("open {}", path.string()), errno);
  }
  (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return digest_fd(fd.get(), algorithm).with_context(path.string());
}

}  // namespace cairn
