// A burst to an actor that is slower than the gateway, on Mosquitto as Debian ships it
// (max_inflight_messages 20, max_queued_messages 1000). The broker acknowledges every message
// to the publisher either way; what reaches the actor depends on the actor's connection:
// under MQTT 5 with the subscriber's Receive Maximum of 65535 the broker keeps the burst in
// flight to it, under 3.1.1 it queues what exceeds 20 and drops what exceeds 1000 (decision 1330).
//
// The payloads are not envelopes: the leg under test is broker to actor, and the subscriber
// hands every delivery to its handler (as kRejected here), which counts it. mosquitto_pub
// publishes from its own process, so the handler may block Paho's one receive thread (the actor
// "slow") without blocking the publisher.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/crypto/key_file.h"
#include "gateway/pipeline/topics.h"
#include "tests/support/child_process.h"
#include "tests/support/mosquitto_broker.h"

namespace gw {
namespace {

using gw::testing::BrokerOptions;
using gw::testing::ChildProcess;
using gw::testing::MosquittoBroker;
using gw::testing::TempDir;
using gw::testing::waitUntil;

constexpr const char* kSite = "s1";
constexpr const char* kActor = "ambulance";
constexpr int kBurst = 3000;  // 3x the broker's default queue limit

class ActorSubscriberBurstTest : public ::testing::Test {
 protected:
  ActorSubscriberBurstTest() : broker_(debianDefaults()) {}

  static BrokerOptions debianDefaults() {
    BrokerOptions options;
    options.debian_defaults = true;
    return options;
  }

  // Subscribes with `protocol`; the handler holds Paho's thread until release().
  void subscribe(actor::MqttProtocol protocol) {
    actor::SubscriberConfig config;
    config.broker_url = broker_.url();
    config.protocol = protocol;
    config.identity = {kSite,
                       kActor,
                       crypto::generateKeyPair(kActor),
                       {crypto::identityPublicHalf(crypto::generateIdentityKey(kSite))}};
    subscriber_ =
        std::make_unique<actor::ActorSubscriber>(std::move(config), [this](const actor::Delivery&) {
          std::unique_lock lock(mutex_);
          released_cv_.wait(lock, [this] { return released_; });
          ++delivered_;
        });
    const Status started = subscriber_->start(std::chrono::seconds(10));
    ASSERT_TRUE(started.ok()) << started.message();
  }

  // Publishes kBurst QoS 1 messages to the actor's topic; returns once the broker has
  // acknowledged all of them (mosquitto_pub exits 0).
  void publishBurst() {
    const std::string topic = pipeline::actorTopic(kSite, kActor, "data");
    ChildProcess pub({{"/bin/sh", "-c",
                       "seq 1 " + std::to_string(kBurst) + " | mosquitto_pub -h 127.0.0.1 -p " +
                           std::to_string(broker_.port()) + " -q 1 -t " + topic + " -l"},
                      {},
                      dir_ / "pub.out",
                      dir_ / "pub.err"});
    const auto status = pub.wait(std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value()) << "mosquitto_pub did not finish";
    ASSERT_EQ(ChildProcess::exitCode(*status), 0) << gw::testing::readWholeFile(dir_ / "pub.err");
  }

  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    released_cv_.notify_all();
  }

  // Waits until deliveries stop growing for a second (the broker has nothing more for us).
  long settledCount() {
    long last = -1;
    while (true) {
      const long now = delivered_.load();
      if (now == last || now >= kBurst) return now;
      last = now;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }

  TempDir dir_;
  MosquittoBroker broker_;
  std::unique_ptr<actor::ActorSubscriber> subscriber_;
  std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;
  std::atomic<long> delivered_{0};
};

TEST_F(ActorSubscriberBurstTest, UnderMqtt5TheWholeBurstReachesASlowActor) {
  subscribe(actor::MqttProtocol::kAuto);
  EXPECT_EQ(subscriber_->mqttVersion(), MQTTVERSION_5);
  publishBurst();
  release();
  EXPECT_TRUE(waitUntil([&] { return delivered_.load() >= kBurst; }, std::chrono::seconds(30)))
      << "delivered " << delivered_.load() << " of " << kBurst << "; broker log:\n"
      << broker_.log();
  EXPECT_EQ(settledCount(), kBurst);
  EXPECT_EQ(broker_.log().find("Outgoing messages are being dropped"), std::string::npos);
}

// The case the default guards against, so that the test above can fail: the same burst, the
// same broker, the actor on 3.1.1.
TEST_F(ActorSubscriberBurstTest, UnderMqtt311TheBrokerDropsWhatItQueuesPastItsLimit) {
  subscribe(actor::MqttProtocol::kV311);
  EXPECT_EQ(subscriber_->mqttVersion(), MQTTVERSION_3_1_1);
  publishBurst();
  release();
  const long delivered = settledCount();
  std::printf("3.1.1 actor: %ld of %d delivered\n", delivered, kBurst);
  EXPECT_LT(delivered, kBurst);
  EXPECT_LE(delivered, 20 + 1000 + 1);  // in flight + queued (+ the one being handled)
  EXPECT_NE(broker_.log().find("Outgoing messages are being dropped"), std::string::npos);
}

}  // namespace
}  // namespace gw
