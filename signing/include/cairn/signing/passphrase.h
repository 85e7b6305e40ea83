// Passphrases for encrypted Ed25519 key files: the first line of a file (for automation, like
// `gpg --passphrase-file` and `openssl -passin file:`), or asked for on the terminal with echo
// off (like ssh-keygen). Never from the environment or the command line, where other processes
// can read it.
#pragma once

#include "cairn/core/result.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace cairn::signing {

struct PassphraseSource {
  std::filesystem::path file;  // when set: the passphrase is this file's first line
  bool prompt = false;         // otherwise: whether to ask on the controlling terminal
};

// A passphrase that wipes its bytes when it goes.
class Passphrase {
 public:
  explicit Passphrase(std::string text) : text_(std::move(text)) {}
  Passphrase(Passphrase&& other) noexcept;
  Passphrase& operator=(Passphrase&& other) noexcept;
  Passphrase(const Passphrase&) = delete;
  Passphrase& operator=(const Passphrase&) = delete;
  ~Passphrase();

  std::string_view view() const { return text_; }

 private:
  void wipe();
  std::string text_;
};

// The passphrase for the key file `key_name`. With `confirm` (a new key) a prompt asks twice and
// the answers must match. Errors: no file and prompting off, or no terminal to ask on
// (invalid_argument, naming --passphrase-file); a missing or unreadable file; an empty
// passphrase (malformed).
Result<Passphrase> get_passphrase(const PassphraseSource& source, std::string_view key_name, bool confirm = false);

}  // namespace cairn::signing
