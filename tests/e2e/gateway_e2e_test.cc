// End to end through the built binaries: gatewayd replays real Sensor.Community data through a
// real Mosquitto; `gatewayctl subscribe` receives, opens and prints what each actor gets.
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <signal.h>
#include <sodium.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gateway/crypto/key_file.h"
#include "tests/e2e/actor_output.h"
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

// The data rows of the SDS011 file, split on ';' with plain string code (independent of the
// gateway's parser), 12 cells each.
std::vector<std::vector<std::string>> pmRows() {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(kPmFile);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ';');) c.push_back(cell);
    c.resize(12);
    rows.push_back(std::move(c));
  }
  return rows;
}

// The file's PM10 values in file order.
std::vector<double> filePm10() {
  std::vector<double> values;
  for (const auto& c : pmRows()) {
    if (!c[6].empty()) values.push_back(std::stod(c[6]));
  }
  return values;
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
  bool raised = false;
  for (const auto& c : pmRows()) {
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

// The gateway's identity (gateway.key, written by writeKeys) for a policy's `gateway:` section.
std::string identityLine(const std::filesystem::path& keys) {
  return "gateway: {identity_key_file: " + (keys / "gateway.key").string() + "}\n";
}

// Every test's keys: the gateway identity and the given actors' key pairs.
void writeKeys(const std::filesystem::path& keys, std::initializer_list<const char*> actors) {
  ASSERT_TRUE(
      crypto::writeIdentityKeyPair(crypto::generateIdentityKey("e2e-site"), keys, "gateway").ok());
  for (const char* actor : actors) {
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair(actor), keys).ok());
  }
}

// The data messages on the wire are counted as one per reading and event (and the eavesdropper's
// refusals against them): batching under a backlog, which a full-speed replay can set off, is off.
std::string policyText(const std::filesystem::path& keys) {
  return "gateway: {identity_key_file: " + (keys / "gateway.key").string() +
         ", backlog_batching: {mode: off}}\n"
         "site: {id: e2e-site, name: E2E}\n"
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

// One JSON object per line. A MeasurementBatch message (gatewayd batches while its outbox has a
// backlog, as a replay at full speed can build; decision 1350) becomes one object per reading,
// with the message's header, so the checks below read every reading alike. A line still being
// written is left out.
std::vector<json> jsonLines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    json m = json::parse(line, nullptr, false);
    if (m.is_discarded()) continue;
    if (!m.contains("measurement_batch")) {
      out.push_back(std::move(m));
      continue;
    }
    const auto readings = e2e::readingsOf(m);
    m.erase("measurement_batch");
    for (const auto& reading : readings) {
      json one = m;
      one["measurement"] = reading;
      out.push_back(std::move(one));
    }
  }
  return out;
}

// What an actor has printed so far, a batch counted as its readings (jsonLines).
size_t lineCount(const std::filesystem::path& path) {
  return jsonLines(gw::testing::readWholeFile(path)).size();
}

class GatewayE2eTest : public ::testing::Test {
 protected:
  std::unique_ptr<ChildProcess> subscribe(const std::string& actor, const std::string& key_actor) {
    return subscribeWith(actor, dir_ / "keys" / (key_actor + ".key"), actor + "-as-" + key_actor);
  }

  // Output in <dir>/<tag>.out and .err.
  std::unique_ptr<ChildProcess> subscribeWith(const std::string& actor,
                                              const std::filesystem::path& key,
                                              const std::string& tag) {
    auto child = std::make_unique<ChildProcess>(ChildProcess::Options{
        {gw::testing::appBinary("gatewayctl"), "subscribe", "--broker", broker_.url(), "--site",
         "e2e-site", "--actor", actor, "--key", key.string(), "--gateway-key",
         (dir_ / "keys" / "gateway.pub").string(), "--json"},
        {},
        dir_ / (tag + ".out"),
        dir_ / (tag + ".err")});
    EXPECT_TRUE(
        waitUntil([&] { return child->readStderr().find("subscribed") != std::string::npos; },
                  std::chrono::seconds(15)))
        << child->readStderr();
    return child;
  }

