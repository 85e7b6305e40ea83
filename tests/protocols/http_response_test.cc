// The HTTP response writer and the static-resource decisions: IMF-fixdate against known dates,
// heads that refuse to overflow, chunk framing, and what a static server answers (405, 304, 206,
// 416, gzip variants).
#include <cairn/protocols/http/response.h>
#include <cairn/protocols/http/static_resource.h>
#include <gtest/gtest.h>

#include <string>

#include "http_test_support.h"

namespace cairn::protocols::http {
namespace {

using testing::parse_head;
using testing::str;
using testing::view;

std::string date_of(uint64_t seconds) {
  char out[imf_fixdate_size];
  format_imf_fixdate(seconds, out);
  return std::string(out, sizeof out);
}

TEST(HttpDateTest, FormatsKnownDatesAsImfFixdate) {
  EXPECT_EQ(date_of(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(date_of(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(date_of(2147483648), "Tue, 19 Jan 2038 03:14:08 GMT");
  EXPECT_EQ(date_of(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(HttpDateTest, CountsLeapDaysOfEveryFourthCenturyOnly) {
  EXPECT_EQ(date_of(951825600), "Tue, 29 Feb 2000 12:00:00 GMT");  // 2000: divisible by 400
  EXPECT_EQ(date_of(951868800), "Wed, 01 Mar 2000 00:00:00 GMT");
  EXPECT_EQ(date_of(1709251199), "Thu, 29 Feb 2024 23:59:59 GMT");
  EXPECT_EQ(date_of(4107456000), "Sun, 28 Feb 2100 00:00:00 GMT");  // 2100: no 29 February
  EXPECT_EQ(date_of(4107542400), "Mon, 01 Mar 2100 00:00:00 GMT");
}

TEST(HttpDateTest, SaturatesAfterYear9999) {
  EXPECT_EQ(date_of(UINT64_MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(HttpDateTest, WalksEveryDayOfFourCenturiesWithoutGaps) {
  CivilTime previous = civil_from_seconds(0);
  for (uint64_t day = 1; day < 146097; ++day) {
    CivilTime today = civil_from_seconds(day * 86400);
    bool next_day = today.year == previous.year && today.month == previous.month && today.day == previous.day + 1;
    bool next_month = today.year == previous.year && today.month == previous.month + 1 && today.day == 1;
    bool next_year = today.year == previous.year + 1 && today.month == 1 && today.day == 1 && previous.month == 12;
    ASSERT_TRUE(next_day || next_month || next_year) << day;
    ASSERT_EQ(today.weekday, (previous.weekday + 1) % 7);
    previous = today;
  }
  EXPECT_EQ(previous.year, 2369);
}

TEST(HttpResponseWriterTest, WritesAStatusLineFieldsAndTheEmptyLine) {
  uint8_t buffer[256];
  ResponseWriter writer(buffer);
  writer.status_line(404);
  writer.date(784111777);
  writer.field("Server", "cairn");
  writer.field_number("Content-Length", 1234567890123ull);
  writer.content_range(0, 9, 100);
  Result<size_t> size = writer.finish();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(str(ByteView(buffer, size.value())),
            "HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: cairn\r\n"
            "Content-Length: 1234567890123\r\nContent-Range: bytes 0-9/100\r\n\r\n");
}

TEST(HttpResponseWriterTest, RefusesWithTooLargeWhenTheHeadDoesNotFit) {
  uint8_t buffer[40];
  for (size_t size = 0; size <= sizeof buffer; ++size) {
    ResponseWriter writer(MutableByteView(buffer, size));
    writer.status_line(200);
    writer.field("Server", "cairn");
    Result<size_t> written = writer.finish();
    // "HTTP/1.1 200 OK\r\n" (17) + "Server: cairn\r\n" (15) + "\r\n" (2)
    EXPECT_EQ(written.ok(), size >= 34) << size;
    if (!written.ok()) {
      EXPECT_EQ(written.error(), Error::too_large);
    }
  }
}

TEST(HttpResponseWriterTest, FramesChunks) {
  uint8_t buffer[32];
  Result<size_t> header = write_chunk_header(buffer, 0x1a2b);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(str(ByteView(buffer, header.value())), "1a2b\r\n");
  header = write_chunk_header(buffer, UINT64_MAX);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(str(ByteView(buffer, header.value())), "ffffffffffffffff\r\n");
  EXPECT_FALSE(write_chunk_header(MutableByteView(buffer, 5), 0x1a2b).ok());
  Result<size_t> last = write_last_chunk(buffer);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(str(ByteView(buffer, last.value())), "0\r\n\r\n");
  EXPECT_EQ(write_chunk_end(buffer).value(), 2u);
}

TEST(HttpResponseWriterTest, WritesErrorResponsesThatClose) {
  uint8_t buffer[256];
  Result<size_t> size = write_error_response(buffer, 431, 0, "cairn");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(str(ByteView(buffer, size.value())),
            "HTTP/1.1 431 Request Header Fields Too Large\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
            "Server: cairn\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

// --- static resources ---

const std::string identity_body = "<html>hello, hello, hello, hello, hello</html>";
const std::string gzip_body = "GZIPPEDBYTES";

StaticResource resource(bool with_gzip = true) {
  StaticResource resource;
  resource.content_type = text("text/html");
  resource.etag = text("\"abc\"");
  resource.identity = view(identity_body);
  if (with_gzip) resource.gzip = view(gzip_body);
  return resource;
}

// The decision for a request with `fields` (CRLF-separated lines) and method `method`.
struct Answer {
  StaticDecision decision;
  std::string head;
  std::string body;
};

Answer answer(const std::string& fields, const std::string& method = "GET", bool with_gzip = true,
              const std::string& version = "HTTP/1.1") {
  static std::string input;  // the request's views point into it
  input = method + " /index.html " + version + "\r\nHost: h\r\n" + fields + "\r\n";
  Result<ParseStep> step = parse_head(input);
  EXPECT_TRUE(step.ok()) << input;
  Answer result;
  StaticResource chosen = resource(with_gzip);
  result.decision = decide(step->request, chosen);
  uint8_t out[1024];
  Result<StaticResponse> response = write_static_response(step->request, chosen, result.decision, {784111777}, out);
  EXPECT_TRUE(response.ok());
  result.head = str(ByteView(out, response->head_size));
  result.body = str(response->body);
  return result;
}

bool has_field(const Answer& answer, const std::string& line) {
  return answer.head.find("\r\n" + line + "\r\n") != std::string::npos;
}

TEST(HttpStaticTest, ServesGetWithItsFields) {
  Answer get = answer("");
  EXPECT_EQ(get.decision.status, 200);
  EXPECT_EQ(get.body, identity_body);
  EXPECT_EQ(get.head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_TRUE(has_field(get, "Date: Sun, 06 Nov 1994 08:49:37 GMT"));
  EXPECT_TRUE(has_field(get, "Server: cairn"));
  EXPECT_TRUE(has_field(get, "Content-Type: text/html"));
  EXPECT_TRUE(has_field(get, "Content-Length: " + std::to_string(identity_body.size())));
  EXPECT_TRUE(has_field(get, "ETag: \"abc\""));
  EXPECT_TRUE(has_field(get, "Vary: Accept-Encoding"));
  EXPECT_TRUE(has_field(get, "Accept-Ranges: bytes"));
  EXPECT_EQ(get.head.find("Connection:"), std::string::npos);
}

TEST(HttpStaticTest, AnswersHeadWithTheSameFieldsAndNoBody) {
  Answer get = answer("");
  Answer head = answer("", "HEAD");
  EXPECT_EQ(head.head, get.head);
  EXPECT_TRUE(head.body.empty());
}

TEST(HttpStaticTest, Answers405WithAllowToOtherMethods) {
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "BREW"}) {
    Answer refused = answer("", method);
    EXPECT_EQ(refused.decision.status, 405) << method;
    EXPECT_TRUE(has_field(refused, "Allow: GET, HEAD"));
    EXPECT_TRUE(has_field(refused, "Content-Length: 0"));
    EXPECT_TRUE(refused.body.empty());
  }
}

TEST(HttpStaticTest, Answers304WhenIfNoneMatchMatchesWeakly) {
  for (const char* value : {"\"abc\"", "W/\"abc\"", "\"x\", W/\"abc\"", "*", " \"x\" ,\"abc\" "}) {
    Answer cached = answer(std::string("If-None-Match: ") + value + "\r\n");
    EXPECT_EQ(cached.decision.status, 304) << value;
    EXPECT_TRUE(has_field(cached, "ETag: \"abc\""));
    EXPECT_EQ(cached.head.find("Content-Length"), std::string::npos);
    EXPECT_TRUE(cached.body.empty());
  }
  for (const char* value : {"\"abd\"", "abc", "\"abc", "\"abc\" junk", "\"abc-gzip\""}) {
    EXPECT_EQ(answer(std::string("If-None-Match: ") + value + "\r\n").decision.status, 200) << value;
  }
  EXPECT_EQ(answer("If-None-Match: \"x\"\r\nIf-None-Match: \"abc\"\r\n").decision.status, 304);
}

TEST(HttpStaticTest, ChoosesGzipWhenAcceptedAndSmaller) {
  Answer gzip = answer("Accept-Encoding: br, gzip;q=0.8\r\n");
  EXPECT_TRUE(gzip.decision.gzip);
  EXPECT_EQ(gzip.body, gzip_body);
  EXPECT_TRUE(has_field(gzip, "Content-Encoding: gzip"));
  EXPECT_TRUE(has_field(gzip, "ETag: \"abc-gzip\""));
  EXPECT_TRUE(has_field(gzip, "Vary: Accept-Encoding"));
  EXPECT_TRUE(has_field(gzip, "Content-Length: " + std::to_string(gzip_body.size())));
  EXPECT_TRUE(answer("Accept-Encoding: *\r\n").decision.gzip);
  EXPECT_TRUE(answer("Accept-Encoding: X-GZIP\r\n").decision.gzip);
}

TEST(HttpStaticTest, KeepsIdentityWhenGzipIsRefusedOrAbsent) {
  for (const char* fields :
       {"", "Accept-Encoding: gzip;q=0\r\n", "Accept-Encoding: gzip; q=0.000\r\n", "Accept-Encoding: br\r\n",
        "Accept-Encoding: *;q=0, identity\r\n", "Accept-Encoding: gzip;q=2\r\n", "Accept-Encoding:\r\n"}) {
    Answer plain = answer(fields);
    EXPECT_FALSE(plain.decision.gzip) << fields;
    EXPECT_EQ(plain.head.find("Content-Encoding"), std::string::npos);
    EXPECT_TRUE(has_field(plain, "Vary: Accept-Encoding")) << "a variant exists";
  }
  Answer no_variant = answer("Accept-Encoding: gzip\r\n", "GET", false);
  EXPECT_FALSE(no_variant.decision.gzip);
  EXPECT_EQ(no_variant.head.find("Vary"), std::string::npos);
}

TEST(HttpStaticTest, ChoosesGzipWhenIdentityIsRefused) {
  EXPECT_TRUE(answer("Accept-Encoding: gzip;q=0.1, identity;q=0\r\n").decision.gzip);
  EXPECT_TRUE(answer("Accept-Encoding: *;q=0.5, identity;q=0\r\n").decision.gzip);
  EXPECT_FALSE(answer("Accept-Encoding: *;q=0\r\n").decision.gzip) << "nothing acceptable: identity anyway";
}

TEST(HttpStaticTest, DoesNotChooseAGzipVariantThatIsLarger) {
  StaticResource larger = resource();
  std::string big(identity_body.size() + 10, 'z');
  larger.gzip = view(big);
  std::string input = "GET / HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n";
  Result<ParseStep> step = parse_head(input);
  ASSERT_TRUE(step.ok());
  EXPECT_FALSE(decide(step->request, larger).gzip);
}

TEST(HttpStaticTest, Answers304ForTheGzipVariantsOwnTag) {
  EXPECT_EQ(answer("Accept-Encoding: gzip\r\nIf-None-Match: \"abc-gzip\"\r\n").decision.status, 304);
  EXPECT_EQ(answer("Accept-Encoding: gzip\r\nIf-None-Match: \"abc\"\r\n").decision.status, 200);
}

TEST(HttpStaticTest, Answers206ForOneRange) {
  uint64_t length = identity_body.size();
  Answer first = answer("Range: bytes=0-4\r\n");
  EXPECT_EQ(first.decision.status, 206);
  EXPECT_EQ(first.body, identity_body.substr(0, 5));
  EXPECT_TRUE(has_field(first, "Content-Range: bytes 0-4/" + std::to_string(length)));
  EXPECT_TRUE(has_field(first, "Content-Length: 5"));
  EXPECT_EQ(first.head.rfind("HTTP/1.1 206 Partial Content\r\n", 0), 0u);

  Answer open = answer("Range: bytes=40-\r\n");
  EXPECT_EQ(open.body, identity_body.substr(40));
  Answer suffix = answer("Range: bytes=-7\r\n");
  EXPECT_EQ(suffix.body, identity_body.substr(length - 7));
  Answer clamped = answer("Range: bytes=10-99999999999999999999999\r\n");
  EXPECT_EQ(clamped.body, identity_body.substr(10));
  Answer whole_suffix = answer("Range: bytes=-1000\r\n");
  EXPECT_EQ(whole_suffix.body, identity_body);
}

TEST(HttpStaticTest, AppliesRangesToTheGzipVariantWhenChosen) {
  Answer range = answer("Accept-Encoding: gzip\r\nRange: bytes=0-3\r\n");
  EXPECT_EQ(range.decision.status, 206);
  EXPECT_EQ(range.body, "GZIP");
  EXPECT_TRUE(has_field(range, "Content-Range: bytes 0-3/" + std::to_string(gzip_body.size())));
}

TEST(HttpStaticTest, Answers416ForUnsatisfiableRanges) {
  for (const char* value : {"bytes=1000-", "bytes=46-50", "bytes=-0"}) {
    Answer refused = answer(std::string("Range: ") + value + "\r\n");
    EXPECT_EQ(refused.decision.status, 416) << value;
    EXPECT_TRUE(has_field(refused, "Content-Range: bytes */" + std::to_string(identity_body.size())));
    EXPECT_TRUE(refused.body.empty());
  }
}

TEST(HttpStaticTest, ServesTheWholeRepresentationForSeveralOrInvalidRanges) {
  for (const char* value : {"bytes=0-1,3-4", "bytes=5-2", "items=0-1", "bytes=a-b", "bytes=", "bytes=1", "0-1"}) {
    Answer whole = answer(std::string("Range: ") + value + "\r\n");
    EXPECT_EQ(whole.decision.status, 200) << value;
    EXPECT_EQ(whole.body, identity_body);
  }
  EXPECT_EQ(answer("Range: bytes=0-1\r\nRange: bytes=0-1\r\n").decision.status, 200);
  EXPECT_EQ(answer("Range: bytes=0-1\r\n", "HEAD").decision.status, 200) << "ranges are for GET";
}

TEST(HttpStaticTest, HonoursIfRangeOnlyWhenItMatchesStrongly) {
  EXPECT_EQ(answer("Range: bytes=0-1\r\nIf-Range: \"abc\"\r\n").decision.status, 206);
  EXPECT_EQ(answer("Range: bytes=0-1\r\nIf-Range: \"old\"\r\n").decision.status, 200);
  EXPECT_EQ(answer("Range: bytes=0-1\r\nIf-Range: W/\"abc\"\r\n").decision.status, 200);
  EXPECT_EQ(answer("Range: bytes=0-1\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n").decision.status, 200)
      << "no Last-Modified to compare with";
}

TEST(HttpStaticTest, PrefersIfNoneMatchOverRange) {
  EXPECT_EQ(answer("Range: bytes=0-1\r\nIf-None-Match: \"abc\"\r\n").decision.status, 304);
}

TEST(HttpStaticTest, SaysHowTheConnectionEnds) {
  Answer close = answer("Connection: close\r\n");
  EXPECT_TRUE(has_field(close, "Connection: close"));
  Answer old = answer("Connection: keep-alive\r\n", "GET", true, "HTTP/1.0");
  EXPECT_TRUE(has_field(old, "Connection: keep-alive"));
  Answer old_close = answer("", "GET", true, "HTTP/1.0");
  EXPECT_TRUE(has_field(old_close, "Connection: close"));
}

TEST(HttpStaticTest, WritesLastModifiedWhenKnown) {
  std::string input =
      "GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-0\r\nIf-Range: Thu, 01 Jan 1970 00:01:40 GMT\r\n\r\n";
  Result<ParseStep> step = parse_head(input);
  ASSERT_TRUE(step.ok());
  StaticResource dated = resource();
  dated.has_last_modified = true;
  dated.last_modified = 100;
  uint8_t out[512];
  Result<StaticResponse> response = respond_static(step->request, dated, {0, nullptr}, out);
  ASSERT_TRUE(response.ok());
  std::string head = str(ByteView(out, response->head_size));
  EXPECT_EQ(response->status, 206);
  EXPECT_NE(head.find("\r\nLast-Modified: Thu, 01 Jan 1970 00:01:40 GMT\r\n"), std::string::npos);
  EXPECT_EQ(head.find("Server:"), std::string::npos);
}

TEST(HttpStaticTest, RefusesWithTooLargeWhenTheHeadDoesNotFit) {
  std::string input = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  Result<ParseStep> step = parse_head(input);
  ASSERT_TRUE(step.ok());
  uint8_t out[64];
  Result<StaticResponse> response = respond_static(step->request, resource(), {}, out);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error(), Error::too_large);
}

}  // namespace
}  // namespace cairn::protocols::http
