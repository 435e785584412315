// The policy's broker, outbox and batch settings: defaults, every error with its place, and
// their resolution into the outbox's and publisher's options.
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/config/policy_loader.h"
#include "gateway/core/durations.h"
#include "gateway/crypto/key_file.h"
#include "tests/support/temp_dir.h"

namespace gw::config {
namespace {

std::string policy(const std::string& gateway_section, const std::string& route_extra = "") {
  return "site: {id: s}\n" + gateway_section +
         "actors:\n"
         "  - {id: fire, public_key_file: fire.pub, purposes: [rescue]}\n"
         "sources:\n"
         "  - {id: w, sensor: {format: json_reading, udp: {port: 7001}}}\n"
         "routes:\n"
         "  - {to: fire, purpose: rescue, from: {measurements: [water_level]}" +
         route_extra + "}\n";
}

class GatewaySettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("fire"), dir_.path()).ok());
    std::ofstream(dir_ / "ca.pem") << "not checked here\n";
    std::ofstream(dir_ / "secret") << "hunter2\r\n";
  }
  LoadResult load(const std::string& text) {
    std::ofstream(dir_ / "policy.yaml") << text;
    return loadPolicy(dir_ / "policy.yaml");
  }
  std::string errors(const LoadResult& r) {
    std::string out;
    for (const auto& e : r.errors) out += e.toString() + "\n";
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(GatewaySettingsTest, DefaultsAreFilledIn) {
  auto r = load(policy(""));
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& g = r.policy->policy.gateway();
  EXPECT_EQ(g.broker().mqtt_version(), "auto");
  EXPECT_EQ(g.broker().reconnect_min(), "1s");
  EXPECT_EQ(g.broker().reconnect_max(), "30s");
  EXPECT_EQ(g.outbox().fsync(), gateway::v1::FSYNC_POLICY_GROUP_COMMIT);
  const auto& box = r.policy->outbox;
  EXPECT_EQ(box.fsync, outbox::FsyncPolicy::kGroupCommit);
  EXPECT_EQ(box.max_total_bytes, 256u << 20);
  EXPECT_EQ(box.max_actor_bytes, 64u << 20);
  const auto* pub = &r.policy->publisher;
  EXPECT_EQ(pub->mqtt_version, publisher::MqttVersion::kAuto);
  EXPECT_FALSE(pub->tls.has_value());
  EXPECT_EQ(pub->reconnect_max, std::chrono::seconds(30));
  EXPECT_EQ(g.backlog_batching().mode(), "on");
  EXPECT_EQ(g.backlog_batching().linger(), "20ms");
  ASSERT_TRUE(r.policy->backlog_batching.has_value()) << "batching under a backlog is on";
  EXPECT_EQ(r.policy->backlog_batching->above, 200u);
  EXPECT_EQ(r.policy->backlog_batching->batch.max_readings, 100u);
  EXPECT_EQ(r.policy->backlog_batching->batch.linger, std::chrono::milliseconds(20));
}

TEST_F(GatewaySettingsTest, BacklogBatchingIsSetOrTurnedOff) {
  auto set = load(
      policy("gateway:\n  backlog_batching: {above: 1000, max_readings: 500, linger: 100ms}\n"));
  ASSERT_TRUE(set.ok()) << errors(set);
  ASSERT_TRUE(set.policy->backlog_batching.has_value());
  EXPECT_EQ(set.policy->backlog_batching->above, 1000u);
  EXPECT_EQ(set.policy->backlog_batching->offAt(), 500u);
  EXPECT_EQ(set.policy->backlog_batching->batch.max_readings, 500u);
  EXPECT_EQ(set.policy->backlog_batching->batch.linger, std::chrono::milliseconds(100));
  auto off = load(policy("gateway:\n  backlog_batching: {mode: off}\n"));
  ASSERT_TRUE(off.ok()) << errors(off);
  EXPECT_FALSE(off.policy->backlog_batching.has_value());
}

TEST_F(GatewaySettingsTest, EverySettingReachesTheOutboxAndThePublisher) {
  auto r =
      load(policy("gateway:\n"
                  "  broker:\n"
                  "    url: ssl://broker.example:8883\n"
                  "    username: gw\n"
                  "    password_file: secret\n"  // relative to the policy file
                  "    tls: {ca_file: ca.pem, insecure_skip_hostname_verification: true}\n"
                  "    mqtt_version: 3.1.1\n"
                  "    reconnect_min: 250ms\n"
                  "    reconnect_max: 10s\n"
                  "  outbox: {fsync: interval, fsync_interval: 50ms, max_total_size: 1GiB, "
                  "max_actor_size: 100MB}\n",
                  ", batch: {max_readings: 50, linger: 250ms}"));
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& box = r.policy->outbox;
  EXPECT_EQ(box.fsync, outbox::FsyncPolicy::kInterval);
  EXPECT_EQ(box.fsync_interval, std::chrono::milliseconds(50));
  EXPECT_EQ(box.max_total_bytes, 1ull << 30);
  EXPECT_EQ(box.max_actor_bytes, 100'000'000u);
  const auto* pub = &r.policy->publisher;
  EXPECT_EQ(pub->password, "hunter2");  // the line end is not part of it
  ASSERT_TRUE(pub->tls.has_value());
  EXPECT_EQ(pub->tls->ca_file, (dir_ / "ca.pem").string());
  EXPECT_FALSE(pub->tls->verify_hostname);
  EXPECT_EQ(pub->mqtt_version, publisher::MqttVersion::kV311);
  EXPECT_EQ(pub->reconnect_min, std::chrono::milliseconds(250));
  EXPECT_EQ(pub->reconnect_max, std::chrono::seconds(10));
  EXPECT_EQ(r.policy->policy.routes(0).batch().max_readings(), 50u);
}

TEST_F(GatewaySettingsTest, BadSettingsAreEachReportedAtTheirKey) {
  auto r =
      load(policy("gateway:\n"
                  "  broker:\n"
                  "    url: tcp://127.0.0.1:1883\n"
                  "    password_file: missing\n"
                  "    tls: {cert_file: ca.pem}\n"
                  "    mqtt_version: '4'\n"
                  "    reconnect_min: 10s\n"
                  "    reconnect_max: 1s\n"
                  "  outbox: {fsync_interval: soon, max_total_size: 1MiB, max_actor_size: 2MiB}\n"
                  "  backlog_batching: {mode: auto, above: 1, max_readings: 20000, linger: 2m}\n",
                  ", batch: {max_readings: 1, linger: 2m}, never_batch: true"));
  ASSERT_FALSE(r.ok());
  const std::string text = errors(r);
  for (const char* expected :
       {"gateway.broker.password_file: no such password file", "a password_file needs a username",
        "gateway.broker.tls: tls settings need an ssl:// broker url",
        "cert_file and key_file go together", "'4' is not an MQTT version",
        "reconnect_max must not be below reconnect_min",
        "gateway.outbox.fsync_interval: 'soon' is not a duration",
        "max_actor_size must not exceed max_total_size",
        "routes[0].batch.max_readings: max_readings must be between 2 and 10000",
        "routes[0].batch.linger: linger is at most 60s",
        "routes[0].never_batch: a route with `batch` cannot also be `never_batch`",
        "gateway.backlog_batching.mode: 'auto' is not a mode (expected on or off)",
        "gateway.backlog_batching.above: above must be at least 2",
        "gateway.backlog_batching.max_readings: max_readings must be between 2 and 10000",
        "gateway.backlog_batching.linger: linger is at most 60s"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\n" << text;
  }
  EXPECT_NE(text.find("policy.yaml:5:"), std::string::npos) << "password_file's line\n" << text;
  EXPECT_NE(text.find("policy.yaml:11:"), std::string::npos) << "backlog_batching's line\n" << text;
}

// A policy whose one source is an MQTT subscription with `mqtt_extra` in its mqtt section.
std::string mqttPolicy(const std::string& mqtt_extra) {
  return "site: {id: s}\n"
         "actors:\n"
         "  - {id: fire, public_key_file: fire.pub, purposes: [rescue]}\n"
         "sources:\n"
         "  - {id: ttn, sensor: {format: ttn_v3_uplink, mqtt: {broker_url: 'tcp://127.0.0.1:1884', "
         "topics: ['v3/a@ttn/devices/+/up']" +
         mqtt_extra +
         "}}}\n"
         "routes:\n"
         "  - {to: fire, purpose: rescue, from: {measurements: [pm10]}}\n";
}

TEST_F(GatewaySettingsTest, MqttSourceSessionDefaultsAndLimits) {
  auto r = load(mqttPolicy(""));
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& written = r.policy->policy.sources(0).sensor().mqtt();
  EXPECT_EQ(written.client_id(), "lantaarn-src-s-ttn");
  EXPECT_EQ(written.mqtt_version(), "auto");
  EXPECT_EQ(written.intake_buffer(), 100'000u);
  EXPECT_EQ(written.receive_maximum(), 100u);
  EXPECT_EQ(written.session_expiry(), "1d");
  ASSERT_EQ(r.policy->sources.size(), 1u);
  const auto& mqtt = std::get<sources::MqttSourceConfig>(r.policy->sources[0]);
  EXPECT_EQ(mqtt.protocol, sources::MqttProtocol::kAuto);
  EXPECT_EQ(mqtt.intake_buffer, 100'000u);
  EXPECT_EQ(mqtt.receive_maximum, 100);
  EXPECT_EQ(mqtt.session_expiry, std::chrono::hours(24));

  r =
      load(mqttPolicy(", mqtt_version: '3.1.1', intake_buffer: 500, receive_maximum: 20, "
                      "session_expiry: 7d"));
  ASSERT_TRUE(r.ok()) << errors(r);
  const auto& set = std::get<sources::MqttSourceConfig>(r.policy->sources[0]);
  EXPECT_EQ(set.protocol, sources::MqttProtocol::kV311);
  EXPECT_EQ(set.intake_buffer, 500u);
  EXPECT_EQ(set.receive_maximum, 20);
  EXPECT_EQ(set.session_expiry, std::chrono::hours(7 * 24));

  r = load(mqttPolicy(", mqtt_version: '4', receive_maximum: 70000, session_expiry: 0s"));
  ASSERT_FALSE(r.ok());
  const std::string text = errors(r);
  for (const char* expected :
       {"sources[0].sensor.mqtt.mqtt_version: '4' is not an MQTT version",
        "sources[0].sensor.mqtt.receive_maximum: receive_maximum is at most 65535",
        "sources[0].sensor.mqtt.session_expiry: '0s' is not a duration from 1s"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\n" << text;
  }
}

TEST(PolicyUnitsTest, SizesAndMilliseconds) {
  EXPECT_EQ(*parseByteSize("4096"), 4096u);
  EXPECT_EQ(*parseByteSize("512KiB"), 512u * 1024u);
  EXPECT_EQ(*parseByteSize("2GB"), 2'000'000'000u);
  EXPECT_FALSE(parseByteSize("0"));
  EXPECT_FALSE(parseByteSize("12 MiB"));
  EXPECT_FALSE(parseByteSize("99999999999GiB"));
  EXPECT_FALSE(parseByteSize("MiB"));
  EXPECT_DOUBLE_EQ(*parseDurationSeconds("100ms"), 0.1);
}

}  // namespace
}  // namespace gw::config
