// Passphrases from a file or the terminal (see passphrase.h).
#include "cairn/signing/passphrase.h"

#include "cairn/core/file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace cairn::signing {

namespace {

constexpr std::size_t max_passphrase_file_size = 4096;

// Asks `question` on the controlling terminal with echo off; the answer up to the newline.
Result<Passphrase> ask(std::string_view question, std::string_view key_name) {
  UniqueFd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!tty.valid()) {
    return make_error(ErrorCode::invalid_argument,
                      "{} is encrypted and there is no terminal to ask for its passphrase on: give "
                      "--passphrase-file FILE",
                      key_name);
  }
  termios saved{};
  bool restore = ::tcgetattr(tty.get(), &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(tty.get(), TCSAFLUSH, &quiet);
  }
  (void)write_all(tty.get(), question);
  std::string answer;
  char c = 0;
  for (;;) {
    Result<std::size_t> got = read_some(tty.get(), &c, 1);
    if (!got.ok() || *got == 0 || c == '\n' || answer.size() >= max_passphrase_file_size) break;
    answer.push_back(c);
  }
  if (restore) ::tcsetattr(tty.get(), TCSAFLUSH, &saved);
  if (!answer.empty() && answer.back() == '\r') answer.pop_back();
  return Passphrase(std::move(answer));
}

}  // namespace

Passphrase::Passphrase(Passphrase&& other) noexcept : text_(std::move(other.text_)) {
  other.wipe();
}

Passphrase& Passphrase::operator=(Passphrase&& other) noexcept {
  if (this != &other) {
    wipe();
    text_ = std::move(other.text_);
    other.wipe();
  }
  return *this;
}

Passphrase::~Passphrase() {
  wipe();
}

void Passphrase::wipe() {
  if (!text_.empty()) OPENSSL_cleanse(text_.data(), text_.size());
  text_.clear();
}

Result<Passphrase> get_passphrase(const PassphraseSource& source, std::string_view key_name, bool confirm) {
  if (!source.file.empty()) {
    std::string text_read = CAIRN_TRY(read_file(source.file, max_passphrase_file_size));
    Passphrase content(std::move(text_read));
    std::string_view text = content.view();
    text = text.substr(0, text.find('\n'));
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) return make_error(ErrorCode::malformed, "{}: an empty passphrase", source.file.string());
    return Passphrase(std::string(text));
  }
  if (!source.prompt) {
    return make_error(ErrorCode::invalid_argument, "{} is encrypted: give --passphrase-file FILE", key_name);
  }
  Passphrase first = CAIRN_TRY(ask(fmt::format("Passphrase for {}: ", key_name), key_name));
  if (first.view().empty()) return make_error(ErrorCode::malformed, "{}: an empty passphrase", key_name);
  if (confirm) {
    Passphrase again = CAIRN_TRY(ask(fmt::format("Repeat the passphrase for {}: ", key_name), key_name));
    if (again.view() != first.view()) {
      return make_error(ErrorCode::invalid_argument, "{}: the two passphrases differ", key_name);
    }
  }
  return first;
}

}  // namespace cairn::signing
