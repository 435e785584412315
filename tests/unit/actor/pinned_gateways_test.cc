// Which keys an actor pins from a keys directory: gateway keys, and actor keys beside them skipped.
#include "gateway/actor/pinned_gateways.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace gw {
namespace {

TEST(PinnedGatewaysTest, ADirectoryPinsItsGatewayKeysAndSkipsActorKeysBesideThem) {
  gw::testing::TempDir dir;
  const auto gateway = crypto::generateIdentityKey("og12");
  ASSERT_TRUE(crypto::writeIdentityKeyPair(gateway, dir.path(), "gateway").ok());
  ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("police"), dir.path()).ok());
  auto pinned = actor::readPinnedGateways({dir.path().string()});
  ASSERT_TRUE(pinned.ok()) << pinned.status().toString();
  ASSERT_EQ(pinned->keys.size(), 1u);
  EXPECT_EQ(pinned->keys[0].key_id, gateway.key_id);
  EXPECT_EQ(pinned->keys[0].owner, "og12");
  ASSERT_EQ(pinned->skipped.size(), 1u);
  EXPECT_NE(pinned->skipped[0].find("police.pub"), std::string::npos) << pinned->skipped[0];
}

TEST(PinnedGatewaysTest, ADirectoryWithoutAGatewayKeyOrWithADamagedOneIsRefused) {
  gw::testing::TempDir only_actors;
  ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("police"), only_actors.path()).ok());
  auto none = actor::readPinnedGateways({only_actors.path().string()});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);

  gw::testing::TempDir damaged;
  ASSERT_TRUE(
      crypto::writeIdentityKeyPair(crypto::generateIdentityKey("og12"), damaged.path(), "gateway")
          .ok());
  std::ofstream(damaged / "other.pub") << "format: lantaarn-key-v1\ntype: ed25519-public\n";
  EXPECT_FALSE(actor::readPinnedGateways({damaged.path().string()}).ok());
}

TEST(PinnedGatewaysTest, ANamedFileMustBeAGatewayKey) {
  gw::testing::TempDir dir;
  ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("police"), dir.path()).ok());
  EXPECT_FALSE(actor::readPinnedGateways({(dir / "police.pub").string()}).ok());
}

}  // namespace
}  // namespace gw
