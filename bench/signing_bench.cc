// In-process signing throughput: Ed25519 sign and verify operations per second through
// cairn_signing (OpenSSL EVP), and one OpenPGP verification through a long-lived verifier (GPGME:
// one gpg process per verification). Whole-process comparisons with gpgv are in signing.sh.
#include "cairn/core/file.h"
#include "cairn/signing/ed25519.h"
#include "cairn/signing/openpgp.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

namespace {

using cairn::signing::Ed25519PrivateKey;

std::string message_of(benchmark::State& state) {
  return std::string(static_cast<std::size_t>(state.range(0)), 'm');
}

void BM_Ed25519Sign(benchmark::State& state) {
  auto key = Ed25519PrivateKey::generate().value();
  std::string message = message_of(state);
  for (auto _ : state) benchmark::DoNotOptimize(key.sign(message));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Ed25519Sign)->Arg(64)->Arg(4096)->Arg(1 << 20);

void BM_Ed25519Verify(benchmark::State& state) {
  auto key = Ed25519PrivateKey::generate().value();
  std::string message = message_of(state);
  std::string signature = key.sign(message).value().bytes;
  for (auto _ : state) {
    auto verified = key.public_key().verify(message, signature);
    if (!verified.ok()) {
      state.SkipWithError(verified.error().message().c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Ed25519Verify)->Arg(64)->Arg(4096)->Arg(1 << 20);

// A detached OpenPGP signature over 1 MiB, verified again and again by one OpenPgpVerifier (its
// GnuPG home and GPGME context made once), so each iteration costs one `gpg --verify`.
void BM_OpenPgpVerify1MiB(benchmark::State& state) {
  auto directory = cairn::TemporaryDirectory::create("cairn-signing-bench-").value();
  std::string home = (directory.path() / "gnupg").string();
  std::string data_path = (directory.path() / "data").string();
  std::string gpg = "gpg --homedir " + home + " --batch --yes --pinentry-mode loopback --passphrase '' ";
  std::string message = std::string(1 << 20, 'm');
  (void)cairn::write_file_atomically(data_path, message);
  bool made =
      std::system(("mkdir -m 700 " + home + " && " + gpg +
                   "--quick-gen-key 'Bench <bench@example.org>' ed25519 sign 1d 2>/dev/null && " + gpg +
                   "--armor --export bench@example.org >" + home + "/key.asc && " + gpg + "-u bench@example.org" +
                   " --output " + data_path + ".sig --detach-sign " + data_path + " 2>/dev/null")
                      .c_str()) == 0;
  std::system(("gpgconf --homedir " + home + " --kill all").c_str());
  if (!made) {
    state.SkipWithError("gpg could not make a key and a signature");
    return;
  }
  auto key = cairn::read_file(home + "/key.asc", 1 << 20).value();
  auto verifier = cairn::signing::OpenPgpVerifier::create({{"key.asc", key}}, directory.path() / "cache").value();
  cairn::signing::Signature signature{"", cairn::signing::SignatureMethod::openpgp,
                                      cairn::read_file(data_path + ".sig", 1 << 20).value()};
  for (auto _ : state) {
    auto verified = verifier.verify(message, signature);
    if (!verified.ok()) {
      state.SkipWithError(verified.error().message().c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OpenPgpVerify1MiB)->Unit(benchmark::kMillisecond);

}  // namespace
