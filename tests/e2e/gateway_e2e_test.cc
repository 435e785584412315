// End to end through the built binaries: gatewayd replays real Sensor.Community data through a
// real Mosquitto; `gatewayctl subscribe` receives, opens and prints what each actor gets.
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gateway/crypto/key_file.h"
#include "tests/support/child_process.h"
#include "tests/support/mosquitto_broker.h"

namespace gw {
namespace {

using gw::testing::ChildProcess;
using gw::testing::MosquittoBroker;
using gw::testing::TempDir;
using gw::testing::waitUntil;
using nlohmann::json;

const std::filesystem::path kPmFile =
    gw::testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv");
const std::filesystem::path kClimateFile =
    gw::testing::testData("air/sensor_community/2019-02-13_dht22_sensor_5332.csv");

std::string bin(const std::string& name) {
  return (gw::testing::binaryDir() / "gateway/app" / name).string();
}

// What the policy below should deliver, computed from the CSV with a plain split and an
// independent hysteresis loop, not with the gateway's parser or detector.
struct Expected {
  std::multiset<std::pair<double, int64_t>> pm10;  // (value, observed second) for municipality
  std::multiset<double> pm25;                      // values for the public
  std::vector<std::string> events;                 // kinds, in order
};

Expected expectedFromCsv() {
  Expected e;
  std::ifstream in(kPmFile);
  std::string line;
  std::getline(in, line);
  bool raised = false;
  while (std::getline(in, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ';');) c.push_back(cell);
    c.resize(12);
    std::tm tm{};
    strptime(c[5].c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    const int64_t second = timegm(&tm);
    if (!c[6].empty()) {
      const double pm10 = std::stod(c[6]);
      e.pm10.insert({pm10, second});
      if (!raised && pm10 > 50) {
        raised = true;
        e.events.push_back("threshold_exceeded");
      } else if (raised && pm10 < 40) {
        raised = false;
        e.events.push_back("threshold_cleared");
      }
    }
    if (!c[9].empty()) e.pm25.insert(std::stod(c[9]));
  }
  return e;
}

std::string policyText(const std::filesystem::path& keys) {
  return "site: {id: e2e-site, name: E2E}\n"
         "actors:\n"
         "  - {id: municipality, public_key_file: " +
         (keys / "municipality.pub").string() +
         ", purposes: [air_quality_monitoring, public_health]}\n"
         "  - {id: public, public_key_file: " +
         (keys / "public.pub").string() +
         ", purposes: [open_data]}\n"
         "  - {id: police, public_key_file: " +
         (keys / "police.pub").string() +
         ", purposes: [public_order]}\n"
         "sources:\n"
         "  - id: pm\n"
         "    sensor: {format: sensor_community_csv, replay: {path: " +
         kPmFile.string() +
         ", speed: 0}}\n"
         "  - id: climate\n"
         "    sensor: {format: sensor_community_csv, replay: {path: " +
         kClimateFile.string() +
         ", speed: 0}}\n"
         "detectors:\n"
         "  - {id: pm10-limit, sources: [pm], threshold: {quantity: pm10, above: 50, clear_below: "
         "40}}\n"
         "routes:\n"
         "  - {to: municipality, purpose: air_quality_monitoring, from: {measurements: [pm10]}}\n"
         "  - {to: municipality, purpose: public_health, from: {detectors: [pm10-limit]}}\n"
         "  - {to: public, purpose: open_data, from: {measurements: [pm2_5]}, fields: [quantity, "
         "value]}\n";
}

std::vector<json> jsonLines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

size_t lineCount(const std::filesystem::path& path) {
  std::string text = gw::testing::readWholeFile(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

class GatewayE2eTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChildProcess> subscribe(const std::string& actor, const std::string& key_actor) {
    const std::string tag = actor + "-as-" + key_actor;
    auto child = std::make_unique<ChildProcess>(ChildProcess::Options{
        {bin("gatewayctl"), "subscribe", "--broker", broker_.url(), "--site", "e2e-site", "--actor",
         actor, "--key", (dir_ / "keys" / (key_actor + ".key")).string(), "--json"},
        {},
        dir_ / (tag + ".out"),
        dir_ / (tag + ".err")});
    EXPECT_TRUE(
        waitUntil([&] { return child->readStderr().find("subscribed") != std::string::npos; },
                  std::chrono::seconds(15)))
        << child->readStderr();
    return child;
  }

  MosquittoBroker broker_;
  TempDir dir_;
};

TEST_F(GatewayE2eTest, EachActorGetsExactlyItsRoutedDataAndNothingElse) {
  for (const char* actor : {"municipality", "public", "police"}) {
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair(actor), dir_ / "keys").ok());
  }
  std::ofstream(dir_ / "policy.yaml") << policyText(dir_ / "keys");
  const Expected expected = expectedFromCsv();
  ASSERT_GT(expected.events.size(), 2u);