  // The gateway first, so that it flushes what it accepted while the subscriber still listens.
  static void stopGatewayThenSubscriber(ChildProcess& gatewayd, ChildProcess& subscriber) {
    gatewayd.signal(SIGTERM);
    ASSERT_TRUE(gatewayd.wait(std::chrono::seconds(30)).has_value());
    subscriber.signal(SIGTERM);
    ASSERT_TRUE(subscriber.wait(std::chrono::seconds(10)).has_value());
  }

  MosquittoBroker broker_;
  TempDir dir_;
};

TEST_F(GatewayE2eTest, EachActorGetsExactlyItsRoutedDataAndNothingElse) {
  writeKeys(dir_ / "keys", {"municipality", "public", "police"});
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

  ChildProcess gatewayd(
      {{gw::testing::appBinary("gatewayd"), "--policy", (dir_ / "policy.yaml").string(), "--broker",
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
  // Every envelope on the municipality's topics (its epoch keys and checkpoints too) is refused.
  const std::string spy = eavesdropper->readStderr();
  const auto summary_at = spy.rfind("{\"report\":\"summary\"");
  ASSERT_NE(summary_at, std::string::npos) << spy;
  const json summary = json::parse(spy.substr(summary_at, spy.find('\n', summary_at) - summary_at));
  EXPECT_EQ(summary["received"], 0) << spy;
  EXPECT_GT(summary["rejected"].get<size_t>(), want_municipality) << spy;

  // On the broker: only the two routed actors' topics carry data; climate readings went nowhere.
  observer.disconnect()->wait();
  std::lock_guard lock(topic_mutex);
  int data_messages = 0;
  for (const auto& [topic, n] : per_topic) {
    if (topic.find("/_gateway/") != std::string::npos) continue;
    EXPECT_TRUE(topic.rfind("lantaarn/v1/e2e-site/municipality/", 0) == 0 ||
                topic.rfind("lantaarn/v1/e2e-site/public/", 0) == 0)
        << topic;
    const bool control = topic.size() > 4 && (topic.substr(topic.size() - 4) == "/key" ||
                                              topic.find("/checkpoint") != std::string::npos);
    if (!control) data_messages += n;
  }
  EXPECT_EQ(static_cast<size_t>(data_messages), want_municipality + want_public);
  EXPECT_NE(gatewayd.readStderr().find("readings_unrouted_total{source=\"climate\""),
            std::string::npos);
}

TEST_F(GatewayE2eTest, LiveUdpReadingsAndCameraHealthEventsReachTheirActors) {
  writeKeys(dir_ / "keys", {"municipality", "rijkswaterstaat"});
  const int udp_port = gw::testing::freeLoopbackPort();
  std::ofstream(dir_ / "live.yaml")
      << identityLine(dir_ / "keys")
      << "site: {id: e2e-site}\n"
         "actors:\n"
         "  - {id: municipality, public_key_file: "
      << (dir_ / "keys/municipality.pub").string()
      << ", purposes: [maintenance]}\n"
         "  - {id: rijkswaterstaat, public_key_file: "
      << (dir_ / "keys/rijkswaterstaat.pub").string()
      << ", purposes: [water_management]}\n"
         "sources:\n"
         "  - id: underpass-level\n"
         "    sensor: {format: json_reading, udp: {port: "
      << udp_port
      << "}, sensor_ids: [wl-1]}\n"
         "  - id: cam-underpass\n"
         "    camera: {uri: "
      << (dir_ / "no-such-clip.mp4").string()
      << "}\n"
         "routes:\n"
         "  - {to: rijkswaterstaat, purpose: water_management, from: {measurements: "
         "[water_level]}}\n"
         "  - {to: municipality, purpose: maintenance, from: {health: [camera_offline]}}\n";
  auto municipality = subscribe("municipality", "municipality");
  auto rws = subscribe("rijkswaterstaat", "rijkswaterstaat");
  ChildProcess gatewayd(
      {{gw::testing::appBinary("gatewayd"), "--policy", (dir_ / "live.yaml").string(), "--broker",
        broker_.url(), "--state-dir", (dir_ / "state").string()},
       {},
       dir_ / "gatewayd.out",
       dir_ / "gatewayd.err"});
  ASSERT_TRUE(
      waitUntil([&] { return gatewayd.readStderr().find("udp=127.0.0.1") != std::string::npos; },
                std::chrono::seconds(20)))
      << gatewayd.readStderr();
  boost::asio::io_context io;
  boost::asio::ip::udp::socket socket(io, boost::asio::ip::udp::v4());
  const boost::asio::ip::udp::endpoint to(boost::asio::ip::make_address("127.0.0.1"),
                                          static_cast<uint16_t>(udp_port));
  const auto now = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  int64_t offset_ms = 0;  // one sensor's readings at one time would be duplicates
  for (int level : {12, 18, 27}) {
    socket.send_to(
        boost::asio::buffer(R"({"sensor":"wl-1","quantity":"water_level","unit":"cm","value":)" +
                            std::to_string(level) + R"(,"time_ms":)" +
                            std::to_string(std::stoll(now) + offset_ms++) + "}"),
        to);
  }
  socket.send_to(
      boost::asio::buffer(R"({"sensor":"intruder","quantity":"water_level","value":1,"time_ms":)" +
                          now + "}"),
      to);
  ASSERT_TRUE(
      waitUntil([&] { return lineCount(dir_ / "rijkswaterstaat-as-rijkswaterstaat.out") >= 3; },
                std::chrono::seconds(20)));
  ASSERT_TRUE(waitUntil([&] { return lineCount(dir_ / "municipality-as-municipality.out") >= 1; },
                        std::chrono::seconds(20)));
  gatewayd.signal(SIGTERM);
  ASSERT_TRUE(gatewayd.wait(std::chrono::seconds(30)).has_value());
  for (auto* child : {municipality.get(), rws.get()}) {
    child->signal(SIGTERM);
    ASSERT_TRUE(child->wait(std::chrono::seconds(10)).has_value());
  }
  auto levels = jsonLines(rws->readStdout());
  ASSERT_EQ(levels.size(), 3u);  // the intruder's reading was dropped at the source
  EXPECT_EQ(levels[2]["measurement"]["value"], 27);
  auto health = jsonLines(municipality->readStdout());
  ASSERT_EQ(health.size(), 1u);
  EXPECT_EQ(health[0]["event"]["kind"], "camera_offline");
  EXPECT_EQ(health[0]["event"]["source_id"], "cam-underpass");
  EXPECT_NE(gatewayd.readStderr().find("reason=unknown_sensor"), std::string::npos);
}

// Policy for the reload test: `with_public` decides whether the public is an actor at all.
std::string reloadPolicy(const std::filesystem::path& keys, bool with_public,
                         const std::string& version) {
  std::string text = identityLine(keys) +
                     "site: {id: e2e-site}\n"
                     "actors:\n"
                     "  - {id: municipality, public_key_file: " +
                     (keys / "municipality.pub").string() +
                     ", purposes: [air_quality_monitoring]}\n";
  if (with_public) {
    text += "  - {id: public, public_key_file: " + (keys / "public.pub").string() +
            ", purposes: [open_data]}\n";
  }
  text +=
      "sources:\n"
      "  - id: pm\n"
      "    sensor: {format: sensor_community_csv, replay: {path: " +
      kPmFile.string() +
      ", speed: 3000, loop: true}}\n"
      "routes:\n"
      "  - {id: m-" +
      version +
      ", to: municipality, purpose: air_quality_monitoring, from: {measurements: [pm10]}}\n";
  if (with_public)
    text += "  - {id: p-" + version +
            ", to: public, purpose: open_data, from: {measurements: [pm10]}}\n";
  return text;
}

TEST_F(GatewayE2eTest, SighupSwapsThePolicyUnderLoadWithoutLossAndRemovedActorsGetNothingMore) {
  writeKeys(dir_ / "keys", {"municipality", "public"});
  const auto policy = dir_ / "reload.yaml";
  std::ofstream(policy) << reloadPolicy(dir_ / "keys", true, "v1");
  auto municipality = subscribe("municipality", "municipality");
  auto pub = subscribe("public", "public");
  ChildProcess gatewayd({{gw::testing::appBinary("gatewayd"), "--policy", policy.string(),
                          "--broker", broker_.url(), "--state-dir", (dir_ / "state").string()},
                         {},
                         dir_ / "gatewayd.out",
                         dir_ / "gatewayd.err"});
  ASSERT_TRUE(waitUntil([&] { return lineCount(dir_ / "public-as-public.out") >= 20; },
                        std::chrono::seconds(30)));

  // An invalid policy is rejected with its errors; the running one goes on.
  std::ofstream(policy) << identityLine(dir_ / "keys")
                        << "site: {id: e2e-site}\nroutes: [{to: nobody}]\n";
  gatewayd.signal(SIGHUP);
  ASSERT_TRUE(waitUntil(
      [&] { return gatewayd.readStderr().find("Policy reload rejected") != std::string::npos; },
      std::chrono::seconds(10)));
  EXPECT_NE(gatewayd.readStderr().find("routes[0].to: unknown actor 'nobody'"), std::string::npos);
  const size_t before = lineCount(dir_ / "public-as-public.out");
  ASSERT_TRUE(waitUntil([&] { return lineCount(dir_ / "public-as-public.out") > before + 10; },
                        std::chrono::seconds(30)));

  // A valid policy without the public replaces the running one.
  std::ofstream(policy) << reloadPolicy(dir_ / "keys", false, "v2");
  gatewayd.signal(SIGHUP);
  ASSERT_TRUE(waitUntil(
      [&] { return gatewayd.readStderr().find("Policy reloaded version=2") != std::string::npos; },
      std::chrono::seconds(10)));
  const size_t at_reload = lineCount(dir_ / "municipality-as-municipality.out");
  ASSERT_TRUE(waitUntil(
      [&] { return lineCount(dir_ / "municipality-as-municipality.out") > at_reload + 30; },
      std::chrono::seconds(30)));
  gatewayd.signal(SIGTERM);
  ASSERT_TRUE(gatewayd.wait(std::chrono::seconds(30)).has_value());
  for (auto* child : {municipality.get(), pub.get()}) {
    child->signal(SIGTERM);
    ASSERT_TRUE(child->wait(std::chrono::seconds(10)).has_value());
  }

  // The municipality's readings run on without a gap across both reloads: every PM10 value of the
  // file, in file order, cycling, whichever policy version routed it.
  const std::vector<double> file_pm10 = filePm10();
  auto m = jsonLines(municipality->readStdout());
  ASSERT_GT(m.size(), 50u);
  int64_t first_v2 = -1;
  for (size_t i = 0; i < m.size(); ++i) {
    ASSERT_DOUBLE_EQ(m[i]["measurement"]["value"].get<double>(), file_pm10[i % file_pm10.size()])
        << "message " << i;
    if (first_v2 < 0 && m[i]["route_id"] == "m-v2")
      first_v2 = std::stoll(m[i]["produced_unix_ms"].get<std::string>());
  }
  ASSERT_GT(first_v2, 0) << "no message was routed by the reloaded policy";
  // The public, removed by the reload, got nothing produced after it.
  for (const auto& message : jsonLines(pub->readStdout())) {
    EXPECT_LT(std::stoll(message["produced_unix_ms"].get<std::string>()), first_v2);
    EXPECT_EQ(message["route_id"], "p-v1");
  }
}

TEST_F(GatewayE2eTest, AReloadThatRotatesAnActorsKeyLeavesTheOldKeyNothingOfTheNextEpoch) {
  writeKeys(dir_ / "keys", {"municipality"});
  ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("municipality"), dir_ / "new").ok());
  const auto policy = dir_ / "rotate.yaml";
  const std::string v1 = reloadPolicy(dir_ / "keys", false, "v1");
  std::string v2 = v1;
  const std::string old_pub = (dir_ / "keys" / "municipality.pub").string();
  v2.replace(v2.find(old_pub), old_pub.size(), (dir_ / "new" / "municipality.pub").string());
  std::ofstream(policy) << v1;
  auto old_key = subscribeWith("municipality", dir_ / "keys" / "municipality.key", "old");
  auto new_key = subscribeWith("municipality", dir_ / "new" / "municipality.key", "new");
  ChildProcess gatewayd({{gw::testing::appBinary("gatewayd"), "--policy", policy.string(),
                          "--broker", broker_.url(), "--state-dir", (dir_ / "state").string()},
                         {},
                         dir_ / "gatewayd.out",
                         dir_ / "gatewayd.err"});
  ASSERT_TRUE(
      waitUntil([&] { return lineCount(dir_ / "old.out") >= 20; }, std::chrono::seconds(30)));
  std::ofstream(policy) << v2;
  gatewayd.signal(SIGHUP);
  ASSERT_TRUE(waitUntil(
      [&] { return gatewayd.readStderr().find("Policy reloaded version=2") != std::string::npos; },
      std::chrono::seconds(10)));
  ASSERT_TRUE(
      waitUntil([&] { return lineCount(dir_ / "new.out") >= 30; }, std::chrono::seconds(30)))
      << new_key->readStderr();
  gatewayd.signal(SIGTERM);
  ASSERT_TRUE(gatewayd.wait(std::chrono::seconds(30)).has_value());
  for (auto* child : {old_key.get(), new_key.get()}) {
    child->signal(SIGTERM);
    ASSERT_TRUE(child->wait(std::chrono::seconds(10)).has_value());
  }

  // The old key read only what was sealed before the rotation, the new key only what came after,
  // and between them nothing is missing: every PM10 value of the file, in order, cycling.
  auto before = jsonLines(old_key->readStdout());
  auto after = jsonLines(new_key->readStdout());
  ASSERT_FALSE(before.empty());
  ASSERT_FALSE(after.empty());
  EXPECT_LE(std::stoll(before.back()["produced_unix_ms"].get<std::string>()),
            std::stoll(after.front()["produced_unix_ms"].get<std::string>()));
  const std::vector<double> file_pm10 = filePm10();
  std::vector<json> all = before;
  all.insert(all.end(), after.begin(), after.end());
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_DOUBLE_EQ(all[i]["measurement"]["value"].get<double>(), file_pm10[i % file_pm10.size()])
        << "message " << i << " of " << before.size() << " + " << after.size();
  }
  // After the rotation the old key is refused what it is no longer addressed to.
  EXPECT_NE(old_key->readStderr().find("\"rejected\":\"wrong_recipient\""), std::string::npos)
      << old_key->readStderr().substr(0, 2000);
}

