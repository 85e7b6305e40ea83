// The ABI and MFT notes: their bytes, the object file that carries them into an image, and
// reading them back from images built by Cairn and by Solo5.
#include "cairn/reproducibility/image_notes.h"

#include "cairn/core/base64.h"
#include "cairn/core/file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

namespace cairn::reproducibility {
namespace {

namespace fs = std::filesystem;

std::uint32_t word(const std::string& bytes, std::size_t offset) {
  std::uint32_t value;
  std::memcpy(&value, bytes.data() + offset, 4);
  return value;
}

fs::path repository_root() {
  return fs::path(CAIRN_TEST_DATA_DIR).parent_path().parent_path();
}
fs::path solo5_tests() {
  return repository_root().parent_path() / "shared" / "peers" / "solo5" / "tests";
}
fs::path built_image(const char* name) {
  return fs::path(CAIRN_BIN_DIR).parent_path() / "images" / name;
}

TEST(ImageNotes, AbiNoteIsSolo5sLayout) {
  std::string note = abi_note(AbiTarget::spt, spt_abi_version);
  ASSERT_EQ(note.size(), 36u);
  EXPECT_EQ(word(note, 0), 6u);           // n_namesz: "Solo5\0"
  EXPECT_EQ(word(note, 4), 16u);          // n_descsz
  EXPECT_EQ(word(note, 8), 0x31494241u);  // "ABI1"
  EXPECT_EQ(std::string(note.data() + 12, 6), std::string("Solo5\0", 6));
  EXPECT_EQ(word(note, 20), 2u);  // SPT_ABI_TARGET
  EXPECT_EQ(word(note, 24), 2u);  // SPT_ABI_VERSION
}

TEST(ImageNotes, ManifestNoteHasTheReservedEntryThenTheDevices) {
  Result<std::string> note = manifest_note({{"service0", DeviceType::net}, {"storage", DeviceType::block}});
  ASSERT_TRUE(note.ok()) << note.error().message();
  // 20 bytes of header, 4 of padding, 8 of manifest header, 3 entries of 104 bytes.
  ASSERT_EQ(note->size(), 20u + 4 + 8 + 3 * 104);
  EXPECT_EQ(word(*note, 4), 4u + 8 + 3 * 104);  // n_descsz includes the padding, as Solo5's does
  EXPECT_EQ(word(*note, 8), 0x3154464du);       // "MFT1"
  EXPECT_EQ(word(*note, 24), 1u);               // version
  EXPECT_EQ(word(*note, 28), 3u);               // entries
  std::size_t first = 32;
  EXPECT_EQ((*note)[first], '\0');               // reserved entry: no name
  EXPECT_EQ(word(*note, first + 68), 1u << 30);  // MFT_RESERVED_FIRST
  EXPECT_STREQ(note->data() + first + 104, "service0");
  EXPECT_EQ(word(*note, first + 104 + 68), 2u);  // MFT_DEV_NET_BASIC
  EXPECT_STREQ(note->data() + first + 208, "storage");
  EXPECT_EQ(word(*note, first + 208 + 68), 1u);  // MFT_DEV_BLOCK_BASIC
}

TEST(ImageNotes, RefusesBadDeviceDeclarations) {
  EXPECT_FALSE(parse_device("service0").ok());
  EXPECT_NE(parse_device("disk:storage").error().message().find("unknown type 'disk'"), std::string::npos);
  EXPECT_TRUE(parse_device("block:storage").ok());

  EXPECT_NE(check_devices({{"", DeviceType::net}}).error().message().find("1 to 67 characters"), std::string::npos);
  EXPECT_NE(check_devices({{std::string(68, 'a'), DeviceType::net}}).error().message().find("1 to 67"),
            std::string::npos);
  EXPECT_NE(check_devices({{"eth-0", DeviceType::net}}).error().message().find("only letters and digits"),
            std::string::npos);
  EXPECT_NE(check_devices({{"a", DeviceType::net}, {"a", DeviceType::block}}).error().message().find("twice"),
            std::string::npos);
  std::vector<Device> too_many;
  for (int i = 0; i < 64; ++i) too_many.push_back({"d" + std::to_string(i), DeviceType::block});
  EXPECT_EQ(check_devices(too_many).error().code(), ErrorCode::limit_exceeded);
  too_many.pop_back();
  EXPECT_TRUE(check_devices(too_many).ok());
}

TEST(ImageNotes, ReadsBackTheNotesOfCairnsHello) {
  Result<ImageNotes> notes = read_image_notes(built_image("hello.spt"));
  ASSERT_TRUE(notes.ok()) << notes.error().message();
  EXPECT_EQ(notes->target, AbiTarget::spt);
  EXPECT_EQ(notes->abi_version, 2u);
  EXPECT_TRUE(notes->devices.empty());
}

TEST(ImageNotes, ReadsSolo5sOwnImages) {
  if (!fs::exists(solo5_tests())) GTEST_SKIP() << "skipped: " << solo5_tests() << " is missing";
  Result<ImageNotes> hello = read_image_notes(solo5_tests() / "test_hello" / "test_hello.spt");
  ASSERT_TRUE(hello.ok()) << hello.error().message();
  EXPECT_TRUE(hello->devices.empty());
  Result<ImageNotes> net = read_image_notes(solo5_tests() / "test_net_2if" / "test_net_2if.spt");
  ASSERT_TRUE(net.ok()) << net.error().message();
  ASSERT_EQ(net->devices.size(), 2u);
  EXPECT_EQ(net->devices[0].name, "service0");
  EXPECT_EQ(net->devices[1].type, DeviceType::net);
  Result<ImageNotes> many = read_image_notes(solo5_tests() / "test_mft_maxdevices" / "test_mft_maxdevices.spt");
  ASSERT_TRUE(many.ok()) << many.error().message();
  EXPECT_EQ(many->devices.size(), 63u);
}

TEST(ImageNotes, ObjectFileCarriesTheSameNoteBytes) {
  Result<TemporaryDirectory> directory = TemporaryDirectory::create();
  ASSERT_TRUE(directory.ok());
  ImageNotes notes;
  notes.devices = {{"service0", DeviceType::net}};
  fs::path object = directory->path() / "notes.o";
  ASSERT_TRUE(write_notes_object(object, notes).ok());
  std::string bytes = *read_file(object, 1 << 20);
  EXPECT_EQ(bytes.substr(0, 4),
            "\x7f"
            "ELF");
  EXPECT_NE(bytes.find(abi_note(AbiTarget::spt, 2)), std::string::npos);
  EXPECT_NE(bytes.find(*manifest_note(notes.devices)), std::string::npos);
  EXPECT_NE(bytes.find(std::string("/nonexistent/cairn/\0", 20)), std::string::npos);
  // Writing twice gives the same bytes: the object is an input of reproducible images.
  fs::path again = directory->path() / "again.o";
  ASSERT_TRUE(write_notes_object(again, notes).ok());
  EXPECT_EQ(*read_file(again, 1 << 20), bytes);
}

TEST(ImageNotes, RefusesFilesThatAreNotImages) {
  Result<TemporaryDirectory> directory = TemporaryDirectory::create();
  ASSERT_TRUE(directory.ok());
  fs::path garbage = directory->path() / "garbage";
  ASSERT_TRUE(write_file_atomically(garbage,
                                    "this is not an ELF file at all, not even close......"
                                    "..............................................")
                  .ok());
  EXPECT_EQ(read_image_notes(garbage).error().code(), ErrorCode::malformed);

  // A real image cut short: program headers or notes now lie past the end.
  std::string hello = *read_file(built_image("hello.spt"), 1 << 20);
  fs::path truncated = directory->path() / "truncated";
  ASSERT_TRUE(write_file_atomically(truncated, hello.substr(0, 100)).ok());
  Result<ImageNotes> cut = read_image_notes(truncated);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message().find("past the end"), std::string::npos) << cut.error().message();

