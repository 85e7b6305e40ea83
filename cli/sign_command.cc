// `cairn sign` and `cairn verify-signature`: detached signatures and DSSE envelopes over a file,
// checked against pinned keys only.
//
// Signature files, as the standard tools write them:
//   FILE.sig           a binary OpenPGP detached signature (gpgv and `gpg --verify` read it)
//   FILE.ed25519.sig   the 64 raw Ed25519 bytes (`openssl pkeyutl -verify -rawin` reads it)
//   FILE.dsse.json     a DSSE envelope whose payload is FILE's content
//
// Several keys can sign one envelope at once, or one after another with --append, as maintainers
// on different machines do (in-toto layouts, threshold-signed attestations): each adds its
// signature to the envelope the last one wrote.
#include "command.h"

#include "cairn/core/file.h"
#include "cairn/signing/dsse.h"
#include "cairn/signing/signature_file.h"
#include "cairn/signing/signer.h"
#include "cairn/signing/threshold.h"
#include "cairn/signing/trusted_keys.h"

#include <memory>
#include <span>
#include <string_view>

namespace cairn::cli {

namespace {

constexpr std::size_t max_signed_file_size = std::size_t{1} << 30;
constexpr std::size_t max_signature_file_size = signing::dsse::max_envelope_file_size;

struct SignOptions {
  std::vector<std::string> keys;
  std::string file;
  bool dsse = false;
  std::string payload_type;
  std::string append;  // an existing envelope to add signatures to
  std::string output;
  std::string passphrase_file;
};

struct VerifyOptions {
  std::vector<std::string> trust;
  std::size_t threshold = 1;
  std::string payload_type;
  std::string file;
  std::vector<std::string> signatures;
};

Result<void> run_sign(const Invocation& invocation, const SignOptions& options) {
  const bool dsse = options.dsse || !options.append.empty();
  if (dsse && options.append.empty() && options.payload_type.empty()) {
    return make_error(ErrorCode::invalid_argument, "--dsse needs --payload-type (e.g. {})",
                      signing::dsse::in_toto_payload_type);
  }
  if (!dsse && !options.payload_type.empty()) {
    return make_error(ErrorCode::invalid_argument, "--payload-type only applies to --dsse envelopes");
  }
  if (!dsse && options.keys.size() != 1) {
    return make_error(ErrorCode::invalid_argument,
                      "a detached signature is made with one --key; several keys can sign one --dsse envelope");
  }
  std::vector<std::unique_ptr<signing::Signer>> signers;
  for (const auto& key : options.keys) {
    std::unique_ptr<signing::Signer> signer =
        CAIRN_TRY(signing::open_signer(key, {}, passphrase_source(options.passphrase_file)));
    signers.push_back(std::move(signer));
  }
  std::string content = CAIRN_TRY(read_file(options.file, max_signed_file_size));

  std::string output = options.output;
  std::string written;
  std::size_t envelope_signatures = 0;
  if (dsse) {
    std::vector<const signing::Signer*> pointers;
    pointers.reserve(signers.size());
    for (const auto& signer : signers) pointers.push_back(signer.get());
    if (options.append.empty()) {
      signing::dsse::Envelope envelope =
          CAIRN_TRY(signing::dsse::sign(options.payload_type, std::move(content), pointers));
      if (output.empty()) output = options.file + ".dsse.json";
      written = CAIRN_TRY(signing::dsse::serialize_envelope(envelope)) + "\n";
      envelope_signatures = envelope.signatures.size();
    } else {
      FileLockOptions lock;
      lock.on_wait = print_notice;
      signing::dsse::Envelope envelope = CAIRN_TRY(signing::dsse::cosign_file(
          options.append, content, options.file, options.payload_type, pointers, output, lock));
      if (output.empty()) output = options.append;
      envelope_signatures = envelope.signatures.size();
    }
  } else {
    signing::Signature signature = CAIRN_TRY(signers.front()->sign(content));
    written = std::move(signature.bytes);
    if (output.empty()) {
      output = options.file + (signature.method == signing::SignatureMethod::openpgp ? ".sig" : ".ed25519.sig");
    }
  }
  if (!written.empty()) CAIRN_TRY(write_file_atomically(output, written, 0644));

  if (invocation.json) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& signer : signers) {
      keys.push_back({{"keyid", signer->keyid()}, {"method", signing::to_string(signer->method())}});
    }
    nlohmann::json report = {{"file", options.file}, {"signature", output}, {"keys", keys}, {"dsse", dsse}};
    if (dsse) {
      report["appended"] = !options.append.empty();
      report["signatures"] = envelope_signatures;
    }
    print_json(report);
  } else {
    for (const auto& signer : signers) {
      std::printf("signed %s with %s key %s\n", options.file.c_str(),
                  std::string(signing::to_string(signer->method())).c_str(), signer->keyid().c_str());
    }
    if (options.append.empty()) {
      std::printf("wrote %s\n", output.c_str());
    } else {
      std::printf("wrote %s (%zu signatures)\n", output.c_str(), envelope_signatures);
    }
  }
  return {};
}

