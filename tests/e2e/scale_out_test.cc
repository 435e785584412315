// Scaling out (docs/DEPLOY.md): several gateways, one per site, publish to an edge broker that a
// Mosquitto bridge forwards (lantaarn/v1/# out, QoS 1) to a central broker, where the actors
// subscribe to every site at once (`--site +`, i.e. lantaarn/v1/+/<actor>/#). Each actor must
// receive all data of every site that routes data to it, and nothing of any other.
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
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

// PM10 (P1, column 7) and PM2.5 (P2, column 10) values of the file, with a plain split.
std::pair<std::multiset<double>, std::multiset<double>> pmValues() {
  std::multiset<double> pm10, pm25;
  std::ifstream in(kPmFile);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ';');) c.push_back(cell);
    c.resize(12);
    if (!c[6].empty()) pm10.insert(std::stod(c[6]));
    if (!c[9].empty()) pm25.insert(std::stod(c[9]));
  }
  return {pm10, pm25};
}

struct Site {
  std::string id;
  bool municipality_pm10;
  bool public_pm25;
};

std::string sitePolicy(const Site& site, const std::filesystem::path& keys) {
  // Each site's gateway has its own identity; actors pin them all (gateways/<site>.pub).
  std::string text = "site: {id: " + site.id + "}\n" + "gateway: {broker: {client_id: gw-" +
                     site.id + "}, ops: {listen: 'off'}, identity_key_file: " +
                     (keys.parent_path() / "gateways" / (site.id + ".key")).string() + "}\n" +
                     "actors:\n";
  for (const char* actor : {"municipality", "public", "police"}) {
    text += std::string("  - {id: ") + actor +
            ", public_key_file: " + (keys / (std::string(actor) + ".pub")).string() +
            ", purposes: [air_quality_monitoring, open_data, public_order]}\n";
  }
  text += "sources:\n  - id: pm\n    sensor: {format: sensor_community_csv, replay: {path: " +
          kPmFile.string() + ", speed: 0}}\nroutes:\n";
  if (site.municipality_pm10) {
    text +=
        "  - {to: municipality, purpose: air_quality_monitoring, from: {measurements: [pm10]}}\n";
  }
  if (site.public_pm25) {
    text += "  - {to: public, purpose: open_data, from: {measurements: [pm2_5]}}\n";
  }
  return text;
}

// The readings an actor printed: one per measurement, or each of a batch (a replay at full
// speed builds a backlog in the outbox, and gatewayd then batches: decision 1350).
size_t readingCount(const std::filesystem::path& path) {
  size_t n = 0;
  std::istringstream in(gw::testing::readWholeFile(path));
  for (std::string line; std::getline(in, line);) {
    const json m = json::parse(line, nullptr, false);
    if (m.is_discarded()) continue;  // a line still being written
    n += e2e::readingsOf(m).size();
  }
  return n;
}