  // A host program is an ELF but no unikernel.
  Result<ImageNotes> host = read_image_notes("/bin/true");
  ASSERT_FALSE(host.ok());
  EXPECT_NE(host.error().message().find("no Solo5 ABI note"), std::string::npos) << host.error().message();
}

TEST(ImageNotes, RefusesADeviceTypeOutsideTheEnumWithoutLoadingItAsOne) {
  // 256 bytes whose only MFT entry has type 0x80000000: read into the mft_type_t enum, that value
  // is undefined behaviour (UBSan: "load of value 2147483648, which is not a valid value").
  std::string image = *base64_decode(
      "f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAEAAOAABAEAAAAAAAAQAAAAEAAAAeAAAAAAAAAAAAAAA"
      "AAAAAAAAAAAAAAAAiAAAAAAAAACIAAAAAAAAAAgAAAAAAAAABgAAAHQAAABNRlQxU29sbzUAAAAAAAAAAQAAAAEAAAAAAAAAAAAAAAAAAAAAAAAA"
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
      "AAAAAA==");
  ASSERT_EQ(image.size(), 256u);
  Result<TemporaryDirectory> directory = TemporaryDirectory::create();
  ASSERT_TRUE(directory.ok());
  fs::path path = directory->path() / "odd-type.spt";
  ASSERT_TRUE(write_file_atomically(path, image).ok());
  Result<ImageNotes> notes = read_image_notes(path);
  ASSERT_FALSE(notes.ok());
  EXPECT_EQ(notes.error().message(), path.string() + ": manifest entry 0 is not the reserved entry");
}

}  // namespace
}  // namespace cairn::reproducibility
