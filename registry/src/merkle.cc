// RFC 6962 / 9162 Merkle trees (see merkle.h).
#include "cairn/registry/merkle.h"

#include "cairn/core/base64.h"
#include "cairn/core/digest.h"

#include <bit>
#include <cstring>

namespace cairn::registry {

namespace {

Hash sha256_with_prefix(std::uint8_t prefix, std::string_view a, std::string_view b = {}) {
  std::string data;
  data.reserve(1 + a.size() + b.size());
  data.push_back(static_cast<char>(prefix));
  data.append(a);
  data.append(b);
  Digest digest = Digest::sha256_of(data);
  Hash hash{};
  std::memcpy(hash.data(), digest.bytes().data(), hash.size());
  return hash;
}

std::string_view bytes_of(const Hash& hash) {
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

// The largest power of two below n (n >= 2).
std::uint64_t split_point(std::uint64_t n) {
  return std::bit_floor(n - 1);
}

// The root of leaves [begin, end): a stored node when the range is one complete, aligned subtree
// (every range the RFC's recursions make is aligned), else split as the RFC splits.
Result<Hash> range_root(const NodeSource& nodes, std::uint64_t begin, std::uint64_t end) {
  std::uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) {
    return nodes.node(static_cast<unsigned>(std::countr_zero(n)), begin / n);
  }
  std::uint64_t k = split_point(n);
  Hash left = CAIRN_TRY(range_root(nodes, begin, begin + k));
  Hash right = CAIRN_TRY(range_root(nodes, begin + k, end));
  return node_hash(left, right);
}

// RFC 6962 PATH(m, D[begin:end]), m absolute.
Result<void> path(const NodeSource& nodes, std::uint64_t m, std::uint64_t begin, std::uint64_t end,
                  std::vector<Hash>& proof) {
  std::uint64_t n = end - begin;
  if (n <= 1) return {};
  std::uint64_t k = split_point(n);
  if (m < begin + k) {
    CAIRN_TRY(path(nodes, m, begin, begin + k, proof));
    Hash sibling = CAIRN_TRY(range_root(nodes, begin + k, end));
    proof.push_back(sibling);
  } else {
    CAIRN_TRY(path(nodes, m, begin + k, end, proof));
    Hash sibling = CAIRN_TRY(range_root(nodes, begin, begin + k));
    proof.push_back(sibling);
  }
  return {};
}

// RFC 6962 SUBPROOF(m, D[begin:end], whole), m counted from begin.
Result<void> subproof(const NodeSource& nodes, std::uint64_t m, std::uint64_t begin, std::uint64_t end, bool whole,
                      std::vector<Hash>& proof) {
  std::uint64_t n = end - begin;
  if (m == n) {
    if (!whole) {
      Hash root = CAIRN_TRY(range_root(nodes, begin, end));
      proof.push_back(root);
    }
    return {};
  }
  std::uint64_t k = split_point(n);
  if (m <= k) {
    CAIRN_TRY(subproof(nodes, m, begin, begin + k, whole, proof));
    Hash right = CAIRN_TRY(range_root(nodes, begin + k, end));
    proof.push_back(right);
  } else {
    CAIRN_TRY(subproof(nodes, m - k, begin + k, end, false, proof));
    Hash left = CAIRN_TRY(range_root(nodes, begin, begin + k));
    proof.push_back(left);
  }
  return {};
}

Error refused(std::string_view what) {
  return make_error(ErrorCode::refused, "{}", what);
}

}  // namespace

Hash leaf_hash(std::string_view entry) {
  return sha256_with_prefix(0x00, entry);
}

Hash node_hash(const Hash& left, const Hash& right) {
  return sha256_with_prefix(0x01, bytes_of(left), bytes_of(right));
}

Hash empty_tree_root() {
  Digest digest = Digest::sha256_of("");
  Hash hash{};
  std::memcpy(hash.data(), digest.bytes().data(), hash.size());
  return hash;
}

std::string to_hex(const Hash& hash) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (std::uint8_t byte : hash) {
    text.push_back(digits[byte >> 4]);
    text.push_back(digits[byte & 15]);
  }
  return text;
}

