// protocols.http_differential: the HTTP differential comparison (http_differential.h) over the
// seed corpora and a fixed set of deterministic mutations of them, in every build (g++ too).
// Prints how often each refusal class occurred; fails only when both parsers accept an input and
// disagree about it.
//   http_differential <corpus/http> <corpus/http_differential> [mutations per seed [--examples]]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "http_differential.h"

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// fuzz_http's inputs are a setup byte and records (control, 16-bit length, bytes): the stream is
// the records' bytes one after another.
Bytes stream_of_records(const Bytes& input) {
  Bytes stream;
  std::size_t at = 1;
  while (at < input.size()) {
    at += 1;
    if (at + 2 > input.size()) break;
    std::size_t size = static_cast<std::size_t>(input[at] << 8 | input[at + 1]);
    at += 2;
    size = std::min(size, input.size() - at);
    stream.insert(stream.end(), input.begin() + static_cast<long>(at), input.begin() + static_cast<long>(at + size));
    at += size;
  }
  return stream;
}

std::vector<Bytes> read_corpus(const std::filesystem::path& folder, bool records) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());  // the mutations depend on the order
  std::vector<Bytes> inputs;
  for (const auto& path : paths) inputs.push_back(records ? stream_of_records(read_file(path)) : read_file(path));
  return inputs;
}

// Pieces a mutation inserts: the bytes where parsers tend to differ.
const std::string fragments[] = {
    "\r",
    "\n",
    "\r\n",
    " ",
    "\t",
    ":",
    ";",
    ",",
    "\"",
    std::string(1, '\0'),
    "\x7f",
    "\xff",
    "\r\n ",
    "\r\n\r\n",
    "chunked",
    "HTTP/1.0",
    "HTTP/1.1",
    "0\r\n\r\n",
    "Content-Length: 3\r\n",
    "Transfer-Encoding: chunked\r\n",
    "Connection: close\r\n",
    "Host: h\r\n",
    "Upgrade: x\r\n",
    "ffffffffffffffff",
};

Bytes mutate(Bytes input, std::mt19937& random) {
  auto pick = [&](std::size_t bound) { return bound == 0 ? 0 : static_cast<std::size_t>(random() % bound); };
  int rounds = 1 + static_cast<int>(random() % 3);
  for (int round = 0; round < rounds; ++round) {
    std::size_t at = pick(input.size() + 1);
    switch (random() % 6) {
      case 0:  // flip one byte to a random value
        if (!input.empty()) input[pick(input.size())] = static_cast<std::uint8_t>(random());
        break;
      case 1: {  // insert a fragment
        const std::string& fragment = fragments[pick(std::size(fragments))];
        input.insert(input.begin() + static_cast<long>(at), fragment.begin(), fragment.end());
        break;
      }
      case 2: {  // delete a short range
        std::size_t length = std::min<std::size_t>(1 + pick(4), input.size() - std::min(at, input.size()));
        input.erase(input.begin() + static_cast<long>(at), input.begin() + static_cast<long>(at + length));
        break;
      }
      case 3:  // change the case of a letter
        if (!input.empty()) input[pick(input.size())] ^= 0x20;
        break;
      case 4: {  // duplicate a short range
        if (input.empty()) break;
        std::size_t begin = pick(input.size());
        std::size_t length = std::min<std::size_t>(1 + pick(24), input.size() - begin);
        Bytes copy(input.begin() + static_cast<long>(begin), input.begin() + static_cast<long>(begin + length));
        input.insert(input.begin() + static_cast<long>(pick(input.size() + 1)), copy.begin(), copy.end());
        break;
      }
      default:  // a CRLF becomes a bare LF
        for (std::size_t i = at; i + 1 < input.size(); ++i) {
          if (input[i] == '\r' && input[i + 1] == '\n') {
            input.erase(input.begin() + static_cast<long>(i));
            break;
          }
        }
        break;
    }
  }
  return input;
}

std::string printable(const Bytes& bytes) {
  std::string text;
  for (std::uint8_t byte : bytes) {
    if (byte == '\r')
      text += "\\r";
    else if (byte == '\n')
      text += "\\n";
    else if (byte < 0x20 || byte >= 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      text += escaped;
    } else {
      text += static_cast<char>(byte);
    }
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CORPUS_HTTP CORPUS_HTTP_DIFFERENTIAL [MUTATIONS_PER_SEED]\n", argv[0]);
    return 2;
  }
  std::vector<Bytes> seeds = read_corpus(argv[1], true);
  for (Bytes& raw : read_corpus(argv[2], false)) seeds.push_back(std::move(raw));
  int mutations_per_seed = argc > 3 ? std::atoi(argv[3]) : 150;
  bool examples = argc > 4 && std::string(argv[4]) == "--examples";  // the first input of each class
  std::map<std::string, Bytes> first_input;

  std::mt19937 random(20240611);
  std::map<std::string, int> classes;
  int inputs = 0, agreed = 0, violations = 0;
  auto check = [&](const Bytes& input) {
    ++inputs;
    cairn::fuzz::HttpComparison comparison = cairn::fuzz::compare_http_parsers(input.data(), input.size());
    if (comparison.violation) {
      if (++violations <= 10) {
        std::printf("DISAGREEMENT: %s\n  input: %s\n", comparison.explanation.c_str(), printable(input).c_str());
      }
    } else if (comparison.refusal.empty()) {
      ++agreed;
    } else {
      if (++classes[comparison.refusal] == 1) first_input[comparison.refusal] = input;
    }
  };
  for (const Bytes& seed : seeds) {
    check(seed);
    for (int i = 0; i < mutations_per_seed; ++i) check(mutate(seed, random));
  }

  std::printf("%d inputs (%zu seeds): %d accepted alike, %d disagreements\n", inputs, seeds.size(), agreed, violations);
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& [name, count] : classes) sorted.emplace_back(count, name);
  std::sort(sorted.rbegin(), sorted.rend());
  std::printf("%7s  %s\n", "count", "refusal class (ours status problem / theirs http_errno)");
  for (const auto& [count, name] : sorted) {
    std::printf("%7d  %s\n", count, name.c_str());
    if (examples) std::printf("         e.g. %.300s\n", printable(first_input[name]).c_str());
  }
  return violations == 0 ? 0 : 1;
}
