// References as `cairn publish` and `cairn pull` take them: HTTPS unless http:// is written, and
// every malformed part refused.
#include "cairn/registry/reference.h"

#include "support/must.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::registry {
namespace {

using cairn::test_support::must;

TEST(Reference, IsHttpsUnlessPlainHttpIsWritten) {
  Reference reference = must(parse_reference("registry.example.org/cairn/udp-echo:v1"));
  EXPECT_FALSE(reference.plain_http);
  EXPECT_EQ(reference.base_url(), "https://registry.example.org");
  EXPECT_EQ(reference.repository, "cairn/udp-echo");
  EXPECT_EQ(reference.tag, "v1");
  EXPECT_FALSE(reference.digest.has_value());

  Reference local = must(parse_reference("http://127.0.0.1:5000/hello:latest"));
  EXPECT_TRUE(local.plain_http);
  EXPECT_EQ(local.base_url(), "http://127.0.0.1:5000");
  EXPECT_EQ(local.to_string(), "http://127.0.0.1:5000/hello:latest");

  EXPECT_EQ(must(parse_reference("https://h/n")).base_url(), "https://h");
}

TEST(Reference, TakesADigest) {
  Digest digest = Digest::sha256_of("manifest");
  Reference reference = must(parse_reference("localhost:443/a/b@" + digest.to_string()));
  EXPECT_EQ(reference.digest, digest);
  EXPECT_FALSE(reference.tag.has_value());
  EXPECT_EQ(reference.host, "localhost:443");
  EXPECT_EQ(must(parse_reference(reference.to_string())).digest, digest);
  EXPECT_EQ(reference.with_digest(digest), "localhost:443/a/b@" + digest.to_string());
}

TEST(Reference, TakesNeitherTagNorDigest) {
  Reference reference = must(parse_reference("[::1]:5000/x"));
  EXPECT_EQ(reference.host, "[::1]:5000");
  EXPECT_FALSE(reference.tag.has_value());
  EXPECT_FALSE(reference.digest.has_value());
}

TEST(Reference, RefusesGarbage) {
  std::string digest = Digest::sha256_of("m").to_string();
  const std::vector<std::string> garbage = {
           "", "/", "host", "host/", "/name", "ftp://host/name", "HTTP://host/name", "http:/host/name",
           "host/Name", "host/name:", "host/name:.bad", "host/name@", "host/name@sha256:abc",
           "host/name:tag@" + digest, "host/name@" + digest + ":tag", "host:0/name", "host:65536/name",
           "host:05000/name", "host:/name", "host:x/name", "ho st/name", "-host/name", "host-/name", "a..b/name",
           "[::1/name", "[]/name", "[::g]/name", "[::1]x/name", "host/name/../etc", "host//name", "host/name:a b",
           "host/name@sha512:" + std::string(128, 'a'), "host/name@SHA256:" + std::string(64, 'a'),
           std::string("host/na\0me", 10)};
  for (const std::string& text : garbage) {
    EXPECT_FALSE(parse_reference(text).ok()) << text;
  }
}

TEST(Reference, ErrorsNameThePart) {
  EXPECT_NE(parse_reference("h/Upper").error().message().find("'Upper' is not a repository name"), std::string::npos);
  EXPECT_NE(parse_reference("h/n:.x").error().message().find("'.x' is not a tag"), std::string::npos);
  EXPECT_NE(parse_reference("h:99999/n").error().message().find("port"), std::string::npos);
}

}  // namespace
}  // namespace cairn::registry
