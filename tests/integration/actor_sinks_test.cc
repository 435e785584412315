// lantaarn-actor's network sinks against real servers: the MQTT republish sink against a second,
// real Mosquitto (the actor's own broker), and the webhook's answers to HTTP statuses from a
// real HTTP server.
#include <gtest/gtest.h>
#include <mqtt/async_client.h>

#include <mutex>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "gateway/actor_service/sinks/cap_sink.h"
#include "gateway/actor_service/sinks/mqtt_republish_sink.h"
#include "gateway/actor_service/sinks/webhook_sink.h"
#include "tests/support/child_process.h"
#include "tests/support/http_receiver.h"
#include "tests/support/mosquitto_broker.h"

namespace gw::actor_service {
namespace {

using gw::testing::waitUntil;

gateway::v1::SpooledMessage reading(uint64_t sequence, double value) {
  gateway::v1::SpooledMessage m;
  m.set_gateway_key_id("029d0799e64e1f0f");
  m.set_epoch(1);
  m.set_sequence(sequence);
  m.mutable_message()->set_site_id("og12");
  m.mutable_message()->set_actor_id("municipality");
  m.mutable_message()->mutable_measurement()->set_quantity("pm10");
  m.mutable_message()->mutable_measurement()->set_value(value);
  return m;
}

TEST(MqttRepublishSinkTest, PlainJsonReachesTheActorsOwnBrokerAndWaitsOutItsOutage) {
  gw::testing::MosquittoBroker own;
  std::mutex mutex;
  std::vector<std::pair<std::string, std::string>> got;
  mqtt::async_client dashboard(own.url(), "dashboard");
  dashboard.set_message_callback([&](const mqtt::const_message_ptr& msg) {
    std::lock_guard lock(mutex);
    got.emplace_back(msg->get_topic(), msg->get_payload_str());
  });
  dashboard.connect(mqtt::connect_options_builder().clean_session(false).finalize())->wait();
  dashboard.subscribe("lantaarn-plain/#", 1)->wait();

  BrokerSettings settings;
  settings.url = own.url();
  settings.client_id = "republish-test";
  MqttRepublishSink sink(settings, "lantaarn-plain", "", std::chrono::seconds(10));
  const DeliveryOutcome first = sink.deliver(reading(7, 16.9));
  EXPECT_EQ(first.result, DeliveryOutcome::Result::kDelivered) << first.detail;
  ASSERT_TRUE(waitUntil(
      [&] {
        std::lock_guard lock(mutex);
        return got.size() == 1;
      },
      std::chrono::seconds(10)));
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(got[0].first, "lantaarn-plain/og12/measurement");
    EXPECT_NE(got[0].second.find("\"idempotency_key\":\"029d0799e64e1f0f-municipality-7\""),
              std::string::npos)
        << got[0].second;
    EXPECT_NE(got[0].second.find("\"value\":16.9"), std::string::npos) << got[0].second;
  }
  own.stop();
  EXPECT_EQ(sink.deliver(reading(8, 17.0)).result, DeliveryOutcome::Result::kRetry);
  own.start();
  ASSERT_TRUE(waitUntil(
      [&] { return sink.deliver(reading(8, 17.0)).result == DeliveryOutcome::Result::kDelivered; },
      std::chrono::seconds(20)));
}

TEST(WebhookSinkTest, ServerErrorsAreRetriedAndRefusalsAreFinal) {
  gw::testing::HttpReceiver receiver;
  auto url = parseHttpUrl(receiver.url("/in"));
  ASSERT_TRUE(url.ok());
  WebhookSink sink(*url, std::chrono::seconds(2));
  receiver.setStatus(503);
  EXPECT_EQ(sink.deliver(reading(1, 1)).result, DeliveryOutcome::Result::kRetry);
  receiver.setStatus(429);
  EXPECT_EQ(sink.deliver(reading(1, 1)).result, DeliveryOutcome::Result::kRetry);
  receiver.setStatus(400);
  const DeliveryOutcome refused = sink.deliver(reading(1, 1));
  EXPECT_EQ(refused.result, DeliveryOutcome::Result::kRefused);
  EXPECT_NE(refused.detail.find("HTTP 400"), std::string::npos) << refused.detail;
  receiver.setStatus(200);
  EXPECT_EQ(sink.deliver(reading(1, 1)).result, DeliveryOutcome::Result::kDelivered);
  ASSERT_EQ(receiver.count(), 1u);  // only the 2xx answer is recorded
  EXPECT_EQ(receiver.requests()[0].headers.at("idempotency-key"),
            "029d0799e64e1f0f-municipality-1");
  receiver.stop();  // down: refused connections are retried too
  EXPECT_EQ(sink.deliver(reading(2, 2)).result, DeliveryOutcome::Result::kRetry);
}

TEST(WebhookSinkTest, AServerThatNeverAnswersIsATimeoutAndRetried) {
  // Accepts connections (the kernel's backlog) but never reads or answers.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const auto url =
      parseHttpUrl("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/in");
  ASSERT_TRUE(url.ok());
  WebhookSink sink(*url, std::chrono::milliseconds(300));
  const DeliveryOutcome outcome = sink.deliver(reading(1, 1));
  EXPECT_EQ(outcome.result, DeliveryOutcome::Result::kRetry);
  EXPECT_NE(outcome.detail.find("timeout"), std::string::npos) << outcome.detail;
}

TEST(CapSinkTest, AlertsArePostedAsCapXmlWithTheirIdentifierAsKey) {
  gw::testing::HttpReceiver receiver;
  CapSinkOptions options;
  options.url = *parseHttpUrl(receiver.url("/cap"));
  CapSink sink(options);
  gateway::v1::SpooledMessage m = reading(9, 0);
  auto* e = m.mutable_message()->mutable_event();
  e->set_detector_id("square_falls");
  e->set_kind("fall");
  e->set_severity(gateway::v1::SEVERITY_ALARM);
  e->set_source_id("cam");
  EXPECT_EQ(sink.deliver(m).result, DeliveryOutcome::Result::kDelivered);
  ASSERT_EQ(receiver.count(), 1u);
  const auto request = receiver.requests()[0];
  EXPECT_EQ(request.target, "/cap");
  EXPECT_EQ(request.headers.at("content-type"), "application/cap+xml");
  EXPECT_EQ(request.headers.at("idempotency-key"), "lantaarn-029d0799e64e1f0f-municipality-9");
  EXPECT_NE(request.body.find("<msgType>Alert</msgType>"), std::string::npos) << request.body;
  receiver.setStatus(503);  // down: retried, and the incident is not marked as sent
  m.set_sequence(10);
  EXPECT_EQ(sink.deliver(m).result, DeliveryOutcome::Result::kRetry);
}

}  // namespace
}  // namespace gw::actor_service
