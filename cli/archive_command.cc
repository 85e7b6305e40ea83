// `cairn archive create DIR OUT.tar.gz` and `cairn archive extract IN.tar.gz DIR`.
#include "command.h"

#include "cairn/reproducibility/archive.h"

#include <memory>

namespace cairn::cli {

namespace {

struct CreateOptions {
  std::string directory;
  std::string output;
};

struct ExtractOptions {
  std::string archive;
  std::string destination;
  reproducibility::ExtractLimits limits;
};

Result<void> run_create(const Invocation& invocation, const CreateOptions& options) {
  reproducibility::ArchiveOptions archive_options;
  if (auto epoch = CAIRN_TRY(reproducibility::source_date_epoch_from_environment())) archive_options.mtime = *epoch;
  Digest tree = CAIRN_TRY(reproducibility::create_archive(options.directory, options.output, archive_options));
  Digest file = CAIRN_TRY(digest_file(options.output));
  if (invocation.json) {
    print_json({{"archive", options.output}, {"digest", file.to_string()}, {"tree", tree.to_string()}});
  } else {
    std::printf("%s  %s (tree %s)\n", file.to_string().c_str(), options.output.c_str(), tree.to_string().c_str());
  }
  return {};
}

Result<void> run_extract(const Invocation& invocation, const ExtractOptions& options) {
  reproducibility::ExtractReport report =
      CAIRN_TRY(reproducibility::extract_archive(options.archive, options.destination, options.limits));
  if (invocation.json) {
    print_json({{"destination", options.destination},
                {"entries", report.entries},
                {"files", report.files},
                {"bytes", report.bytes},
                {"tree", report.tree.to_string()}});
  } else {
    std::printf("extracted %llu entries (%llu files, %llu bytes) into %s\ntree %s\n",
                static_cast<unsigned long long>(report.entries), static_cast<unsigned long long>(report.files),
                static_cast<unsigned long long>(report.bytes), options.destination.c_str(),
                report.tree.to_string().c_str());
  }
  return {};
}

}  // namespace

void add_archive_commands(CLI::App& app, Invocation& invocation) {
  CLI::App* archive = app.add_subcommand("archive", "Create and safely extract deterministic tar.gz archives");
  archive->require_subcommand(1);

  auto create_options = std::make_shared<CreateOptions>();
  CLI::App* create = archive->add_subcommand(
      "create", "Pack DIR into a tar.gz whose bytes depend only on the tree (mtime: $SOURCE_DATE_EPOCH or 0)");
  create->add_option("DIR", create_options->directory, "Directory to pack")->required();
  create->add_option("OUT", create_options->output, "Archive to write (replaced atomically)")->required();
  on_run(create, invocation, create_options, run_create);

  auto extract_options = std::make_shared<ExtractOptions>();
  CLI::App* extract = archive->add_subcommand(
      "extract", "Unpack a tar or tar.gz into a new directory, refusing anything unsafe; all or nothing");
  extract->add_option("ARCHIVE", extract_options->archive, "Archive to read")->required();
  extract->add_option("DIR", extract_options->destination, "Destination: must not exist, or be empty")->required();
  extract->add_option("--max-file-size", extract_options->limits.max_file_size, "Largest file allowed, in bytes")
      ->capture_default_str();
  extract->add_option("--max-total-size", extract_options->limits.max_total_size, "Largest total of file bytes")
      ->capture_default_str();
  extract->add_option("--max-entries", extract_options->limits.max_entries, "Most entries allowed")
      ->capture_default_str();
  on_run(extract, invocation, extract_options, run_extract);
}

}  // namespace cairn::cli
