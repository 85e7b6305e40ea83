// cairn-spt and `cairn run` against crafted images: what runs, what is refused (each refusal with
// its own message), what the sandbox allows and how a forbidden call ends.
#include "spt_test_image.h"

#include "cairn/core/file.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

extern char** environ;

namespace cairn::tender::testing {
namespace {

const std::string kTender = std::string(CAIRN_BIN_DIR) + "/cairn-spt";
const std::string kCairn = std::string(CAIRN_BIN_DIR) + "/cairn";

struct Outcome {
  bool exited = false;
  int status = -1;  // exit status, or the signal that ended the process
  std::string out;
  std::string err;
  int shell_status() const { return exited ? status : 128 + status; }
};

// Runs argv with stdout and stderr captured; `inherited_fd`, if given, becomes descriptor 3.
Outcome run(const std::vector<std::string>& argv, int inherited_fd = -1) {
  int out_pipe[2];
  int err_pipe[2];
  EXPECT_EQ(::pipe2(out_pipe, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(err_pipe, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (inherited_fd >= 0) posix_spawn_file_actions_adddup2(&actions, inherited_fd, 3);
  std::vector<char*> pointers;
  pointers.reserve(argv.size() + 1);
  for (const std::string& argument : argv) pointers.push_back(const_cast<char*>(argument.c_str()));
  pointers.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, pointers[0], &actions, nullptr, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  Outcome outcome;
  if (spawned != 0) {
    ADD_FAILURE() << "cannot start " << argv[0] << ": " << std::strerror(spawned);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return outcome;
  }
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&outcome.out, &outcome.err};
  for (int open_streams = 2; open_streams > 0;) {
    if (::poll(fds, 2, 30000) <= 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(got));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_streams;
      }
    }
  }
  for (pollfd& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  int wait_status = 0;
  ::waitpid(pid, &wait_status, 0);
  outcome.exited = WIFEXITED(wait_status);
  outcome.status = outcome.exited ? WEXITSTATUS(wait_status) : WTERMSIG(wait_status);
  return outcome;
}

class SptTender : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = TemporaryDirectory::create("cairn-spt-test-");
    ASSERT_TRUE(directory.ok()) << directory.error().message();
    directory_ = std::make_unique<TemporaryDirectory>(std::move(directory).value());
  }

  std::string path(const std::string& name) const { return (directory_->path() / name).string(); }

  std::string write(const std::string& name, const Bytes& bytes) const {
    std::ofstream file(path(name), std::ios::binary);
    file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path(name);
  }

  std::string image(const ImageSpec& spec) { return write("image.spt", build_image(spec)); }

  // Runs cairn-spt with `options` on an image and the guest arguments.
  Outcome tender(const std::vector<std::string>& options, const std::string& image_path,
                 const std::vector<std::string>& guest_arguments = {}, int inherited_fd = -1) {
    std::vector<std::string> argv = {kTender};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(image_path);
    argv.insert(argv.end(), guest_arguments.begin(), guest_arguments.end());
    return run(argv, inherited_fd);
  }

  // Expects cairn-spt to refuse, exit 1, with one line containing `message`.
  void expect_refusal(const Outcome& outcome, const std::string& message) {
    EXPECT_TRUE(outcome.exited);
    EXPECT_EQ(outcome.status, 1) << outcome.err;
    EXPECT_NE(outcome.err.find(message), std::string::npos) << "stderr: " << outcome.err;
    EXPECT_EQ(outcome.err.rfind("cairn-spt: ", 0), 0u) << outcome.err;
    EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << outcome.err;
  }

  void expect_refusal(const ImageSpec& spec, const std::string& message) {
    expect_refusal(tender({"--mem=2"}, image(spec)), message);
  }

