// The log's Merkle tree against RFC 6962's published test vectors, and every proof for trees of
// up to 130 leaves checked both ways: each verifies, and each altered proof, leaf, index, size or
// root is refused.
#include "cairn/registry/merkle.h"

#include "support/must.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::registry {
namespace {

using cairn::test_support::must;

std::string unhex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

// The eight leaves of the RFC 6962 test vectors (certificate-transparency's merkle_tree_test) and
// the roots of their first n, n = 1..8.
const char* const vector_leaves[] = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
const char* const vector_roots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

TEST(Merkle, MatchesTheRfc6962TestVectors) {
  MemoryTree tree;
  EXPECT_EQ(to_hex(must(tree_root(tree, 0))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  for (std::size_t n = 0; n < 8; ++n) {
    tree.append(leaf_hash(unhex(vector_leaves[n])));
    EXPECT_EQ(to_hex(must(tree_root(tree, n + 1))), vector_roots[n]) << n + 1 << " leaves";
  }
}

MemoryTree tree_of(std::uint64_t size) {
  MemoryTree tree;
  for (std::uint64_t i = 0; i < size; ++i) tree.append(leaf_hash("entry " + std::to_string(i)));
  return tree;
}

TEST(Merkle, EveryInclusionProofVerifiesAndNoAlteredOneDoes) {
  MemoryTree tree = tree_of(130);
  for (std::uint64_t size = 1; size <= 130; ++size) {
    Hash root = must(tree_root(tree, size));
    for (std::uint64_t index = 0; index < size; ++index) {
      SCOPED_TRACE(testing::Message() << "leaf " << index << " of " << size);
      Hash leaf = leaf_hash("entry " + std::to_string(index));
      std::vector<Hash> proof = must(inclusion_proof(tree, index, size));
      ASSERT_TRUE(verify_inclusion(leaf, index, size, proof, root).ok());
      EXPECT_FALSE(verify_inclusion(leaf_hash("another"), index, size, proof, root).ok());
      if (size > 1) {
        EXPECT_FALSE(verify_inclusion(leaf, (index + 1) % size, size, proof, root).ok());
      }
      if (!proof.empty()) {
        std::vector<Hash> altered = proof;
        altered.back()[0] ^= 1;
        EXPECT_FALSE(verify_inclusion(leaf, index, size, altered, root).ok());
        altered = proof;
        altered.pop_back();
        EXPECT_FALSE(verify_inclusion(leaf, index, size, altered, root).ok());
      }
      std::vector<Hash> longer = proof;
      longer.push_back(root);
      EXPECT_FALSE(verify_inclusion(leaf, index, size, longer, root).ok());
    }
  }
}

TEST(Merkle, EveryConsistencyProofVerifiesAndNoAlteredOneDoes) {
  MemoryTree tree = tree_of(70);
  for (std::uint64_t new_size = 1; new_size <= 70; ++new_size) {
    Hash new_root = must(tree_root(tree, new_size));
    for (std::uint64_t old_size = 1; old_size <= new_size; ++old_size) {
      SCOPED_TRACE(testing::Message() << old_size << " -> " << new_size);
      Hash old_root = must(tree_root(tree, old_size));
      std::vector<Hash> proof = must(consistency_proof(tree, old_size, new_size));
      ASSERT_TRUE(verify_consistency(old_size, new_size, old_root, new_root, proof).ok());
      EXPECT_FALSE(
          verify_consistency(old_size, new_size, new_root == old_root ? leaf_hash("x") : new_root, new_root, proof)
              .ok());
      if (old_size < new_size) {
        EXPECT_FALSE(verify_consistency(old_size, new_size, old_root, old_root, proof).ok());
        std::vector<Hash> altered = proof;
        altered.front()[31] ^= 0x80;
        EXPECT_FALSE(verify_consistency(old_size, new_size, old_root, new_root, altered).ok());
        altered = proof;
        altered.pop_back();
        EXPECT_FALSE(verify_consistency(old_size, new_size, old_root, new_root, altered).ok());
        std::uint64_t other_size = old_size + 1 < new_size ? old_size + 1 : old_size - 1;
        if (other_size > 0) {
          EXPECT_FALSE(verify_consistency(other_size, new_size, old_root, new_root, proof).ok());
        }
      }
    }
  }
}

TEST(Merkle, RefusesProofsThatCannotExist) {
  MemoryTree tree = tree_of(5);
  EXPECT_FALSE(inclusion_proof(tree, 5, 5).ok());
  EXPECT_FALSE(inclusion_proof(tree, 0, 6).ok());  // leaves the tree does not have
  EXPECT_FALSE(consistency_proof(tree, 0, 5).ok());
  EXPECT_FALSE(consistency_proof(tree, 4, 3).ok());
  Hash root = must(tree_root(tree, 5));
  EXPECT_FALSE(verify_inclusion(leaf_hash("entry 0"), 5, 5, {}, root).ok());
  EXPECT_FALSE(verify_consistency(5, 4, root, root, {}).ok());
  EXPECT_TRUE(verify_consistency(5, 5, root, root, {}).ok());
  std::vector<Hash> one{root};
  EXPECT_FALSE(verify_consistency(5, 5, root, root, one).ok());
}

TEST(Merkle, HashesTravelAsBase64) {
  Hash hash = leaf_hash("x");
  EXPECT_EQ(must(hash_from_base64(to_base64(hash))), hash);
  EXPECT_FALSE(hash_from_base64("AAAA").ok());
  EXPECT_FALSE(hash_from_base64("not base64!").ok());
}

}  // namespace
}  // namespace cairn::registry
