// Classic in-toto links and layouts (see intoto.h).
#include "cairn/consumer/intoto.h"

#include "cairn/core/file.h"
#include "cairn/core/time.h"

#include <fmt/format.h>

namespace cairn::consumer::intoto {

namespace {

std::string hex_of(std::string_view bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) hex += fmt::format("{:02x}", byte);
  return hex;
}

}  // namespace

Json public_key_json(const signing::Ed25519PublicKey& key) {
  return {{"keytype", "ed25519"},
          {"scheme", "ed25519"},
          {"keyid_hash_algorithms", Json::array({"sha256", "sha512"})},
          {"keyval", {{"public", hex_of(key.raw())}}}};
}

std::string keyid_of(const signing::Ed25519PublicKey& key) {
  // The object is ASCII and integer-free, so canonical_json cannot fail on it.
  Result<std::string> text = canonical_json(public_key_json(key));
  return Digest::sha256_of(text.ok() ? *text : std::string()).hex();
}

Result<Json> sign_metadata(const Json& signed_part, const signing::Ed25519PrivateKey& key) {
  std::string text = CAIRN_TRY(canonical_json(signed_part));
  signing::Signature signature = CAIRN_TRY(key.sign(text));
  Json signatures = Json::array({{{"keyid", keyid_of(key.public_key())}, {"sig", hex_of(signature.bytes)}}});
  return Json{{"signed", signed_part}, {"signatures", signatures}};
}

Json rebuild_link(std::string_view image_name, const Digest& image) {
  return {{"_type", "link"},
          {"name", rebuild_step},
          {"materials", Json::object()},
          {"products", {{std::string(image_name), {{"sha256", image.hex()}}}}},
          {"byproducts", Json::object()},
          {"command", Json::array()},
          {"environment", Json::object()}};
}

std::string link_file_name(const signing::Ed25519PublicKey& key) {
  return fmt::format("{}.{}.link", rebuild_step, keyid_of(key).substr(0, 8));
}

Json rebuild_layout(std::int64_t expires, const std::vector<signing::Ed25519PublicKey>& rebuilders,
                    std::size_t threshold, std::string_view image_name) {
  Json keys = Json::object();
  Json keyids = Json::array();
  for (const auto& key : rebuilders) {
    std::string keyid = keyid_of(key);
    // In a layout each key also carries its keyid (securesystemslib's ANYKEY_SCHEMA needs it when
    // in-toto checks a link's signature); the id is still computed without it.
    Json entry = public_key_json(key);
    entry["keyid"] = keyid;
    keys[keyid] = std::move(entry);
    keyids.push_back(keyid);
  }
  Json step = {{"_type", "step"},
               {"name", rebuild_step},
               {"threshold", threshold},
               {"pubkeys", keyids},
               {"expected_command", Json::array()},
               {"expected_materials", Json::array()},
               {"expected_products", Json::array({Json::array({"ALLOW", std::string(image_name)}),
                                                  Json::array({"DISALLOW", "*"})})}};
  return {{"_type", "layout"},
          {"expires", format_rfc3339(expires)},
          {"readme", fmt::format("{} of these rebuilders must each have rebuilt {} to the same bytes", threshold,
                                 image_name)},
          {"keys", keys},
          {"steps", Json::array({step})},
          {"inspect", Json::array()}};
}

Result<void> write_layout(const std::filesystem::path& directory, const Json& layout,
                          const signing::Ed25519PrivateKey& owner) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return make_error(ErrorCode::io, "create {}: {}", directory.string(), error.message());
  Json signed_layout = CAIRN_TRY(sign_metadata(layout, owner));
  std::string layout_text = CAIRN_TRY(canonical_json(signed_layout));
  std::string key_text = CAIRN_TRY(canonical_json(public_key_json(owner.public_key())));
  CAIRN_TRY(write_file_atomically(directory / "root.layout", layout_text + "\n"));
  CAIRN_TRY(write_file_atomically(directory / "owner.pub", key_text + "\n"));
  return {};
}

}  // namespace cairn::consumer::intoto
