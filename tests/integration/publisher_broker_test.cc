// The publisher, the in-memory outbox and the actor library against a real Mosquitto.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/core/clock.h"
#include "gateway/crypto/gateway_sealer.h"
#include "gateway/outbox/memory_outbox.h"
#include "gateway/pipeline/topics.h"
#include "gateway/publisher/mqtt_publisher.h"
#include "tests/support/mosquitto_broker.h"

namespace gw {
namespace {

using gw::testing::MosquittoBroker;
using gw::testing::waitUntil;

// Receives and opens an actor's messages, recording the value each carried, in arrival order.
class Receiver {
 public:
  Receiver(const std::string& url, const crypto::SecretKey& key,
           const crypto::IdentityPublicKey& gateway)
      : subscriber_(
            {url, "", "", {"site", key.actor, key, {gateway}}, {}},
            [this](const actor::Delivery& d) {
              std::lock_guard lock(mutex_);
              if (d.received.verdict == actor::Verdict::kMessage) {
                values_.push_back(static_cast<int>(d.received.message.measurement().value()));
              } else if (d.received.verdict == actor::Verdict::kRejected) {
                ++rejected_;
              }
            }) {}
  Status start() { return subscriber_.start(std::chrono::seconds(10)); }
  std::vector<int> values() {
    std::lock_guard lock(mutex_);
    return values_;
  }
  size_t distinct() {
    auto v = values();
    return std::set<int>(v.begin(), v.end()).size();
  }

