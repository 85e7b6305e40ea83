// The OCI validators the server and the client share: names, tags and digests by the grammar of
// the distribution spec, and nothing else.
#include "cairn/registry/oci.h"

#include "support/must.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn::registry {
namespace {

using cairn::test_support::must;

TEST(RepositoryName, AcceptsTheSpecsGrammar) {
  for (const char* name : {"a", "cairn", "cairn/udp-echo", "a.b", "a_b", "a__b", "a---b", "a0/b1/c2", "x.y-z__w",
                           "library/ubuntu", "0"}) {
    EXPECT_TRUE(valid_repository_name(name)) << name;
  }
}

TEST(RepositoryName, RefusesEverythingElse) {
  for (const char* name : {"", "A", "Cairn", "a/", "/a", "a//b", "a..b", "a___b", "a._b", "-a", "a-", ".a", "a.",
                           "_a", "a_", "a:b", "a@b", "a b", "../etc", "a/../b", "a/./b", "é"}) {
    EXPECT_FALSE(valid_repository_name(name)) << name;
  }
  EXPECT_TRUE(valid_repository_name(std::string(255, 'a')));
  EXPECT_FALSE(valid_repository_name(std::string(256, 'a')));
}

TEST(Tag, AcceptsTheSpecsGrammar) {
  for (const char* tag : {"latest", "v1.0.0", "_x", "A-b.c_d", "sha256-abc.att", "0"}) {
    EXPECT_TRUE(valid_tag(tag)) << tag;
  }
  EXPECT_TRUE(valid_tag(std::string(128, 'a')));
}

TEST(Tag, RefusesEverythingElse) {
  for (const char* tag : {"", ".x", "-x", "a/b", "a:b", "a@b", "a b", "ä"}) {
    EXPECT_FALSE(valid_tag(tag)) << tag;
  }
  EXPECT_FALSE(valid_tag(std::string(129, 'a')));
}

TEST(Digest, ParsesOnlyLowerCaseSha256) {
  std::string hex(64, 'a');
  EXPECT_EQ(must(parse_digest("sha256:" + hex)).hex(), hex);
  EXPECT_EQ(parse_digest("sha256:" + std::string(64, 'A')).error().code(), ErrorCode::malformed);
  EXPECT_EQ(parse_digest("sha256:" + std::string(63, 'a')).error().code(), ErrorCode::malformed);
  EXPECT_EQ(parse_digest("sha256:" + hex + "a").error().code(), ErrorCode::malformed);
  EXPECT_EQ(parse_digest(hex).error().code(), ErrorCode::malformed);
  EXPECT_EQ(parse_digest("sha512:" + std::string(128, 'a')).error().code(), ErrorCode::unsupported);
  EXPECT_EQ(parse_digest("").error().code(), ErrorCode::malformed);
}

TEST(AttachmentTag, IsCosignsScheme) {
  Digest digest = Digest::sha256_of("x");
  EXPECT_EQ(attachment_tag(digest), "sha256-" + digest.hex() + ".att");
  EXPECT_TRUE(valid_tag(attachment_tag(digest)));
}

}  // namespace
}  // namespace cairn::registry