TEST_F(GatewayE2eTest, CameraFramesReachAPluginDetectorAndItsEventsTheActor) {
  writeKeys(dir_ / "keys", {"municipality"});
  const auto plugin = gw::testing::binaryDir() / "tests/plugin_abi/libgw_frame_plugin.so";
  std::ofstream(dir_ / "camera.yaml")
      << identityLine(dir_ / "keys")
      << "site: {id: e2e-site}\n"
         "actors:\n"
         "  - {id: municipality, public_key_file: "
      << (dir_ / "keys/municipality.pub").string()
      << ", purposes: [testing]}\n"
         "sources:\n"
         "  - id: cam\n"
         "    camera: {uri: "
      << gw::testing::testData("video/s3_Fall_20.mp4").string()
      << ", fps: 5, width: 320, height: 240}\n"
         "detectors:\n"
         "  - id: frames\n"
         "    sources: [cam]\n"
         "    plugin: {path: "
      << plugin.string()
      << ", params: {every: \"5\"}}\n"
         "routes:\n"
         "  - {to: municipality, purpose: testing, from: {detectors: [frames]}}\n";
  auto municipality = subscribe("municipality", "municipality");
  ChildProcess gatewayd(
      {{gw::testing::appBinary("gatewayd"), "--policy", (dir_ / "camera.yaml").string(), "--broker",
        broker_.url(), "--state-dir", (dir_ / "state").string()},
       {},
       dir_ / "gatewayd.out",
       dir_ / "gatewayd.err"});
  ASSERT_TRUE(waitUntil([&] { return lineCount(dir_ / "municipality-as-municipality.out") >= 5; },
                        std::chrono::seconds(30)))
      << gatewayd.readStderr();
  stopGatewayThenSubscriber(gatewayd, *municipality);
  for (const auto& m : jsonLines(municipality->readStdout())) {
    EXPECT_EQ(m["event"]["kind"], "frame_stats");
    EXPECT_EQ(m["event"]["summary"],
              "320x240");  // the processing resolution, not the clip's 640x480
    EXPECT_GT(m["event"]["value"].get<double>(), 10);  // a real image's mean brightness
    EXPECT_LT(m["event"]["value"].get<double>(), 250);
  }
}

