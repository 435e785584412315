// The publisher's connection features against a real Mosquitto: TLS with a CA, a client
// certificate and hostname verification (certificates made with openssl at test time), a
// password from a file against a mosquitto_passwd file, MQTT 5 with its properties and the
// window clamped to the broker's Receive Maximum, and 3.1.1 when asked for.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "gateway/core/clock.h"
#include "gateway/core/files.h"
#include "gateway/outbox/memory_outbox.h"
#include "gateway/pipeline/topics.h"
#include "gateway/publisher/mqtt_publisher.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/mqtt311_only_front.h"
#include "tests/support/test_pki.h"

namespace gw {
namespace {

using gw::testing::BrokerOptions;
using gw::testing::MosquittoBroker;
using gw::testing::Mqtt311OnlyFront;
using gw::testing::TempDir;
using gw::testing::TestPki;
using gw::testing::waitUntil;
using publisher::MqttVersion;
using publisher::PublisherConfig;

const std::string kTopic = "lantaarn/v1/site/fire/event";

// The gateway side: an io_context thread owning outbox and publisher, as in gatewayd.
class Gateway {
 public:
  explicit Gateway(PublisherConfig config)
      : outbox_(100000, counters_), publisher_(config, io_.get_executor(), outbox_, counters_) {
    EXPECT_TRUE(publisher_.start().ok());
    thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  ~Gateway() {
    publisher_.stop(std::chrono::seconds(1));
    io_.stop();
    thread_.join();
  }

  // Appends `count` messages "first".."first+count-1" on the pipeline thread.
  void publish(int first, int count, int64_t expires_unix_ms = 0) {
    boost::asio::post(io_, [this, first, count, expires_unix_ms] {
      for (int i = first; i < first + count; ++i) {
        pipeline::OutboundMessage m{"fire", kTopic, std::to_string(i), pipeline::Priority::kEvent};
        m.expires_unix_ms = expires_unix_ms;
        EXPECT_TRUE(outbox_.append(std::move(m)).ok());
      }
      publisher_.pump();
    });
  }
  size_t outboxSize() {
    std::promise<size_t> size;
    boost::asio::post(io_, [&] { size.set_value(outbox_.size()); });
    return size.get_future().get();
  }
  uint64_t counter(const std::string& key) const { return counters_.value(key); }
  const publisher::MqttPublisher& publisher() const { return publisher_; }

 private:
  Counters counters_;
  boost::asio::io_context io_;
  outbox::MemoryOutbox outbox_;
  publisher::MqttPublisher publisher_;
  std::thread thread_;
};

// An MQTT 5 subscriber that records every message with its properties.
class Observer {
 public:
  explicit Observer(const std::string& url, std::optional<mqtt::ssl_options> ssl = std::nullopt)
      : client_(url, "observer", mqtt::create_options(MQTTVERSION_5)) {
    client_.set_message_callback([this](mqtt::const_message_ptr m) {
      std::lock_guard lock(mutex_);
      messages_.push_back(m);
    });
    auto builder = mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).clean_start(true);
    if (ssl) builder.ssl(*ssl);
    client_.connect(builder.finalize())->wait();
    client_.subscribe("lantaarn/#", 1)->wait();
  }
  ~Observer() {
    try {
      client_.disconnect()->wait();
    } catch (const mqtt::exception&) {
    }
  }
  std::vector<mqtt::const_message_ptr> on(const std::string& topic) {
    std::lock_guard lock(mutex_);
    std::vector<mqtt::const_message_ptr> out;
    for (const auto& m : messages_) {
      if (m->get_topic() == topic) out.push_back(m);
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<mqtt::const_message_ptr> messages_;
  mqtt::async_client client_;
};

PublisherConfig configFor(const std::string& url, uint32_t window = 20) {
  PublisherConfig c;
  c.broker_url = url;
  c.client_id = "test-gw";
  c.status_topic = "lantaarn/v1/site/_gateway/status";
  c.max_inflight = window;
  c.reconnect_min = std::chrono::milliseconds(100);
  c.reconnect_max = std::chrono::milliseconds(500);
  return c;
}

std::vector<std::string> payloads(const std::vector<mqtt::const_message_ptr>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m->get_payload_str());
  return out;
}

std::vector<std::string> numbers(int first, int count) {
  std::vector<std::string> out;
  for (int i = first; i < first + count; ++i) out.push_back(std::to_string(i));
  return out;
}

// ---- TLS ----

class PublisherTlsTest : public ::testing::Test {
 protected:
  PublisherTlsTest() : pki_(dir_ / "pki") {}

