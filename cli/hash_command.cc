// `cairn hash tree DIR` and `cairn hash file FILE`: print content digests.
#include "command.h"

#include "cairn/core/digest.h"
#include "cairn/core/tree.h"

#include <memory>

namespace cairn::cli {

namespace {

struct HashOptions {
  std::string path;
  std::string algorithm = "sha256";
};

void print_digest(const Invocation& invocation, const Digest& digest, const std::string& path) {
  if (invocation.json) {
    print_json({{"digest", digest.to_string()}, {"path", path}});
  } else {
    std::printf("%s\n", digest.to_string().c_str());
  }
}

Result<void> run_tree(const Invocation& invocation, const HashOptions& options) {
  Digest digest = CAIRN_TRY(hash_tree(options.path));
  print_digest(invocation, digest, options.path);
  return {};
}

Result<void> run_file(const Invocation& invocation, const HashOptions& options) {
  DigestAlgorithm algorithm = options.algorithm == "sha512" ? DigestAlgorithm::sha512 : DigestAlgorithm::sha256;
  Digest digest = CAIRN_TRY(digest_file(options.path, algorithm));
  print_digest(invocation, digest, options.path);
  return {};
}

}  // namespace

void add_hash_commands(CLI::App& app, Invocation& invocation) {
  CLI::App* hash = app.add_subcommand("hash", "Print the digest of a tree or a file");
  hash->require_subcommand(1);

  auto tree_options = std::make_shared<HashOptions>();
  CLI::App* tree =
      hash->add_subcommand("tree", "Digest of a directory tree: paths, exec bits, symlink targets and contents only");
  tree->add_option("DIR", tree_options->path, "Directory to hash")->required();
  on_run(tree, invocation, tree_options, run_tree);

  auto file_options = std::make_shared<HashOptions>();
  CLI::App* file = hash->add_subcommand("file", "SHA-256 (or SHA-512) digest of a file's contents");
  file->add_option("FILE", file_options->path, "File to hash")->required();
  file->add_option("--algorithm", file_options->algorithm, "sha256 or sha512")
      ->check(CLI::IsMember({"sha256", "sha512"}))
      ->capture_default_str();
  on_run(file, invocation, file_options, run_file);
}

}  // namespace cairn::cli