TEST_F(GatewayE2eTest, ReplayDryRunPrintsPerActorWhatWouldBeSentWithoutABroker) {
  writeKeys(dir_ / "keys",
            {"municipality", "public", "police", "ambulance", "rijkswaterstaat", "fire"});
  ChildProcess replay(
      {{gw::testing::appBinary("gatewayctl"), "replay", "--policy",
        (gw::testing::sourceDir() / "policies/demo.yaml").string(), "--speed", "max", "--json"},
       {{"LANTAARN_KEYS", (dir_ / "keys").string()}},
       dir_ / "replay.out",
       dir_ / "replay.err"});
  auto status = replay.wait(std::chrono::seconds(60));
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(ChildProcess::exitCode(*status), 0) << replay.readStderr();
  // Independently: the public's route takes every PM10 and PM2.5 value of sensor 5331.
  size_t pm_values = 0;
  for (const auto& c : pmRows()) {
    pm_values += !c[6].empty();
    pm_values += !c[9].empty();
  }
  // Independently: the KNMI rain of July 2021 passes the 48-hour alarm total (70 mm).
  std::vector<double> hourly;
  {
    std::ifstream in(gw::testing::testData("water/knmi380_maastricht_hourly_precip_2021-07.csv"));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) hourly.push_back(std::stod(line.substr(line.find(',') + 1)));
  }
  double max_48h = 0;
  for (size_t i = 0; i + 48 <= hourly.size(); ++i) {
    double sum = 0;
    for (size_t j = i; j < i + 48; ++j) sum += hourly[j];
    max_48h = std::max(max_48h, sum);
  }
  ASSERT_GT(max_48h, 70.0);
  std::map<std::string, size_t> per_actor;
  size_t water_alarms = 0;
  size_t fire_water_alarms = 0;
  for (const auto& line : jsonLines(replay.readStdout())) {
    per_actor[line["actor"]]++;
    if (line["actor"] == "rijkswaterstaat" && line["message"]["event"]["kind"] == "water_alarm") {
      ++water_alarms;
    }
    if (line["actor"] == "fire" && line["message"].contains("event")) {
      // Only alarms, and of a fall only where and when: no image, no box.
      const auto& event = line["message"]["event"];
      fire_water_alarms += event["kind"] == "water_alarm";
      EXPECT_TRUE(event["kind"] == "water_alarm" || event["kind"] == "fall") << line.dump();
      EXPECT_EQ(event["severity"], "SEVERITY_ALARM") << line.dump();
      EXPECT_FALSE(line["message"].contains("snapshot"));
    }
    if (line["actor"] == "ambulance") {  // minimised to the route's fields, image anonymised
      EXPECT_EQ(line["message"]["event"]["kind"], "fall");
      EXPECT_FALSE(line["message"]["event"].contains("box")) << line.dump().substr(0, 500);
      EXPECT_EQ(line["message"]["snapshot"]["form"], "SNAPSHOT_FORM_ANONYMISED");
    }
    if (line["actor"] == "public") {
      EXPECT_EQ(line["message"]["measurement"].size(), 4u) << line.dump();
    }
  }
  EXPECT_EQ(per_actor["public"], pm_values);
  EXPECT_GT(per_actor["municipality"], pm_values);  // also climate readings and PM10 alerts
  EXPECT_EQ(per_actor.count("police"), 0u);
  EXPECT_NE(replay.readStderr().find("would send actor=police messages=0"), std::string::npos);
  EXPECT_GE(water_alarms, 1u);
  EXPECT_EQ(fire_water_alarms, water_alarms);
  EXPECT_EQ(per_actor["ambulance"], 1u);  // the clip holds one labelled fall
}

