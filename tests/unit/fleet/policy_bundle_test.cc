// Signed policy bundles (gateway/fleet/): built from a real policy directory with actor keys and
// a real plugin, read back only with the operator's key, and refused with a reason for every way
// a bundle can be wrong: another signer, a flipped bit anywhere, a file that does not match its
// hash, a path that would leave the bundle's directory, the wrong site, an oversized payload.
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/core/files.h"
#include "gateway/fleet/bundle_builder.h"
#include "gateway/fleet/bundle_reader.h"
#include "gateway/fleet/bundle_signature.h"
#include "tests/support/temp_dir.h"

namespace gw::fleet {
namespace {

namespace fs = std::filesystem;

class PolicyBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::initSodium().ok());
    fs::create_directories(dir_.path() / "policy");
    fs::create_directories(dir_.path() / "keys");
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("police"), dir_.path() / "keys").ok());
    std::ofstream(dir_.path() / "policy" / "actors.yaml")
        << "actors:\n  - {id: police, public_key_file: ../keys/police.pub, purposes: "
           "[public_order]}\n";
    std::ofstream(dir_.path() / "policy" / "detectors.yaml")
        << "detectors:\n  - id: crowding\n    sources: [pm]\n    plugin: {path: " << GW_PLUGIN
        << ", params: {above: '50'}}\nroutes:\n  - {to: police, purpose: public_order, from: "
           "{detectors: [crowding]}}\n";
  }

  BundleRequest request(uint64_t version = 7) {
    BundleRequest r;
    r.policy = dir_.path() / "policy";
    r.version = version;
    r.sites = {"lamp-12", "lamp-13"};
    r.created_unix_ms = 1780000000000;
    return r;
  }

  std::vector<crypto::IdentityPublicKey> trusted() { return {crypto::identityPublicHalf(key_)}; }

  crypto::IdentityKey key_ = crypto::generateIdentityKey("city-ops");
  gw::testing::TempDir dir_;
};

TEST_F(PolicyBundleTest, ABundleOfRealFilesReadsBackWithItsKeysAndPluginsPinnedByHash) {
  auto bundle = buildBundle(request(), key_);
  ASSERT_TRUE(bundle.ok()) << bundle.status().message();
  auto manifest = readBundle(bundle->SerializeAsString(), trusted());
  ASSERT_TRUE(manifest.ok()) << manifest.status().message();
  EXPECT_EQ(manifest->version(), 7u);
  EXPECT_EQ(manifest->operator_name(), "city-ops");
  std::map<std::string, std::string> files;
  for (const auto& f : manifest->files()) files[f.path()] = f.content();
  auto plugin = readFile(GW_PLUGIN);
  ASSERT_TRUE(plugin.ok());
  const std::string plugin_path = "plugins/" + sha256Hex(*plugin) + ".so";
  ASSERT_EQ(files.count(plugin_path), 1u);
  EXPECT_EQ(files[plugin_path], *plugin);
  auto key = readFile(dir_.path() / "keys" / "police.pub");
  EXPECT_EQ(files["keys/police.pub"], *key);
  // The policies name the bundle's own copies.
  EXPECT_NE(files["policy/actors.yaml"].find("../keys/police.pub"), std::string::npos);
  EXPECT_NE(files["policy/detectors.yaml"].find("../" + plugin_path), std::string::npos)
      << files["policy/detectors.yaml"];
  EXPECT_TRUE(checkBundleTarget(*manifest, "lamp-12", "").ok());
  EXPECT_EQ(checkBundleTarget(*manifest, "lamp-99", "").message(),
            "the bundle is not for site 'lamp-99'");
}

TEST_F(PolicyBundleTest, AnotherOperatorsKeyOrAnyFlippedBitIsRefused) {
  auto bundle = buildBundle(request(), key_);
  ASSERT_TRUE(bundle.ok());
  const auto other = crypto::generateIdentityKey("city-ops");  // same name, another key
  auto refused = readBundle(bundle->SerializeAsString(), {crypto::identityPublicHalf(other)});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("not an operator key of this gateway"),
            std::string::npos);
  // Bytes spread over the manifest and the signature, one bit each.
  const std::string bytes = bundle->SerializeAsString();
  size_t accepted = 0;
  for (size_t i = 0; i < bytes.size(); i += bytes.size() / 300 + 1) {
    std::string tampered = bytes;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x04);
    if (readBundle(tampered, trusted()).ok()) ++accepted;
  }
  EXPECT_EQ(accepted, 0u);
}

TEST_F(PolicyBundleTest, ASignedManifestWithABadFileIsStillRefused) {
  // The operator's own key signs these: the reader's own rules must still hold.
  auto manifest_with = [&](const std::string& path, const std::string& content, bool good_hash) {
    gateway::v1::BundleManifest m;
    m.set_format(1);
    m.set_version(3);
    m.set_group("north");
    auto* policy = m.add_files();
    policy->set_path("policy/a.yaml");
    policy->set_content("routes: []\n");
    policy->set_sha256(sha256Digest(policy->content()));
    auto* f = m.add_files();
    f->set_path(path);
    f->set_content(content);
    f->set_sha256(sha256Digest(good_hash ? content : content + "x"));
    return signBundle(m, key_).SerializeAsString();
  };
  struct Case {
    std::string path, why;
    bool good_hash;
  };
  for (const auto& c : std::vector<Case>{
           {"keys/police.pub", "does not match its hash", false},
           {"../etc/passwd", "is not <folder>/<name>", true},
           {"keys/../../x.pub", "is not <folder>/<name>", true},
           {"plugins/evil.so", "is none of", true},
           {"policy/.hidden.yaml", "unsafe name", true},
           {"bin/run.sh", "is none of", true},
       }) {
    auto read = readBundle(manifest_with(c.path, "content", c.good_hash), trusted());
    ASSERT_FALSE(read.ok()) << c.path;
    EXPECT_NE(read.status().message().find(c.why), std::string::npos)
        << c.path << ": " << read.status().message();
  }
  auto ok = readBundle(manifest_with("keys/police.pub", "content", true), trusted());
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE(checkBundleTarget(*ok, "lamp-12", "north").ok());
  EXPECT_FALSE(checkBundleTarget(*ok, "lamp-12", "south").ok());
}

TEST_F(PolicyBundleTest, TruncatedOversizedAndEmptyPayloadsAreRefused) {
  auto bundle = buildBundle(request(), key_);
  ASSERT_TRUE(bundle.ok());
  const std::string bytes = bundle->SerializeAsString();
  EXPECT_FALSE(readBundle(bytes.substr(0, bytes.size() / 2), trusted()).ok());
  EXPECT_FALSE(readBundle("", trusted()).ok());
  auto big = readBundle(bytes, trusted(), bytes.size() - 1);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("the limit is"), std::string::npos);
}

TEST_F(PolicyBundleTest, ABundleThatWouldCarryTheSitesOwnSettingsIsNotBuilt) {
  std::ofstream(dir_.path() / "policy" / "site.yaml") << "site: {id: lamp-12}\n";
  auto bundle = buildBundle(request(), key_);
  ASSERT_FALSE(bundle.ok());
  EXPECT_NE(bundle.status().message().find("site.yaml:1: `site` stays in each site's local"),
            std::string::npos)
      << bundle.status().message();
  fs::remove(dir_.path() / "policy" / "site.yaml");
  auto no_target = request();
  no_target.sites.clear();
  EXPECT_FALSE(buildBundle(no_target, key_).ok());
  EXPECT_FALSE(buildBundle(request(0), key_).ok());
}

}  // namespace
}  // namespace gw::fleet
