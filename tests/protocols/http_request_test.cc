// The HTTP request parser: the request line and fields as RFC 9112 spells them, framing of bodies
// (Content-Length, chunked), limits, and the same result however the bytes are split.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http_test_support.h"

namespace cairn::protocols::http {
namespace {

using testing::Message;
using testing::Outcome;
using testing::parse_head;
using testing::parse_pieces;
using testing::parse_whole;
using testing::str;

const std::string simple_get = "GET /index.html HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n";

// Every two-piece split of `input`, and one byte at a time, give what the whole input gives.
void expect_split_invariant(const std::string& input) {
  Outcome whole = parse_whole(input);
  for (size_t split = 0; split <= input.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    EXPECT_EQ(parse_pieces({input.substr(0, split), input.substr(split)}), whole);
  }
  std::vector<std::string> bytes;
  for (char byte : input) bytes.emplace_back(1, byte);
  EXPECT_EQ(parse_pieces(bytes), whole);
}

uint16_t refusal_status(const std::string& input, RequestParser::Settings settings = {}) {
  return parse_whole(input, settings).status;
}

Problem refusal_problem(const std::string& input, RequestParser::Settings settings = {}) {
  return parse_whole(input, settings).problem;
}

TEST(HttpRequestTest, ParsesASimpleGet) {
  Result<ParseStep> step = parse_head(simple_get);
  ASSERT_TRUE(step.ok());
  ASSERT_EQ(step->kind, ParseStep::Kind::head);
  EXPECT_EQ(step->consumed, simple_get.size());
  const Request& request = step->request;
  EXPECT_EQ(request.method, Method::get);
  EXPECT_EQ(str(request.method_token), "GET");
  EXPECT_EQ(str(request.target), "/index.html");
  EXPECT_EQ(request.target_form, TargetForm::origin);
  EXPECT_EQ(request.version_minor, 1);
  ASSERT_EQ(request.field_count, 2u);
  EXPECT_EQ(str(request.fields[1].name), "Accept");
  EXPECT_EQ(str(request.fields[1].value), "*/*");
  EXPECT_TRUE(request.has_host);
  EXPECT_EQ(str(request.host), "example.org");
  EXPECT_TRUE(request.keep_alive);
  EXPECT_FALSE(request.has_body());
}

TEST(HttpRequestTest, NeedsMoreUntilTheEmptyLineAndConsumesNothingMeanwhile) {
  RequestParser parser;
  std::string partial = simple_get.substr(0, simple_get.size() - 2);
  Result<ParseStep> step = parser.parse(testing::view(partial));
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->kind, ParseStep::Kind::need_more);
  EXPECT_EQ(step->consumed, 0u);
  step = parser.parse(testing::view(simple_get));
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->kind, ParseStep::Kind::head);
}

TEST(HttpRequestTest, GivesHeadThenEndForARequestWithoutBody) {
  Outcome outcome = parse_whole(simple_get);
  ASSERT_EQ(outcome.messages.size(), 1u);
  EXPECT_TRUE(outcome.messages[0].complete);
  EXPECT_EQ(outcome.status, 0);
}

TEST(HttpRequestTest, KnowsTheRfc9110MethodsAndKeepsOthersAsTokens) {
  const std::pair<const char*, Method> methods[] = {
      {"GET", Method::get},        {"HEAD", Method::head},       {"POST", Method::post},   {"PUT", Method::put},
      {"DELETE", Method::delete_}, {"OPTIONS", Method::options}, {"PATCH", Method::patch}, {"TRACE", Method::trace},
      {"PROPFIND", Method::other}, {"get", Method::other},
  };
  for (const auto& [name, method] : methods) {
    std::string input = std::string(name) + " / HTTP/1.1\r\nHost: h\r\n\r\n";
    Result<ParseStep> step = parse_head(input);
    ASSERT_TRUE(step.ok()) << name;
    EXPECT_EQ(step->request.method, method) << name;
    EXPECT_EQ(str(step->request.method_token), name);
  }
  Result<ParseStep> connect = parse_head("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n");
  ASSERT_TRUE(connect.ok());
  EXPECT_EQ(connect->request.method, Method::connect);
  EXPECT_EQ(connect->request.target_form, TargetForm::authority);
}