 private:
  std::mutex mutex_;
  std::vector<int> values_;
  int rejected_ = 0;
  actor::ActorSubscriber subscriber_;
};

// The gateway side: an io_context thread owning outbox and publisher, as in gatewayd.
class GatewaySide {
 public:
  GatewaySide(const std::string& url, uint32_t window)
      : outbox_(100000, counters_),
        publisher_({url, "test-gw", "", "lantaarn/v1/site/_gateway/status", window},
                   io_.get_executor(), outbox_, counters_) {
    auto sealer = crypto::GatewaySealer::open(crypto::generateIdentityKey("site"), "site", {});
    EXPECT_TRUE(sealer.ok());
    sealer_ = std::move(sealer).value();
  }
  crypto::IdentityPublicKey identity() const {
    return crypto::identityPublicHalf(sealer_->identity());
  }
  ~GatewaySide() {
    publisher_.stop(std::chrono::seconds(1));
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  void start() {
    ASSERT_TRUE(publisher_.start().ok());
    thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }

  void publish(const crypto::PublicKey& to, int first, int count) {
    boost::asio::post(io_, [this, to, first, count] {
      if (!sealer_->hasActor(to.actor)) sealer_->setActors({{to.actor, to}});
      for (int i = first; i < first + count; ++i) {
        gateway::v1::ActorMessage m;
        m.set_site_id("site");
        m.set_actor_id(to.actor);
        m.mutable_measurement()->set_value(i);
        std::vector<crypto::SealedEnvelope> sealed;
        ASSERT_TRUE(sealer_->seal(to.actor, m, nowUnixMs(), &sealed).ok());
        for (auto& envelope : sealed) {
          ASSERT_TRUE(outbox_
                          .append({to.actor, pipeline::actorTopic("site", to.actor, "measurement"),
                                   std::move(envelope.payload), pipeline::Priority::kMeasurement})
                          .ok());
        }
      }
      publisher_.pump();
    });
  }

  size_t outboxSize() {
    std::promise<size_t> size;
    boost::asio::post(io_, [&] { size.set_value(outbox_.size()); });
    return size.get_future().get();
  }

  Counters counters_;

 private:
  boost::asio::io_context io_;
  outbox::MemoryOutbox outbox_;
  publisher::MqttPublisher publisher_;
  std::unique_ptr<crypto::GatewaySealer> sealer_;
  std::thread thread_;
};

TEST(PublisherBrokerTest, DeliversFarMoreThanPahosBufferInOrderWithoutRejections) {
  MosquittoBroker broker;
  auto key = crypto::generateKeyPair("municipality");
  GatewaySide gateway(broker.url(), 20);
  Receiver receiver(broker.url(), key, gateway.identity());
  ASSERT_TRUE(receiver.start().ok());
  gateway.start();
  constexpr int kCount = 2000;  // 20x Paho's default max_buffered_messages
  gateway.publish(crypto::publicHalf(key), 0, kCount);
  ASSERT_TRUE(
      waitUntil([&] { return receiver.values().size() >= kCount; }, std::chrono::seconds(60)))
      << "received " << receiver.values().size();
  auto values = receiver.values();
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(values[i], i);
  EXPECT_TRUE(waitUntil([&] { return gateway.outboxSize() == 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(gateway.counters_.value(counterKey("publish_rejected_total", {{"code", "-12"}})), 0u);
}

TEST(PublisherBrokerTest, ConnectsOnceTheBrokerComesUpLater) {
  const int port = gw::testing::freeLoopbackPort();
  const std::string url = "tcp://127.0.0.1:" + std::to_string(port);
  auto key = crypto::generateKeyPair("ambulance");
  GatewaySide gateway(url, 20);
  gateway.start();
  gateway.publish(crypto::publicHalf(key), 0, 50);              // accepted while no broker exists
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let a first connect attempt fail
  gw::testing::BrokerOptions options;
  options.port = port;
  MosquittoBroker broker(options);
  Receiver receiver(broker.url(), key, gateway.identity());
  ASSERT_TRUE(receiver.start().ok());
  ASSERT_TRUE(waitUntil([&] { return gateway.outboxSize() == 0; }, std::chrono::seconds(30)));
  // The subscriber may have joined after some were delivered; nothing may be left undelivered.
  EXPECT_GT(gateway.counters_.value("broker_connects_total"), 0u);
}

TEST(PublisherBrokerTest, BrokerRestartMidStreamLosesNothing) {
  gw::testing::BrokerOptions options;
  options.persistence = true;
  MosquittoBroker broker(options);
  auto key = crypto::generateKeyPair("fire");
  GatewaySide gateway(broker.url(), 20);
  actor::EnvelopeReceiver receiver({"site", "fire", key, {gateway.identity()}});
  // A persistent subscriber session (clean session off, stable client id) that the broker keeps,
  // with its queued messages, across its own restart.
  std::vector<int> values;
  std::mutex mutex;
  mqtt::async_client sub(broker.url(), "restart-test-subscriber");
  sub.set_message_callback([&](mqtt::const_message_ptr msg) {
    std::lock_guard lock(mutex);
    auto opened = receiver.receive(msg->get_payload(), nowUnixMs(), msg->is_retained());
    if (opened.verdict == actor::Verdict::kMessage) {
      values.push_back(static_cast<int>(opened.message.measurement().value()));
    }
  });
  auto opts = mqtt::connect_options_builder()
                  .clean_session(false)
                  .automatic_reconnect(std::chrono::milliseconds(200), std::chrono::seconds(2))
                  .finalize();
  sub.connect(opts)->wait();
  sub.subscribe(pipeline::actorTopicFilter("site", "fire"), 1)->wait();

  gateway.start();
  gateway.publish(crypto::publicHalf(key), 0, 500);
  ASSERT_TRUE(waitUntil([&] { return gateway.outboxSize() == 0; }, std::chrono::seconds(30)));
  broker.stop();
  gateway.publish(crypto::publicHalf(key), 500, 500);  // accepted while the broker is down
  ASSERT_FALSE(
      waitUntil([&] { return gateway.outboxSize() < 500; }, std::chrono::milliseconds(500)))
      << "messages left the outbox with no broker to acknowledge them";
  broker.start();
  ASSERT_TRUE(waitUntil([&] { return gateway.outboxSize() == 0; }, std::chrono::seconds(30)));
  auto all_arrived = [&] {
    std::lock_guard l(mutex);
    return std::set<int>(values.begin(), values.end()).size() == 1000;
  };
  EXPECT_TRUE(waitUntil(all_arrived, std::chrono::seconds(30))) << [&] {
    std::lock_guard l(mutex);
    std::set<int> got(values.begin(), values.end());
    std::string missing;
    for (int i = 0; i < 1000; ++i)
      if (!got.count(i)) missing += std::to_string(i) + " ";
    return "received " + std::to_string(values.size()) + ", missing: " + missing.substr(0, 300) +
           "\nbroker log:\n" + broker.log();
  }();
  EXPECT_GE(gateway.counters_.value("broker_connects_total"), 2u);
  try {
    sub.disconnect()->wait();
  } catch (const mqtt::exception&) {
  }
}

}  // namespace
}  // namespace gw
