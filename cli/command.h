// How the `cairn` subcommands plug into the command line.
//
// Each command file adds its subcommands to the CLI11 app and, when one is chosen, stores the
// action to run in the Invocation. main() runs it and turns a failed Result into one clear line
// on stderr and a non-zero exit status, so commands themselves never print errors or exit.
#pragma once

#include "cairn/core/result.h"
#include "cairn/signing/passphrase.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

namespace cairn::cli {

struct Invocation {
  bool json = false;                     // --json: machine-readable output on stdout
  std::function<Result<void>()> action;  // set by the chosen subcommand's callback
  int exit_status = 0;                   // when the action succeeds (`run`: the guest's status)
};

// Exit statuses: 0 success, 1 the command failed, 2 the command line was wrong.
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// Makes `command`, when chosen, run `run(invocation, *options)`. The options live as long as the
// callbacks that share them, that is as long as the app.
template <typename Options, typename Run>
void on_run(CLI::App* command, Invocation& invocation, std::shared_ptr<Options> options, Run run) {
  command->callback([&invocation, options, run] {
    invocation.action = [&invocation, options, run] { return run(invocation, *options); };
  });
}

// Prints `value` as one line of JSON on stdout (for --json).
void print_json(const nlohmann::json& value);

// Prints an error as "cairn: <kind>: <message>" on stderr, or as JSON when `json` is set.
void print_error(const Error& error, bool json);

// Prints "cairn: <text>" on stderr: something the user should know while a command goes on
// (such as waiting for another cairn's lock).
void print_notice(const std::string& text);

// Adds --passphrase-file FILE to `command`, for encrypted Ed25519 key files.
void add_passphrase_option(CLI::App& command, std::string& file);
// Where an encrypted key's passphrase comes from: that file, or else the terminal.
signing::PassphraseSource passphrase_source(const std::string& file);

void add_hash_commands(CLI::App& app, Invocation& invocation);
void add_archive_commands(CLI::App& app, Invocation& invocation);
void add_image_commands(CLI::App& app, Invocation& invocation);
void add_key_commands(CLI::App& app, Invocation& invocation);
void add_sign_commands(CLI::App& app, Invocation& invocation);
void add_run_commands(CLI::App& app, Invocation& invocation);
void add_manifest_commands(CLI::App& app, Invocation& invocation);
void add_lock_commands(CLI::App& app, Invocation& invocation);
void add_build_commands(CLI::App& app, Invocation& invocation);
void add_registry_commands(CLI::App& app, Invocation& invocation);
void add_publish_commands(CLI::App& app, Invocation& invocation);
void add_verify_commands(CLI::App& app, Invocation& invocation);
void add_rebuild_commands(CLI::App& app, Invocation& invocation);
void add_audit_commands(CLI::App& app, Invocation& invocation);  // `audit` and `sbom`

}  // namespace cairn::cli
