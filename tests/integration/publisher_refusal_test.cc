// A broker that refuses one stream must not stop the others (issue 20): the publisher and the
// durable outbox against a real Mosquitto whose ACL denies one topic, and one that drops the
// connection on an oversized 3.1.1 publish. Refused messages land in the dead-letter area, are
// counted, and go out again once the operator fixed the cause and asked for them.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "gateway/outbox/dead_letter_store.h"
#include "gateway/outbox/segment_outbox.h"
#include "gateway/publisher/mqtt_publisher.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/temp_dir.h"

namespace gw {
namespace {

using gw::testing::MosquittoBroker;
using gw::testing::waitUntil;

constexpr const char* kDenied = "lantaarn/v1/site/police/measurement";
constexpr const char* kAllowed = "lantaarn/v1/site/ambulance/measurement";

// Counts what arrives per topic (the payloads are opaque here: ordering and opening are the
// publisher and actor tests' business).
class TopicCounter {
 public:
  explicit TopicCounter(const std::string& url) : client_(url, "counter") {
    client_.set_message_callback([this](mqtt::const_message_ptr m) {
      std::lock_guard lock(mutex_);
      ++counts_[m->get_topic()];
    });
    client_.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
    client_.subscribe("lantaarn/v1/site/+/measurement", 1)->wait();
  }
  ~TopicCounter() {
    try {
      client_.disconnect()->wait();
    } catch (const mqtt::exception&) {
    }
  }
  int count(const std::string& topic) {
    std::lock_guard lock(mutex_);
    return counts_[topic];
  }

