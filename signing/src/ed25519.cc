// Ed25519 keys, signing and verification through OpenSSL EVP (see ed25519.h).
#include "cairn/signing/ed25519.h"

#include "cairn/core/base64.h"
#include "cairn/core/digest.h"
#include "cairn/core/file.h"
#include "cairn/core/unique_handle.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>

namespace cairn::signing {

namespace {

using UniqueBio = UniqueHandle<BIO, BIO_free>;
using UniqueMdContext = UniqueHandle<EVP_MD_CTX, EVP_MD_CTX_free>;

constexpr std::size_t max_key_file_size = std::size_t{64} << 10;

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, ReleaseWith<EVP_PKEY_free>{});
}

// The oldest error on OpenSSL's queue, for a message; empties the queue.
std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : fmt::format("OpenSSL error {:#x}", code);
}

UniqueBio memory_bio(std::string_view content) {
  return UniqueBio(BIO_new_mem_buf(content.data(), static_cast<int>(std::min<std::size_t>(content.size(), INT32_MAX))));
}

Result<std::string> bio_contents(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  if (size < 0 || data == nullptr) return make_error(ErrorCode::internal, "OpenSSL: empty memory BIO");
  return std::string(data, static_cast<std::size_t>(size));
}

// For what must not be encrypted (public keys, keys read as unencrypted): OpenSSL must fail, not
// prompt on the terminal itself.
int refuse_password(char*, int, int, void*) {
  return 0;
}

// Hands OpenSSL the passphrase `user` points to (a std::string_view).
int give_passphrase(char* buffer, int size, int, void* user) {
  auto* passphrase = static_cast<const std::string_view*>(user);
  if (size < 0 || passphrase->size() > static_cast<std::size_t>(size)) return -1;
  std::copy(passphrase->begin(), passphrase->end(), buffer);
  return static_cast<int>(passphrase->size());
}

Result<UniqueMdContext> new_md_context() {
  UniqueMdContext context(EVP_MD_CTX_new());
  if (!context) return make_error(ErrorCode::internal, "OpenSSL: EVP_MD_CTX_new: {}", openssl_error());
  return context;
}

bool is_ed25519(EVP_PKEY* key) {
  return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519;
}

std::string key_type_name(EVP_PKEY* key) {
  const char* name = EVP_PKEY_get0_type_name(key);
  return name != nullptr ? name : "unknown";
}

// RFC 8410, section 4: the DER of an Ed25519 SubjectPublicKeyInfo is always these 12 bytes and
// then the 32 key bytes.
constexpr std::string_view ed25519_spki_prefix("\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00", 12);

// The raw key in a PEM file that holds exactly one Ed25519 SubjectPublicKeyInfo, else nullopt.
// Reading it directly skips OpenSSL 3's decoder framework, which costs about a millisecond of
// start-up in every `cairn verify-signature`; anything unusual still goes to OpenSSL.
std::optional<std::string> raw_key_of_ed25519_pem(std::string_view content) {
  constexpr std::string_view begin = "-----BEGIN PUBLIC KEY-----\n";
  constexpr std::string_view end = "-----END PUBLIC KEY-----";
  if (!content.starts_with(begin)) return std::nullopt;
  content.remove_prefix(begin.size());
  std::size_t end_at = content.find(end);
  if (end_at == std::string_view::npos) return std::nullopt;
  std::string_view after = content.substr(end_at + end.size());
  if (!after.empty() && after != "\n") return std::nullopt;
  std::string text;
  for (char c : content.substr(0, end_at)) {
    if (c != '\n') text += c;
  }
  auto der = base64_decode(text);
  if (!der.ok() || der->size() != ed25519_spki_prefix.size() + ed25519_public_key_size ||
      !der->starts_with(ed25519_spki_prefix)) {
    return std::nullopt;
  }
  return der->substr(ed25519_spki_prefix.size());
}

}  // namespace

// --- public keys ---------------------------------------------------------------------------

Ed25519PublicKey::Ed25519PublicKey(std::shared_ptr<EVP_PKEY> key, std::string raw)
    : key_(std::move(key)), raw_(std::move(raw)), keyid_(Digest::sha256_of(raw_).to_string()) {}

Result<Ed25519PublicKey> Ed25519PublicKey::from_raw(std::string_view raw) {
  if (raw.size() != ed25519_public_key_size) {
    return make_error(ErrorCode::malformed, "an Ed25519 public key is {} bytes, not {}", ed25519_public_key_size,
                      raw.size());
  }
  auto key = share(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!key) return make_error(ErrorCode::malformed, "not an Ed25519 public key: {}", openssl_error());
  return Ed25519PublicKey(std::move(key), std::string(raw));
}

