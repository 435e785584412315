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

// The values an actor's messages carried, in arrival order: added on Paho's thread, read on the
// test's.
class Arrivals {
 public:
  void add(int value) {
    std::lock_guard lock(mutex_);
    values_.push_back(value);
  }
  std::vector<int> values() const {
    std::lock_guard lock(mutex_);
    return values_;
  }
  size_t distinct() const {
    auto v = values();
    return std::set<int>(v.begin(), v.end()).size();
  }
  // The values in the order each first arrived: redeliveries after an outage are allowed,
  // overtaking is not.
  std::vector<int> firstArrivals() const {
    std::vector<int> first;
    std::set<int> seen;
    for (int v : values()) {
      if (seen.insert(v).second) first.push_back(v);
    }
    return first;
  }
  // Which of 0..count-1 never arrived (the first few), for a failure message.
  std::string missing(int count) const {
    auto v = values();
    std::set<int> got(v.begin(), v.end());
    std::string list;
    for (int i = 0; i < count && list.size() < 300; ++i)
      if (!got.count(i)) list += std::to_string(i) + " ";
    return "received " + std::to_string(v.size()) + ", missing: " + list;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<int> values_;
};

// Receives and opens an actor's messages with the actor library.
class Receiver {
 public:
  Receiver(const std::string& url, const crypto::SecretKey& key,
           const crypto::IdentityPublicKey& gateway)
      : subscriber_(config(url, key, gateway), [this](const actor::Delivery& d) {
          if (d.received.verdict == actor::Verdict::kMessage) {
            arrivals.add(static_cast<int>(d.received.message.measurement().value()));
          }
        }) {}
  Status start() { return subscriber_.start(std::chrono::seconds(10)); }

  Arrivals arrivals;

 private:
  static actor::SubscriberConfig config(const std::string& url, const crypto::SecretKey& key,
                                        const crypto::IdentityPublicKey& gateway) {
    actor::SubscriberConfig c;
    c.broker_url = url;
    c.identity = {"site", key.actor, key, {gateway}};
    return c;
  }