  std::unique_ptr<MosquittoBroker> broker(const std::string& server_names) {
    const auto server = pki_.issue("server", server_names);
    BrokerOptions options;
    options.tls = gw::testing::BrokerTls{pki_.caCert(), server.cert, server.key, true};
    return std::make_unique<MosquittoBroker>(options);
  }
  mqtt::ssl_options observerSsl() {
    const auto client = pki_.issue("observer", "DNS:observer");
    return mqtt::ssl_options_builder()
        .trust_store(pki_.caCert().string())
        .key_store(client.cert.string())
        .private_key(client.key.string())
        .verify(false)
        .finalize();
  }
  publisher::TlsConfig gatewayTls(bool with_client_cert = true) {
    const auto client = pki_.issue("gateway", "DNS:gateway");
    publisher::TlsConfig tls;
    tls.ca_file = pki_.caCert().string();
    if (with_client_cert) {
      tls.cert_file = client.cert.string();
      tls.key_file = client.key.string();
    }
    return tls;
  }

  TempDir dir_;
  TestPki pki_;
};

TEST_F(PublisherTlsTest, DeliversOverTlsWithAClientCertificateAndAVerifiedHostname) {
  auto tls_broker = broker("DNS:localhost,IP:127.0.0.1");
  Observer observer(tls_broker->url(), observerSsl());
  auto config = configFor(tls_broker->url());
  config.tls = gatewayTls();
  Gateway gateway(config);
  gateway.publish(0, 50);
  ASSERT_TRUE(waitUntil([&] { return observer.on(kTopic).size() >= 50; }, std::chrono::seconds(20)))
      << tls_broker->log();
  EXPECT_EQ(payloads(observer.on(kTopic)), numbers(0, 50));
  EXPECT_TRUE(waitUntil([&] { return gateway.outboxSize() == 0; }, std::chrono::seconds(10)));
}

TEST_F(PublisherTlsTest, RefusesABrokerWhoseCertificateNamesAnotherHost) {
  // Signed by the trusted CA, but for another name than the 127.0.0.1 the URL names.
  auto tls_broker = broker("DNS:other.example");
  auto config = configFor(tls_broker->url());
  config.tls = gatewayTls();
  {
    Gateway gateway(config);
    gateway.publish(0, 5);
    ASSERT_TRUE(waitUntil([&] { return gateway.counter("broker_connect_failures_total") >= 2; },
                          std::chrono::seconds(20)));
    EXPECT_FALSE(gateway.publisher().connected());
    EXPECT_EQ(gateway.outboxSize(), 5u);
  }
  // The same broker and certificates, hostname verification off: it connects, so the name was
  // the only reason for the refusal.
  config.tls->verify_hostname = false;
  Gateway gateway(config);
  EXPECT_TRUE(waitUntil([&] { return gateway.publisher().connected(); }, std::chrono::seconds(20)));
}

TEST_F(PublisherTlsTest, WithoutAClientCertificateTheBrokerRefusesTheGateway) {
  auto tls_broker = broker("IP:127.0.0.1");
  auto config = configFor(tls_broker->url());
  config.tls = gatewayTls(/*with_client_cert=*/false);
  Gateway gateway(config);
  ASSERT_TRUE(waitUntil([&] { return gateway.counter("broker_connect_failures_total") >= 2; },
                        std::chrono::seconds(20)));
  EXPECT_FALSE(gateway.publisher().connected());
}

// ---- username and password ----

TEST(PublisherPasswordTest, ThePasswordFromThePolicysFileOpensTheBrokerAndAWrongOneDoesNot) {
  BrokerOptions options;
  options.users = {{"gateway", "s3cret-passw0rd"}, {"observer", "obs"}};
  MosquittoBroker broker(options);
  TempDir dir;
  std::ofstream(dir / "password") << "s3cret-passw0rd\n";  // with the line end an editor adds
  std::ofstream(dir / "wrong") << "guess\n";

  // As config/ resolves a policy's broker section (gateway_settings_test checks that part).
  publisher::PublisherConfig base;
  base.broker_url = broker.url();
  base.client_id = "test-gw";
  base.username = "gateway";
  base.status_topic = "lantaarn/v1/site/_gateway/status";
  base.reconnect_min = std::chrono::milliseconds(100);
  base.reconnect_max = std::chrono::milliseconds(500);
  base.max_inflight = 20;

  {
    auto config = base;
    auto wrong = readSecretFile(dir / "wrong");
    ASSERT_TRUE(wrong.ok()) << wrong.status().toString();
    config.password = *wrong;
    Gateway gateway(config);
    ASSERT_TRUE(waitUntil([&] { return gateway.counter("broker_connect_failures_total") >= 2; },
                          std::chrono::seconds(20)));
    EXPECT_FALSE(gateway.publisher().connected());
  }

  auto password = readSecretFile(dir / "password");
  ASSERT_TRUE(password.ok()) << password.status().toString();
  EXPECT_EQ(*password, "s3cret-passw0rd");
  auto config = base;
  config.password = *password;
  mqtt::async_client observer_client(broker.url(), "observer");
  Gateway gateway(config);
  gateway.publish(0, 10);
  EXPECT_TRUE(waitUntil([&] { return gateway.outboxSize() == 0; }, std::chrono::seconds(20)));
  EXPECT_TRUE(gateway.publisher().connected());
}

// ---- MQTT 5 and 3.1.1 ----

TEST(PublisherMqttVersionTest, Mqtt5ClampsTheWindowToTheBrokersReceiveMaximum) {
  BrokerOptions options;
  options.extra_config = {"max_inflight_messages 7"};  // the broker's Receive Maximum
  MosquittoBroker broker(options);
  Observer observer(broker.url());
  Gateway gateway(configFor(broker.url(), /*window=*/100));
  ASSERT_TRUE(waitUntil([&] { return gateway.publisher().connected(); }, std::chrono::seconds(10)));
  EXPECT_EQ(gateway.publisher().protocolVersion(), MQTTVERSION_5);
  EXPECT_EQ(gateway.publisher().window(), 7u);
  gateway.publish(0, 1000);
  ASSERT_TRUE(
      waitUntil([&] { return observer.on(kTopic).size() >= 1000; }, std::chrono::seconds(30)));
  EXPECT_EQ(payloads(observer.on(kTopic)), numbers(0, 1000));
}

// Decision 1010: per data message only the expiry (when the route has a ttl); what the data
// messages are goes once, in the retained birth message.
TEST(PublisherMqttVersionTest, Mqtt5DataMessagesCarryOnlyExpiryAndTheBirthMessageTheFormat) {
  MosquittoBroker broker;
  Observer observer(broker.url());
  const auto config = configFor(broker.url());
  Gateway gateway(config);
  ASSERT_TRUE(waitUntil([&] { return gateway.publisher().connected(); }, std::chrono::seconds(10)));
  const int64_t ttl_ms = 15 * 60 * 1000;
  gateway.publish(0, 1, nowUnixMs() + ttl_ms);
  gateway.publish(1, 1);  // no ttl: no expiry
  ASSERT_TRUE(waitUntil([&] { return observer.on(kTopic).size() >= 2; }, std::chrono::seconds(10)));
  const auto messages = observer.on(kTopic);
  const auto& with_ttl = messages[0]->get_properties();
  ASSERT_TRUE(with_ttl.contains(mqtt::property::MESSAGE_EXPIRY_INTERVAL));
  const auto expiry = mqtt::get<uint32_t>(with_ttl, mqtt::property::MESSAGE_EXPIRY_INTERVAL);
  EXPECT_LE(expiry, 15u * 60u);
  EXPECT_GE(expiry, 15u * 60u - 10u);
  EXPECT_EQ(with_ttl.size(), 1u) << "a data message carries the expiry and nothing else";
  EXPECT_TRUE(messages[1]->get_properties().empty());

  // The birth message, also as a late subscriber sees it (retained).
  Observer late(broker.url());
  ASSERT_TRUE(
      waitUntil([&] { return !late.on(config.status_topic).empty(); }, std::chrono::seconds(10)));
  ASSERT_EQ(observer.on(config.status_topic).size(), 1u);
  for (const auto& birth : {observer.on(config.status_topic)[0], late.on(config.status_topic)[0]}) {
    EXPECT_EQ(birth->get_payload_str(), "online");
    const auto& p = birth->get_properties();
    ASSERT_TRUE(p.contains(mqtt::property::CONTENT_TYPE));
    EXPECT_EQ(mqtt::get<std::string>(p, mqtt::property::CONTENT_TYPE), "text/plain");
    std::map<std::string, std::string> user;
    for (size_t i = 0; i < p.count(mqtt::property::USER_PROPERTY); ++i) {
      const auto pair = mqtt::get<mqtt::string_pair>(p, mqtt::property::USER_PROPERTY, i);
      user[std::get<0>(pair)] = std::get<1>(pair);
    }
    EXPECT_EQ(user, (std::map<std::string, std::string>{
                        {"data_content_type", "application/x-protobuf; proto=gateway.v1.Envelope"},
                        {"schema_version", "lantaarn/v1 envelope/2"}}));
  }
}

TEST(PublisherMqttVersionTest, AMessageWhoseTtlPassedInTheOutboxIsCountedNotSent) {
  MosquittoBroker broker;
  Observer observer(broker.url());
  Gateway gateway(configFor(broker.url()));
  ASSERT_TRUE(waitUntil([&] { return gateway.publisher().connected(); }, std::chrono::seconds(10)));
  gateway.publish(0, 3, nowUnixMs() - 1000);  // expired while waiting (an outage)
  gateway.publish(3, 1);
  ASSERT_TRUE(waitUntil([&] { return observer.on(kTopic).size() >= 1; }, std::chrono::seconds(10)));
  EXPECT_TRUE(waitUntil([&] { return gateway.outboxSize() == 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(payloads(observer.on(kTopic)), numbers(3, 1));
  EXPECT_EQ(gateway.counter(counterKey("messages_expired_total", {{"actor", "fire"}})), 3u);
}

TEST(PublisherMqttVersionTest, Mqtt311WhenConfiguredKeepsTheWindowAndSendsNoProperties) {
  BrokerOptions options;
  options.extra_config = {"max_inflight_messages 7"};
  MosquittoBroker broker(options);
  Observer observer(broker.url());
  auto config = configFor(broker.url(), 50);
  config.mqtt_version = MqttVersion::kV311;
  Gateway gateway(config);
  ASSERT_TRUE(waitUntil([&] { return gateway.publisher().connected(); }, std::chrono::seconds(10)));
  EXPECT_EQ(gateway.publisher().protocolVersion(), MQTTVERSION_3_1_1);
  EXPECT_EQ(gateway.publisher().window(), 50u);  // 3.1.1 has no Receive Maximum
  gateway.publish(0, 200, nowUnixMs() + 60000);
  ASSERT_TRUE(
      waitUntil([&] { return observer.on(kTopic).size() >= 200; }, std::chrono::seconds(20)));
  const auto messages = observer.on(kTopic);
  EXPECT_EQ(payloads(messages), numbers(0, 200));
  EXPECT_TRUE(messages[0]->get_properties().empty());
  ASSERT_FALSE(observer.on(config.status_topic).empty());
  EXPECT_TRUE(observer.on(config.status_topic)[0]->get_properties().empty());
}

TEST(PublisherMqttVersionTest, AutoFallsBackTo311WhenTheBrokerRefusesMqtt5) {
  MosquittoBroker broker;
  Mqtt311OnlyFront old_broker(broker.port());
  Observer observer(broker.url());
  Gateway gateway(configFor(old_broker.url()));
  ASSERT_TRUE(waitUntil([&] { return gateway.publisher().connected(); }, std::chrono::seconds(20)));
  EXPECT_EQ(gateway.publisher().protocolVersion(), MQTTVERSION_3_1_1);
  EXPECT_EQ(old_broker.refusedV5(), 1);
  EXPECT_EQ(gateway.counter("broker_mqtt_version_fallbacks_total"), 1u);
  gateway.publish(0, 100);
  ASSERT_TRUE(
      waitUntil([&] { return observer.on(kTopic).size() >= 100; }, std::chrono::seconds(20)));
  EXPECT_EQ(payloads(observer.on(kTopic)), numbers(0, 100));
}

TEST(PublisherMqttVersionTest, Mqtt5OnlyDoesNotFallBack) {
  MosquittoBroker broker;
  Mqtt311OnlyFront old_broker(broker.port());
  auto config = configFor(old_broker.url());
  config.mqtt_version = MqttVersion::kV5;
  Gateway gateway(config);
  ASSERT_TRUE(waitUntil([&] { return old_broker.refusedV5() >= 2; }, std::chrono::seconds(20)));
  EXPECT_FALSE(gateway.publisher().connected());
  EXPECT_EQ(gateway.counter("broker_mqtt_version_fallbacks_total"), 0u);
}

TEST(PublisherMqttVersionTest, TheRetainedBirthMessageSaysOnlineAtConnect) {
  MosquittoBroker broker;
  {
    Gateway gateway(configFor(broker.url()));
    ASSERT_TRUE(
        waitUntil([&] { return gateway.publisher().connected(); }, std::chrono::seconds(10)));
    // A subscriber that joins after the connect still gets it: it is retained.
    Observer late(broker.url());
    ASSERT_TRUE(waitUntil([&] { return !late.on("lantaarn/v1/site/_gateway/status").empty(); },
                          std::chrono::seconds(10)));
    const auto status = late.on("lantaarn/v1/site/_gateway/status");
    EXPECT_EQ(status.back()->get_payload_str(), "online");
    EXPECT_TRUE(status.back()->is_retained());
  }
  // A clean stop says offline itself (the Last Will on a crash: tests/e2e).
  Observer after(broker.url());
  ASSERT_TRUE(waitUntil([&] { return !after.on("lantaarn/v1/site/_gateway/status").empty(); },
                        std::chrono::seconds(10)));
  EXPECT_EQ(after.on("lantaarn/v1/site/_gateway/status").back()->get_payload_str(), "offline");
}

}  // namespace
}  // namespace gw
