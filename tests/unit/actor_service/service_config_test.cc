// lantaarn-actor's configuration: a complete file resolves to typed settings with the defaults;
// every mistake is reported at file:line with the key, all in one run.
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/actor_service/service_config.h"
#include "tests/support/temp_dir.h"

namespace gw::actor_service {
namespace {

class ServiceConfigTest : public ::testing::Test {
 protected:
  LoadedServiceConfig load(const std::string& yaml) {
    const auto path = dir_.path() / "actor.yaml";
    std::ofstream(path) << yaml;
    return loadServiceConfig(path);
  }
  std::string errors(const LoadedServiceConfig& loaded) {
    return config::formatErrors(loaded.errors);
  }
  testing::TempDir dir_;
};

constexpr const char* kGood = R"(actor: ambulance
key_file: keys/ambulance.key
gateway_keys: [keys/gateways]
broker:
  url: ssl://broker.example:8883
  client_id: ambulance-control-room
  username: ambulance
  password_file: broker.password
  tls: {ca_file: ca.crt}
state_dir: /var/lib/lantaarn-actor
sinks:
  - name: dispatch
    filter: {kinds: [event], severities: [alarm, warning]}
    webhook: {url: "http://127.0.0.1:8080/lantaarn", timeout: 5s}
  - name: alerts
    filter: {kinds: [event]}
    cap: {directory: cap-out}
  - name: archive
    json_lines: {path: "-"}
)";

TEST_F(ServiceConfigTest, ACompleteFileResolvesWithDefaultsAndPathsBesideIt) {
  auto loaded = load(kGood);
  ASSERT_TRUE(loaded.config) << errors(loaded);
  const ServiceConfig& c = *loaded.config;
  EXPECT_EQ(c.actor, "ambulance");
  EXPECT_EQ(c.site, "+");
  EXPECT_EQ(c.key_file, (dir_.path() / "keys/ambulance.key").string());
  EXPECT_EQ(c.broker.password_file, (dir_.path() / "broker.password").string());
  ASSERT_TRUE(c.broker.tls);
  EXPECT_EQ(c.broker.tls->ca_file, (dir_.path() / "ca.crt").string());
  EXPECT_TRUE(c.broker.tls->verify_hostname);
  EXPECT_EQ(c.broker.silence_after, std::chrono::seconds(60));
  EXPECT_EQ(c.broker.protocol, actor::MqttProtocol::kAuto);
  EXPECT_EQ(c.broker.receive_maximum, 65535);
  EXPECT_EQ(c.listen_port, 9274);
  ASSERT_EQ(c.sinks.size(), 3u);
  EXPECT_EQ(c.sinks[0].type, SinkType::kWebhook);
  EXPECT_EQ(c.sinks[0].timeout, std::chrono::seconds(5));
  EXPECT_EQ(c.sinks[0].retry_min, std::chrono::seconds(1));
  EXPECT_EQ(c.sinks[1].type, SinkType::kCap);
  EXPECT_EQ(c.sinks[1].directory, (dir_.path() / "cap-out").string());
  EXPECT_EQ(c.sinks[2].path, "-");
}

TEST_F(ServiceConfigTest, EveryMistakeIsReportedAtItsLineInOneRun) {
  auto loaded = load(R"(actor: ambulance
key_file: a.key
gateway_keys: [g.pub]
broker:
  url: tcp://broker:1883
  client_id: c
  password_file: pw
  tls: {ca_file: ca.crt}
  silence_after: soon
state_dir: state
sinks:
  - name: dispatch
    filter: {kinds: [events]}
    webhook: {url: "https://x.example/"}
    cap: {directory: d}
  - name: dispatch
    json_lines: {path: out.jsonl}
    retry_min: 10s
    retry_max: 1s
  - name: bad/name
    cap: {}
  - name: x
    webhok: {url: "http://a"}
)");
  ASSERT_FALSE(loaded.config);
  const std::string text = errors(loaded);
  auto has = [&](const std::string& needle) { return text.find(needle) != std::string::npos; };
  EXPECT_TRUE(has("actor.yaml:7:")) << text;   // a password without a username
  EXPECT_TRUE(has("actor.yaml:8:")) << text;   // tls with tcp://
  EXPECT_TRUE(has("actor.yaml:9:")) << text;   // silence_after: soon
  EXPECT_TRUE(has("actor.yaml:13:")) << text;  // kinds: events
  EXPECT_TRUE(has("exactly one of json_lines, webhook, cap, mqtt, postgres (found 2)")) << text;
  EXPECT_TRUE(has("actor.yaml:16:")) << text;  // dispatch defined twice
  EXPECT_TRUE(has("defined twice")) << text;
  EXPECT_TRUE(has("actor.yaml:19:")) << text;  // retry_max below retry_min
  EXPECT_TRUE(has("may hold only letters")) << text;
  EXPECT_TRUE(has("give either url")) << text;
  EXPECT_TRUE(has("webhok")) << text;  // the misspelt key, not silently ignored
}

TEST_F(ServiceConfigTest, TheBrokerProtocolAndReceiveMaximumAreCheckedAtTheirLines) {
  std::string good = kGood;
  good.replace(good.find("  client_id:"), 0, "  mqtt_version: \"3.1.1\"\n  receive_maximum: 500\n");
  auto loaded = load(good);
  ASSERT_TRUE(loaded.config) << errors(loaded);
  EXPECT_EQ(loaded.config->broker.protocol, actor::MqttProtocol::kV311);
  EXPECT_EQ(loaded.config->broker.receive_maximum, 500);

  std::string bad = kGood;
  bad.replace(bad.find("  client_id:"), 0, "  mqtt_version: \"4\"\n  receive_maximum: 70000\n");
  loaded = load(bad);
  ASSERT_FALSE(loaded.config);
  const std::string text = errors(loaded);
  EXPECT_NE(text.find("actor.yaml:6:"), std::string::npos) << text;  // mqtt_version: "4"
  EXPECT_NE(text.find("is not auto, 5 or 3.1.1"), std::string::npos) << text;
  EXPECT_NE(text.find("actor.yaml:7:"), std::string::npos) << text;  // receive_maximum
  EXPECT_NE(text.find("at most 65535"), std::string::npos) << text;
}

TEST_F(ServiceConfigTest, APostgresSinkTakesAConninfoAPasswordFileAndAPrefix) {
  std::string yaml = kGood;
  yaml += R"(  - name: db
    postgres: {conninfo: "host=/var/run/postgresql dbname=lantaarn", password_file: db.password}
  - name: db2
    postgres: {conninfo: "dbname=lantaarn", table_prefix: og12_}
)";
  auto loaded = load(yaml);
  ASSERT_TRUE(loaded.config) << errors(loaded);
  const auto& sinks = loaded.config->sinks;
  ASSERT_EQ(sinks.size(), 5u);
  EXPECT_EQ(sinks[3].type, SinkType::kPostgres);
  EXPECT_EQ(sinks[3].conninfo, "host=/var/run/postgresql dbname=lantaarn");
  EXPECT_EQ(sinks[3].password_file, (dir_.path() / "db.password").string());
  EXPECT_EQ(sinks[3].table_prefix, "lantaarn_");
  EXPECT_EQ(sinks[4].table_prefix, "og12_");
  EXPECT_TRUE(sinks[4].password_file.empty());
}

