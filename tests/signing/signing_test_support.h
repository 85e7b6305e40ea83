// Test support for signing/: throw-away GnuPG homes driven through the real gpg, and small shell
// helpers. Keys are made per test with no passphrase; nothing touches the user's keyring, and
// each home's gpg-agent is stopped when the home goes away.
#pragma once

#include "cairn/core/file.h"
#include "cairn/core/result.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace cairn::signing::testing {

// Quotes `text` for /bin/sh.
inline std::string shell_quote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

struct CommandResult {
  int status = -1;     // exit status, or -1 if the command did not exit normally
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh, collecting stdout and stderr.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), got);
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Like run_command, failing the current test when the command does not exit 0.
inline std::string must_run(const std::string& command) {
  CommandResult result = run_command(command);
  EXPECT_EQ(result.status, 0) << command << "\n" << result.output;
  return result.output;
}

inline TemporaryDirectory make_temporary_directory(std::string_view prefix = "cairn-signing-test-") {
  auto directory = TemporaryDirectory::create(prefix);
  if (!directory.ok()) fatal(directory.error().message());
  return std::move(directory).value();
}

inline std::string read_bytes(const std::filesystem::path& path) {
  auto content = read_file(path, std::size_t{1} << 30);
  if (!content.ok()) fatal(content.error().message());
  return std::move(content).value();
}

inline void write_bytes(const std::filesystem::path& path, std::string_view bytes, mode_t mode = 0644) {
  auto written = write_file_atomically(path, bytes, mode);
  if (!written.ok()) fatal(written.error().message());
}

// A GnuPG home of its own, for the duration of a test.
class GnupgHome {
 public:
  GnupgHome() : directory_(make_temporary_directory("cairn-gnupg-test-")) {}
  ~GnupgHome() { run_command("gpgconf --homedir " + shell_quote(path().string()) + " --kill all"); }
  GnupgHome(const GnupgHome&) = delete;
  GnupgHome& operator=(const GnupgHome&) = delete;

  const std::filesystem::path& path() const { return directory_.path(); }

  // `gpg` with this home, batch mode and an empty passphrase, followed by `arguments`.
  std::string gpg(const std::string& arguments) const {
    return "gpg --homedir " + shell_quote(path().string()) +
           " --batch --yes --no-tty --pinentry-mode loopback --passphrase '' " + arguments;
  }

  // Creates an Ed25519 signing key for `user_id` and returns its fingerprint. `expiry` is gpg's
  // ("1y", "1d", "never"); `faked_time` runs gpg at another time ("20200101T000000!").
  std::string generate_key(const std::string& user_id, const std::string& expiry = "1y",
                           const std::string& faked_time = "") const {
    std::string time_option = faked_time.empty() ? "" : "--faked-system-time " + faked_time + " ";
    must_run(gpg(time_option + "--quick-gen-key " + shell_quote(user_id) + " ed25519 sign " + expiry));
    return fingerprint_of(user_id);
  }

  // The primary fingerprint of the key with `user_id`.
  std::string fingerprint_of(const std::string& user_id) const {
    std::string listing = must_run(gpg("--with-colons --list-keys " + shell_quote(user_id)));
    std::size_t line = listing.find("\nfpr:");
    if (line == std::string::npos) return {};
    std::size_t end = listing.find('\n', line + 1);
    std::string fpr_line = listing.substr(line + 1, end - line - 1);
    // fpr:::::::::<fingerprint>:
    std::size_t start = fpr_line.find_first_not_of(':', 3);
    return fpr_line.substr(start, fpr_line.find(':', start) - start);
  }

  // The public key `id`, armored (what a user pins).
  std::string export_public(const std::string& id) const {
    return must_run(gpg("--armor --export " + shell_quote(id)));
  }

  // Revokes `fingerprint` with the revocation certificate gpg stored when it made the key.
  void revoke(const std::string& fingerprint) const {
    std::filesystem::path certificate = path() / "openpgp-revocs.d" / (fingerprint + ".rev");
    std::string text = read_bytes(certificate);
    // gpg guards the stored certificate with a ':' before the armor line; take it out to use it.
    std::size_t guard = text.find(":-----BEGIN PGP PUBLIC KEY BLOCK-----");
    if (guard != std::string::npos) text.erase(guard, 1);
    std::filesystem::path usable = path() / "revocation.asc";
    write_bytes(usable, text);
    must_run(gpg("--import " + shell_quote(usable.string())));
  }

  // A detached signature over `file` by `signer`, written to `signature`; `options` go to gpg.
  void detach_sign(const std::string& signer, const std::filesystem::path& file, const std::filesystem::path& signature,
                   const std::string& options = "") const {
    must_run(gpg(options + " --local-user " + shell_quote(signer) + " --output " + shell_quote(signature.string()) +
                 " --detach-sign " + shell_quote(file.string())));
  }

 private:
  TemporaryDirectory directory_;
};

}  // namespace cairn::signing::testing
