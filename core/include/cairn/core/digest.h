// Digest: a SHA-256 or SHA-512 value, written "sha256:<64 lower-case hex>" everywhere in Cairn
// (manifests, lock files, OCI descriptors). Hasher computes one incrementally through OpenSSL.
#pragma once

#include "cairn/core/result.h"

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace cairn {

enum class DigestAlgorithm { sha256, sha512 };

// "sha256" or "sha512": the prefix used in the text form.
std::string_view to_string(DigestAlgorithm algorithm);
// Length in bytes of a digest made with `algorithm` (32 or 64).
std::size_t digest_size(DigestAlgorithm algorithm);

class Digest {
 public:
  // Parses "sha256:<64 hex>" or "sha512:<128 hex>". Hex must be lower case, as OCI requires, so
  // that every digest has exactly one spelling.
  static Result<Digest> parse(std::string_view text);
  // Builds a digest from raw bytes; the size must match the algorithm.
  static Result<Digest> from_bytes(DigestAlgorithm algorithm, std::span<const std::uint8_t> bytes);

  // One-shot digest of a byte string.
  static Digest of(DigestAlgorithm algorithm, std::span<const std::byte> data);
  static Digest sha256_of(std::string_view data);

  DigestAlgorithm algorithm() const { return algorithm_; }
  std::span<const std::uint8_t> bytes() const { return {bytes_.data(), digest_size(algorithm_)}; }
  // Lower-case hex of the bytes, without the algorithm prefix.
  std::string hex() const;
  // "sha256:<hex>".
  std::string to_string() const;

  friend bool operator==(const Digest& a, const Digest& b) {
    return a.algorithm_ == b.algorithm_ && a.bytes_ == b.bytes_;
  }
  friend auto operator<=>(const Digest& a, const Digest& b) {
    if (auto c = a.algorithm_ <=> b.algorithm_; std::is_neq(c)) return c;
    return a.bytes_ <=> b.bytes_;
  }

 private:
  Digest(DigestAlgorithm algorithm) : algorithm_(algorithm) {}
  friend class Hasher;

  DigestAlgorithm algorithm_;
  std::array<std::uint8_t, 64> bytes_{};  // only the first digest_size() bytes are used
};

// Incremental hashing: update() any number of times, then finish() once.
class Hasher {
 public:
  explicit Hasher(DigestAlgorithm algorithm = DigestAlgorithm::sha256);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;

  void update(std::span<const std::byte> data);
  void update(std::string_view data);
  // Returns the digest of everything passed to update(); the Hasher is then reset for reuse.
  Digest finish();

 private:
  struct Context;
  DigestAlgorithm algorithm_;
  std::unique_ptr<Context> context_;
};

// Digest of a file's contents, read in large blocks.
Result<Digest> digest_file(const std::filesystem::path& path, DigestAlgorithm algorithm = DigestAlgorithm::sha256);
// Digest of everything readable from an open file descriptor (read to end of file).
Result<Digest> digest_fd(int fd, DigestAlgorithm algorithm = DigestAlgorithm::sha256);

}  // namespace cairn

template <>
struct fmt::formatter<cairn::Digest> : fmt::formatter<std::string_view> {
  auto format(const cairn::Digest& digest, fmt::format_context& context) const {
    return fmt::formatter<std::string_view>::format(digest.to_string(), context);
  }
};