TEST_F(GatewayE2eTest, GatewaydRefusesAnInvalidPolicyWithItsErrors) {
  std::ofstream(dir_ / "bad.yaml")
      << "site: {id: x}\nroutes:\n  - {to: nobody, purpose: p, from: {measurements: [pm10]}}\n";
  ChildProcess gatewayd({{gw::testing::appBinary("gatewayd"), "--policy",
                          (dir_ / "bad.yaml").string(), "--state-dir", (dir_ / "state").string()},
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
  writeKeys(dir_ / "keys", {"fire"});
  ChildProcess sub(
      {{gw::testing::appBinary("gatewayctl"), "subscribe", "--broker", broker_.url(), "--site", "s",
        "--actor", "fire", "--key", (dir_ / "keys/fire.key").string(), "--gateway-key",
        (dir_ / "keys/gateway.pub").string(), "--count", "1", "--timeout", "1"},
       {},
       {},
       dir_ / "err"});
  auto status = sub.wait(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ChildProcess::exitCode(*status), 1);
  EXPECT_NE(sub.readStderr().find("timed out after 0 of 1 messages"), std::string::npos)
      << sub.readStderr();
}

// The secret halves of every key in play, in each text form a careless log line could take.
std::vector<std::string> secretForms(const std::filesystem::path& key_file) {
  std::ifstream in(key_file);
  std::string line, encoded;
  while (std::getline(in, line)) {
    if (line.rfind("key: ", 0) == 0) encoded = line.substr(5);
  }
  EXPECT_FALSE(encoded.empty()) << key_file;
  std::vector<unsigned char> raw(64);
  size_t raw_length = 0;
  EXPECT_EQ(sodium_base642bin(raw.data(), raw.size(), encoded.data(), encoded.size(), nullptr,
                              &raw_length, nullptr, sodium_base64_VARIANT_ORIGINAL),
            0);
  raw.resize(raw_length);
  std::string hex(raw.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  std::string url(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(url.data(), url.size(), raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  url.pop_back();
  // Any 12 characters of a 32-byte key's encoding are as telling as the whole of it.
  return {encoded.substr(0, 12), hex.substr(0, 16), url.substr(0, 12)};
}

TEST_F(GatewayE2eTest, DebugLogsOfGatewayAndActorNeverContainSecretKeyMaterial) {
  writeKeys(dir_ / "keys", {"municipality", "public", "police"});
  std::ofstream(dir_ / "policy.yaml") << policyText(dir_ / "keys");
  auto municipality = subscribe("municipality", "municipality");
  ChildProcess gatewayd(
      {{gw::testing::appBinary("gatewayd"), "--policy", (dir_ / "policy.yaml").string(), "--broker",
        broker_.url(), "--state-dir", (dir_ / "state").string(), "--log-level", "trace"},
       {},
       dir_ / "gatewayd.out",
       dir_ / "gatewayd.err"});
  ASSERT_TRUE(waitUntil([&] { return lineCount(dir_ / "municipality-as-municipality.out") >= 20; },
                        std::chrono::seconds(60)))
      << gatewayd.readStderr();
  gatewayd.signal(SIGHUP);  // a reload reads every key file again
  ASSERT_TRUE(waitUntil([&] { return gatewayd.readStderr().find("eload") != std::string::npos; },
                        std::chrono::seconds(30)))
      << gatewayd.readStderr();
  stopGatewayThenSubscriber(gatewayd, *municipality);

  const std::string logs[] = {gatewayd.readStderr(), gatewayd.readStdout(),
                              municipality->readStderr(), municipality->readStdout()};
  ASSERT_GT(logs[0].size(), 1000u) << "trace logging produced next to nothing to search";
  for (const char* key : {"gateway.key", "municipality.key", "public.key", "police.key"}) {
    for (const std::string& secret : secretForms(dir_ / "keys" / key)) {
      for (const std::string& log : logs) {
        EXPECT_EQ(log.find(secret), std::string::npos) << key << " appears in a log as " << secret;
      }
    }
  }
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
  writeKeys(dir / "keys", {"municipality", "public", "police"});
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

  ChildProcess first({{gw::testing::appBinary("gatewayd"), "--policy", (dir / "run1.yaml").string(),
                       "--broker", unreachable.url(), "--state-dir", state},
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

  ChildProcess sub({{gw::testing::appBinary("gatewayctl"), "subscribe", "--broker", broker.url(),
                     "--site", "e2e-site", "--actor", "municipality", "--key",
                     (dir / "keys" / "municipality.key").string(), "--gateway-key",
                     (dir / "keys" / "gateway.pub").string(), "--json"},
                    {},
                    dir / "sub.out",
                    dir / "sub.err"});
  ASSERT_TRUE(waitUntil([&] { return sub.readStderr().find("subscribed") != std::string::npos; },
                        std::chrono::seconds(15)));
  ChildProcess second(
      {{gw::testing::appBinary("gatewayd"), "--policy", (dir / "run2.yaml").string(), "--broker",
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
