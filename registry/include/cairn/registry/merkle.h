// The transparency log's Merkle tree (RFC 6962 section 2.1, RFC 9162 section 2.1): hashes,
// tree heads, inclusion and consistency proofs, and their verification.
//
//   leaf hash  SHA-256(0x00 || entry)
//   node hash  SHA-256(0x01 || left || right)
//   the root of n > 1 leaves: node hash(root of the first k, root of the other n − k), where k is
//   the largest power of two below n; of one leaf, its leaf hash; of none, SHA-256 of nothing.
//
// Proofs are built from the hashes of complete subtrees (a NodeSource), which is all a log
// stores: level L, index i is the root of leaves [i·2^L, (i+1)·2^L). Verification needs nothing
// but the proof, and follows RFC 9162's algorithms (sections 2.1.3.2 and 2.1.4.2).
#pragma once

#include "cairn/core/result.h"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::registry {

using Hash = std::array<std::uint8_t, 32>;

Hash leaf_hash(std::string_view entry);
Hash node_hash(const Hash& left, const Hash& right);
// The root of the empty tree: SHA-256 of nothing.
Hash empty_tree_root();

std::string to_hex(const Hash& hash);
std::string to_base64(const Hash& hash);
// Exactly 32 bytes of standard base64 (as checkpoints and proofs carry them).
Result<Hash> hash_from_base64(std::string_view text);

// Where a log keeps the roots of its complete subtrees.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  // The root of leaves [index·2^level, (index+1)·2^level), all of which exist.
  virtual Result<Hash> node(unsigned level, std::uint64_t index) const = 0;
};

// The root of the first `size` leaves.
Result<Hash> tree_root(const NodeSource& nodes, std::uint64_t size);
// The audit path of leaf `index` in the tree of `size` leaves (RFC 6962 PATH).
Result<std::vector<Hash>> inclusion_proof(const NodeSource& nodes, std::uint64_t index, std::uint64_t size);
// That the tree of `old_size` leaves is a prefix of the one of `new_size` (RFC 6962 PROOF);
// 0 < old_size <= new_size, empty when they are equal.
Result<std::vector<Hash>> consistency_proof(const NodeSource& nodes, std::uint64_t old_size, std::uint64_t new_size);

// Refused (naming what failed) unless `proof` shows `leaf` at `index` in the tree `root` of
// `size` leaves.
Result<void> verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size, std::span<const Hash> proof,
                              const Hash& root);
// Refused unless `proof` shows the tree `old_root` of `old_size` leaves to be a prefix of the tree
// `new_root` of `new_size` leaves.
Result<void> verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                                const Hash& new_root, std::span<const Hash> proof);

// Every complete subtree root, in memory, grown leaf by leaf.
class MemoryTree final : public NodeSource {
 public:
  void append(const Hash& leaf);
  std::uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  Result<Hash> node(unsigned level, std::uint64_t index) const override;

 private:
  std::vector<std::vector<Hash>> levels_;
};

}  // namespace cairn::registry
