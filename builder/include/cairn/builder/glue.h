// The start-up glue `cairn build` generates from unikernel.json, as `mirage configure` does:
//   include/cairn/devices.h  names every declared device in cairn::devices (net devices as
//                            cairn::NetDevice, block devices as cairn::BlockDevice), the only way
//                            to make one: opening an undeclared device does not compile;
//   notes.o                  the Solo5 ABI and device-manifest notes (the declared devices, in
//                            the order of unikernel.json, net before block) and the .note.cairn
//                            (the dependency list's digest, the manifest identity, memory_mib).
// The same description and lock always give the same bytes.
#pragma once

#include "cairn/core/digest.h"
#include "cairn/core/result.h"
#include "cairn/manifest/library_description.h"
#include "cairn/manifest/lock.h"

#include <filesystem>
#include <map>
#include <string>

namespace cairn::builder {

struct GeneratedGlue {
  std::map<std::string, Digest> files;  // relative path -> digest
  std::string devices_header = "include/cairn/devices.h";
  std::string notes_object = "notes.o";
};

// The text of <cairn/devices.h> for `app`.
std::string devices_header(const manifest::UnikernelDescription& app);

// Writes the glue into `folder` (created).
Result<GeneratedGlue> write_glue(const std::filesystem::path& folder, const manifest::UnikernelDescription& app,
                                 const manifest::LockFile& lock, const Digest& dependency_list);

}  // namespace cairn::builder