 private:
  mqtt::async_client client_;
  std::mutex mutex_;
  std::map<std::string, int> counts_;
};

class GatewaySide {
 public:
  GatewaySide(const std::string& url, const std::filesystem::path& dir, publisher::MqttVersion v) {
    outbox::SegmentOutboxOptions options;
    options.dir = dir / "outbox";
    options.dead_letter_dir = dir / "outbox" / "dead-letter";
    auto opened = outbox::SegmentOutbox::open(options, counters);
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    outbox_ = std::move(opened).value();
    publisher::PublisherConfig c;
    c.broker_url = url;
    c.client_id = "test-gw";
    c.username = "gw";
    c.mqtt_version = v;
    c.reconnect_min = std::chrono::milliseconds(100);
    c.reconnect_max = std::chrono::milliseconds(400);
    c.resend_check_interval = std::chrono::milliseconds(100);
    c.refused_stream_hold_max = std::chrono::seconds(1);
    publisher_ =
        std::make_unique<publisher::MqttPublisher>(c, io_.get_executor(), *outbox_, counters);
  }
  ~GatewaySide() {
    publisher_->stop(std::chrono::seconds(1));
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void start() {
    ASSERT_TRUE(publisher_->start().ok());
    thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  void append(const std::string& actor, const std::string& topic, int count, size_t bytes = 64) {
    boost::asio::post(io_, [=, this] {
      for (int i = 0; i < count; ++i) {
        ASSERT_TRUE(
            outbox_
                ->append({actor, topic, std::string(bytes, 'x'), pipeline::Priority::kMeasurement})
                .ok());
      }
      publisher_->pump();
    });
  }
  template <typename T>
  T onExecutor(std::function<T()> f) {
    std::promise<T> result;
    boost::asio::post(io_, [&] { result.set_value(f()); });
    return result.get_future().get();
  }
  size_t outboxSize() {
    return onExecutor<size_t>([this] { return outbox_->size(); });
  }
  size_t deadLetters() {
    return onExecutor<size_t>([this] { return outbox_->deadLetters(); });
  }

  Counters counters;

 private:
  boost::asio::io_context io_;
  std::unique_ptr<outbox::SegmentOutbox> outbox_;
  std::unique_ptr<publisher::MqttPublisher> publisher_;
  std::thread thread_;
};

TEST(PublisherRefusalTest, TopicTheAclDeniesIsDeadLetteredAndTheOtherStreamsFlow) {
  gw::testing::TempDir dir;
  const auto acl = dir.path() / "acl";
  {
    // Lines before the first `user` are for anonymous clients: the counter reads everything.
    std::ofstream(acl) << "topic read #\nuser gw\ntopic write " << kAllowed << "\n";
  }
  gw::testing::BrokerOptions options;
  // The helper's broker has `max_queued_messages 0`, as docs/DEPLOY.md advises; Mosquitto 2.0.11
  // then also drops the connection after each refused publish, which the publisher must survive.
  options.extra_config = {"acl_file " + acl.string()};
  MosquittoBroker broker(options);
  TopicCounter counter(broker.url());
  GatewaySide gateway(broker.url(), dir.path(), publisher::MqttVersion::kV5);
  // The refused stream first: before issue 20 its messages were retried ahead of everything
  // else for good and the ambulance got nothing.
  gateway.append("police", kDenied, 300);
  gateway.append("ambulance", kAllowed, 300);
  gateway.start();

  ASSERT_TRUE(waitUntil([&] { return counter.count(kAllowed) >= 300; }, std::chrono::seconds(30)))
      << "ambulance received " << counter.count(kAllowed) << "\n"
      << broker.log();
  ASSERT_TRUE(waitUntil([&] { return gateway.outboxSize() == 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(counter.count(kDenied), 0);
  EXPECT_EQ(gateway.deadLetters(), 300u);
  EXPECT_EQ(gateway.counters.value(counterKey("outbox_dead_lettered_total",
                                              {{"actor", "police"}, {"reason", "not_authorized"}})),
            300u);
  // One refusal dead-letters the whole waiting stream: a refused publish each would cost a
  // connection apiece on this broker.
  const uint64_t refusals = gateway.counters.value(
      counterKey("publish_refused_total", {{"actor", "police"}, {"reason", "not_authorized"}}));
  EXPECT_GE(refusals, 1u);
  EXPECT_LE(refusals, 20u) << "at most the first window's worth";
  auto letters = outbox::DeadLetterStore::list(dir.path() / "outbox" / "dead-letter");
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 300u);
  EXPECT_EQ(letters->front().reason, "not_authorized");
  EXPECT_EQ(letters->front().message.topic, kDenied);
  EXPECT_EQ(letters->front().message.actor_id, "police");

  // The operator fixes the ACL and asks for the police's messages again: they arrive.
  { std::ofstream(acl) << "topic read #\nuser gw\ntopic write lantaarn/v1/site/#\n"; }
  broker.reload();
  auto queued = outbox::DeadLetterStore::queueResend(
      dir.path() / "outbox" / "dead-letter",
      [](const outbox::DeadLetter& l) { return l.message.actor_id == "police"; });
  ASSERT_TRUE(queued.ok()) << queued.status().message();
  EXPECT_EQ(*queued, 300u);
  EXPECT_TRUE(waitUntil([&] { return counter.count(kDenied) >= 300; }, std::chrono::seconds(30)))
      << "police received " << counter.count(kDenied) << "\n"
      << broker.log();
  EXPECT_TRUE(waitUntil([&] { return gateway.deadLetters() == 0; }, std::chrono::seconds(5)));
  EXPECT_EQ(gateway.counters.value("outbox_resent_total"), 300u);
}

TEST(PublisherRefusalTest, BrokerThatDropsTheConnectionOnOnePublishGetsItDeadLettered) {
  // Mosquitto disconnects a 3.1.1 client that sends a packet above max_packet_size, with no
  // reason code: the same message oldest in flight at every loss is the tell.
  gw::testing::TempDir dir;
  gw::testing::BrokerOptions options;
  options.extra_config = {"max_packet_size 2000"};
  MosquittoBroker broker(options);
  TopicCounter counter(broker.url());
  GatewaySide gateway(broker.url(), dir.path(), publisher::MqttVersion::kV311);
  gateway.append("police", kDenied, 1, 4000);
  gateway.append("ambulance", kAllowed, 200);
  gateway.start();
  ASSERT_TRUE(waitUntil([&] { return counter.count(kAllowed) >= 200; }, std::chrono::seconds(30)))
      << "ambulance received " << counter.count(kAllowed) << "\n"
      << broker.log();
  EXPECT_EQ(gateway.deadLetters(), 1u);
  EXPECT_EQ(
      gateway.counters.value(counterKey("outbox_dead_lettered_total",
                                        {{"actor", "police"}, {"reason", "broker_disconnects"}})),
      1u);
  EXPECT_GE(gateway.counters.value("broker_disconnects_total"),
            static_cast<uint64_t>(publisher::kDisconnectStrikes));
}

}  // namespace
}  // namespace gw
