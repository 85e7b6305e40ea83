// Lock files: making them from a resolution, reading, writing, checking and comparing them.
#include "cairn/manifest/lock.h"

#include "cairn/core/file.h"
#include "cairn/core/json_reader.h"
#include "cairn/core/time.h"

namespace cairn::manifest {

Json to_json(const LockFile& lock) {
  Json libraries = Json::object();
  for (const auto& [name, library] : lock.libraries) {
    Json item = {{"version", library.version},
                 {"tree", library.tree.to_string()},
                 {"entry", library.entry.to_string()},
                 {"signers", library.signers}};
    if (library.archive) item["archive"] = to_json(*library.archive);
    libraries[name] = item;
  }
  Json json = {{"_type", "lock"},
               {"spec_version", spec_version},
               {"repository", lock.repository},
               {"development", lock.development},
               {"snapshot_version", lock.snapshot_version},
               {"description_digest", lock.description_digest.to_string()},
               {"libraries", libraries}};
  if (lock.snapshot_created) json["snapshot_created"] = format_rfc3339(*lock.snapshot_created);
  return json;
}

Result<LockFile> parse_lock(std::string_view text) {
  auto parsed = [&]() -> Result<LockFile> {
    Json json = CAIRN_TRY(parse_json(text));
    JsonReader document(json);
    std::string type = CAIRN_TRY(document.string("_type"));
    if (type != "lock") return make_error(ErrorCode::malformed, "not a lock file (\"_type\" is \"{}\")", type);
    std::string spec = CAIRN_TRY(document.string("spec_version"));
    if (spec.substr(0, spec.find('.')) != "1") {
      return make_error(ErrorCode::unsupported, "unknown spec_version \"{}\"; upgrade cairn", spec);
    }
    LockFile lock;
    lock.repository = CAIRN_TRY(document.string("repository"));
    lock.development = CAIRN_TRY(document.boolean_or("development", false));
    lock.snapshot_version = CAIRN_TRY(document.integer("snapshot_version"));
    if (std::optional<JsonReader> created = CAIRN_TRY(document.find("snapshot_created"))) {
      std::string created_text = CAIRN_TRY(created->as_string());
      auto time = parse_rfc3339(created_text);
      if (!time.ok()) return created->error(time.error().message());
      lock.snapshot_created = *time;
    }
    lock.description_digest = CAIRN_TRY(document.digest("description_digest"));
    JsonReader libraries = CAIRN_TRY(document.object("libraries"));
    for (const auto& [name, item] : CAIRN_TRY(libraries.members())) {
      LockedLibrary library;
      library.version = CAIRN_TRY(item.string("version"));
      library.tree = CAIRN_TRY(item.digest("tree"));
      library.entry = CAIRN_TRY(item.digest("entry"));
      library.signers = CAIRN_TRY(item.strings("signers"));
      if (std::optional<JsonReader> archive = CAIRN_TRY(item.find("archive"))) {
        library.archive = CAIRN_TRY(archive_from_json(*archive));
      }
      lock.libraries.emplace(name, std::move(library));
    }
    return lock;
  };
  return parsed().with_context("cairn.lock");
}

Result<LockFile> read_lock(const std::filesystem::path& path) {
  std::string text = CAIRN_TRY(read_file(path, 16 << 20));
  return parse_lock(text).with_context(path.string());
}

Result<void> write_lock(const std::filesystem::path& path, const LockFile& lock) {
  std::string text = CAIRN_TRY(canonical_json(to_json(lock)));
  return write_file_atomically(path, text + "\n");
}

Result<PackageIndex> index_repository(const VerifiedRepository& repository) {
  PackageIndex index;
  for (const auto& library : repository.libraries) {
    const LibraryEntry& entry = library.entry;
    PackageVersion version;
    version.version = CAIRN_TRY(Version::parse(entry.library_version).with_context(entry.path()));
    for (const auto& [name, text] : entry.depends) {
      Constraint constraint = CAIRN_TRY(Constraint::parse(text).with_context(entry.path()));
      version.depends.emplace_back(name, std::move(constraint));
    }
    version.yanked = entry.yanked.has_value();
    version.yank_reason = entry.yanked.value_or("");
    index.add(entry.name, std::move(version));
  }
  return index;
}

Result<LockOutcome> lock_dependencies(const VerifiedRepository& repository, const UnikernelDescription& app,
                                      const LockOptions& options) {
  PackageIndex index = CAIRN_TRY(index_repository(repository));
  ResolveRequest request;
  request.root_name = app.name;
  for (const auto& [name, text] : app.requires_) {
    Constraint constraint = CAIRN_TRY(Constraint::parse(text));
    request.requirements.emplace_back(name, std::move(constraint));
  }
  if (options.previous != nullptr && !options.update_all) {
    for (const auto& [name, library] : options.previous->libraries) {
      if (std::find(options.update.begin(), options.update.end(), name) != options.update.end()) continue;
      if (auto version = Version::parse(library.version); version.ok()) request.preferred[name] = *version;
    }
  }
  Resolution resolution = CAIRN_TRY(resolve_dependencies(index, request));
  LockOutcome outcome;
  outcome.lock.repository = repository.identity.to_string();
  outcome.lock.development = repository.root.development;
  outcome.lock.snapshot_version = repository.snapshot.version;
  outcome.lock.snapshot_created = repository.snapshot.created;
  outcome.lock.description_digest = app.digest;
  for (const auto& [name, version] : resolution.versions) {
    const VerifiedLibrary* library = repository.find(name, version.to_string());
    if (library == nullptr) {
      return make_error(ErrorCode::internal, "resolved {} {} is not in the manifest", name, version.to_string());
    }
    LockedLibrary locked{version.to_string(), library->entry.tree, library->document_digest, library->signers,
                         library->entry.archive};
    outcome.lock.libraries.emplace(name, std::move(locked));
    if (library->entry.yanked) {
      outcome.warnings.push_back(fmt::format("{} {} is yanked ({}) but kept because the lock pins it", name,
                                             version.to_string(), *library->entry.yanked));
    }
    for (const auto& advisory : advisories_affecting(library->entry, version)) {
      outcome.warnings.push_back(
          fmt::format("advisory {} affects {} {}: {}", advisory.id, name, version.to_string(), advisory.summary));
    }
  }
  return outcome;
}

std::vector<Advisory> advisories_affecting(const LibraryEntry& entry, const Version& version) {
  std::vector<Advisory> affecting;
  for (const auto& advisory : entry.advisories) {
    auto affected = Constraint::parse(advisory.affected);
    if (affected.ok() && affected->matches(version)) affecting.push_back(advisory);
  }
  return affecting;
}

Result<std::vector<std::string>> check_lock(const LockFile& lock, const VerifiedRepository& repository,
                                            const UnikernelDescription& app) {
  auto refuse = [](std::string why) {
    return make_error(ErrorCode::refused, "cairn.lock no longer matches: {}; run `cairn lock --update`", why);
  };
  if (lock.description_digest != app.digest) {
    return refuse(fmt::format("{}'s unikernel.json changed (digest {}, locked {})", app.name, app.digest.to_string(),
                              lock.description_digest.to_string()));
  }
  std::string identity = repository.identity.to_string();
  if (!lock.repository.empty() && lock.repository != identity) {
    return refuse(fmt::format("it was made against manifest {}, not {}", lock.repository, identity));
  }
  std::vector<std::string> warnings;
  for (const auto& [name, locked] : lock.libraries) {
    const VerifiedLibrary* library = repository.find(name, locked.version);
    if (library == nullptr) return refuse(fmt::format("{} {} is no longer in the manifest", name, locked.version));
    if (library->entry.tree != locked.tree) {
      return refuse(fmt::format("{} {}: tree is now {}, locked {}", name, locked.version,
                                library->entry.tree.to_string(), locked.tree.to_string()));
    }
    if (library->document_digest != locked.entry) {
      return refuse(fmt::format("{} {}: its signed entry changed (now {}, locked {})", name, locked.version,
                                library->document_digest.to_string(), locked.entry.to_string()));
    }
    if (library->entry.yanked) {
      warnings.push_back(
          fmt::format("{} {} is yanked ({}); the lock still pins it", name, locked.version, *library->entry.yanked));
    }
  }
  for (const auto& [name, text] : app.requires_) {
    auto it = lock.libraries.find(name);
    if (it == lock.libraries.end()) return refuse(fmt::format("{} requires {}, which the lock lacks", app.name, name));
  }
  return warnings;
}

std::vector<LockChange> diff_locks(const LockFile& before, const LockFile& after) {
  std::vector<LockChange> changes;
  for (const auto& [name, old] : before.libraries) {
    auto it = after.libraries.find(name);
    if (it == after.libraries.end()) {
      changes.push_back({LockChange::Kind::removed, name, old.version, ""});
      continue;
    }
    const LockedLibrary& now = it->second;
    if (old.version != now.version) {
      auto a = Version::parse(old.version), b = Version::parse(now.version);
      bool up = a.ok() && b.ok() ? *a < *b : old.version < now.version;
      changes.push_back(
          {up ? LockChange::Kind::upgraded : LockChange::Kind::downgraded, name, old.version, now.version});
    } else if (old.tree != now.tree || old.entry != now.entry) {
      changes.push_back({LockChange::Kind::changed, name, old.version, now.version});
    }
  }
  for (const auto& [name, now] : after.libraries) {
    if (!before.libraries.contains(name)) changes.push_back({LockChange::Kind::added, name, "", now.version});
  }
  std::sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return changes;
}

std::string_view to_string(LockChange::Kind kind) {
  switch (kind) {
    case LockChange::Kind::added: return "added";
    case LockChange::Kind::removed: return "removed";
    case LockChange::Kind::upgraded: return "upgraded";
    case LockChange::Kind::downgraded: return "downgraded";
    case LockChange::Kind::changed: return "changed";
  }
  return "changed";
}

std::string describe(const LockChange& change) {
  switch (change.kind) {
    case LockChange::Kind::added: return fmt::format("added {} {}", change.name, change.to);
    case LockChange::Kind::removed: return fmt::format("removed {} {}", change.name, change.from);
    case LockChange::Kind::changed:
      return fmt::format("changed {} {} (entry re-signed or tree changed)", change.name, change.to);
    default: return fmt::format("{} {} {} -> {}", to_string(change.kind), change.name, change.from, change.to);
  }
}

Result<Digest> dependency_list_digest(const LockFile& lock) {
  Json list = Json::object();
  for (const auto& [name, library] : lock.libraries) {
    list[name] = {{"version", library.version}, {"tree", library.tree.to_string()}};
  }
  std::string canonical = CAIRN_TRY(canonical_json(list));
  return Digest::sha256_of(canonical);
}

}  // namespace cairn::manifest