TEST_F(ServiceConfigTest, APostgresSinkRefusesAPasswordInTheConninfoABadStringAndABadPrefix) {
  std::string yaml = kGood;
  yaml += R"(  - name: db
    postgres: {conninfo: "dbname=lantaarn password=hunter2"}
  - name: db2
    postgres: {conninfo: "dbname lantaarn", table_prefix: "x; DROP"}
  - name: db3
    postgres: {}
)";
  auto loaded = load(yaml);
  ASSERT_FALSE(loaded.config);
  const std::string text = errors(loaded);
  auto has = [&](const std::string& needle) { return text.find(needle) != std::string::npos; };
  EXPECT_TRUE(has("actor.yaml:21:")) << text;
  EXPECT_TRUE(has("holds a password: put it in password_file")) << text;
  EXPECT_FALSE(has("hunter2")) << text;  // a secret is never echoed
  EXPECT_TRUE(has("actor.yaml:23:")) << text;
  EXPECT_TRUE(has("is not a libpq connection string")) << text;
  EXPECT_TRUE(has("'x; DROP' is not a lower-case letter")) << text;
  EXPECT_TRUE(has("sinks[5].postgres.conninfo")) << text;
}

// During a key rotation (docs/KEYS.md) the actor holds its earlier keys too; key_file alone, as
// before, holds one.
TEST_F(ServiceConfigTest, PreviousKeyFilesAreHeldBesideKeyFileAndCheckedAtTheirLines) {
  auto plain = load(kGood);
  ASSERT_TRUE(plain.config) << errors(plain);
  EXPECT_TRUE(plain.config->previous_key_files.empty());

  std::string rotating = kGood;
  rotating.replace(rotating.find("gateway_keys:"), 0,
                   "previous_key_files: [keys/ambulance-2024.key, /etc/old.key]\n");
  auto loaded = load(rotating);
  ASSERT_TRUE(loaded.config) << errors(loaded);
  EXPECT_EQ(loaded.config->key_file, (dir_.path() / "keys/ambulance.key").string());
  EXPECT_EQ(loaded.config->previous_key_files,
            (std::vector<std::string>{(dir_.path() / "keys/ambulance-2024.key").string(),
                                      "/etc/old.key"}));

  std::string bad = kGood;
  bad.replace(bad.find("gateway_keys:"), 0,
              "previous_key_files:\n  - keys/ambulance-2024.key\n  - keys/ambulance.key\n"
              "  - keys/../keys/ambulance-2024.key\n  - \"\"\n");
  loaded = load(bad);
  ASSERT_FALSE(loaded.config);
  const std::string text = errors(loaded);
  // key_file's own key, and the first entry again (another spelling of the same path).
  EXPECT_NE(text.find("actor.yaml:5:"), std::string::npos) << text;
  EXPECT_NE(text.find("actor.yaml:6:"), std::string::npos) << text;
  EXPECT_NE(text.find("is already one of this actor's keys"), std::string::npos) << text;
  EXPECT_NE(text.find("actor.yaml:7:"), std::string::npos) << text;  // ""
  EXPECT_NE(text.find("previous_key_files[3]"), std::string::npos) << text;
  EXPECT_EQ(text.find("actor.yaml:4:"), std::string::npos) << text;
}