TEST(ScaleOutE2eTest, GatewaysOfManySitesThroughABridgeReachExactlyTheirActorsCentrally) {
  TempDir dir;
  for (const char* actor : {"municipality", "public", "police"}) {
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair(actor), dir / "keys").ok());
  }
  for (const char* site : {"site-a", "site-b", "site-c"}) {
    ASSERT_TRUE(
        crypto::writeIdentityKeyPair(crypto::generateIdentityKey(site), dir / "gateways", site)
            .ok());
  }
  MosquittoBroker central;
  gw::testing::BrokerOptions edge_options;
  edge_options.extra_config = {
      "connection central",        "address 127.0.0.1:" + std::to_string(central.port()),
      "topic lantaarn/v1/# out 1", "bridge_protocol_version mqttv311",
      "cleansession false",        "notifications false",
      "restart_timeout 1"};
  MosquittoBroker edge(edge_options);

  // The bridge is up once a probe published on the edge arrives at the central broker.
  std::atomic<int> probes{0};
  mqtt::async_client observer(central.url(), "scale-out-observer");
  observer.set_message_callback([&](mqtt::const_message_ptr) { ++probes; });
  observer.connect()->wait();
  observer.subscribe("lantaarn/v1/_probe/#", 1)->wait();
  mqtt::async_client prober(edge.url(), "scale-out-prober");
  prober.connect()->wait();
  ASSERT_TRUE(waitUntil(
      [&] {
        prober.publish("lantaarn/v1/_probe/up", "1", 1, false)->wait();
        return probes.load() > 0;
      },
      std::chrono::seconds(20)))
      << edge.log();

  // The actors, at the central broker, each for every site at once.
  std::map<std::string, std::unique_ptr<ChildProcess>> actors;
  for (const char* actor : {"municipality", "public", "police"}) {
    actors[actor] = std::make_unique<ChildProcess>(ChildProcess::Options{
        {gw::testing::appBinary("gatewayctl"), "subscribe", "--broker", central.url(), "--site",
         "+", "--actor", actor, "--key", (dir / "keys" / (std::string(actor) + ".key")).string(),
         "--gateway-key", (dir / "gateways").string(), "--json"},
        {},
        dir / (std::string(actor) + ".out"),
        dir / (std::string(actor) + ".err")});
    ASSERT_TRUE(waitUntil(
        [&] { return actors[actor]->readStderr().find("subscribed") != std::string::npos; },
        std::chrono::seconds(15)));
  }

  const std::vector<Site> sites = {
      {"site-a", true, true}, {"site-b", true, false}, {"site-c", false, true}};
  std::vector<std::unique_ptr<ChildProcess>> gateways;
  for (const auto& site : sites) {
    std::ofstream(dir / (site.id + ".yaml")) << sitePolicy(site, dir / "keys");
    gateways.push_back(std::make_unique<ChildProcess>(ChildProcess::Options{
        {gw::testing::appBinary("gatewayd"), "--policy", (dir / (site.id + ".yaml")).string(),
         "--broker", edge.url(), "--state-dir", (dir / ("state-" + site.id)).string()},
        {},
        dir / (site.id + ".out"),
        dir / (site.id + ".err")}));
  }

  const auto [pm10, pm25] = pmValues();
  ASSERT_GT(pm10.size(), 100u);
  ASSERT_TRUE(waitUntil(
      [&] {
        return readingCount(dir / "municipality.out") >= 2 * pm10.size() &&
               readingCount(dir / "public.out") >= 2 * pm25.size();
      },
      std::chrono::seconds(120)))
      << readingCount(dir / "municipality.out") << " " << readingCount(dir / "public.out");
  for (auto& gateway : gateways) {
    gateway->signal(SIGTERM);
    auto status = gateway->wait(std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(ChildProcess::exitCode(*status), 0);
  }
  // Anything still in the bridge's queue arrives before a probe published after it.
  const int before = probes.load();
  prober.publish("lantaarn/v1/_probe/last", "1", 1, false)->wait();
  ASSERT_TRUE(waitUntil([&] { return probes.load() > before; }, std::chrono::seconds(20)));
  for (auto& [name, child] : actors) {
    child->signal(SIGTERM);
    ASSERT_TRUE(child->wait(std::chrono::seconds(10)).has_value());
  }
  prober.disconnect()->wait();
  observer.disconnect()->wait();

  // Per actor and site: the values it received.
  std::map<std::string, std::map<std::string, std::multiset<double>>> got;
  for (const auto& [name, child] : actors) {
    std::istringstream in(child->readStdout());
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      const json m = json::parse(line);
      EXPECT_EQ(m["actor_id"], name);
      // One message per reading, or a batch while the gateway had a backlog (decision 1350).
      for (const auto& reading : e2e::readingsOf(m)) {
        got[name][m["site_id"]].insert(reading["value"].get<double>());
      }
    }
  }
  auto sitesOf = [&](const std::string& actor) {
    std::set<std::string> out;
    for (const auto& [site, values] : got[actor]) out.insert(site);
    return out;
  };
  EXPECT_EQ(sitesOf("municipality"), (std::set<std::string>{"site-a", "site-b"}));
  EXPECT_EQ(sitesOf("public"), (std::set<std::string>{"site-a", "site-c"}));
  EXPECT_TRUE(sitesOf("police").empty());
  for (const auto& site : sites) {
    if (site.municipality_pm10) {
      EXPECT_EQ(got["municipality"][site.id], pm10) << site.id;
    }
    if (site.public_pm25) {
      EXPECT_EQ(got["public"][site.id], pm25) << site.id;
    }
  }
}

}  // namespace
}  // namespace gw