Result<void> run_verify(const Invocation& invocation, const VerifyOptions& options) {
  std::vector<std::filesystem::path> trusted(options.trust.begin(), options.trust.end());
  signing::TrustedKeys keys = CAIRN_TRY(signing::TrustedKeys::load(trusted));
  std::string content = CAIRN_TRY(read_file(options.file, max_signed_file_size));
  std::vector<signing::SignatureFile> files;
  for (const auto& path : options.signatures) {
    std::string signature = CAIRN_TRY(read_file(path, max_signature_file_size));
    files.push_back({path, std::move(signature)});
  }
  signing::SignatureFilesReport verified = CAIRN_TRY(
      signing::verify_signature_files(content, options.file, files, keys, options.threshold, options.payload_type));
  const signing::ThresholdReport& report = verified.threshold;

  if (invocation.json) {
    nlohmann::json signers = nlohmann::json::array();
    for (const auto& signer : report.signers) {
      signers.push_back({{"keyid", signer.keyid}, {"method", signing::to_string(signer.method)}});
    }
    nlohmann::json not_counted = nlohmann::json::array();
    for (const auto& check : report.not_counted) not_counted.push_back(check.failure->message());
    nlohmann::json kinds = nlohmann::json::array();
    for (std::size_t i = 0; i < files.size(); ++i) {
      kinds.push_back({{"file", files[i].name}, {"kind", signing::describe(verified.kinds[i])}});
    }
    print_json({{"file", options.file},
                {"threshold", options.threshold},
                {"signers", signers},
                {"not_counted", not_counted},
                {"signature_files", kinds}});
  } else {
    std::printf("good: %zu of %zu required key%s signed %s\n", report.signers.size(), options.threshold,
                options.threshold == 1 ? "" : "s", options.file.c_str());
    for (std::size_t i = 0; i < files.size(); ++i) {
      std::printf("  %s: %s\n", files[i].name.c_str(), std::string(signing::describe(verified.kinds[i])).c_str());
    }
    for (const auto& signer : report.signers) {
      std::printf("  %s (%s)\n", signer.keyid.c_str(), std::string(signing::to_string(signer.method)).c_str());
    }
    for (const auto& check : report.not_counted) std::printf("  not counted: %s\n", check.failure->message().c_str());
  }
  return {};
}

}  // namespace

void add_sign_commands(CLI::App& app, Invocation& invocation) {
  auto sign_options = std::make_shared<SignOptions>();
  CLI::App* sign = app.add_subcommand(
      "sign",
      "Sign a file: FILE.sig (OpenPGP), FILE.ed25519.sig (Ed25519) or, with --dsse, FILE.dsse.json; with --append, "
      "add signatures to an existing envelope over FILE");
  sign->add_option("--key", sign_options->keys,
                   "OpenPGP fingerprint in your keyring, or an Ed25519 private key file (repeat for --dsse)")
      ->required()
      ->allow_extra_args(false);
  add_passphrase_option(*sign, sign_options->passphrase_file);
  sign->add_flag("--dsse", sign_options->dsse, "Write a DSSE envelope whose payload is FILE");
  sign->add_option("--payload-type", sign_options->payload_type,
                   "The envelope's payloadType, e.g. application/vnd.in-toto+json (with --append: the type the "
                   "envelope must have)");
  sign->add_option("--append", sign_options->append,
                   "Add the signatures to this DSSE envelope, whose payload must be FILE, and rewrite it (implies "
                   "--dsse; refused if a --key has already signed it)")
      ->option_text("ENVELOPE");
  sign->add_option("-o,--output", sign_options->output,
                   "Where to write the signature or envelope (with --append: instead of rewriting ENVELOPE)");
  sign->add_option("FILE", sign_options->file, "File to sign")->required();
  on_run(sign, invocation, sign_options, run_sign);

  auto verify_options = std::make_shared<VerifyOptions>();
  CLI::App* verify = app.add_subcommand(
      "verify-signature", "Check that FILE was signed by at least --threshold of the pinned --trust keys");
  verify
      ->add_option("--trust", verify_options->trust,
                   "A pinned public key file: OpenPGP (armored or binary) or Ed25519 (PEM or 32 raw bytes); repeat "
                   "or separate with commas")
      ->required()
      ->allow_extra_args(false)
      ->delimiter(',');
  verify->add_option("--threshold", verify_options->threshold, "How many distinct pinned keys must have signed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  verify->add_option("--payload-type", verify_options->payload_type,
                     "DSSE: the payloadType the envelope must have (default: any)");
  verify->add_option("FILE", verify_options->file, "The signed file (for an envelope: its payload)")->required();
  verify
      ->add_option("SIGNATURE", verify_options->signatures,
                   "Signature files, recognised by content: OpenPGP (binary or armored), 64 raw Ed25519 bytes, or one "
                   "DSSE envelope")
      ->required();
  on_run(verify, invocation, verify_options, run_verify);
}

}  // namespace cairn::cli
