// Key files as users hand them to Cairn, recognised by their content: an Ed25519 private key
// (PKCS#8 PEM, plain or encrypted), an Ed25519 public key (PEM or the 32 raw bytes), or OpenPGP
// public keys (armored or binary). OpenPGP secret keys stay in the user's GnuPG keyring and are
// named by fingerprint.
#pragma once

#include "cairn/core/result.h"
#include "cairn/signing/passphrase.h"
#include "cairn/signing/signer.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::signing {

enum class KeyFileKind { ed25519_private, ed25519_public, openpgp_public };

// What a key file holds, from its first bytes; nothing is parsed yet.
KeyFileKind classify_key_file(std::string_view content);

struct KeyFileEntry {
  SignatureMethod method = SignatureMethod::ed25519;
  std::string keyid;
  bool is_private = false;
  std::vector<std::string> user_ids;  // OpenPGP
  std::vector<std::string> subkeys;   // OpenPGP subkey fingerprints
};

// Every key in the file at `path` with its id (an OpenPGP file may hold several). An encrypted
// Ed25519 key file asks `passphrase` for its passphrase.
Result<std::vector<KeyFileEntry>> read_key_file(const std::filesystem::path& path, const PassphraseSource& passphrase);

// The public key others pin for `id`, in the form `--trust` reads: for an Ed25519 key file
// (private or public) its public key in PEM, else the armored export of the OpenPGP key that
// fingerprint or user id names in the user's keyring.
Result<std::string> export_public_key(std::string_view id, const PassphraseSource& passphrase);

}  // namespace cairn::signing
