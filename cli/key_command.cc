// `cairn key generate|list|export`: make signing keys and get their public parts for pinning.
//
// OpenPGP keys live in the user's GnuPG keyring ($GNUPGHOME or ~/.gnupg) and are named by
// fingerprint; Ed25519 keys are files (private PKCS#8 PEM, mode 0600, and FILE.pub) named by
// their path when signing and by "sha256:<hex>" when verifying.
#include "command.h"

#include "cairn/core/file.h"
#include "cairn/core/time.h"
#include "cairn/signing/ed25519.h"
#include "cairn/signing/key_file.h"
#include "cairn/signing/openpgp.h"

#include <ctime>
#include <memory>

namespace cairn::cli {

namespace {

struct GenerateOptions {
  std::string openpgp_user_id;
  std::string ed25519_file;
  bool encrypt = false;  // Ed25519: protect the key file with a passphrase
  std::string passphrase_file;
  bool no_passphrase = false;
  std::int64_t expire_days = 730;
};

struct ListOptions {
  std::vector<std::string> files;
  std::string passphrase_file;
};

struct ExportOptions {
  std::string id;
  std::string output;
  std::string passphrase_file;
};

void print_key(const Invocation& invocation, signing::SignatureMethod method, const std::string& keyid,
               const std::string& description, nlohmann::json details = nlohmann::json::object()) {
  if (invocation.json) {
    details["method"] = signing::to_string(method);
    details["keyid"] = keyid;
    print_json(details);
  } else {
    std::printf("%-7s %s  %s\n", std::string(signing::to_string(method)).c_str(), keyid.c_str(), description.c_str());
  }
}

Result<void> run_generate(const Invocation& invocation, const GenerateOptions& options) {
  if (options.ed25519_file.empty() && options.openpgp_user_id.empty()) {
    return make_error(ErrorCode::invalid_argument,
                      "say which key to create: --openpgp \"Name <email>\" or --ed25519 FILE");
  }
  if (!options.ed25519_file.empty()) {
    auto key = CAIRN_TRY(signing::Ed25519PrivateKey::generate());
    if (options.encrypt) {
      signing::Passphrase passphrase = CAIRN_TRY(
          signing::get_passphrase(passphrase_source(options.passphrase_file), options.ed25519_file, /*confirm=*/true));
      CAIRN_TRY(key.save(options.ed25519_file, passphrase.view()));
    } else {
      CAIRN_TRY(key.save(options.ed25519_file));
    }
    print_key(invocation, signing::SignatureMethod::ed25519, key.keyid(),
              fmt::format("{} (public key {}.pub)", options.ed25519_file, options.ed25519_file),
              {{"private_key", options.ed25519_file}, {"public_key", options.ed25519_file + ".pub"}});
    return {};
  }
  if (options.expire_days < 0) return make_error(ErrorCode::invalid_argument, "--expire-days cannot be negative");
  signing::OpenPgpKeyOptions key_options;
  key_options.expires_seconds = options.expire_days * 24 * 60 * 60;
  key_options.no_passphrase = options.no_passphrase;
  std::string fingerprint = CAIRN_TRY(signing::generate_openpgp_key(options.openpgp_user_id, key_options));
  print_key(invocation, signing::SignatureMethod::openpgp, fingerprint, options.openpgp_user_id,
            {{"user_id", options.openpgp_user_id}});
  return {};
}

// Lists what each key file holds: a private or public Ed25519 key, or OpenPGP public keys.
Result<void> list_files(const Invocation& invocation, const ListOptions& options) {
  for (const auto& path : options.files) {
    for (const auto& key : CAIRN_TRY(signing::read_key_file(path, passphrase_source(options.passphrase_file)))) {
      if (key.method == signing::SignatureMethod::openpgp) {
        std::string user_id = key.user_ids.empty() ? "" : key.user_ids.front();
        print_key(invocation, key.method, key.keyid, fmt::format("{} ({})", user_id, path),
                  {{"file", path}, {"user_ids", key.user_ids}, {"subkeys", key.subkeys}});
      } else {
        print_key(invocation, key.method, key.keyid, key.is_private ? fmt::format("{} (private)", path) : path,
                  {{"file", path}, {"private", key.is_private}});
      }
    }
  }
  return {};
}

Result<void> run_list(const Invocation& invocation, const ListOptions& options) {
  if (!options.files.empty()) return list_files(invocation, options);
  auto keys = CAIRN_TRY(signing::list_openpgp_secret_keys());
  for (const auto& key : keys) {
    std::string description = key.user_ids.empty() ? "(no user id)" : key.user_ids.front();
    if (key.expires != 0)
      description += fmt::format(" [{} {}]", key.expired ? "expired" : "expires", format_utc_date(key.expires));
    if (key.revoked) description += " [revoked]";
    if (!key.can_sign) description += " [cannot sign]";
    print_key(invocation, signing::SignatureMethod::openpgp, key.fingerprint, description,
              {{"user_ids", key.user_ids},
               {"algorithm", key.algorithm},
               {"created", key.created},
               {"expires", key.expires},
               {"can_sign", key.can_sign},
               {"revoked", key.revoked},
               {"expired", key.expired}});
  }
  return {};
}

Result<void> run_export(const Invocation& invocation, const ExportOptions& options) {
  std::string public_key =
      CAIRN_TRY(signing::export_public_key(options.id, passphrase_source(options.passphrase_file)));
  if (!options.output.empty()) {
    CAIRN_TRY(write_file_atomically(options.output, public_key, 0644));
    if (invocation.json) print_json({{"id", options.id}, {"output", options.output}});
    return {};
  }
  if (invocation.json) {
    print_json({{"id", options.id}, {"public_key", public_key}});
  } else {
    std::fwrite(public_key.data(), 1, public_key.size(), stdout);
  }
  return {};
}

}  // namespace

void add_key_commands(CLI::App& app, Invocation& invocation) {
  CLI::App* key = app.add_subcommand("key", "Create signing keys and export their public parts for pinning");
  key->require_subcommand(1);

  auto generate_options = std::make_shared<GenerateOptions>();
  CLI::App* generate = key->add_subcommand(
      "generate", "Create an OpenPGP key in your GnuPG keyring, or an Ed25519 key file pair (FILE, FILE.pub)");
  auto* openpgp = generate->add_option("--openpgp", generate_options->openpgp_user_id,
                                       "Create an Ed25519 OpenPGP key for this user id (\"Name <email>\")");
  auto* ed25519 = generate->add_option("--ed25519", generate_options->ed25519_file,
                                       "Write a new Ed25519 private key to FILE (mode 0600) and its public key to "
                                       "FILE.pub; neither may exist");
  openpgp->excludes(ed25519);
  generate
      ->add_flag("--no-passphrase", generate_options->no_passphrase,
                 "OpenPGP: do not protect the key with a passphrase (for automation and tests)")
      ->needs(openpgp);
  auto* encrypt = generate
                      ->add_flag("--encrypt", generate_options->encrypt,
                                 "Ed25519: encrypt the key file with a passphrase (PKCS#8, AES-256, PBKDF2)")
                      ->needs(ed25519);
  generate
      ->add_option("--passphrase-file", generate_options->passphrase_file,
                   "With --encrypt: the passphrase is the first line of FILE (default: ask twice on the terminal)")
      ->needs(encrypt);
  generate->add_option("--expire-days", generate_options->expire_days, "OpenPGP: days until the key expires (0: never)")
      ->capture_default_str()
      ->needs(openpgp);
  on_run(generate, invocation, generate_options, run_generate);

  auto list_options = std::make_shared<ListOptions>();
  CLI::App* list = key->add_subcommand(
      "list", "List the OpenPGP secret keys in your keyring, or the keys in the given key files with their ids");
  list->add_option("FILE", list_options->files, "Key files to describe instead of the keyring");
  add_passphrase_option(*list, list_options->passphrase_file);
  on_run(list, invocation, list_options, run_list);

  auto export_options = std::make_shared<ExportOptions>();
  CLI::App* export_command =
      key->add_subcommand("export", "Print the public part of a key, the file others pin with --trust");
  export_command
      ->add_option("ID", export_options->id, "OpenPGP fingerprint (or unique user id), or an Ed25519 key file")
      ->required();
  export_command->add_option("-o,--output", export_options->output, "Write to this file instead of stdout");
  add_passphrase_option(*export_command, export_options->passphrase_file);
  on_run(export_command, invocation, export_options, run_export);
}

}  // namespace cairn::cli
