// `cairn manifest init|release|sign|snapshot|verify|dev`: make, sign, publish and check a signed
// library manifest repository (formats in manifest/README.md).
#include "command.h"

#include "cairn/manifest/client.h"
#include "cairn/manifest/development.h"
#include "cairn/manifest/publish.h"
#include "cairn/manifest/semver.h"
#include "cairn/signing/signer.h"

#include <memory>

namespace cairn::cli {

namespace {

namespace fs = std::filesystem;
using namespace cairn::manifest;

constexpr std::int64_t day = std::int64_t{24} * 3600;

struct InitOptions {
  std::vector<std::string> root_keys, snapshot_keys, timestamp_keys, maintainer_keys;
  std::size_t threshold = 1;
  std::string out;
  std::int64_t expires_days = 365;
};

struct ReleaseCommandOptions {
  std::string library;
  std::string repository = ".";
  std::int64_t expires_days = 365;
  bool archive = false;
  std::string yank;
  std::vector<std::string> advisories;
};

struct SignCommandOptions {
  std::string key;
  std::string passphrase_file;
  std::vector<std::string> files;
};

struct SnapshotOptions {
  std::string repository = ".";
  std::string key;
  std::string timestamp_key;
  std::string passphrase_file;
  std::int64_t snapshot_days = 30;
  std::int64_t timestamp_days = 7;
};

struct VerifyCommandOptions {
  std::string location;
  std::string root;
};

struct DevOptions {
  std::string repository;
  std::string checkout = ".";
};

std::int64_t now() {
  return system_clock()();
}

Result<void> run_init(const Invocation& invocation, const InitOptions& options) {
  RootKeyFiles keys;
  keys.root.assign(options.root_keys.begin(), options.root_keys.end());
  keys.snapshot.assign(options.snapshot_keys.begin(), options.snapshot_keys.end());
  keys.timestamp.assign(options.timestamp_keys.begin(), options.timestamp_keys.end());
  keys.maintainers.assign(options.maintainer_keys.begin(), options.maintainer_keys.end());
  keys.threshold = options.threshold;
  keys.expires = now() + options.expires_days * day;
  RootMetadata root = CAIRN_TRY(initialize_repository(options.out, keys));
  if (invocation.json) {
    print_json({{"repository", options.out}, {"root_keys", root.root.keyids}, {"threshold", root.root.threshold}});
  } else {
    std::printf(
        "created %s/root.json (version 1, %zu of %zu root keys); sign it with `cairn manifest sign --key "
        "KEY %s/root.json`\n",
        options.out.c_str(), root.root.threshold, root.root.keyids.size(), options.out.c_str());
  }
  return {};
}

Result<void> run_release(const Invocation& invocation, const ReleaseCommandOptions& options) {
  fs::path repository(options.repository);
  manifest::ReleaseOptions release;
  release.expires = now() + options.expires_days * day;
  release.archive = options.archive;
  if (!options.yank.empty()) release.yanked = options.yank;
  for (const std::string& text : options.advisories) {
    // ID:AFFECTED:SUMMARY; the summary may hold further colons.
    std::size_t first = text.find(':');
    std::size_t second = first == std::string::npos ? std::string::npos : text.find(':', first + 1);
    if (second == std::string::npos || first == 0 || second == first + 1 || second + 1 == text.size()) {
      return make_error(ErrorCode::invalid_argument, "--advisory '{}': write ID:AFFECTED:SUMMARY", text);
    }
    manifest::Advisory advisory{text.substr(0, first), text.substr(first + 1, second - first - 1),
                                text.substr(second + 1)};
    CAIRN_TRY(manifest::Constraint::parse(advisory.affected).with_context("--advisory " + advisory.id));
    release.advisories.push_back(std::move(advisory));
  }
  LibraryEntry entry = CAIRN_TRY(release_library(options.library, repository, release));
  if (invocation.json) {
    print_json({{"path", (repository / entry.path()).string()},
                {"name", entry.name},
                {"library_version", entry.library_version},
                {"tree", entry.tree.to_string()}});
  } else {
    std::printf("%s %s %s -> %s (unsigned)\n", entry.name.c_str(), entry.library_version.c_str(),
                entry.tree.to_string().c_str(), (repository / entry.path()).c_str());
  }
  return {};
}

Result<void> run_sign(const Invocation& invocation, const SignCommandOptions& options) {
  std::unique_ptr<signing::Signer> signer =
      CAIRN_TRY(signing::open_signer(options.key, {}, passphrase_source(options.passphrase_file)));
  for (const auto& file : options.files) {
    SignedDocument document = CAIRN_TRY(sign_document_file(file, *signer));
    if (invocation.json) {
      print_json({{"file", file}, {"keyid", signer->keyid()}, {"signatures", document.signatures.size()}});
    } else {
      std::printf("%s: signed by %s (%zu signatures)\n", file.c_str(), signer->keyid().c_str(),
                  document.signatures.size());
    }
  }
  return {};
}

Result<void> run_snapshot(const Invocation& invocation, const SnapshotOptions& options) {
  const signing::PassphraseSource passphrase = passphrase_source(options.passphrase_file);
  std::unique_ptr<signing::Signer> snapshot_signer = CAIRN_TRY(signing::open_signer(options.key, {}, passphrase));
  std::unique_ptr<signing::Signer> timestamp_signer;
  if (!options.timestamp_key.empty())
    timestamp_signer = CAIRN_TRY(signing::open_signer(options.timestamp_key, {}, passphrase));
  PublishOptions publish;
  publish.now = now();
  publish.snapshot_lifetime = options.snapshot_days * day;
  publish.timestamp_lifetime = options.timestamp_days * day;
  PublishResult result = CAIRN_TRY(publish_snapshot(options.repository, *snapshot_signer,
                                                    timestamp_signer ? *timestamp_signer : *snapshot_signer, publish));
  if (invocation.json) {
    print_json({{"snapshot_version", result.snapshot_version},
                {"timestamp_version", result.timestamp_version},
                {"entries", result.entries}});
  } else {
    std::printf("snapshot version %lld (%zu entries), timestamp version %lld\n",
                static_cast<long long>(result.snapshot_version), result.entries,
                static_cast<long long>(result.timestamp_version));
  }
  return {};
}

nlohmann::json role_json(const Role& role) {
  return {{"keyids", role.keyids}, {"threshold", role.threshold}};
}

Result<void> run_verify(const Invocation& invocation, const VerifyCommandOptions& options) {
  ManifestRequest request{options.location, options.root, {}};
  request.verify.lock.on_wait = print_notice;
  VerifiedRepository verified = CAIRN_TRY(open_manifest(request)).verified;
  const RootMetadata& trusted_root = verified.root;
  if (invocation.json) {
    nlohmann::json libraries = nlohmann::json::array();
    for (const auto& library : verified.libraries) {
      const Role* maintainers = trusted_root.maintainers_of(library.entry.name);
      nlohmann::json item = {{"name", library.entry.name},
                             {"library_version", library.entry.library_version},
                             {"tree", library.entry.tree.to_string()},
                             {"signers", library.signers},
                             {"maintainers", role_json(*maintainers)},
                             {"expires", format_rfc3339(library.entry.expires)}};
      if (library.entry.yanked) item["yanked"] = *library.entry.yanked;
      nlohmann::json advisories = nlohmann::json::array();
      for (const auto& advisory : library.entry.advisories) {
        advisories.push_back({{"id", advisory.id}, {"affected", advisory.affected}, {"summary", advisory.summary}});
      }
      item["advisories"] = advisories;
      libraries.push_back(item);
    }
    print_json(
        {{"repository", options.location},
         {"development", trusted_root.development},
         {"root",
          {{"version", trusted_root.version},
           {"expires", format_rfc3339(trusted_root.expires)},
           {"root", role_json(trusted_root.root)}}},
         {"snapshot", {{"version", verified.snapshot.version}, {"expires", format_rfc3339(verified.snapshot.expires)}}},
         {"timestamp",
          {{"version", verified.timestamp.version}, {"expires", format_rfc3339(verified.timestamp.expires)}}},
         {"libraries", libraries}});
    return {};
  }
  std::printf("%s: verified%s\n", options.location.c_str(), trusted_root.development ? " (development manifest)" : "");
  std::printf("  root      version %lld, expires %s, %zu of %zu root keys\n",
              static_cast<long long>(trusted_root.version), format_rfc3339(trusted_root.expires).c_str(),
              trusted_root.root.threshold, trusted_root.root.keyids.size());
  std::printf("  snapshot  version %lld, expires %s\n", static_cast<long long>(verified.snapshot.version),
              format_rfc3339(verified.snapshot.expires).c_str());
  std::printf("  timestamp version %lld, expires %s\n", static_cast<long long>(verified.timestamp.version),
              format_rfc3339(verified.timestamp.expires).c_str());
  for (const auto& library : verified.libraries) {
    const Role* maintainers = trusted_root.maintainers_of(library.entry.name);
    std::string signers;
    for (const auto& signer : library.signers) signers += (signers.empty() ? "" : ", ") + signer.substr(0, 19);
    std::printf("  %-20s %-10s %s  signed by %s (%zu of %zu maintainers), expires %s%s\n", library.entry.name.c_str(),
                library.entry.library_version.c_str(), library.entry.tree.to_string().substr(0, 19).c_str(),
                signers.c_str(), maintainers->threshold, maintainers->keyids.size(),
                format_rfc3339(library.entry.expires).c_str(),
                library.entry.yanked ? fmt::format(" [yanked: {}]", *library.entry.yanked).c_str() : "");
    for (const auto& advisory : library.entry.advisories) {
      std::printf("    advisory %s (%s): %s\n", advisory.id.c_str(), advisory.affected.c_str(),
                  advisory.summary.c_str());
    }
  }
  return {};
}

Result<void> run_dev(const Invocation& invocation, const DevOptions& options) {
  DevelopmentOptions development;
  development.checkout = options.checkout;
  development.repository = options.repository;
  development.now = now();
  DevelopmentResult result = CAIRN_TRY(publish_development_manifest(development));
  if (invocation.json) {
    print_json({{"repository", result.repository.string()},
                {"keyid", result.keyid},
                {"libraries", result.libraries},
                {"snapshot_version", result.snapshot_version},
                {"changed", result.changed}});
    return {};
  }
  std::printf("development manifest %s (key %s)\n", result.repository.c_str(), result.keyid.c_str());
  for (const auto& library : result.libraries) std::printf("  %s\n", library.c_str());
  std::printf("snapshot version %lld%s; use --manifest %s\n", static_cast<long long>(result.snapshot_version),
              result.changed ? "" : " (unchanged)", result.repository.c_str());
  return {};
}

}  // namespace

void add_manifest_commands(CLI::App& app, Invocation& invocation) {
  CLI::App* manifest = app.add_subcommand("manifest", "Create, sign, publish and verify a signed library manifest");
  manifest->require_subcommand(1);

  auto init = std::make_shared<InitOptions>();
  CLI::App* init_command = manifest->add_subcommand("init", "Create root.json for a new manifest repository");
  init_command->add_option("--root-key", init->root_keys, "Public (or private) key file of a root key")->required();
  init_command->add_option("--threshold", init->threshold, "Root signatures required")->capture_default_str();
  init_command->add_option("--snapshot-key", init->snapshot_keys, "Snapshot/timestamp key files (default: root keys)");
  init_command->add_option("--timestamp-key", init->timestamp_keys, "Timestamp key files (default: root keys)");
  init_command->add_option("--maintainer-key", init->maintainer_keys, "Default maintainer keys (default: root keys)");
  init_command->add_option("--expires-days", init->expires_days, "Days until the root expires")->capture_default_str();
  init_command->add_option("--out", init->out, "Repository folder")->required();
  on_run(init_command, invocation, init, run_init);

  auto release = std::make_shared<ReleaseCommandOptions>();
  CLI::App* release_command = manifest->add_subcommand(
      "release", "Write the unsigned entry of the library in LIBDIR (tree hash of library.json + sources)");
  release_command->add_option("LIBDIR", release->library, "Folder holding library.json")->required();
  release_command->add_option("--repo", release->repository, "Repository folder")->capture_default_str();
  release_command->add_option("--expires-days", release->expires_days, "Days until the entry expires")
      ->capture_default_str();
  release_command->add_flag("--archive", release->archive, "Also write archives/<name>-<version>.tar.gz and record it");
  release_command->add_option("--yank", release->yank, "Mark this version yanked, with this reason");
  release_command->add_option("--advisory", release->advisories,
                              "Record an advisory, ID:AFFECTED:SUMMARY (AFFECTED a constraint such as '<0.2.0'; "
                              "repeatable)")
      ->allow_extra_args(false);
  on_run(release_command, invocation, release, run_release);

  auto sign = std::make_shared<SignCommandOptions>();
  CLI::App* sign_command = manifest->add_subcommand("sign", "Add a signature to manifest documents");
  sign_command->add_option("--key", sign->key, "Ed25519 private key file or OpenPGP key id")->required();
  add_passphrase_option(*sign_command, sign->passphrase_file);
  sign_command->add_option("FILE", sign->files, "Documents to sign")->required();
  on_run(sign_command, invocation, sign, run_sign);

  auto snapshot = std::make_shared<SnapshotOptions>();
  CLI::App* snapshot_command = manifest->add_subcommand("snapshot", "Write and sign snapshot.json and timestamp.json");
  snapshot_command->add_option("--repo", snapshot->repository, "Repository folder")->capture_default_str();
  snapshot_command->add_option("--key", snapshot->key, "Snapshot key (also the timestamp key unless --timestamp-key)")
      ->required();
  add_passphrase_option(*snapshot_command, snapshot->passphrase_file);
  snapshot_command->add_option("--timestamp-key", snapshot->timestamp_key, "Timestamp key");
  snapshot_command->add_option("--snapshot-days", snapshot->snapshot_days, "Snapshot lifetime")->capture_default_str();
  snapshot_command->add_option("--timestamp-days", snapshot->timestamp_days, "Timestamp lifetime")
      ->capture_default_str();
  on_run(snapshot_command, invocation, snapshot, run_snapshot);

  auto verify = std::make_shared<VerifyCommandOptions>();
  CLI::App* verify_command =
      manifest->add_subcommand("verify", "Verify a manifest repository in TUF order and report every library");
  verify_command->add_option("REPO", verify->location, "Folder or http(s) URL")->required();
  verify_command->add_option("--root", verify->root, "Root to pin on first use (obtained out of band)");
  on_run(verify_command, invocation, verify, run_verify);

  auto dev = std::make_shared<DevOptions>();
  CLI::App* dev_command = manifest->add_subcommand(
      "dev", "(Re)create a development manifest of every library.json in the checkout, signed by a development key");
  dev_command->add_option("--repo", dev->repository, "Repository folder (default: $XDG_STATE_HOME/cairn/dev-manifest)");
  dev_command->add_option("--checkout", dev->checkout, "Where to look for library.json files")->capture_default_str();
  on_run(dev_command, invocation, dev, run_dev);
}

}  // namespace cairn::cli