  // A broker-level observer that sees every topic under the root, as the broker operator could.
  std::map<std::string, int> per_topic;
  std::mutex topic_mutex;
  mqtt::async_client observer(broker_.url(), "e2e-observer");
  observer.set_message_callback([&](mqtt::const_message_ptr m) {
    std::lock_guard lock(topic_mutex);
    per_topic[m->get_topic()]++;
  });
  observer.connect()->wait();
  observer.subscribe("lantaarn/#", 1)->wait();

  auto municipality = subscribe("municipality", "municipality");
  auto pub = subscribe("public", "public");
  auto police = subscribe("police", "police");
  auto eavesdropper = subscribe("municipality", "police");  // police's key on municipality's topics

  ChildProcess gatewayd({{bin("gatewayd"), "--policy", (dir_ / "policy.yaml").string(), "--broker",
                          broker_.url(), "--state-dir", (dir_ / "state").string()},
                         {},
                         dir_ / "gatewayd.out",
                         dir_ / "gatewayd.err"});
  const size_t want_municipality = expected.pm10.size() + expected.events.size();
  const size_t want_public = expected.pm25.size();
  ASSERT_TRUE(waitUntil(
      [&] {
        return lineCount(dir_ / "municipality-as-municipality.out") >= want_municipality &&
               lineCount(dir_ / "public-as-public.out") >= want_public;
      },
      std::chrono::seconds(120)))
      << gatewayd.readStderr();

  // SIGTERM: gatewayd flushes what it accepted and exits 0.
  gatewayd.signal(SIGTERM);
  auto status = gatewayd.wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ChildProcess::exitCode(*status), 0) << gatewayd.readStderr();
  for (auto* child : {municipality.get(), pub.get(), police.get(), eavesdropper.get()}) {
    child->signal(SIGTERM);
    ASSERT_TRUE(child->wait(std::chrono::seconds(10)).has_value());
  }

  // Municipality: every PM10 reading and every threshold event, nothing else.
  auto m_lines = jsonLines(municipality->readStdout());
  ASSERT_EQ(m_lines.size(), want_municipality);
  std::multiset<std::pair<double, int64_t>> got_pm10;
  std::vector<std::string> got_events;
  for (const auto& m : m_lines) {
    EXPECT_EQ(m["actor_id"], "municipality");
    EXPECT_EQ(m["site_id"], "e2e-site");
    if (m.contains("measurement")) {
      EXPECT_EQ(m["measurement"]["quantity"], "pm10");
      EXPECT_EQ(m["purpose"], "air_quality_monitoring");
      got_pm10.insert({m["measurement"]["value"].get<double>(),
                       std::stoll(m["measurement"]["observed_unix_ms"].get<std::string>()) / 1000});
    } else {
      EXPECT_EQ(m["purpose"], "public_health");
      got_events.push_back(m["event"]["kind"]);
    }
  }
  EXPECT_EQ(got_pm10, expected.pm10);
  EXPECT_EQ(got_events, expected.events);

  // Public: PM2.5 only, minimised to quantity and value.
  auto p_lines = jsonLines(pub->readStdout());
  ASSERT_EQ(p_lines.size(), want_public);
  std::multiset<double> got_pm25;
  for (const auto& m : p_lines) {
    EXPECT_EQ(m["measurement"].size(), 2u) << m.dump();
    EXPECT_EQ(m["measurement"]["quantity"], "pm2_5");
    got_pm25.insert(m["measurement"]["value"].get<double>());
  }
  EXPECT_EQ(got_pm25, expected.pm25);

  // Police: no route, so nothing; and its key opens none of the municipality's messages.
  EXPECT_TRUE(police->readStdout().empty());
  EXPECT_TRUE(eavesdropper->readStdout().empty());
  EXPECT_NE(
      eavesdropper->readStderr().find("received=0 rejected=" + std::to_string(want_municipality)),
      std::string::npos)
      << eavesdropper->readStderr();

  // On the broker: only the two routed actors' topics carry data; climate readings went nowhere.
  observer.disconnect()->wait();
  std::lock_guard lock(topic_mutex);
  int data_messages = 0;
  for (const auto& [topic, n] : per_topic) {
    if (topic.find("/_gateway/") != std::string::npos) continue;
    EXPECT_TRUE(topic.rfind("lantaarn/v1/e2e-site/municipality/", 0) == 0 ||
                topic.rfind("lantaarn/v1/e2e-site/public/", 0) == 0)
        << topic;
    data_messages += n;
  }
  EXPECT_EQ(static_cast<size_t>(data_messages), want_municipality + want_public);
  EXPECT_NE(gatewayd.readStderr().find("readings_unrouted_total{source=\"climate\""),
            std::string::npos);
}

TEST_F(GatewayE2eTest, GatewaydRefusesAnInvalidPolicyWithItsErrors) {
  std::ofstream(dir_ / "bad.yaml")
      << "site: {id: x}\nroutes:\n  - {to: nobody, purpose: p, from: {measurements: [pm10]}}\n";
  ChildProcess gatewayd({{bin("gatewayd"), "--policy", (dir_ / "bad.yaml").string(), "--state-dir",
                          (dir_ / "state").string()},
                         {},
                         {},
                         dir_ / "err"});
  auto status = gatewayd.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ChildProcess::exitCode(*status), 1);
  EXPECT_NE(gatewayd.readStderr().find("bad.yaml:3:10: routes[0].to: unknown actor 'nobody'"),
            std::string::npos)
      << gatewayd.readStderr();
}

