// Version sets and terms for the PubGrub resolver (resolver.cc): a set of versions of one library
// is a bitset over the versions the index knows of it (bit 0 is the newest), so intersection,
// union, complement and the subset and disjointness tests are exact and cost a word or two.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cairn::manifest {

class VersionSet {
 public:
  VersionSet() = default;
  // The empty set and the whole set over a library that has `size` known versions.
  static VersionSet none(std::size_t size) {
    VersionSet set;
    set.size_ = size;
    if (size > word_bits) set.large_.assign(word_count(size), 0);
    return set;
  }
  static VersionSet all(std::size_t size) {
    VersionSet set = none(size);
    std::uint64_t* words = set.words();
    for (std::size_t i = 0; i < word_count(size); ++i) words[i] = ~std::uint64_t{0};
    set.clear_unused_bits();
    return set;
  }
  static VersionSet only(std::size_t size, std::size_t index) {
    VersionSet set = none(size);
    set.insert(index);
    return set;
  }

  std::size_t universe() const { return size_; }
  bool contains(std::size_t index) const { return (words()[index / word_bits] >> (index % word_bits)) & 1; }
  void insert(std::size_t index) { words()[index / word_bits] |= std::uint64_t{1} << (index % word_bits); }
  std::size_t count() const {
    std::size_t total = 0;
    for (std::size_t i = 0; i < word_count(size_); ++i) total += static_cast<std::size_t>(std::popcount(words()[i]));
    return total;
  }
  bool empty() const {
    for (std::size_t i = 0; i < word_count(size_); ++i) {
      if (words()[i] != 0) return false;
    }
    return true;
  }
  bool full() const { return count() == size_; }
  // The lowest index in the set (the newest version); universe() when the set is empty.
  std::size_t first() const {
    for (std::size_t i = 0; i < word_count(size_); ++i) {
      if (words()[i] != 0) return i * word_bits + static_cast<std::size_t>(std::countr_zero(words()[i]));
    }
    return size_;
  }

  VersionSet& operator&=(const VersionSet& other) {
    for (std::size_t i = 0; i < word_count(size_); ++i) words()[i] &= other.words()[i];
    return *this;
  }
  VersionSet& operator|=(const VersionSet& other) {
    for (std::size_t i = 0; i < word_count(size_); ++i) words()[i] |= other.words()[i];
    return *this;
  }
  VersionSet& subtract(const VersionSet& other) {
    for (std::size_t i = 0; i < word_count(size_); ++i) words()[i] &= ~other.words()[i];
    return *this;
  }
  bool is_subset_of(const VersionSet& other) const {
    for (std::size_t i = 0; i < word_count(size_); ++i) {
      if ((words()[i] & ~other.words()[i]) != 0) return false;
    }
    return true;
  }
  bool is_disjoint_from(const VersionSet& other) const {
    for (std::size_t i = 0; i < word_count(size_); ++i) {
      if ((words()[i] & other.words()[i]) != 0) return false;
    }
    return true;
  }
  friend bool operator==(const VersionSet& a, const VersionSet& b) {
    if (a.size_ != b.size_) return false;
    for (std::size_t i = 0; i < word_count(a.size_); ++i) {
      if (a.words()[i] != b.words()[i]) return false;
    }
    return true;
  }

 private:
  static constexpr std::size_t word_bits = 64;
  static std::size_t word_count(std::size_t size) { return (size + word_bits - 1) / word_bits; }
  // Sets of up to 64 versions, nearly all of them, live in small_ and never allocate.
  std::uint64_t* words() { return size_ > word_bits ? large_.data() : &small_; }
  const std::uint64_t* words() const { return size_ > word_bits ? large_.data() : &small_; }
  void clear_unused_bits() {
    if (size_ % word_bits != 0) words()[word_count(size_) - 1] &= (std::uint64_t{1} << (size_ % word_bits)) - 1;
  }

  std::size_t size_ = 0;
  std::uint64_t small_ = 0;
  std::vector<std::uint64_t> large_;
};

// A statement about one library: positive, "it is chosen, at a version in `versions`"; negative,
// "it is not chosen at any version in `versions`" (it may not be chosen at all).
struct Term {
  int package = 0;
  bool positive = true;
  VersionSet versions;
  const std::string* text = nullptr;  // the constraint the set came from, for explanations

  Term negated() const { return Term{package, !positive, versions, text}; }
  // A term that rules out everything: a positive term over no version.
  bool is_empty() const { return positive && versions.empty(); }
};

// The versions both terms allow (terms on the same library). A constraint's wording survives
// when the result is that constraint's set.
inline Term intersect(const Term& a, const Term& b) {
  Term result{a.package, true, a.versions, nullptr};
  if (a.positive && b.positive) {
    result.versions &= b.versions;
  } else if (a.positive) {
    result.versions.subtract(b.versions);
  } else if (b.positive) {
    result.versions = b.versions;
    result.versions.subtract(a.versions);
  } else {
    result.positive = false;
    result.versions |= b.versions;
  }
  if (result.positive == a.positive && result.versions == a.versions) {
    result.text = a.text;
  } else if (result.positive == b.positive && result.versions == b.versions) {
    result.text = b.text;
  }
  return result;
}

// Whether every selection `a` allows, `b` allows too.
inline bool is_subset(const Term& a, const Term& b) {
  if (a.positive && b.positive) return a.versions.is_subset_of(b.versions);
  if (a.positive) return a.versions.is_disjoint_from(b.versions);
  if (b.positive) return false;  // `a` allows leaving the library out; `b` does not
  return b.versions.is_subset_of(a.versions);
}

// Whether no selection satisfies both.
inline bool are_disjoint(const Term& a, const Term& b) {
  if (a.positive && b.positive) return a.versions.is_disjoint_from(b.versions);
  if (a.positive) return a.versions.is_subset_of(b.versions);
  if (b.positive) return b.versions.is_subset_of(a.versions);
  return false;  // both allow leaving the library out
}

}  // namespace cairn::manifest