Result<Ed25519PublicKey> Ed25519PublicKey::parse(std::string_view content, std::string_view name) {
  if (content.find("PRIVATE KEY-----") != std::string_view::npos) {
    return make_error(ErrorCode::invalid_argument, "{}: a private key; pin its public key ({}.pub) instead", name,
                      name);
  }
  if (content.find("-----BEGIN PUBLIC KEY-----") == std::string_view::npos) {
    if (content.size() == ed25519_public_key_size) return from_raw(content);
    return make_error(ErrorCode::malformed, "{}: neither a PEM public key nor 32 raw Ed25519 bytes", name);
  }
  if (auto raw = raw_key_of_ed25519_pem(content)) return from_raw(*raw);
  UniqueBio bio = memory_bio(content);
  auto key = share(PEM_read_bio_PUBKEY(bio.get(), nullptr, refuse_password, nullptr));
  if (!key) return make_error(ErrorCode::malformed, "{}: not a PEM public key: {}", name, openssl_error());
  if (!is_ed25519(key.get())) {
    return make_error(ErrorCode::unsupported, "{}: an {} key; Cairn pins Ed25519 or OpenPGP keys", name,
                      key_type_name(key.get()));
  }
  std::string raw(ed25519_public_key_size, '\0');
  std::size_t size = raw.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(raw.data()), &size) != 1 ||
      size != raw.size()) {
    return make_error(ErrorCode::internal, "{}: cannot read the raw Ed25519 key: {}", name, openssl_error());
  }
  return Ed25519PublicKey(std::move(key), std::move(raw));
}

Result<Ed25519PublicKey> Ed25519PublicKey::load(const std::filesystem::path& path) {
  std::string content = CAIRN_TRY(read_file(path, max_key_file_size));
  return parse(content, path.string());
}

std::string Ed25519PublicKey::to_pem() const {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) fatal("OpenSSL cannot write a PEM public key");
  auto pem = bio_contents(bio.get());
  if (!pem.ok()) fatal(pem.error().message());
  return std::move(pem).value();
}

Result<void> Ed25519PublicKey::verify(std::string_view data, std::string_view signature) const {
  if (signature.size() != ed25519_signature_size) {
    return make_error(ErrorCode::malformed, "{}: malformed Ed25519 signature: {} bytes, expected {}", keyid_,
                      signature.size(), ed25519_signature_size);
  }
  UniqueMdContext context = CAIRN_TRY(new_md_context());
  if (EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
    return make_error(ErrorCode::internal, "{}: EVP_DigestVerifyInit: {}", keyid_, openssl_error());
  }
  int verdict = EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                                 signature.size(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  if (verdict == 1) return {};
  ERR_clear_error();
  return make_error(ErrorCode::refused, "{}: bad signature", keyid_);
}

// --- private keys --------------------------------------------------------------------------

Ed25519PrivateKey::Ed25519PrivateKey(std::shared_ptr<EVP_PKEY> key, Ed25519PublicKey public_key)
    : key_(std::move(key)), public_key_(std::move(public_key)) {}

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_key(std::shared_ptr<EVP_PKEY> key, std::string_view name) {
  if (!is_ed25519(key.get())) {
    return make_error(ErrorCode::unsupported, "{}: an {} key; Cairn signs with Ed25519 key files", name,
                      key_type_name(key.get()));
  }
  std::string raw(ed25519_public_key_size, '\0');
  std::size_t size = raw.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(raw.data()), &size) != 1 ||
      size != raw.size()) {
    return make_error(ErrorCode::internal, "{}: cannot derive the public key: {}", name, openssl_error());
  }
  Ed25519PublicKey public_key = CAIRN_TRY(Ed25519PublicKey::from_raw(raw));
  return Ed25519PrivateKey(std::move(key), std::move(public_key));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::generate() {
  auto key = share(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return make_error(ErrorCode::internal, "OpenSSL cannot generate an Ed25519 key: {}", openssl_error());
  return from_key(std::move(key), "new key");
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_seed(std::string_view seed) {
  if (seed.size() != 32) return make_error(ErrorCode::malformed, "an Ed25519 seed is 32 bytes, not {}", seed.size());
  auto key = share(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                                reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  if (!key) return make_error(ErrorCode::malformed, "not an Ed25519 seed: {}", openssl_error());
  return from_key(std::move(key), "seed");
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::parse(std::string_view pem, std::string_view name,
                                                   const PassphraseSource& passphrase) {
  if (pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos) {
    Passphrase secret = CAIRN_TRY(get_passphrase(passphrase, name));
    std::string_view text = secret.view();
    UniqueBio bio = memory_bio(pem);
    auto key = share(PEM_read_bio_PrivateKey(bio.get(), nullptr, give_passphrase, &text));
    if (!key) {
      ERR_clear_error();
      return make_error(ErrorCode::refused, "{}: wrong passphrase, or the key file is damaged", name);
    }
    return from_key(std::move(key), name);
  }
  if (pem.find("-----BEGIN PRIVATE KEY-----") == std::string_view::npos) {
    return make_error(ErrorCode::malformed, "{}: not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)", name);
  }
  UniqueBio bio = memory_bio(pem);
  auto key = share(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_password, nullptr));
  if (!key) return make_error(ErrorCode::malformed, "{}: not a PEM private key: {}", name, openssl_error());
  return from_key(std::move(key), name);
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::load(const std::filesystem::path& path,
                                                  const PassphraseSource& passphrase) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return make_error(ErrorCode::not_found, "{}: no such key file", path.string());
    return system_error(fmt::format("stat {}", path.string()), errno);
  }
  // A signing key that others can read is a key others may have copied: refuse it, as ssh does.
  mode_t mode = info.st_mode & 07777;
  if ((mode & 0077) != 0) {
    std::string_view how = (mode & 0044) != 0 ? "readable" : "accessible";
    return make_error(ErrorCode::invalid_argument, "{} is {} by others (mode {:04o}); chmod 600 it", path.string(), how,
                      mode);
  }
  std::string pem = CAIRN_TRY(read_file(path, max_key_file_size));
  return parse(pem, path.string(), passphrase);
}

std::string Ed25519PrivateKey::to_pem(std::string_view passphrase) const {
  UniqueBio bio(BIO_new(BIO_s_mem()));
  if (!bio) fatal("OpenSSL cannot make a memory BIO");
  // PKCS#8 with PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC, OpenSSL 3's defaults for this call.
  std::string_view pass = passphrase;
  int written =
      passphrase.empty()
          ? PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr)
          : PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), EVP_aes_256_cbc(), nullptr, 0, give_passphrase, &pass);
  if (written != 1) fatal("OpenSSL cannot write a PEM private key");
  auto pem = bio_contents(bio.get());
  if (!pem.ok()) fatal(pem.error().message());
  return std::move(pem).value();
}

