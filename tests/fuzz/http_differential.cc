// The HTTP differential comparison (http_differential.h): our parser and http-parser on the same
// stream, each reduced to a list of messages, then compared.
#include "http_differential.h"

#include <cairn/protocols/http/request.h>
#include <http_parser.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace cairn::fuzz {

namespace {

namespace http = cairn::protocols::http;

struct Message {
  std::string method;
  std::string target;
  bool version_10 = false;
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t header_count = 0;  // fields after these are trailers, which neither side compares
  std::string body;
  bool keep_alive = true;
  bool complete = false;
  bool ends_stream = false;  // the connection closes or stops being HTTP after it
};

struct Side {
  std::vector<Message> messages;
  bool refused = false;
  std::string reason;
};

std::string to_string(protocols::ByteView bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string trim_trailing_whitespace(std::string value) {
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  return value;
}

Side run_ours(const std::uint8_t* data, std::size_t size) {
  Side side;
  http::RequestParser parser;
  protocols::ByteView rest(data, size);
  for (;;) {
    protocols::Result<http::ParseStep> step = parser.parse(rest);
    if (!step) {
      side.refused = true;
      side.reason = std::to_string(parser.failure().status) + " " + http::describe(parser.failure().problem);
      return side;
    }
    switch (step->kind) {
      case http::ParseStep::Kind::need_more: return side;
      case http::ParseStep::Kind::head: {
        const http::Request& request = step->request;
        Message message;
        message.method = to_string(request.method_token);
        message.target = to_string(request.target);
        message.version_10 = request.version_minor == 0;
        for (std::size_t i = 0; i < request.field_count; ++i) {
          message.fields.emplace_back(to_string(request.fields[i].name), to_string(request.fields[i].value));
        }
        message.keep_alive = request.keep_alive;
        bool upgrade = request.find("upgrade") != nullptr;
        message.ends_stream = !request.keep_alive || request.method == http::Method::connect || upgrade;
        side.messages.push_back(std::move(message));
        break;
      }
      case http::ParseStep::Kind::body: side.messages.back().body += to_string(step->body); break;
      case http::ParseStep::Kind::end:
        side.messages.back().complete = true;
        if (side.messages.back().ends_stream) return side;
        break;
    }
    rest = rest.subspan(step->consumed);
  }
}

struct TheirState {
  Side side;
  Message current;
  std::string field, value;
  bool in_value = false;
};

void flush_field(TheirState& state) {
  if (!state.field.empty() || state.in_value) {
    state.current.fields.emplace_back(state.field, trim_trailing_whitespace(state.value));
  }
  state.field.clear();
  state.value.clear();
  state.in_value = false;
}

TheirState& state_of(http_parser* parser) {
  return *static_cast<TheirState*>(parser->data);
}

Side run_theirs(const std::uint8_t* data, std::size_t size) {
  TheirState collected;
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  parser.data = &collected;
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_message_begin = [](http_parser* p) {
    state_of(p).current = Message();
    return 0;
  };
  settings.on_url = [](http_parser* p, const char* at, std::size_t length) {
    state_of(p).current.target.append(at, length);
    return 0;
  };
  settings.on_header_field = [](http_parser* p, const char* at, std::size_t length) {
    TheirState& state = state_of(p);
    if (state.in_value) flush_field(state);
    state.field.append(at, length);
    return 0;
  };
  settings.on_header_value = [](http_parser* p, const char* at, std::size_t length) {
    TheirState& state = state_of(p);
    state.in_value = true;
    state.value.append(at, length);
    return 0;
  };
  settings.on_headers_complete = [](http_parser* p) {
    TheirState& state = state_of(p);
    flush_field(state);
    state.current.header_count = state.current.fields.size();
    state.current.method = http_method_str(static_cast<http_method>(p->method));
    state.current.version_10 = p->http_major == 1 && p->http_minor == 0;
    state.current.keep_alive = http_should_keep_alive(p) != 0;
    return 0;
  };
  settings.on_body = [](http_parser* p, const char* at, std::size_t length) {
    state_of(p).current.body.append(at, length);
    return 0;
  };
  settings.on_message_complete = [](http_parser* p) {
    TheirState& state = state_of(p);
    flush_field(state);
    state.current.fields.resize(state.current.header_count);
    state.current.complete = true;
    state.current.ends_stream = !state.current.keep_alive || p->upgrade;
    state.side.messages.push_back(state.current);
    return 0;
  };
  http_parser_execute(&parser, &settings, reinterpret_cast<const char*>(data), size);
  auto error = static_cast<http_errno>(parser.http_errno);
  if (error != HPE_OK && error != HPE_CLOSED_CONNECTION) {
    collected.side.refused = true;
    collected.side.reason = http_errno_name(error);
  }
  // Messages after one that ends the stream are not HTTP any more (a tunnel, or a closed
  // connection): keep the messages up to it.
  auto end = std::find_if(collected.side.messages.begin(), collected.side.messages.end(),
                          [](const Message& message) { return message.ends_stream; });
  if (end != collected.side.messages.end()) {
    collected.side.messages.erase(end + 1, collected.side.messages.end());
    collected.side.refused = false;
    collected.side.reason.clear();
  }
  return collected.side;
}

std::string describe_fields(const Message& message) {
  std::string text;
  for (const auto& [name, value] : message.fields) text += name + ": " + value + " | ";
  return text;
}

}  // namespace

HttpComparison compare_http_parsers(const std::uint8_t* data, std::size_t size) {
  HttpComparison comparison;
  Side ours = run_ours(data, size);
  Side theirs = run_theirs(data, size);
  // http-parser reports only completed messages; a head whose body is still coming is not one.
  if (!ours.messages.empty() && !ours.messages.back().complete) ours.messages.pop_back();
  // Where either stream ends (a closing message, CONNECT, Upgrade), the other stops too.
  std::size_t stop = std::min(ours.messages.size(), theirs.messages.size());
  for (std::size_t i = 0; i < stop; ++i) {
    if (ours.messages[i].ends_stream || theirs.messages[i].ends_stream) {
      stop = i + 1;
      if (ours.messages.size() > stop) ours.messages.resize(stop);
      if (theirs.messages.size() > stop) theirs.messages.resize(stop);
      bool closed_ours = ours.messages[i].ends_stream, closed_theirs = theirs.messages[i].ends_stream;
      if (closed_ours) ours.refused = false;
      if (closed_theirs) theirs.refused = false;
      if (closed_ours != closed_theirs && !comparison.violation) {
        comparison.refusal = std::string("keep-alive differs: ours ") + (closed_ours ? "closes" : "keeps") +
                             ", theirs " + (closed_theirs ? "closes" : "keeps");
      }
      break;
    }
  }

  auto violation = [&](std::size_t index, const std::string& what) {
    comparison.violation = true;
    comparison.explanation = "message " + std::to_string(index) + ": " + what;
  };
  for (std::size_t i = 0; i < stop && !comparison.violation; ++i) {
    const Message& a = ours.messages[i];
    const Message& b = theirs.messages[i];
    if (a.method != b.method)
      violation(i, "method ours '" + a.method + "' theirs '" + b.method + "'");
    else if (a.target != b.target)
      violation(i, "target ours '" + a.target + "' theirs '" + b.target + "'");
    else if (a.version_10 != b.version_10)
      violation(i, "version differs");
    else if (a.fields != b.fields)
      violation(i, "fields ours " + describe_fields(a) + " theirs " + describe_fields(b));
    else if (a.body != b.body)
      violation(i, "body ours '" + a.body + "' theirs '" + b.body + "'");
  }
  if (comparison.violation) return comparison;

  if (ours.refused || theirs.refused) {
    comparison.refusal = "ours " + (ours.refused ? ours.reason : std::string("accepted")) + " / theirs " +
                         (theirs.refused ? theirs.reason : std::string("accepted"));
    return comparison;
  }
  // Both accepted all they read: the same number of messages, the last complete in both or neither.
  auto completed = [](const Side& side) {
    return static_cast<std::size_t>(
        std::count_if(side.messages.begin(), side.messages.end(), [](const Message& m) { return m.complete; }));
  };
  if (completed(ours) != completed(theirs)) {
    comparison.violation = true;
    comparison.explanation =
        "ours completed " + std::to_string(completed(ours)) + " messages, theirs " + std::to_string(completed(theirs));
  }
  return comparison;
}

}  // namespace cairn::fuzz
