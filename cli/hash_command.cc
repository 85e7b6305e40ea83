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

}  // namespace

void add_hash_commands(CLI::App& app, Invocation& invocation) {
  CLI::App* hash = app.add_subcommand("hash", "Print the digest of a tree or a file");
  hash->require_subcommand(1);

  // The options live as long as the callbacks that capture them, i.e. as long as the app.
  auto tree_options = std::make_shared<HashOptions>();
  CLI::App* tree =
      hash->add_subcommand("tree", "Digest of a directory tree: paths, exec bits, symlink targets and contents only");
  tree->add_option("DIR", tree_options->path, "Directory to hash")->required();
  tree->callback([&invocation, tree_options] {
    invocation.action = [&invocation, tree_options]() -> Result<void> {
      Digest digest = CAIRN_TRY(hash_tree(tree_options->path));
      print_digest(invocation, digest, tree_options->path);
      return {};
    };
  });

  auto file_options = std::make_shared<HashOptions>();
  CLI::App* file = hash->add_subcommand("file", "SHA-256 (or SHA-512) digest of a file's contents");
  file->add_option("FILE", file_options->path, "File to hash")->required();
  file->add_option("--algorithm", file_options->algorithm, "sha256 or sha512")
      ->check(CLI::IsMember({"sha256", "sha512"}))
      ->capture_default_str();
  file->callback([&invocation, file_options] {
    invocation.action = [&invocation, file_options]() -> Result<void> {
      DigestAlgorithm algorithm =
          file_options->algorithm == "sha512" ? DigestAlgorithm::sha512 : DigestAlgorithm::sha256;
      Digest digest = CAIRN_TRY(digest_file(file_options->path, algorithm));
      print_digest(invocation, digest, file_options->path);
      return {};
    };
  });
}

}  // namespace cairn::cli
