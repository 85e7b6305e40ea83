// `cairn image notes` (write the notes object an image is linked with) and `cairn image inspect`
// (read an image's ABI and device manifest, like `solo5-elftool query-manifest`).
#include "command.h"

#include "cairn/reproducibility/image_notes.h"

#include <memory>

namespace cairn::cli {

namespace {

using namespace cairn::reproducibility;

struct NotesOptions {
  std::string target = "spt";
  std::vector<std::string> devices;
  std::string output;
};

struct InspectOptions {
  std::string image;
};

Result<void> run_notes(const Invocation&, const NotesOptions& options) {
  ImageNotes notes;
  if (options.target != "spt") {
    return make_error(ErrorCode::unsupported, "target '{}': this toolchain builds spt images", options.target);
  }
  for (const std::string& text : options.devices) {
    Device device = CAIRN_TRY(parse_device(text));
    notes.devices.push_back(std::move(device));
  }
  return write_notes_object(options.output, notes);
}

Result<void> run_inspect(const Invocation& invocation, const InspectOptions& options) {
  ImageNotes notes = CAIRN_TRY(read_image_notes(options.image));
  if (invocation.json) {
    nlohmann::json devices = nlohmann::json::array();
    for (const Device& device : notes.devices) {
      devices.push_back({{"name", device.name}, {"type", to_string(device.type)}});
    }
    nlohmann::json result = {
        {"target", to_string(notes.target)}, {"abi_version", notes.abi_version}, {"devices", devices}};
    if (notes.build) {
      result["build"] = {{"dependencies", notes.build->dependencies.to_string()},
                         {"manifest", notes.build->manifest.to_string()}};
      if (notes.build->memory_mib) result["build"]["memory_mib"] = *notes.build->memory_mib;
    }
    print_json(result);
    return {};
  }
  std::printf("target: %s (ABI version %u)\n", std::string(to_string(notes.target)).c_str(), notes.abi_version);
  std::printf("devices: %zu\n", notes.devices.size());
  for (const Device& device : notes.devices) {
    std::printf("  %s %s\n", std::string(to_string(device.type)).c_str(), device.name.c_str());
  }
  if (notes.build) {
    std::printf("built by cairn build from dependency list %s\n", notes.build->dependencies.to_string().c_str());
    std::printf("  resolved against manifest %s\n", notes.build->manifest.to_string().c_str());
    if (notes.build->memory_mib) std::printf("  memory: %lld MiB\n", static_cast<long long>(*notes.build->memory_mib));
  }
  return {};
}

}  // namespace

void add_image_commands(CLI::App& app, Invocation& invocation) {
  CLI::App* image = app.add_subcommand("image", "Write or read the ELF notes of unikernel images");
  image->require_subcommand(1);

  auto notes_options = std::make_shared<NotesOptions>();
  CLI::App* notes = image->add_subcommand(
      "notes", "Write the object file holding an image's ABI note and device manifest (linked into the image)");
  notes->add_option("--target", notes_options->target, "Platform target")->capture_default_str();
  notes->add_option("--device", notes_options->devices, "A device the image uses: net:NAME or block:NAME");
  notes->add_option("-o,--output", notes_options->output, "Object file to write")->required();
  on_run(notes, invocation, notes_options, run_notes);

  auto inspect_options = std::make_shared<InspectOptions>();
  CLI::App* inspect = image->add_subcommand("inspect", "Print an image's target, ABI version and devices");
  inspect->add_option("IMAGE", inspect_options->image, "Unikernel image")->required();
  on_run(inspect, invocation, inspect_options, run_inspect);
}

}  // namespace cairn::cli
