// The actor's subscriber against a broker that predates MQTT 5 (a front that refuses protocol
// level 5, tests/support/mqtt311_only_front.h): `auto` falls back to 3.1.1 and reads its topics
// (Receive Maximum is then the broker's business); `5` says why it cannot connect.
#include <gtest/gtest.h>

#include <atomic>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/crypto/key_file.h"
#include "gateway/pipeline/topics.h"
#include "tests/support/child_process.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/mqtt311_only_front.h"

namespace gw {
namespace {

using gw::testing::MosquittoBroker;
using gw::testing::Mqtt311OnlyFront;
using gw::testing::waitUntil;

actor::SubscriberConfig configFor(const std::string& url, actor::MqttProtocol protocol) {
  actor::SubscriberConfig config;
  config.broker_url = url;
  config.protocol = protocol;
  config.identity = {"s1",
                     "ambulance",
                     crypto::generateKeyPair("ambulance"),
                     {crypto::identityPublicHalf(crypto::generateIdentityKey("s1"))}};
  return config;
}

TEST(ActorSubscriberFallbackTest, AutoFallsBackTo311AndReceives) {
  MosquittoBroker broker;
  Mqtt311OnlyFront old_broker(broker.port());
  std::atomic<int> delivered{0};
  actor::ActorSubscriber sub(configFor(old_broker.url(), actor::MqttProtocol::kAuto),
                             [&](const actor::Delivery&) { ++delivered; });
  const Status started = sub.start(std::chrono::seconds(10));
  ASSERT_TRUE(started.ok()) << started.toString();
  EXPECT_EQ(sub.mqttVersion(), MQTTVERSION_3_1_1);
  EXPECT_EQ(old_broker.refusedV5(), 1);

  mqtt::async_client publisher(broker.url(), "test-publisher");
  publisher.connect()->wait();
  for (int i = 0; i < 10; ++i) {
    publisher.publish(pipeline::actorTopic("s1", "ambulance", "data"), "not an envelope", 1, false)
        ->wait();
  }
  publisher.disconnect()->wait();
  EXPECT_TRUE(waitUntil([&] { return delivered.load() == 10; }, std::chrono::seconds(10)))
      << delivered.load();
}

TEST(ActorSubscriberFallbackTest, Mqtt5OnlyDoesNotFallBack) {
  MosquittoBroker broker;
  Mqtt311OnlyFront old_broker(broker.port());
  actor::ActorSubscriber sub(configFor(old_broker.url(), actor::MqttProtocol::kV5),
                             [](const actor::Delivery&) {});
  const Status started = sub.start(std::chrono::seconds(10));
  EXPECT_FALSE(started.ok());
  EXPECT_NE(started.message().find("cannot connect"), std::string::npos) << started.toString();
  EXPECT_EQ(old_broker.refusedV5(), 1);
}

}  // namespace
}  // namespace gw