std::string to_base64(const Hash& hash) {
  return base64_encode(bytes_of(hash));
}

Result<Hash> hash_from_base64(std::string_view text) {
  std::string bytes = CAIRN_TRY(base64_decode(text));
  if (bytes.size() != sizeof(Hash)) {
    return make_error(ErrorCode::malformed, "a hash of {} bytes (expected 32)", bytes.size());
  }
  Hash hash{};
  std::memcpy(hash.data(), bytes.data(), hash.size());
  return hash;
}

Result<Hash> tree_root(const NodeSource& nodes, std::uint64_t size) {
  if (size == 0) return empty_tree_root();
  return range_root(nodes, 0, size);
}

Result<std::vector<Hash>> inclusion_proof(const NodeSource& nodes, std::uint64_t index, std::uint64_t size) {
  if (index >= size) {
    return make_error(ErrorCode::invalid_argument, "leaf {} is not in a tree of {} leaves", index, size);
  }
  std::vector<Hash> proof;
  CAIRN_TRY(path(nodes, index, 0, size, proof));
  return proof;
}

Result<std::vector<Hash>> consistency_proof(const NodeSource& nodes, std::uint64_t old_size, std::uint64_t new_size) {
  if (old_size == 0 || old_size > new_size) {
    return make_error(ErrorCode::invalid_argument, "no consistency proof from {} to {} leaves", old_size, new_size);
  }
  std::vector<Hash> proof;
  if (old_size == new_size) return proof;
  CAIRN_TRY(subproof(nodes, old_size, 0, new_size, true, proof));
  return proof;
}

Result<void> verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size, std::span<const Hash> proof,
                              const Hash& root) {
  if (index >= size) return refused(fmt::format("inclusion: leaf {} is beyond a tree of {} leaves", index, size));
  std::uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return refused("inclusion: the proof is longer than the tree is deep");
    if ((fn & 1) == 1 || fn == sn) {
      r = node_hash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return refused("inclusion: the proof is shorter than the tree is deep");
  if (r != root) return refused("inclusion: the proof leads to another root");
  return {};
}

Result<void> verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                                const Hash& new_root, std::span<const Hash> proof) {
  if (old_size > new_size) {
    return refused(fmt::format("consistency: a tree of {} leaves cannot follow one of {}", new_size, old_size));
  }
  if (old_size == new_size) {
    if (!proof.empty()) return refused("consistency: a proof between trees of the same size must be empty");
    if (old_root != new_root) return refused(fmt::format("consistency: two different roots for {} leaves", old_size));
    return {};
  }
  if (old_size == 0) {
    if (!proof.empty()) return refused("consistency: a proof from the empty tree must be empty");
    return {};
  }
  if (proof.empty()) return refused("consistency: an empty proof between trees of different sizes");
  std::vector<Hash> path(proof.begin(), proof.end());
  if (std::has_single_bit(old_size)) path.insert(path.begin(), old_root);
  std::uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return refused("consistency: the proof is longer than the trees need");
    if ((fn & 1) == 1 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return refused("consistency: the proof is shorter than the trees need");
  if (fr != old_root) return refused("consistency: the proof does not lead to the old root");
  if (sr != new_root) return refused("consistency: the proof does not lead to the new root");
  return {};
}

void MemoryTree::append(const Hash& leaf) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf);
  // Each new complete pair makes a node one level up.
  for (std::size_t level = 0; levels_[level].size() % 2 == 0; ++level) {
    const auto& row = levels_[level];
    Hash parent = node_hash(row[row.size() - 2], row[row.size() - 1]);
    if (levels_.size() == level + 1) levels_.emplace_back();
    levels_[level + 1].push_back(parent);
  }
}

Result<Hash> MemoryTree::node(unsigned level, std::uint64_t index) const {
  if (level >= levels_.size() || index >= levels_[level].size()) {
    return make_error(ErrorCode::not_found, "no complete node at level {} index {}", level, index);
  }
  return levels_[level][index];
}

}  // namespace cairn::registry
