// Manifest benchmarks: dependency resolution over synthetic manifests of 100, 1,000 and 10,000
// libraries x 10 versions, and full TUF-order verification of a 1,000-entry repository (Ed25519)
// and of a 100-entry one whose entries an OpenPGP maintainer signed.
//
// The graph (fixed seed): library i's versions each depend on 0-5 libraries of lower index with
// caret constraints on the major of their own era (versions 0-3 are 1.x and need ^1, 4-7 are 2.x
// and need ^2, 8-9 are 3.x and need ^3); 1 in 8 newest versions asks for a major that does not
// exist and 1 in 400 (or, denser, 1 in 30) dependencies lags a major behind, so the resolver
// must back off to older versions and backtrack. The app needs the 20 highest-index libraries,
// which pulls in most of the graph.
#include "cairn/manifest/client.h"
#include "cairn/manifest/library_description.h"
#include "cairn/manifest/publish.h"
#include "cairn/manifest/resolver.h"
#include "cairn/core/file.h"
#include "cairn/signing/ed25519.h"
#include "cairn/signing/openpgp.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

namespace {

using namespace cairn;
using namespace cairn::manifest;

std::string name_of(int i) { return fmt::format("lib{}", i); }

// Version k of every library is (k/4+1).(k%4).0: majors 1..3.
std::string version_of(int k) { return fmt::format("{}.{}.0", k / 4 + 1, k % 4); }

PackageIndex make_index(int libraries, unsigned lag_one_in) {
  std::mt19937 random(42);
  PackageIndex index;
  for (int i = 0; i < libraries; ++i) {
    for (int k = 0; k < 10; ++k) {
      PackageVersion version;
      version.version = Version::parse(version_of(k)).value();
      int count = i == 0 ? 0 : static_cast<int>(random() % 6);
      for (int d = 0; d < count; ++d) {
        int dependency = static_cast<int>(random() % static_cast<unsigned>(i));
        // Versions of one era depend on the same era's majors; now and then a newest version
        // asks for a major that does not exist, or one dependency lags a major behind.
        int major = k / 4 + 1;
        if (k == 9 && random() % 8 == 0) major = 9;
        else if (major > 1 && lag_one_in != 0 && random() % lag_one_in == 0) major -= 1;
        version.depends.emplace_back(name_of(dependency), Constraint::parse(fmt::format("^{}", major)).value());
      }
      index.add(name_of(i), std::move(version));
    }
  }
  return index;
}

void BM_Resolve(benchmark::State& state) {
  int libraries = static_cast<int>(state.range(0));
  PackageIndex index = make_index(libraries, static_cast<unsigned>(state.range(1)));
  ResolveRequest request;
  request.root_name = "app";
  for (int i = std::max(0, libraries - 20); i < libraries; ++i) {
    request.requirements.emplace_back(name_of(i), Constraint::parse("*").value());
  }
  std::size_t chosen = 0, steps = 0;
  for (auto _ : state) {
    auto resolution = resolve_dependencies(index, request);
    if (!resolution.ok()) {
      state.SkipWithError(resolution.error().message().c_str());
      return;
    }
    chosen = resolution->versions.size();
    steps = resolution->steps;
    benchmark::DoNotOptimize(resolution);
  }
  state.counters["chosen"] = static_cast<double>(chosen);
  state.counters["steps"] = static_cast<double>(steps);
}
// Second argument: one dependency in N lags a major behind (0: none). The dense case (30) is
// where the resolver before PubGrub thrashed.
BENCHMARK(BM_Resolve)->ArgsProduct({{100, 1000, 10000}, {0, 400, 30}})->Unit(benchmark::kMillisecond);

// Full verification, again and again, of a repository of state.range(0) entries signed by
// `maintainer` (listed in root.json as `maintainer_key`), whose root, snapshot and timestamp
// `key` signs.
void verify_repository_bench(benchmark::State& state, const signing::Ed25519PrivateKey& key,
                             const signing::Signer& maintainer, const KeyMaterial& maintainer_key) {
  auto directory = TemporaryDirectory::create("cairn-bench-repo-").value();
  std::int64_t now = 1'767'225'600;
  RootMetadata root;
  root.expires = now + 365 * 24 * 3600;
  root.keys[key.keyid()] = {signing::SignatureMethod::ed25519, key.public_key().raw()};
  root.keys[maintainer.keyid()] = maintainer_key;
  root.root = root.snapshot = root.timestamp = Role{{key.keyid()}, 1};
  root.maintainers["*"] = Role{{maintainer.keyid()}, 1};
  const signing::Signer* signers[] = {&key};
  if (!write_root(directory.path(), root, signers).ok()) return state.SkipWithError("write_root");
  int entries = static_cast<int>(state.range(0));
  for (int i = 0; i < entries; ++i) {
    LibraryEntry entry;
    entry.expires = root.expires;
    entry.name = name_of(i);
    entry.library_version = "1.0.0";
    entry.license = "MIT";
    entry.tree = Digest::sha256_of(entry.name);
    SignedDocument document = make_document(to_json(entry)).value();
    if (!sign_document(document, maintainer).ok()) return state.SkipWithError("sign_document");
    (void)write_document(directory.path() / entry.path(), document);
  }
  PublishOptions options;
  options.now = now;
  (void)publish_snapshot(directory.path(), key, key, options);
  TrustState trusted;
  trusted.root_document = read_file(directory.path() / "root.json", 1 << 20).value();
  Repository repository = Repository::open(directory.path().string()).value();
  VerifyOptions verify;
  verify.clock = [now] { return now; };
  for (auto _ : state) {
    auto verified = verify_repository(repository, trusted, verify);
    if (!verified.ok()) return state.SkipWithError(verified.error().message().c_str());
    benchmark::DoNotOptimize(verified);
  }
}

// One Ed25519 key signs everything.
void BM_VerifyRepository(benchmark::State& state) {
  auto key = signing::Ed25519PrivateKey::generate().value();
  verify_repository_bench(state, key, key, {signing::SignatureMethod::ed25519, key.public_key().raw()});
}
BENCHMARK(BM_VerifyRepository)->Arg(1000)->Unit(benchmark::kMillisecond);

// The entries are signed by an OpenPGP maintainer key (made by gpg in a throw-away home; the
// private GnuPG homes of pinned keys go to a throw-away $XDG_CACHE_HOME), so each entry costs a
// `gpg --verify`.
void BM_VerifyRepositoryOpenPgp(benchmark::State& state) {
  auto directory = TemporaryDirectory::create("cairn-bench-openpgp-").value();
  std::string home = (directory.path() / "gnupg").string();
  std::string gpg = "gpg --homedir " + home + " --batch --yes --pinentry-mode loopback --passphrase '' ";
  ::setenv("XDG_CACHE_HOME", (directory.path() / "cache").c_str(), 1);
  if (std::system(("mkdir -m 700 " + home + " && " + gpg +
                   "--quick-gen-key 'Bench <bench@example.org>' ed25519 sign 1d 2>/dev/null")
                      .c_str()) != 0) {
    return state.SkipWithError("gpg could not make a key");
  }
  {
    auto maintainer = signing::OpenPgpSigner::open("Bench <bench@example.org>", home);
    auto armored = signing::export_openpgp_public_key("Bench <bench@example.org>", home);
    if (!maintainer.ok() || !armored.ok()) return state.SkipWithError("could not open the OpenPGP key");
    auto key = signing::Ed25519PrivateKey::generate().value();
    verify_repository_bench(state, key, *maintainer, {signing::SignatureMethod::openpgp, *armored});
  }
  std::system(("gpgconf --homedir " + home + " --kill all").c_str());
}
BENCHMARK(BM_VerifyRepositoryOpenPgp)->Arg(100)->Unit(benchmark::kMillisecond);

// Source globs with many "**" against a deep path that they do not match (the worst case: every
// "**" could take any number of components). Issue 15 measured the recursive matcher of b878f8a at
// more than a minute for twelve "**" and a path 31 folders deep; see bench/README.md.
void BM_GlobManyDoubleStars(benchmark::State& state) {
  std::string glob;
  for (int64_t i = 0; i < state.range(0); ++i) glob += "**/";
  glob += "x";
  std::string path;
  for (int i = 0; i < 31; ++i) path += "d/";
  path += "y";
  for (auto _ : state) benchmark::DoNotOptimize(glob_matches(glob, path));
}
BENCHMARK(BM_GlobManyDoubleStars)->Arg(4)->Arg(8)->Arg(12)->Arg(24);

}  // namespace
