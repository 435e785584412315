#include "gateway/crypto/sealer.h"

#include <gtest/gtest.h>

#include "gateway/v1/sealed.pb.h"

namespace gw::crypto {
namespace {

gateway::v1::ActorMessage sample() {
  gateway::v1::ActorMessage m;
  m.set_site_id("s");
  m.set_actor_id("ambulance");
  m.mutable_event()->set_kind("threshold_exceeded");
  m.mutable_event()->set_value(51.5);
  return m;
}

TEST(SealerTest, RoundTripForTheAddressedActor) {
  auto key = generateKeyPair("ambulance");
  auto sealed = seal(sample(), publicHalf(key));
  ASSERT_TRUE(sealed.ok());
  auto opened = open(*sealed, key);
  ASSERT_TRUE(opened.ok()) << opened.status().toString();
  EXPECT_EQ(opened->SerializeAsString(), sample().SerializeAsString());
}

TEST(SealerTest, CiphertextDoesNotContainThePlaintext) {
  auto key = generateKeyPair("ambulance");
  auto sealed = seal(sample(), publicHalf(key));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("threshold_exceeded"), std::string::npos);
}

TEST(SealerTest, AnotherActorsKeyCannotOpenIt) {
  auto ambulance = generateKeyPair("ambulance");
  auto police = generateKeyPair("police");
  auto sealed = seal(sample(), publicHalf(ambulance));
  ASSERT_TRUE(sealed.ok());
  auto by_key_id = open(*sealed, police);
  EXPECT_EQ(by_key_id.status().code(), StatusCode::kPermissionDenied);
  // Even when the attacker rewrites the key id to its own, decryption must fail.
  gateway::v1::SealedMessage envelope;
  ASSERT_TRUE(envelope.ParseFromString(*sealed));
  envelope.set_recipient_key_id(police.key_id);
  auto forged = open(envelope.SerializeAsString(), police);
  EXPECT_EQ(forged.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(forged.status().message().find("authentication failed"), std::string::npos);
}

TEST(SealerTest, EveryFlippedBitOfTheBoxIsDetected) {
  auto key = generateKeyPair("ambulance");
  auto sealed = seal(sample(), publicHalf(key));
  ASSERT_TRUE(sealed.ok());
  gateway::v1::SealedMessage envelope;
  ASSERT_TRUE(envelope.ParseFromString(*sealed));
  const std::string box = envelope.sealed_box();
  for (size_t byte = 0; byte < box.size(); ++byte) {
    std::string tampered = box;
    tampered[byte] = static_cast<char>(tampered[byte] ^ 0x01);
    envelope.set_sealed_box(tampered);
    EXPECT_FALSE(open(envelope.SerializeAsString(), key).ok()) << "byte " << byte;
  }
}

TEST(SealerTest, MalformedInputIsRejected) {
  auto key = generateKeyPair("a");
  EXPECT_EQ(open("\xff\xff\xff", key).status().code(), StatusCode::kInvalidArgument);
  gateway::v1::SealedMessage envelope;
  envelope.set_version(2);
  EXPECT_EQ(open(envelope.SerializeAsString(), key).status().code(), StatusCode::kInvalidArgument);
  envelope.set_version(1);
  envelope.set_recipient_key_id(key.key_id);
  envelope.set_sealed_box("short");
  EXPECT_EQ(open(envelope.SerializeAsString(), key).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gw::crypto
