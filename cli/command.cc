// Output helpers shared by every subcommand.
#include "command.h"

#include <cstdio>

namespace cairn::cli {

void print_json(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fprintf(stdout, "%s\n", text.c_str());
}

void print_error(const Error& error, bool json) {
  if (json) {
    nlohmann::json report = {{"error", {{"code", to_string(error.code())}, {"message", error.message()}}}};
    print_json(report);
  }
  std::string_view kind = "error";
  if (error.code() == ErrorCode::refused) kind = "refused";
  if (error.code() == ErrorCode::limit_exceeded) kind = "limit exceeded";
  std::fprintf(stderr, "cairn: %.*s: %s\n", static_cast<int>(kind.size()), kind.data(), error.message().c_str());
}

void print_notice(const std::string& text) {
  std::fprintf(stderr, "cairn: %s\n", text.c_str());
}

void add_passphrase_option(CLI::App& command, std::string& file) {
  command.add_option("--passphrase-file", file,
                     "An encrypted Ed25519 key file's passphrase: the first line of FILE (default: ask on the "
                     "terminal)");
}

signing::PassphraseSource passphrase_source(const std::string& file) {
  return signing::PassphraseSource{file, /*prompt=*/file.empty()};
}

}  // namespace cairn::cli