  std::unique_ptr<TemporaryDirectory> directory_;
};

// --- Running ---------------------------------------------------------------------------------

TEST_F(SptTender, RunsMinimalImageAndExitsWithItsStatus) {
  Outcome outcome = tender({}, image(image_with_code(exit_with(3))));
  EXPECT_TRUE(outcome.exited);
  EXPECT_EQ(outcome.status, 3) << outcome.err;
  EXPECT_EQ(outcome.err, "");
}

TEST_F(SptTender, RunsInTwoMebibytesAsSolo5sSuiteDoes) {
  Outcome outcome = tender({"--mem=2"}, image(image_with_code(exit_with(3))));
  EXPECT_EQ(outcome.shell_status(), 3) << outcome.err;
}

TEST_F(SptTender, PassesMemorySizeInBootInfo) {
  Outcome outcome = tender({"--mem=7"}, image(image_with_code(exit_with_memory_mib())));
  EXPECT_EQ(outcome.shell_status(), 7) << outcome.err;
}

TEST_F(SptTender, WritesGuestConsoleToStdout) {
  Outcome outcome = tender({"--mem=2"}, image(image_with_code(write_line("hello\n"))));
  EXPECT_EQ(outcome.shell_status(), 0) << outcome.err;
  EXPECT_EQ(outcome.out, "hello\n");
}

TEST_F(SptTender, JoinsGuestArgumentsWithSingleSpaces) {
  Outcome outcome = tender({"--"}, image(image_with_code(print_command_line())), {"first", "two words", "--x"});
  EXPECT_EQ(outcome.shell_status(), 0) << outcome.err;
  EXPECT_EQ(outcome.out, "first two words --x");
}

TEST_F(SptTender, RefusesCommandLineLongerThanTheBootArea) {
  std::string long_argument(SPT_CMDLINE_SIZE, 'x');
  expect_refusal(tender({}, image(image_with_code(exit_with(0))), {long_argument}),
                 "the guest command line is longer than 8191 bytes");
}

TEST_F(SptTender, LoadsDataAndZeroesBss) {
  ImageSpec spec = image_with_code(exit_with_data_plus_bss());
  SegmentSpec data;
  data.flags = 6;  // R+W
  data.address = 0x101000;
  data.bytes = {7, 1, 2, 3};
  data.memory_size = 0x1000;  // byte 0x800 is BSS
  spec.segments.push_back(data);
  Outcome outcome = tender({"--mem=2"}, image(spec));
  EXPECT_EQ(outcome.shell_status(), 7) << outcome.err;
}

TEST_F(SptTender, AcceptsSolo5sInterpreterSegment) {
  // Solo5 images carry PT_INTERP "/nonexistent/solo5/" so that Linux refuses to exec them.
  ImageSpec spec = image_with_code(exit_with(3));
  SegmentSpec interpreter;
  interpreter.type = 3;  // PT_INTERP
  interpreter.flags = 4;
  interpreter.bytes =
      Bytes({'/', 'n', 'o', 'n', 'e', 'x', 'i', 's', 't', 'e', 'n', 't', '/', 's', 'o', 'l', 'o', '5', '/', 0});
  interpreter.align = 1;
  spec.segments.insert(spec.segments.begin(), interpreter);
  Outcome outcome = tender({"--mem=2"}, image(spec));
  EXPECT_EQ(outcome.shell_status(), 3) << outcome.err;
}

TEST_F(SptTender, GuestSegfaultEndsTheProcessWithSigsegv) {
  Outcome outcome = tender({"--mem=2"}, image(image_with_code(store_to_text())));
  EXPECT_FALSE(outcome.exited);
  EXPECT_EQ(outcome.status, SIGSEGV);
}

// --- The ELF file ----------------------------------------------------------------------------

TEST_F(SptTender, RefusesFileThatIsNotElf) {
  expect_refusal(tender({}, write("text.spt", Bytes{'h', 'e', 'l', 'l', 'o', '\n'})), "text.spt: not an ELF file");
}

TEST_F(SptTender, RefusesElfShorterThanItsHeader) {
  Bytes bytes = build_image(image_with_code(exit_with(3)));
  bytes.resize(40);
  expect_refusal(tender({}, write("short.spt", bytes)), "short.spt: truncated: the file is 40 bytes");
}

TEST_F(SptTender, RefusesProgramHeadersPastEndOfFile) {
  Bytes bytes = build_image(image_with_code(exit_with(3)));
  bytes.resize(64 + 56 + 10);
  expect_refusal(tender({}, write("short.spt", bytes)), "truncated: the program headers end past the end of the file");
}

TEST_F(SptTender, RefusesSegmentDataPastEndOfFile) {
  Bytes bytes = build_image(image_with_code(exit_with(3)));
  bytes.resize(bytes.size() - 4);
  expect_refusal(tender({}, write("short.spt", bytes)), "truncated: segment 0 ends past the end of the file");
}

// --- Images refused for one defect: ELF header, segments, notes, device manifest -------------------

// A manifest with one network device, for the corruption tests.
Bytes one_device_manifest() {
  return make_manifest({{"service0", MFT_DEV_NET_BASIC}});
}

void put_u32(Bytes& bytes, std::size_t offset, std::uint32_t value) {
  std::memcpy(&bytes[offset], &value, 4);
}

constexpr std::size_t kEntry1 = sizeof(struct mft) + sizeof(struct mft_entry);

// One defect made in an otherwise valid image, and the refusal it must draw: each is its own test
// case (ImageDefects/SptTenderRefusal.RefusesTheImage/NAME).
struct ImageDefect {
  const char* name;
  void (*make)(ImageSpec& spec);
  const char* refusal;
};

void PrintTo(const ImageDefect& defect, std::ostream* out) {
  *out << defect.name;
}

class SptTenderRefusal : public SptTender, public ::testing::WithParamInterface<ImageDefect> {};

TEST_P(SptTenderRefusal, RefusesTheImage) {
  ImageSpec spec = image_with_code(exit_with(3));
  GetParam().make(spec);
  expect_refusal(spec, GetParam().refusal);
}

constexpr std::size_t kTypeOffset = offsetof(struct mft_entry, type);

INSTANTIATE_TEST_SUITE_P(
    ImageDefects, SptTenderRefusal,
    ::testing::Values(
        ImageDefect{"32BitElf", [](ImageSpec& spec) { spec.elf_class = 1; },
                    "a 32-bit ELF file; this tender runs 64-bit x86-64 images"},
        ImageDefect{"BigEndianElf", [](ImageSpec& spec) { spec.data_encoding = 2; }, "a big-endian ELF file"},
        ImageDefect{"ImageBuiltForAnotherArchitecture",
                    [](ImageSpec& spec) {
                      spec.machine = 183;  // EM_AARCH64
                    },
                    "built for aarch64, this tender runs x86-64"},
        ImageDefect{"PositionIndependentExecutable",
                    [](ImageSpec& spec) {
                      spec.type = 3;  // ET_DYN
                    },
                    "(ET_DYN); spt images are static executables (ET_EXEC)"},
        ImageDefect{"DynamicExecutable", [](ImageSpec& spec) { spec.dynamic_segment = true; },
                    "a dynamic executable (segment 3 is PT_DYNAMIC)"},
        ImageDefect{"ImageWithoutAbiNote", [](ImageSpec& spec) { spec.abi_note = false; },
                    "no Solo5 ABI note; not a Cairn or Solo5 unikernel image"},
        ImageDefect{"ImageBuiltForAnotherTarget", [](ImageSpec& spec) { spec.abi_target = HVT_ABI_TARGET; },
                    "built for the hvt target, this tender runs spt"},
        ImageDefect{"OtherAbiVersion", [](ImageSpec& spec) { spec.abi_version = 1; },
                    "requests spt ABI version 1, this tender speaks version 2"},
        ImageDefect{"WritableExecutableSegment",
                    [](ImageSpec& spec) {
                      SegmentSpec writable_code;
                      writable_code.flags = 7;  // R+W+X
                      writable_code.address = 0x102000;
                      writable_code.bytes = exit_with(4);
                      spec.segments.push_back(writable_code);
                    },
                    "segment 1 is writable and executable"},
        ImageDefect{"SegmentBelowTheLowestGuestAddress",
                    [](ImageSpec& spec) {
                      spec.segments[0].address = 0x80000;
                      spec.entry = 0x80000;
                    },
                    "segment 0 loads at 0x80000, below the lowest guest address 0x100000"},
        ImageDefect{"SegmentBeyondGuestMemory",
                    [](ImageSpec& spec) {
                      spec.segments[0].address = 0x300000;
                      spec.entry = 0x300000;
                    },
                    "segment 0 (0x300000-0x301000) lies beyond guest memory (2 MiB, ending at 0x200000)"},
        ImageDefect{"SegmentWhoseSizeOverflowsTheAddressSpace",
                    [](ImageSpec& spec) { spec.segments[0].memory_size = ~std::uint64_t{0} - 0x1000; },
                    "segment 0: address 0x100000 + size 0xffffffffffffefff overflows"},
        ImageDefect{"OverlappingSegments",
                    [](ImageSpec& spec) {
                      SegmentSpec data;
                      data.flags = 6;
                      data.address = 0x100800;
                      data.bytes = {1};
                      spec.segments.push_back(data);
                    },
                    "segment 1 (0x100000-0x101000) overlaps segment 0 (0x100000-0x101000)"},
        ImageDefect{"SegmentsOutOfAddressOrder",
                    [](ImageSpec& spec) {
                      SegmentSpec data;
                      data.flags = 6;
                      data.address = 0x104000;
                      data.bytes = {1};
                      spec.segments.insert(spec.segments.begin(), data);
                    },
                    "segment 1 (at 0x100000) follows segment 0 (at 0x104000)"},
        ImageDefect{"SegmentThatIsNotPageAligned",
                    [](ImageSpec& spec) {
                      spec.segments[0].address = 0x100010;
                      spec.segments[0].align = 0x10;
                      spec.entry = 0x100010;
                    },
                    "segment 0 is not page-aligned"},
        ImageDefect{"EntryPointOutsideExecutableSegments", [](ImageSpec& spec) { spec.entry = 0x100800; },
                    "entry point 0x100800 is outside the image's executable segments"},
        ImageDefect{"ImageWithoutManifest", [](ImageSpec& spec) { spec.manifest_note = false; },
                    "no Solo5 device manifest note"},
        ImageDefect{"ManifestDeclaringOneNameTwice",
                    [](ImageSpec& spec) {
                      spec.devices = {{"disk", MFT_DEV_BLOCK_BASIC}, {"disk", MFT_DEV_NET_BASIC}};
                    },
                    "manifest entries 1 and 2 both declare a device named 'disk'"},
        ImageDefect{"DeclaredDeviceThatIsNotAttached",
                    [](ImageSpec& spec) {
                      spec.devices = {{"storage", MFT_DEV_BLOCK_BASIC}};
                    },
                    "declares the block device 'storage', which is not attached: give --block:storage=PATH"},
        ImageDefect{"ManifestAnotherVersion",
                    [](ImageSpec& spec) {
                      spec.manifest = one_device_manifest();
                      put_u32(spec.manifest, 0, 2);
                    },
                    "manifest version 2 is not supported"},
        ImageDefect{"ManifestTooManyEntries",
                    [](ImageSpec& spec) {
                      spec.manifest = one_device_manifest();
                      put_u32(spec.manifest, 4, MFT_MAX_ENTRIES + 1);
                    },
                    "the manifest declares 65 entries, more than the limit of 64"},
        ImageDefect{"ManifestSizeDoesNotMatchItsEntries",
                    [](ImageSpec& spec) {
                      spec.manifest = one_device_manifest();
                      put_u32(spec.manifest, 4, 3);
                    },
                    "the manifest note is 216 bytes, but 3 entries take exactly 320"},
        ImageDefect{"ManifestFirstEntryNotReserved",
                    [](ImageSpec& spec) {
                      spec.manifest = one_device_manifest();
                      put_u32(spec.manifest, sizeof(struct mft) + kTypeOffset, MFT_DEV_NET_BASIC);
                    },
                    "manifest entry 0 must be the nameless reserved entry"},
        ImageDefect{"ManifestNameWithoutTerminator",
                    [](ImageSpec& spec) {
                      spec.manifest = one_device_manifest();
                      std::memset(&spec.manifest[kEntry1], 'a', MFT_NAME_SIZE);
                    },
                    "manifest entry 1: the device name is not NUL-terminated"},
        ImageDefect{"ManifestEntryAlreadyAttached",
                    [](ImageSpec& spec) {
                      spec.manifest = one_device_manifest();
                      spec.manifest[kEntry1 + offsetof(struct mft_entry, attached)] = 1;
                    },
                    "manifest entry 1 is marked attached in the image"},
        ImageDefect{"ManifestEntryOfUnknownType",
                    [](ImageSpec& spec) {
                      spec.manifest = one_device_manifest();
                      put_u32(spec.manifest, kEntry1 + kTypeOffset, 9);
                    },
                    "manifest entry 1 has unknown device type 0x9"}),
    [](const ::testing::TestParamInfo<ImageDefect>& param) { return std::string(param.param.name); });

// --- Devices and options ---------------------------------------------------------------------

TEST_F(SptTender, RefusesDeviceTheManifestDoesNotDeclare) {
  expect_refusal(tender({"--net:service0=tap100"}, image(image_with_code(exit_with(3)))),
                 "'--net:service0=tap100': " + path("image.spt") + " declares no device named 'service0'");
}

TEST_F(SptTender, RefusesDeviceOfTheWrongKind) {
  ImageSpec spec = image_with_code(exit_with(3));
  spec.devices = {{"storage", MFT_DEV_BLOCK_BASIC}};
  expect_refusal(tender({"--net:storage=tap100"}, image(spec)), "'storage' is a block device in");
}

TEST_F(SptTender, RefusesTapInterfaceThatDoesNotExist) {
  ImageSpec spec = image_with_code(exit_with(3));
  spec.devices = {{"service0", MFT_DEV_NET_BASIC}};
  expect_refusal(tender({"--net:service0=cairnnosuch0"}, image(spec)), "there is no interface named 'cairnnosuch0'");
}

TEST_F(SptTender, RefusesBlockFileThatIsNotWholeSectors) {
  ImageSpec spec = image_with_code(exit_with(3));
  spec.devices = {{"storage", MFT_DEV_BLOCK_BASIC}};
  std::string disk = write("disk.img", Bytes(6144, 0));
  expect_refusal(tender({"--block:storage=" + disk, "--block-sector-size:storage=4096"}, image(spec)),
                 "is 6144 bytes, not a multiple of the sector size (4096 bytes)");
}

TEST_F(SptTender, RefusesSectorSizeThatIsNotAPowerOfTwo) {
  expect_refusal(tender({"--block-sector-size:storage=521"}, image(image_with_code(exit_with(3)))),
                 "the sector size must be a power of two from 512 to 32768");
}

TEST_F(SptTender, RefusesUnknownOption) {
  expect_refusal(tender({"--x-exec-heap"}, image(image_with_code(exit_with(3)))), "unknown option '--x-exec-heap'");
}

TEST_F(SptTender, RefusesMalformedMemorySize) {
  expect_refusal(tender({"--mem=2M"}, image(image_with_code(exit_with(3)))), "malformed option '--mem=2M'");
}

TEST_F(SptTender, RefusesMalformedMacAddress) {
  expect_refusal(tender({"--net-mac:service0=00:11:22"}, image(image_with_code(exit_with(3)))), "is not a MAC address");
}

TEST_F(SptTender, PrintsUsageOnHelp) {
  Outcome outcome = run({kTender, "--help"});
  EXPECT_EQ(outcome.shell_status(), 0);
  EXPECT_NE(outcome.out.find("usage: cairn-spt"), std::string::npos);
  EXPECT_NE(outcome.out.find("--block-sector-size:NAME=N"), std::string::npos);
}

TEST_F(SptTender, AttachesBlockDeviceForWholeSectorReads) {
  ImageSpec spec = image_with_code(read_block(512, 512));
  spec.devices = {{"storage", MFT_DEV_BLOCK_BASIC}};
  std::string disk = write("disk.img", Bytes(4096, 0));
  Outcome outcome = tender({"--mem=2", "--block:storage=" + disk}, image(spec));
  EXPECT_EQ(outcome.shell_status(), 2) << outcome.err;  // 512 bytes read, >> 8
}

TEST_F(SptTender, KillsReadOfLessThanASector) {
  ImageSpec spec = image_with_code(read_block(100, 0));
  spec.devices = {{"storage", MFT_DEV_BLOCK_BASIC}};
  std::string disk = write("disk.img", Bytes(4096, 0));
  Outcome outcome = tender({"--mem=2", "--block:storage=" + disk}, image(spec));
  EXPECT_EQ(outcome.shell_status(), 128 + SIGSYS);
  EXPECT_EQ(outcome.err, "cairn-spt: killed: forbidden system call pread64 (17)\n");
}

TEST_F(SptTender, KillsReadPastTheEndOfTheBlockDevice) {
  ImageSpec spec = image_with_code(read_block(512, 4096));
  spec.devices = {{"storage", MFT_DEV_BLOCK_BASIC}};
  std::string disk = write("disk.img", Bytes(4096, 0));
  Outcome outcome = tender({"--mem=2", "--block:storage=" + disk}, image(spec));
  EXPECT_EQ(outcome.shell_status(), 128 + SIGSYS);
}

TEST_F(SptTender, FillsNetworkEntryAndLetsTheGuestWriteToItsTap) {
  ImageSpec spec = image_with_code(write_net_info_to_device());
  spec.devices = {{"service0", MFT_DEV_NET_BASIC}};
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  Outcome outcome =
      tender({"--mem=2", "--net:service0=@3", "--net-mac:service0=02:00:00:c0:ff:ee"}, image(spec), {}, theirs.get());
  EXPECT_EQ(outcome.shell_status(), 0) << outcome.err;
  std::uint8_t received[16] = {};
  ASSERT_EQ(::recv(ours.get(), received, sizeof received, MSG_DONTWAIT), 8);
  const std::uint8_t expected[8] = {0x02, 0x00, 0x00, 0xc0, 0xff, 0xee, 1500 & 0xff, 1500 >> 8};
  EXPECT_EQ(std::memcmp(received, expected, 8), 0);
}

// --- The sandbox -----------------------------------------------------------------------------

TEST_F(SptTender, KillsForbiddenSystemCallAndNamesIt) {
  Outcome outcome = tender({"--mem=2"}, image(image_with_code(call_getpid_then_exit())));
  EXPECT_FALSE(outcome.exited);
  EXPECT_EQ(outcome.status, SIGSYS);
  EXPECT_EQ(outcome.err, "cairn-spt: killed: forbidden system call getpid (39)\n");
}

TEST_F(SptTender, KillsWriteToADescriptorThatIsNotADevice) {
  Outcome outcome = tender({"--mem=2"}, image(image_with_code(write_to_fd3())));
  EXPECT_EQ(outcome.shell_status(), 128 + SIGSYS);
  EXPECT_EQ(outcome.err, "cairn-spt: killed: forbidden system call write (1)\n");
}

TEST_F(SptTender, AllowsAtMostNineSystemCallsWithEveryKindOfDevice) {
  ImageSpec spec = image_with_code(exit_with(0));
  spec.devices = {{"net0", MFT_DEV_NET_BASIC}, {"disk0", MFT_DEV_BLOCK_BASIC}, {"disk1", MFT_DEV_BLOCK_BASIC}};
  std::string disk = write("disk.img", Bytes(4096, 0));
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  Outcome outcome = tender({"--print-policy", "--net:net0=@3", "--block:disk0=" + disk, "--block:disk1=" + disk},
                           image(spec), {}, theirs.get());
  EXPECT_EQ(outcome.shell_status(), 0) << outcome.err;
  EXPECT_NE(outcome.out.find(": 9 system calls, 14 rules;"), std::string::npos) << outcome.out;
  for (const char* call : {"write", "exit_group", "epoll_pwait", "timerfd_settime", "clock_gettime", "arch_prctl",
                           "read", "pread64", "pwrite64"}) {
    EXPECT_NE(outcome.out.find(std::string("\n  ") + call + " "), std::string::npos) << call;
  }
}

// --- cairn run -------------------------------------------------------------------------------

TEST_F(SptTender, CairnRunPassesTheConsoleAndReportsTheExitStatus) {
  Outcome outcome = run({kCairn, "run", image(image_with_code(write_line("hello\n", 4))), "--mem", "2"});
  EXPECT_EQ(outcome.shell_status(), 4);
  EXPECT_EQ(outcome.out, "hello\n");
  EXPECT_EQ(outcome.err, "cairn: exited with status 4\n");
}

TEST_F(SptTender, CairnRunPassesGuestArguments) {
  Outcome outcome = run({kCairn, "run", image(image_with_code(print_command_line())), "--", "a", "--b"});
  EXPECT_EQ(outcome.shell_status(), 0) << outcome.err;
  EXPECT_EQ(outcome.out, "a --b");
}

TEST_F(SptTender, CairnRunReportsAForbiddenSystemCall) {
  Outcome outcome = run({kCairn, "run", image(image_with_code(call_getpid_then_exit()))});
  EXPECT_EQ(outcome.shell_status(), 128 + SIGSYS);
  EXPECT_EQ(outcome.err, "cairn: killed: forbidden system call getpid\n");
}

TEST_F(SptTender, CairnRunReportsAnAbortWithItsMessage) {
  Outcome outcome = run({kCairn, "run", image(image_with_code(write_line("cairn: abort: out of cheese\n", 255)))});
  EXPECT_EQ(outcome.shell_status(), 255);
  EXPECT_EQ(outcome.err, "cairn: aborted: out of cheese\n");
}

TEST_F(SptTender, CairnRunReportsASegfault) {
  Outcome outcome = run({kCairn, "run", image(image_with_code(store_to_text()))});
  EXPECT_EQ(outcome.shell_status(), 128 + SIGSEGV);
  EXPECT_EQ(outcome.err, "cairn: killed by signal SIGSEGV\n");
}

TEST_F(SptTender, CairnRunPassesTenderRefusalsThrough) {
  ImageSpec spec = image_with_code(exit_with(3));
  spec.machine = 183;
  std::string image_path = image(spec);
  Outcome outcome = run({kCairn, "run", image_path});
  EXPECT_EQ(outcome.shell_status(), 1);
  EXPECT_EQ(outcome.err, "cairn-spt: " + image_path + ": built for aarch64, this tender runs x86-64\n");
}

TEST_F(SptTender, CairnRunPassesDeviceOptionsToTheTender) {
  ImageSpec spec = image_with_code(read_block(512, 0));
  spec.devices = {{"storage", MFT_DEV_BLOCK_BASIC}};
  std::string disk = write("disk.img", Bytes(1024, 0));
  Outcome outcome = run({kCairn, "run", image(spec), "--block:storage=" + disk});
  EXPECT_EQ(outcome.shell_status(), 2) << outcome.err;
}

TEST_F(SptTender, CairnRunRefusesOptionsTheTenderDoesNotHave) {
  Outcome outcome = run({kCairn, "run", image(image_with_code(exit_with(0))), "--frob"});
  EXPECT_EQ(outcome.shell_status(), 2);
  EXPECT_NE(outcome.err.find("--frob"), std::string::npos);
}

}  // namespace
}  // namespace cairn::tender::testing
