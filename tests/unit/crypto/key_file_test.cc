#include "gateway/crypto/key_file.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <fstream>

#include "gateway/core/files.h"
#include "tests/support/temp_dir.h"

namespace gw::crypto {
namespace {

using gw::testing::TempDir;

TEST(KeyFileTest, WritesPairWithPrivateModeAndReadsItBack) {
  TempDir dir;
  auto key = generateKeyPair("police");
  ASSERT_TRUE(writeKeyPair(key, dir.path()).ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir / "police.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto pub = readPublicKeyFile(dir / "police.pub");
  ASSERT_TRUE(pub.ok()) << pub.status().toString();
  EXPECT_EQ(pub->key_id, key.key_id);
  EXPECT_EQ(pub->actor, "police");
  EXPECT_EQ(pub->bytes, key.public_key);
  auto secret = readSecretKeyFile(dir / "police.key");
  ASSERT_TRUE(secret.ok()) << secret.status().toString();
  EXPECT_EQ(secret->secret, key.secret);
  EXPECT_EQ(secret->public_key, key.public_key);
}

TEST(KeyFileTest, SecretKeyReadableByOthersIsRefused) {
  TempDir dir;
  ASSERT_TRUE(writeKeyPair(generateKeyPair("fire"), dir.path()).ok());
  ::chmod((dir / "fire.key").c_str(), 0640);
  auto secret = readSecretKeyFile(dir / "fire.key");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(secret.status().message().find("chmod 600"), std::string::npos);
}

TEST(KeyFileTest, GatewayIdentityRoundTripsAndSignsVerifiably) {
  TempDir dir;
  auto key = generateIdentityKey("site-1");
  ASSERT_TRUE(writeIdentityKeyPair(key, dir.path(), "gateway").ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir / "gateway.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto secret = readIdentityKeyFile(dir / "gateway.key");
  ASSERT_TRUE(secret.ok()) << secret.status().toString();
  auto pub = readIdentityPublicKeyFile(dir / "gateway.pub");
  ASSERT_TRUE(pub.ok()) << pub.status().toString();
  EXPECT_EQ(secret->key_id, key.key_id);
  EXPECT_EQ(pub->key_id, key.key_id);
  EXPECT_EQ(pub->owner, "site-1");
  // The file keeps the seed; the key read back signs what the written public key verifies.
  const unsigned char message[] = "checkpoint";
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, message, sizeof message, secret->secret.data());
  EXPECT_EQ(crypto_sign_verify_detached(signature, message, sizeof message, pub->bytes.data()), 0);
  // An identity file is not an actor key, nor the other way round.
  EXPECT_FALSE(readPublicKeyFile(dir / "gateway.pub").ok());
  ::chmod((dir / "gateway.key").c_str(), 0644);
  EXPECT_EQ(readIdentityKeyFile(dir / "gateway.key").status().code(),
            StatusCode::kPermissionDenied);
}

// A fleet operator's key signs policy bundles: same Ed25519 format, marked `operator:`, and never
// taken for a gateway's identity (nor a gateway's for an operator's).
TEST(KeyFileTest, AnOperatorKeyIsNeverTakenForAGatewaysAndTheOtherWayRound) {
  TempDir dir;
  auto key = generateIdentityKey("city-ops");
  ASSERT_TRUE(writeOperatorKeyPair(key, dir.path()).ok());
  ASSERT_TRUE(writeIdentityKeyPair(generateIdentityKey("site-1"), dir.path(), "gateway").ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir / "city-ops.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto secret = readIdentityKeyFile(dir / "city-ops.key", KeyRole::kOperator);
  ASSERT_TRUE(secret.ok()) << secret.status().toString();
  auto pub = readIdentityPublicKeyFile(dir / "city-ops.pub", KeyRole::kOperator);
  ASSERT_TRUE(pub.ok()) << pub.status().toString();
  EXPECT_EQ(pub->owner, "city-ops");
  EXPECT_EQ(pub->key_id, key.key_id);
  EXPECT_EQ(secret->public_key, key.public_key);
  auto as_gateway = readIdentityPublicKeyFile(dir / "city-ops.pub");
  ASSERT_FALSE(as_gateway.ok());
  EXPECT_NE(as_gateway.status().message().find("it is not the gateway key asked for"),
            std::string::npos);
  EXPECT_FALSE(readIdentityKeyFile(dir / "city-ops.key").ok());
  EXPECT_FALSE(readIdentityPublicKeyFile(dir / "gateway.pub", KeyRole::kOperator).ok());
  EXPECT_FALSE(readIdentityKeyFile(dir / "gateway.key", KeyRole::kOperator).ok());
}

TEST(KeyFileTest, MalformedFilesAreRejectedWithReasons) {
  EXPECT_FALSE(parsePublicKey("hello", "x").ok());
  EXPECT_FALSE(parsePublicKey("format: lantaarn-key-v1\ntype: x25519-secret\n", "x").ok());
  EXPECT_FALSE(
      parsePublicKey("format: lantaarn-key-v1\ntype: x25519-public\nkey: AAAA\n", "x").ok());
  auto key = generateKeyPair("a");
  TempDir dir;
  ASSERT_TRUE(writeKeyPair(key, dir.path()).ok());
  auto text = readFile(dir / "a.pub");
  ASSERT_TRUE(text.ok());
  std::string tampered = *text;
  tampered.replace(tampered.find("key_id: ") + 8, 4, "ffff");
  auto result = parsePublicKey(tampered, "a.pub");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("does not match"), std::string::npos);
}

TEST(KeyFileTest, KeyIdIsStableAndDistinct) {
  auto a = generateKeyPair("a"), b = generateKeyPair("b");
  EXPECT_EQ(keyIdOf(a.public_key), a.key_id);
  EXPECT_EQ(a.key_id.size(), 16u);
  EXPECT_NE(a.key_id, b.key_id);
}

}  // namespace
}  // namespace gw::crypto