TEST_F(GatewayE2eTest, SubscribeWithCountExitsZeroAndOnTimeoutNonZero) {
  ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("fire"), dir_ / "keys").ok());
  ChildProcess sub(
      {{bin("gatewayctl"), "subscribe", "--broker", broker_.url(), "--site", "s", "--actor", "fire",
        "--key", (dir_ / "keys/fire.key").string(), "--count", "1", "--timeout", "1"},
       {},
       {},
       dir_ / "err"});
  auto status = sub.wait(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ChildProcess::exitCode(*status), 1);
  EXPECT_NE(sub.readStderr().find("timed out after 0 of 1 messages"), std::string::npos)
      << sub.readStderr();
}

}  // namespace
}  // namespace gw

namespace gw {
namespace {

// The durable outbox across a SIGKILL: run 1 can reach no broker, so everything it produces waits
// in <state-dir>/outbox when it is killed; run 2 has no data source of its own, so whatever the
// municipality receives can only come from what run 1 left on disk.
TEST(GatewayCrashE2eTest, SigkilledGatewaydResendsEverythingAfterRestart) {
  TempDir dir;
  MosquittoBroker broker;
  MosquittoBroker unreachable;
  unreachable.stop();
  for (const char* actor : {"municipality", "public", "police"}) {
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair(actor), dir / "keys").ok());
  }
  std::ofstream(dir / "run1.yaml") << policyText(dir / "keys");
  std::string run2 = policyText(dir / "keys");
  run2 = run2.substr(0, run2.find("sources:\n")) +
         "sources:\n  - id: climate\n    sensor: {format: sensor_community_csv, replay: {path: " +
         kClimateFile.string() +
         ", speed: 0}}\nroutes:\n  - {to: municipality, purpose: air_quality_monitoring, from: "
         "{measurements: [pm10]}}\n";
  std::ofstream(dir / "run2.yaml") << run2;
  const Expected expected = expectedFromCsv();
  const std::string state = (dir / "state").string();

  ChildProcess first({{bin("gatewayd"), "--policy", (dir / "run1.yaml").string(), "--broker",
                       unreachable.url(), "--state-dir", state},
                      {},
                      dir / "run1.out",
                      dir / "run1.err"});
  ASSERT_TRUE(waitUntil(
      [&] {
        const std::string err = first.readStderr();
        return err.find("Source replay finished source=pm") != std::string::npos &&
               err.find("Source replay finished source=climate") != std::string::npos;
      },
      std::chrono::seconds(60)))
      << first.readStderr();
  first.signal(SIGKILL);
  ASSERT_TRUE(first.wait(std::chrono::seconds(10)).has_value());

  ChildProcess sub(
      {{bin("gatewayctl"), "subscribe", "--broker", broker.url(), "--site", "e2e-site", "--actor",
        "municipality", "--key", (dir / "keys" / "municipality.key").string(), "--json"},
       {},
       dir / "sub.out",
       dir / "sub.err"});
  ASSERT_TRUE(waitUntil([&] { return sub.readStderr().find("subscribed") != std::string::npos; },
                        std::chrono::seconds(15)));
  ChildProcess second({{bin("gatewayd"), "--policy", (dir / "run2.yaml").string(), "--broker",
                        broker.url(), "--state-dir", state},
                       {},
                       dir / "run2.out",
                       dir / "run2.err"});
  const size_t want = expected.pm10.size() + expected.events.size();
  EXPECT_TRUE(
      waitUntil([&] { return lineCount(dir / "sub.out") >= want; }, std::chrono::seconds(120)))
      << lineCount(dir / "sub.out") << " of " << want << "\n"
      << second.readStderr();
  second.signal(SIGTERM);
  ASSERT_TRUE(second.wait(std::chrono::seconds(30)).has_value());
  sub.signal(SIGTERM);
  ASSERT_TRUE(sub.wait(std::chrono::seconds(10)).has_value());
  EXPECT_NE(second.readStderr().find("Outbox recovered"), std::string::npos);

  std::multiset<std::pair<double, int64_t>> got_pm10;
  std::vector<std::string> got_events;
  for (const auto& m : jsonLines(sub.readStdout())) {
    if (m.contains("measurement")) {
      got_pm10.insert({m["measurement"]["value"].get<double>(),
                       std::stoll(m["measurement"]["observed_unix_ms"].get<std::string>()) / 1000});
    } else {
      got_events.push_back(m["event"]["kind"]);
    }
  }
  // Nothing was acknowledged before the kill, so everything arrives exactly once, in order.
  EXPECT_EQ(got_pm10, expected.pm10);
  EXPECT_EQ(got_events, expected.events);
}

}  // namespace
}  // namespace gw
