#pragma once
// The set-up shared by the failure-case e2e tests of issue 5 (broker_outage_e2e_test.cc,
// last_will_e2e_test.cc): two actors with persistent sessions, gatewayd fed by a TCP source of
// JSON readings, a broker whose sessions survive its restart.
#include <gtest/gtest.h>
#include <mqtt/async_client.h>
#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "gateway/crypto/key_file.h"
#include "tests/e2e/actor_output.h"
#include "tests/support/child_process.h"
#include "tests/support/mosquitto_broker.h"

namespace gw::e2e {

using gw::testing::ChildProcess;
using gw::testing::MosquittoBroker;
using gw::testing::TempDir;
using gw::testing::waitUntil;
using nlohmann::json;

inline constexpr int kMessages = 10000;
inline constexpr const char* kSite = "outage-site";

inline int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The gateway identity (keys/gateway.{key,pub}) and the actors' key pairs.
inline void writeTestKeys(const std::filesystem::path& keys,
                          std::initializer_list<const char*> actors) {
  EXPECT_TRUE(
      crypto::writeIdentityKeyPair(crypto::generateIdentityKey(kSite), keys, "gateway").ok());
  for (const char* actor : actors) {
    EXPECT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair(actor), keys).ok());
  }
}

// `batch_backlog`: gatewayd's default; off for the tests that count messages on the wire or
// in the dead letters as one per reading.
inline std::string policyText(const std::filesystem::path& dir, int tcp_port,
                              bool batch_backlog = true) {
  return std::string("site: {id: ") + kSite +
         ", name: Outage}\n"
         // A short reconnect cap so the gateway is back soon after the broker (default 30 s).
         "gateway:\n"
         "  broker: {reconnect_min: 200ms, reconnect_max: 2s}\n" +
         (batch_backlog ? "" : "  backlog_batching: {mode: off}\n") +
         "  identity_key_file: " + (dir / "keys" / "gateway.key").string() +
         "\n"
         "actors:\n"
         "  - {id: municipality, public_key_file: " +
         (dir / "keys" / "municipality.pub").string() +
         ", purposes: [air_quality_monitoring]}\n"
         "  - {id: rijkswaterstaat, public_key_file: " +
         (dir / "keys" / "rijkswaterstaat.pub").string() +
         ", purposes: [water_management]}\n"
         "sources:\n"
         "  - id: feed\n"
         "    sensor: {format: json_reading, tcp: {port: " +
         std::to_string(tcp_port) +
         "}}\n"
         "routes:\n"
         "  - {to: municipality, purpose: air_quality_monitoring, from: {measurements: [pm10]}}\n"
         "  - {to: rijkswaterstaat, purpose: water_management, from: {measurements: "
         "[water_level]}}\n";
}

// Reading i: even ones are pm10 (municipality), odd ones water_level (rijkswaterstaat). The
// sequence number rides in the observation time (base_ms + i; values must stay in the sensors'
// plausible ranges), so each actor's output tells order, gaps and duplicates.
inline std::string readingLine(int i, int64_t base_ms) {
  const bool pm = i % 2 == 0;
  return std::string("{\"sensor\":\"s1\",\"quantity\":\"") + (pm ? "pm10" : "water_level") +
         "\",\"unit\":\"" + (pm ? "ug/m3" : "cm") + "\",\"value\":" + std::to_string(i % 97) +
         ",\"time_ms\":" + std::to_string(base_ms + i) + "}\n";
}

// A TCP feed into gatewayd's sensor source: readings [from, to) as readingLine() writes them.
struct Feed {
  Feed(int port, int64_t base) : socket(io), base_ms(base) {
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
  }
  void send(int from, int to) {
    std::string chunk;
    for (int i = from; i < to; ++i) chunk += readingLine(i, base_ms);
    boost::asio::write(socket, boost::asio::buffer(chunk));
  }
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket;
  int64_t base_ms;
};

// The sequence numbers an actor printed, in arrival order: of single measurements and of the
// batches gatewayd makes while its outbox has a backlog (an outage builds one; decision 1350).
inline std::vector<int> valuesIn(const std::filesystem::path& out, int64_t base_ms) {
  std::vector<int> values;
  std::istringstream in(gw::testing::readWholeFile(out));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto m = json::parse(line, nullptr, false);
    if (m.is_discarded()) continue;  // a torn last line
    for (const auto& reading : readingsOf(m)) {
      // proto3 JSON writes 64-bit integers as strings.
      const auto observed = std::stoll(reading.value("observed_unix_ms", std::string("0")));
      values.push_back(static_cast<int>(observed - base_ms));
    }
  }
  return values;
}

// gatewayctl subscribe's last line on stderr: {"report":"summary",...}; null if absent.
inline json summaryIn(const std::string& err) {
  const auto at = err.rfind("{\"report\":\"summary\"");
  if (at == std::string::npos) return json();
  return json::parse(err.substr(at, err.find('\n', at) - at), nullptr, false);
}

inline size_t distinct(const std::vector<int>& v) {
  return std::set<int>(v.begin(), v.end()).size();
}

class BrokerOutageE2eTest : public ::testing::Test {
 protected:
  explicit BrokerOutageE2eTest(std::vector<std::string> broker_config = {})
      : broker_(options(std::move(broker_config))) {
    writeTestKeys(dir_ / "keys", {"municipality", "rijkswaterstaat"});
  }
  static gw::testing::BrokerOptions options(std::vector<std::string> extra_config) {
    gw::testing::BrokerOptions o;
    o.persistence = true;  // subscriber sessions and their queues survive the broker's restart
    o.extra_config = std::move(extra_config);
    return o;
  }

  // An actor as deployed for "nothing lost": a stable client id and a persistent session.
  std::unique_ptr<ChildProcess> subscribe(const std::string& actor) {
    auto child = std::make_unique<ChildProcess>(ChildProcess::Options{
        {gw::testing::appBinary("gatewayctl"), "subscribe", "--broker", broker_.url(), "--site",
         kSite, "--actor", actor, "--key", (dir_ / "keys" / (actor + ".key")).string(),
         "--gateway-key", (dir_ / "keys" / "gateway.pub").string(), "--json", "--client-id",
         "outage-test-" + actor, "--persistent-session"},
        {},
        dir_ / (actor + ".out"),
        dir_ / (actor + ".err")});
    EXPECT_TRUE(
        waitUntil([&] { return child->readStderr().find("subscribed") != std::string::npos; },
                  std::chrono::seconds(15)))
        << child->readStderr();
    return child;
  }

  std::unique_ptr<ChildProcess> gatewayd(int tcp_port) {
    return gatewayd(tcp_port, policyText(dir_.path(), tcp_port));
  }
  // The same with a policy of the test's own (whose TCP source listens on `tcp_port`).
  std::unique_ptr<ChildProcess> gatewayd(int tcp_port, const std::string& policy) {
    std::ofstream(dir_ / "policy.yaml") << policy;
    auto child = std::make_unique<ChildProcess>(ChildProcess::Options{
        {gw::testing::appBinary("gatewayd"), "--policy", (dir_ / "policy.yaml").string(),
         "--broker", broker_.url(), "--state-dir", (dir_ / "state").string()},
        {},
        dir_ / "gatewayd.out",
        dir_ / "gatewayd.err",
        true});
    EXPECT_TRUE(waitUntil([&] { return gw::testing::acceptsConnections(tcp_port); },
                          std::chrono::seconds(20)))
        << child->readStderr();
    return child;
  }

  MosquittoBroker broker_;
  TempDir dir_;
};

}  // namespace gw::e2e