TEST(HttpRequestTest, AcceptsAbsoluteFormAndAsteriskOnlyForOptions) {
  Result<ParseStep> absolute = parse_head("GET http://example.org/a?b HTTP/1.1\r\nHost: example.org\r\n\r\n");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute->request.target_form, TargetForm::absolute);
  Result<ParseStep> asterisk = parse_head("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(asterisk.ok());
  EXPECT_EQ(asterisk->request.target_form, TargetForm::asterisk);
  EXPECT_EQ(refusal_problem("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), Problem::bad_target);
  EXPECT_EQ(refusal_problem("GET index.html HTTP/1.1\r\nHost: h\r\n\r\n"), Problem::bad_target);
  EXPECT_EQ(refusal_problem("CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n"), Problem::bad_target);
}

TEST(HttpRequestTest, RefusesAnythingButOneSpaceBetweenRequestLineParts) {
  EXPECT_EQ(refusal_status("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refusal_status("GET /  HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refusal_status("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refusal_status("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refusal_status("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refusal_status("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(HttpRequestTest, RefusesTargetsWithControlOrNonAsciiBytes) {
  EXPECT_EQ(refusal_problem("GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n"), Problem::bad_target);
  EXPECT_EQ(refusal_problem("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"), Problem::bad_target);
}

TEST(HttpRequestTest, TreatsLaterMinorVersionsAs11AndOtherMajorsAs505) {
  Result<ParseStep> later = parse_head("GET / HTTP/1.7\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->request.version_minor, 1);
  EXPECT_EQ(refusal_status("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(refusal_status("GET / HTTP/0.9\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(refusal_status("GET / HTTP/1.10\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refusal_status("GET / http/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refusal_status("GET / HTTP/1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(refusal_status("GET /\r\n\r\n"), 400);
}

TEST(HttpRequestTest, RequiresExactlyOneHostIn11) {
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\r\n\r\n"), Problem::missing_host);
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), Problem::several_hosts);
  EXPECT_EQ(refusal_problem("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n"), Problem::several_hosts);
  Result<ParseStep> without = parse_head("GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(without->request.has_host);
  Result<ParseStep> empty = parse_head("GET / HTTP/1.1\r\nHost:\r\n\r\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->request.has_host);
}

TEST(HttpRequestTest, KeepsAliveBy11DefaultUnlessClose) {
  EXPECT_TRUE(parse_head("GET / HTTP/1.1\r\nHost: h\r\n\r\n")->request.keep_alive);
  EXPECT_FALSE(parse_head("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")->request.keep_alive);
  EXPECT_FALSE(parse_head("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n")->request.keep_alive);
}

TEST(HttpRequestTest, ClosesBy10DefaultUnlessKeepAlive) {
  EXPECT_FALSE(parse_head("GET / HTTP/1.0\r\n\r\n")->request.keep_alive);
  EXPECT_TRUE(parse_head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")->request.keep_alive);
  EXPECT_FALSE(parse_head("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n")->request.keep_alive);
}

TEST(HttpRequestTest, TrimsOptionalWhitespaceAroundValues) {
  Result<ParseStep> step = parse_head("GET / HTTP/1.1\r\nHost: h\r\nX-A:\t  spaced  value \t\r\nX-B:\r\n\r\n");
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(str(step->request.fields[1].value), "spaced  value");
  EXPECT_EQ(str(step->request.fields[2].value), "");
}

TEST(HttpRequestTest, RefusesWhitespaceBeforeTheColonWith400) {
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), Problem::bad_field);
  EXPECT_EQ(refusal_status("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n"), 400);
}

TEST(HttpRequestTest, RefusesFieldNamesThatAreNoTokens) {
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\r\nHost: h\r\nX(y): 1\r\n\r\n"), Problem::bad_field);
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\r\nHost: h\r\n: 1\r\n\r\n"), Problem::bad_field);
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n"), Problem::bad_field);
}

TEST(HttpRequestTest, RefusesObsFoldWith400) {
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n"), Problem::obsolete_line_folding);
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\r\n\tHost: h\r\n\r\n"), Problem::obsolete_line_folding);
}

TEST(HttpRequestTest, RefusesControlCharactersInValuesButHtab) {
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01z\r\n\r\n"), Problem::bad_field_value);
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7fz\r\n\r\n"), Problem::bad_field_value);
  EXPECT_EQ(refusal_problem(std::string("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0z\r\n\r\n", 34)),
            Problem::bad_field_value);
  EXPECT_EQ(refusal_status(std::string("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n", 29)), 400);
  EXPECT_TRUE(parse_head("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\tz \xff\r\n\r\n").ok());
}

TEST(HttpRequestTest, AcceptsBareLineFeedsAndRefusesBareCarriageReturns) {
  Outcome bare = parse_whole("GET / HTTP/1.1\nHost: h\nX-A: 1\n\n");
  ASSERT_EQ(bare.messages.size(), 1u);
  EXPECT_EQ(bare.messages[0].fields.size(), 2u);
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\rHost: h\r\n\r\n"), Problem::bad_line_end);
  EXPECT_EQ(refusal_problem("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r2\r\n\r\n"), Problem::bad_line_end);
}

TEST(HttpRequestTest, IgnoresAFewEmptyLinesBeforeTheRequestLine) {
  Outcome outcome = parse_whole("\r\n\n\r\n" + simple_get);
  ASSERT_EQ(outcome.messages.size(), 1u);
  EXPECT_EQ(outcome.messages[0].target, "/index.html");
  EXPECT_EQ(refusal_problem("\r\n\r\n\r\n\r\n\r\n" + simple_get), Problem::too_many_empty_lines);
}

TEST(HttpRequestTest, ReadsAContentLengthBody) {
  Outcome outcome = parse_whole("POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world");
  ASSERT_EQ(outcome.messages.size(), 1u);
  EXPECT_EQ(outcome.messages[0].body, "hello world");
  EXPECT_TRUE(outcome.messages[0].complete);
}

TEST(HttpRequestTest, HandsOutBodyBytesAsViewsIntoTheBuffer) {
  std::string input = "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
  RequestParser parser;
  Result<ParseStep> head = parser.parse(testing::view(input));
  ASSERT_TRUE(head.ok());
  ByteView rest = testing::view(input).subspan(head->consumed);
  Result<ParseStep> body = parser.parse(rest);
  ASSERT_TRUE(body.ok());
  ASSERT_EQ(body->kind, ParseStep::Kind::body);
  EXPECT_EQ(body->body.data(), rest.data());
  EXPECT_EQ(body->consumed, 3u);
}

TEST(HttpRequestTest, AcceptsAContentLengthListThatAgrees) {
  Outcome outcome = parse_whole("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(outcome.messages.size(), 1u);
  EXPECT_EQ(outcome.messages[0].body, "ok");
}

TEST(HttpRequestTest, RefusesContentLengthsThatDisagreeOrAreNoNumbers) {
  for (const char* value : {"2, 3", "+2", "-1", "0x10", "", "1 2", "18446744073709551616", "2,"}) {
    std::string input = std::string("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ") + value + "\r\n\r\nok";
    if (std::string(value) == "2,") {
      EXPECT_EQ(parse_whole(input).status, 0) << "an empty list element is skipped";
      continue;
    }
    EXPECT_EQ(refusal_problem(input), Problem::bad_content_length) << value;
  }
  EXPECT_EQ(refusal_problem("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"),
            Problem::bad_content_length);
}

TEST(HttpRequestTest, RefusesBodiesOverTheLimitWith413) {
  RequestParser::Settings settings;
  settings.max_body_size = 10;
  EXPECT_EQ(refusal_status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", settings), 413);
  EXPECT_EQ(
      refusal_status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n", settings),
      413);
  EXPECT_EQ(refusal_status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffff\r\n"), 413);
}

const std::string chunked_post =
    "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;name=value;other\r\nhello\r\n"
    "6 ; quoted=\"a;b\"\r\n world\r\n"
    "0\r\nTrailer-A: 1\r\nTrailer-B:  two \r\n\r\n";

TEST(HttpRequestTest, ReadsChunkedBodiesWithExtensionsAndTrailers) {
  Outcome outcome = parse_whole(chunked_post + simple_get);
  ASSERT_EQ(outcome.messages.size(), 2u);
  EXPECT_TRUE(outcome.messages[0].chunked);
  EXPECT_EQ(outcome.messages[0].body, "hello world");
  EXPECT_TRUE(outcome.messages[0].complete);
  EXPECT_EQ(outcome.messages[1].target, "/index.html");
}

TEST(HttpRequestTest, ReadsUppercaseHexChunkSizesAfterAHeadWithBareLineFeeds) {
  Outcome outcome = parse_whole("POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\nA\r\n0123456789\r\n0\r\n\r\n");
  ASSERT_EQ(outcome.messages.size(), 1u);
  EXPECT_EQ(outcome.messages[0].body, "0123456789");
}

TEST(HttpRequestTest, RefusesBareLineFeedsInChunkedFraming) {
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(refusal_problem(head + "5\nhello\r\n0\r\n\r\n"), Problem::bad_chunk);
  EXPECT_EQ(refusal_problem(head + "5;x\nhello\r\n0\r\n\r\n"), Problem::bad_chunk) << "the smuggling shape";
  EXPECT_EQ(refusal_problem(head + "5\r\nhello\n0\r\n\r\n"), Problem::bad_chunk);
  EXPECT_EQ(refusal_problem(head + "0\r\nA: b\n\r\n"), Problem::bad_chunk);
  EXPECT_EQ(refusal_problem(head + "0\r\n\n"), Problem::bad_chunk);
}

TEST(HttpRequestTest, RefusesMalformedChunks) {
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(refusal_problem(head + "g\r\n"), Problem::bad_chunk);
  EXPECT_EQ(refusal_problem(head + "\r\n"), Problem::bad_chunk);
  EXPECT_EQ(refusal_problem(head + "5 x\r\n"), Problem::bad_chunk);
  EXPECT_EQ(refusal_problem(head + "3\r\nabcX\r\n"), Problem::bad_chunk);
  EXPECT_EQ(refusal_problem(head + "3\r\nabc\rX"), Problem::bad_chunk);
  EXPECT_EQ(refusal_problem(head + "3\rX"), Problem::bad_chunk);
  EXPECT_EQ(refusal_problem(head + "10000000000000000\r\n"), Problem::bad_chunk);
  EXPECT_EQ(refusal_problem(head + "0\r\n folded: trailer\r\n\r\n"), Problem::obsolete_line_folding);
  EXPECT_EQ(refusal_problem(head + "0\r\nbad trailer\r\n\r\n"), Problem::bad_field);
}

TEST(HttpRequestTest, BoundsChunkLinesAndTrailers) {
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(refusal_problem(head + "1;" + std::string(2000, 'x')), Problem::chunk_line_too_long);
  EXPECT_EQ(refusal_problem(head + "1;" + std::string(2000, 'x') + "\r\n"), Problem::chunk_line_too_long);
  EXPECT_EQ(refusal_status(head + "0\r\nX: " + std::string(5000, 'y') + "\r\n\r\n"), 431);
}

TEST(HttpRequestTest, RefusesTransferEncodingOtherThanAFinalChunkedWith501) {
  for (const char* value : {"gzip", "gzip, chunked", "chunked, gzip", "identity"}) {
    std::string input = std::string("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ") + value + "\r\n\r\n";
    EXPECT_EQ(refusal_status(input), 501) << value;
  }
  EXPECT_EQ(refusal_problem("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"),
            Problem::bad_transfer_encoding);
  EXPECT_EQ(refusal_problem("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n"),
            Problem::bad_transfer_encoding);
  EXPECT_EQ(refusal_problem("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), Problem::bad_transfer_encoding);
  Result<ParseStep> split_over_fields =
      parse_head("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\nTransfer-Encoding: Chunked\r\n\r\n");
  ASSERT_TRUE(split_over_fields.ok());
  EXPECT_TRUE(split_over_fields->request.chunked);
}

TEST(HttpRequestTest, RefusesTransferEncodingWithContentLengthWith400) {
  EXPECT_EQ(refusal_problem("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Problem::content_length_with_transfer_encoding);
}

TEST(HttpRequestTest, Refuses414WhenTheTargetMakesTheRequestLineTooLong) {
  RequestParser::Settings settings;
  settings.max_request_line = 64;
  std::string fits = "GET /" + std::string(64 - 14, 'a') + " HTTP/1.1";
  ASSERT_EQ(fits.size(), 64u);
  EXPECT_EQ(parse_whole(fits + "\r\nHost: h\r\n\r\n", settings).status, 0);
  std::string over = "GET /" + std::string(64 - 13, 'a') + " HTTP/1.1";
  EXPECT_EQ(refusal_status(over + "\r\nHost: h\r\n\r\n", settings), 414);
  EXPECT_EQ(refusal_status("GET /" + std::string(100, 'a'), settings), 414) << "before any line end";
  EXPECT_EQ(refusal_status(std::string(100, 'A'), settings), 400) << "no method, no target";
}

TEST(HttpRequestTest, Refuses431WhenTheHeaderSectionIsTooLarge) {
  RequestParser::Settings settings;
  settings.max_header_bytes = 100;
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  EXPECT_EQ(refusal_status(head + "X: " + std::string(200, 'v') + "\r\n\r\n", settings), 431);
  EXPECT_EQ(refusal_status(head + "X: " + std::string(200, 'v'), settings), 431) << "before the line ends";
  EXPECT_EQ(parse_whole(head + "X: " + std::string(60, 'v') + "\r\n\r\n", settings).status, 0);
}

TEST(HttpRequestTest, Refuses431WhenThereAreTooManyFields) {
  std::string request = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 99; ++i) request += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parse_whole(request + "\r\n").status, 0);
  EXPECT_EQ(parse_whole(request + "X-100: v\r\n\r\n").problem, Problem::header_too_large);
  RequestParser::Settings settings;
  settings.max_header_count = 3;
  EXPECT_EQ(refusal_status("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", settings), 431);
}

TEST(HttpRequestTest, ExposesTheFieldsAStaticServerUses) {
  Result<ParseStep> step = parse_head(
      "GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"a\"\r\nRange: bytes=0-1\r\nIf-Range: \"a\"\r\n"
      "Accept-Encoding: gzip\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(str(step->request.if_none_match), "\"a\"");
  EXPECT_EQ(str(step->request.range), "bytes=0-1");
  EXPECT_EQ(str(step->request.if_range), "\"a\"");
  EXPECT_EQ(str(step->request.accept_encoding), "gzip");
  EXPECT_EQ(str(step->request.expect), "100-continue");
  ASSERT_NE(step->request.find("RANGE"), nullptr);
}

TEST(HttpRequestTest, ParsesPipelinedRequestsFromOnePiece) {
  std::string input = simple_get + "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc" + chunked_post +
                      "HEAD /last HTTP/1.0\r\n\r\n";
  Outcome outcome = parse_whole(input);
  ASSERT_EQ(outcome.messages.size(), 4u);
  EXPECT_EQ(outcome.messages[1].body, "abc");
  EXPECT_EQ(outcome.messages[2].body, "hello world");
  EXPECT_EQ(outcome.messages[3].method, "HEAD");
  EXPECT_FALSE(outcome.messages[3].keep_alive);
  for (const Message& message : outcome.messages) EXPECT_TRUE(message.complete);
}

TEST(HttpRequestTest, GivesTheSameResultForEverySplitOfTheInput) {
  expect_split_invariant(simple_get);
  expect_split_invariant("\r\nPOST /p HTTP/1.1\nHost: h\nContent-Length: 3\n\nabc" + simple_get);
  expect_split_invariant("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;a\nabc\r\n0\r\n\r\n");
  expect_split_invariant(chunked_post + simple_get);
  expect_split_invariant("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n");  // refused, wherever it is cut
  expect_split_invariant("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\r");
}

TEST(HttpRequestTest, KeepsRefusingAfterAFailure) {
  RequestParser parser;
  std::string bad = "GET / HTTP/1.1\r\nHost : h\r\n\r\n";
  EXPECT_FALSE(parser.parse(testing::view(bad)).ok());
  Result<ParseStep> again = parser.parse(testing::view(simple_get));
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(parser.failure().status, 400);
  EXPECT_EQ(again.error(), Error::bad_format);
}

TEST(HttpRequestTest, RefusesGarbage) {
  for (const std::string& garbage :
       {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15), std::string("hello\r\n\r\n"),
        std::string("GET\r\n\r\n"), std::string(" GET / HTTP/1.1\r\n\r\n"),
        std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")}) {
    Outcome outcome = parse_whole(garbage);
    EXPECT_TRUE(outcome.messages.empty());
    EXPECT_NE(outcome.status, 0) << garbage;
  }
}

TEST(HttpRequestTest, NeedsABufferAsLargeAsItsLimits) {
  RequestParser parser;
  EXPECT_GE(parser.buffer_size_needed(), 8u * 1024 + 16u * 1024);
}

}  // namespace
}  // namespace cairn::protocols::http