TEST_F(ServiceConfigTest, MissingEssentialsAreNamed) {
  auto loaded = load("actor: police\n");
  ASSERT_FALSE(loaded.config);
  const std::string text = errors(loaded);
  for (const char* key :
       {"key_file", "gateway_keys", "broker.url", "broker.client_id", "state_dir", "sinks"}) {
    EXPECT_NE(text.find(key), std::string::npos) << key << "\n" << text;
  }
}

gateway::v1::ActorMessage event(const std::string& detector, gateway::v1::Severity severity,
                                const std::string& kind = "fall") {
  gateway::v1::ActorMessage m;
  m.mutable_event()->set_detector_id(detector);
  m.mutable_event()->set_severity(severity);
  m.mutable_event()->set_kind(kind);
  return m;
}

TEST(SinkFilterTest, KindsDetectorsAndSeveritiesNarrowWhatASinkTakes) {
  gateway::v1::ActorMessage reading;
  reading.mutable_measurement()->set_quantity("pm10");
  SinkFilter all;
  EXPECT_TRUE(all.accepts(reading));
  EXPECT_TRUE(all.accepts(event("fall", gateway::v1::SEVERITY_ALARM)));

  SinkFilter alarms_of_falls{{}, {"fall"}, {"alarm"}};
  EXPECT_TRUE(alarms_of_falls.accepts(event("fall", gateway::v1::SEVERITY_ALARM)));
  EXPECT_FALSE(alarms_of_falls.accepts(event("fall", gateway::v1::SEVERITY_WARNING)));
  EXPECT_FALSE(alarms_of_falls.accepts(event("water", gateway::v1::SEVERITY_ALARM)));
  EXPECT_FALSE(alarms_of_falls.accepts(reading));  // it names event properties only

  SinkFilter readings_and_fall_events{{"measurement", "event"}, {"fall"}, {}};
  EXPECT_TRUE(readings_and_fall_events.accepts(reading));
  EXPECT_TRUE(readings_and_fall_events.accepts(event("fall", gateway::v1::SEVERITY_INFO)));
  EXPECT_FALSE(readings_and_fall_events.accepts(event("water", gateway::v1::SEVERITY_INFO)));

  SinkFilter health{{"health"}, {}, {}};
  EXPECT_TRUE(health.accepts(event("cam", gateway::v1::SEVERITY_WARNING, "camera_offline")));
  EXPECT_FALSE(health.accepts(event("fall", gateway::v1::SEVERITY_ALARM)));
}

}  // namespace
}  // namespace gw::actor_service
