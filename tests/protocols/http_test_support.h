// Test support for protocols/http: drives a RequestParser the way a server does (one receive
// buffer, input in pieces, consumed bytes dropped) and records what it saw as plain strings.
#pragma once

#include <cairn/protocols/http/request.h>

#include <string>
#include <utility>
#include <vector>

namespace cairn::protocols::http::testing {

inline std::string str(ByteView bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

inline ByteView view(const std::string& text) {
  return ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

struct Message {
  std::string method;
  std::string target;
  int version_minor = 1;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;
  bool keep_alive = true;
  bool chunked = false;
  bool complete = false;
  bool operator==(const Message&) const = default;
};

struct Outcome {
  std::vector<Message> messages;
  uint16_t status = 0;  // of the refusal, 0 when none
  Problem problem = Problem::none;
  bool operator==(const Outcome&) const = default;
};

// Feeds `pieces` one after another into a buffer and parses as far as each lets it.
inline Outcome parse_pieces(const std::vector<std::string>& pieces, RequestParser::Settings settings = {}) {
  RequestParser parser(settings);
  Outcome outcome;
  std::string buffer;
  for (const std::string& piece : pieces) {
    buffer += piece;
    for (;;) {
      Result<ParseStep> step = parser.parse(view(buffer));
      if (!step) {
        outcome.status = parser.failure().status;
        outcome.problem = parser.failure().problem;
        return outcome;
      }
      switch (step->kind) {
        case ParseStep::Kind::head: {
          const Request& request = step->request;
          Message message;
          message.method = str(request.method_token);
          message.target = str(request.target);
          message.version_minor = request.version_minor;
          for (size_t i = 0; i < request.field_count; ++i) {
            message.fields.emplace_back(str(request.fields[i].name), str(request.fields[i].value));
          }
          message.keep_alive = request.keep_alive;
          message.chunked = request.chunked;
          outcome.messages.push_back(message);
          break;
        }
        case ParseStep::Kind::body: outcome.messages.back().body += str(step->body); break;
        case ParseStep::Kind::end: outcome.messages.back().complete = true; break;
        case ParseStep::Kind::need_more: break;
      }
      buffer.erase(0, step->consumed);
      if (step->kind == ParseStep::Kind::need_more) break;
    }
  }
  return outcome;
}

inline Outcome parse_whole(const std::string& input, RequestParser::Settings settings = {}) {
  return parse_pieces({input}, settings);
}

// The first step of `input`, parsed in one piece. The views point into a copy of `input` that
// lives until the next call, so a test may pass a temporary.
inline Result<ParseStep> parse_head(const std::string& input, RequestParser::Settings settings = {}) {
  static std::string kept;
  kept = input;
  RequestParser parser(settings);
  return parser.parse(view(kept));
}

}  // namespace cairn::protocols::http::testing