  actor::ActorSubscriber subscriber_;
};

publisher::PublisherConfig config(const std::string& url, uint32_t window) {
  publisher::PublisherConfig c;
  c.broker_url = url;
  c.client_id = "test-gw";
  c.status_topic = "lantaarn/v1/site/_gateway/status";
  c.max_inflight = window;
  c.reconnect_min = std::chrono::milliseconds(100);  // brokers here restart in well under 1 s
  c.reconnect_max = std::chrono::milliseconds(500);
  return c;
}

// The gateway side: an io_context thread owning outbox and publisher, as in gatewayd.
class GatewaySide {
 public:
  GatewaySide(const std::string& url, uint32_t window)
      : outbox_(100000, counters_),
        publisher_(config(url, window), io_.get_executor(), outbox_, counters_) {
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

  // Seals and queues values first..first+count-1, each with `padding` bytes of snapshot image
  // (a camera event's size) when not zero.
  void publish(const crypto::PublicKey& to, int first, int count, size_t padding = 0) {
    boost::asio::post(io_, [this, to, first, count, padding] {
      if (!sealer_->hasActor(to.actor)) sealer_->setActors({{to.actor, to}});
      for (int i = first; i < first + count; ++i) {
        gateway::v1::ActorMessage m;
        m.set_site_id("site");
        m.set_actor_id(to.actor);
        m.mutable_measurement()->set_value(i);
        if (padding > 0) m.mutable_snapshot()->set_image(std::string(padding, 'x'));
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
  ASSERT_TRUE(waitUntil([&] { return receiver.arrivals.values().size() >= kCount; },
                        std::chrono::seconds(60)))
      << "received " << receiver.arrivals.values().size();
  auto values = receiver.arrivals.values();
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

// A persistent subscriber session (clean session off, stable client id) that the broker keeps,
// with its queued messages, across its own restarts; it opens what arrives.
class PersistentReceiver {
 public:
  PersistentReceiver(MosquittoBroker& broker, const crypto::SecretKey& key,
                     const crypto::IdentityPublicKey& gateway)
      : receiver_({"site", key.actor, key, {gateway}}),
        sub_(broker.url(), "restart-test-subscriber") {
    sub_.set_message_callback([this](mqtt::const_message_ptr msg) {
      // Paho calls back on one thread; receiver_ is only used from there.
      auto opened = receiver_.receive(msg->get_payload(), nowUnixMs(), msg->is_retained());
      if (opened.verdict == actor::Verdict::kMessage) {
        arrivals.add(static_cast<int>(opened.message.measurement().value()));
      }
    });
    auto opts = mqtt::connect_options_builder()
                    .clean_session(false)
                    .automatic_reconnect(std::chrono::milliseconds(100), std::chrono::seconds(1))
                    .finalize();
    sub_.connect(opts)->wait();
    sub_.subscribe(pipeline::actorTopicFilter("site", key.actor), 1)->wait();
  }
  ~PersistentReceiver() {
    try {
      sub_.disconnect()->wait();
    } catch (const mqtt::exception&) {
    }
  }

  Arrivals arrivals;

 private:
  actor::EnvelopeReceiver receiver_;
  mqtt::async_client sub_;
};

// values[at-3 .. at+11], for a failure message (gtest would print only the first 32 of all).
std::string around(const std::vector<int>& values, size_t at) {
  std::string text;
  for (size_t j = at < 3 ? 0 : at - 3; j < std::min(values.size(), at + 12); ++j)
    text += std::to_string(values[j]) + " ";
  return text;
}

TEST(PublisherBrokerTest, BrokerRestartMidStreamLosesNothing) {
  gw::testing::BrokerOptions options;
  options.persistence = true;
  MosquittoBroker broker(options);
  auto key = crypto::generateKeyPair("fire");
  GatewaySide gateway(broker.url(), 20);
  PersistentReceiver receiver(broker, key, gateway.identity());

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
  EXPECT_TRUE(
      waitUntil([&] { return receiver.arrivals.distinct() == 1000; }, std::chrono::seconds(30)))
      << receiver.arrivals.missing(1000) << "\nbroker log:\n"
      << broker.log();
  EXPECT_GE(gateway.counters_.value("broker_connects_total"), 2u);
}

// The broker going away while Paho still holds publishes it could not write yet, several times
// over: everything arrives, and in order of first arrival. Paho keeps such publishes across the
// loss and sends them first on the next connection; unless the publisher discards them (by
// starting a fresh client), they overtake the in-flight ones the outbox requeues. Freezing the
// broker with a window of 1 MB messages in flight fills the socket buffers, so Paho is surely
// holding some when the broker then stops.
TEST(PublisherBrokerTest, BrokerLostWithPublishesStillQueuedInPahoKeepsTheOrder) {
  gw::testing::BrokerOptions options;
  options.persistence = true;
  MosquittoBroker broker(options);
  auto key = crypto::generateKeyPair("police");
  GatewaySide gateway(broker.url(), 20);
  PersistentReceiver receiver(broker, key, gateway.identity());
  constexpr int kCount = 240;
  constexpr int kOutages = 3;
  constexpr size_t kMessageBytes = 1 << 20;
  gateway.start();
  gateway.publish(crypto::publicHalf(key), 0, kCount, kMessageBytes);
  for (int outage = 0; outage < kOutages; ++outage) {
    // Streaming again: freeze the broker once a few more have been acknowledged.
    const size_t left = gateway.outboxSize();
    ASSERT_TRUE(
        waitUntil([&] { return gateway.outboxSize() + 5 <= left; }, std::chrono::seconds(60)))
        << "outage " << outage << ": the stream did not resume, outbox " << left;
    // The point is a loss with a window in flight and more behind it.
    ASSERT_GE(gateway.outboxSize(), 40u) << "outage " << outage << ": the stream ran dry";
    broker.freeze();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // Paho fills the buffers
    broker.stop();
    broker.start();
  }
  ASSERT_TRUE(waitUntil([&] { return gateway.outboxSize() == 0; }, std::chrono::seconds(120)));
  ASSERT_TRUE(
      waitUntil([&] { return receiver.arrivals.distinct() == kCount; }, std::chrono::seconds(60)))
      << receiver.arrivals.missing(kCount);
  const std::vector<int> first = receiver.arrivals.firstArrivals();
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(first[i], i) << "first arrivals out of order at position " << i
                           << ", around it: " << around(first, i);
  }
  EXPECT_GE(gateway.counters_.value("broker_connects_total"), kOutages + 1u);
}

}  // namespace
}  // namespace gw