Result<void> Ed25519PrivateKey::save(const std::filesystem::path& path, std::string_view passphrase) const {
  std::filesystem::path public_path = path.string() + ".pub";
  for (const auto& destination : {path, public_path}) {
    struct stat info {};
    if (::lstat(destination.c_str(), &info) == 0) {
      return make_error(ErrorCode::already_exists, "{} already exists; it will not be replaced", destination.string());
    }
  }
  CAIRN_TRY(write_file_atomically(path, to_pem(passphrase), 0600));
  auto written = write_file_atomically(public_path, public_key_.to_pem(), 0644);
  if (!written.ok()) {
    ::unlink(path.c_str());  // so that the same command can simply be run again
    return std::move(written).error();
  }
  return {};
}

Result<Signature> Ed25519PrivateKey::sign(std::string_view data) const {
  UniqueMdContext context = CAIRN_TRY(new_md_context());
  // No digest: Ed25519 hashes the whole message itself (RFC 8032 "pure" Ed25519).
  if (EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
    return make_error(ErrorCode::internal, "{}: EVP_DigestSignInit: {}", keyid(), openssl_error());
  }
  std::string signature(ed25519_signature_size, '\0');
  std::size_t size = signature.size();
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      size != ed25519_signature_size) {
    return make_error(ErrorCode::internal, "{}: EVP_DigestSign: {}", keyid(), openssl_error());
  }
  return Signature{keyid(), SignatureMethod::ed25519, std::move(signature)};
}

// --- verifier ------------------------------------------------------------------------------

void Ed25519Verifier::add(Ed25519PublicKey key) {
  for (const auto& pinned : keys_) {
    if (pinned.keyid() == key.keyid()) return;
  }
  keys_.push_back(std::move(key));
}

std::vector<std::string> Ed25519Verifier::keyids() const {
  std::vector<std::string> ids;
  for (const auto& key : keys_) ids.push_back(key.keyid());
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<SignatureCheck> Ed25519Verifier::check(std::string_view data, const Signature& signature) const {
  auto failed = [&](std::string keyid, Error error) {
    return std::vector<SignatureCheck>{{std::move(keyid), SignatureMethod::ed25519, std::move(error)}};
  };
  if (signature.method != SignatureMethod::ed25519) {
    return failed(signature.keyid, make_error(ErrorCode::internal, "{}: not an Ed25519 signature", signature.keyid));
  }
  if (!signature.keyid.empty()) {
    auto key = std::find_if(keys_.begin(), keys_.end(),
                            [&](const Ed25519PublicKey& pinned) { return pinned.keyid() == signature.keyid; });
    if (key == keys_.end()) {
      return failed(signature.keyid,
                    make_error(ErrorCode::refused, "{}: unknown key (not among the pinned keys)", signature.keyid));
    }
    auto verified = key->verify(data, signature.bytes);
    if (!verified.ok()) return failed(signature.keyid, std::move(verified).error());
    return {{signature.keyid, SignatureMethod::ed25519, std::nullopt}};
  }
  // No key id: whichever pinned key verifies the signature made it.
  if (signature.bytes.size() != ed25519_signature_size) {
    return failed("", make_error(ErrorCode::malformed, "malformed Ed25519 signature: {} bytes, expected {}",
                                 signature.bytes.size(), ed25519_signature_size));
  }
  for (const auto& key : keys_) {
    if (key.verify(data, signature.bytes).ok()) return {{key.keyid(), SignatureMethod::ed25519, std::nullopt}};
  }
  return failed("", make_error(ErrorCode::refused, "bad signature: no pinned Ed25519 key verifies it"));
}

}  // namespace cairn::signing
