// The ops endpoint of a running gatewayd, end to end: a real Mosquitto, live UDP readings, the
// actor's `gatewayctl subscribe`, and HTTP requests to /healthz, /readyz, /metrics and /status;
// then the operator's status page in headless Chromium (skipped when chromium is absent).
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gateway/crypto/key_file.h"
#include "tests/support/child_process.h"
#include "tests/support/headless_chromium.h"
#include "tests/support/http_get.h"
#include "tests/support/mosquitto_broker.h"

namespace gw {
namespace {

using gw::testing::ChildProcess;
using gw::testing::httpGet;
using gw::testing::MosquittoBroker;
using gw::testing::TempDir;
using gw::testing::waitUntil;
using nlohmann::json;

// Prometheus text -> {"name{labels}": value}, with a plain line split (not the exporter's code).
std::map<std::string, double> parseMetrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

size_t lineCount(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

class OpsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("municipality"), dir_ / "keys").ok());
    ASSERT_TRUE(crypto::writeIdentityKeyPair(crypto::generateIdentityKey("ops-site"), dir_ / "keys",
                                             "gateway")
                    .ok());
    udp_port_ = gw::testing::freeLoopbackPort();
    ops_port_ = gw::testing::freeLoopbackPort();
    writePolicy("20");
  }

  void writePolicy(const std::string& above) {
    std::ofstream(dir_ / "ops.yaml")
        << "site: {id: ops-site}\n"
           "gateway: {ops: {stall_after: 2s}, identity_key_file: "
        << (dir_ / "keys/gateway.key").string()
        << "}\n"
           "actors:\n"
           "  - {id: municipality, public_key_file: "
        << (dir_ / "keys/municipality.pub").string()
        << ", purposes: [water_management]}\n"
           "sources:\n"
           "  - id: level\n"
           "    sensor: {format: json_reading, udp: {port: "
        << udp_port_
        << "}, sensor_ids: [wl-1]}\n"
           "detectors:\n"
           // In its own process (issue 21), so the page's isolation columns have a subject.
           "  - {id: high-water, sources: [level], isolation: process, threshold: {quantity: "
           "water_level, above: "
        << above
        << ", clear_below: 10}}\n"
           "routes:\n"
           "  - {to: municipality, purpose: water_management, from: {measurements: "
           "[water_level], detectors: [high-water]}}\n";
  }

  void startGateway() {
    subscriber_ = std::make_unique<ChildProcess>(ChildProcess::Options{
        {gw::testing::appBinary("gatewayctl"), "subscribe", "--broker", broker_.url(), "--site",
         "ops-site", "--actor", "municipality", "--key", (dir_ / "keys/municipality.key").string(),
         "--gateway-key", (dir_ / "keys/gateway.pub").string(), "--json"},
        {},
        dir_ / "sub.out",
        dir_ / "sub.err"});
    ASSERT_TRUE(
        waitUntil([&] { return subscriber_->readStderr().find("subscribed") != std::string::npos; },
                  std::chrono::seconds(15)));
    gatewayd_ = std::make_unique<ChildProcess>(ChildProcess::Options{
        {gw::testing::appBinary("gatewayd"), "--policy", (dir_ / "ops.yaml").string(), "--broker",
         broker_.url(), "--state-dir", (dir_ / "state").string(), "--ops-listen",
         "127.0.0.1:" + std::to_string(ops_port_)},
        {},
        dir_ / "gatewayd.out",
        dir_ / "gatewayd.err"});
    ASSERT_TRUE(waitUntil(
        [&] {
          const std::string err = gatewayd_->readStderr();
          return err.find("Ops endpoint listening") != std::string::npos &&
                 err.find("udp=127.0.0.1") != std::string::npos;
        },
        std::chrono::seconds(20)))
        << gatewayd_->readStderr();
  }

  void sendLevels(const std::vector<std::string>& sensors_and_values) {
    boost::asio::io_context io;
    boost::asio::ip::udp::socket socket(io, boost::asio::ip::udp::v4());
    const boost::asio::ip::udp::endpoint to(boost::asio::ip::make_address("127.0.0.1"),
                                            static_cast<uint16_t>(udp_port_));
    // A millisecond apart: one sensor's readings at the same time are duplicates (dropped).
    int64_t time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    for (const auto& item : sensors_and_values) {
      const auto colon = item.find(':');
      socket.send_to(boost::asio::buffer(R"({"sensor":")" + item.substr(0, colon) +
                                         R"(","quantity":"water_level","unit":"cm","value":)" +
                                         item.substr(colon + 1) + R"(,"time_ms":)" +
                                         std::to_string(time_ms++) + "}"),
                     to);
    }
  }

  std::map<std::string, double> metrics() {
    auto reply = httpGet(ops_port_, "/metrics");
    EXPECT_TRUE(reply.has_value());
    if (!reply) return {};
    EXPECT_EQ(reply->status, 200);
    EXPECT_NE(reply->content_type.find("text/plain"), std::string::npos);
    return parseMetrics(reply->body);
  }

  double metric(const std::string& key) {
    auto m = metrics();
    auto it = m.find(key);
    return it == m.end() ? -1 : it->second;
  }

  int statusOf(const std::string& target) {
    auto reply = httpGet(ops_port_, target);
    return reply ? reply->status : 0;
  }

  void stopGateway() {
    gatewayd_->signal(SIGTERM);
    ASSERT_TRUE(gatewayd_->wait(std::chrono::seconds(30)).has_value());
    subscriber_->signal(SIGTERM);
    ASSERT_TRUE(subscriber_->wait(std::chrono::seconds(10)).has_value());
  }

  MosquittoBroker broker_;
  TempDir dir_;
  int udp_port_ = 0;
  int ops_port_ = 0;
  std::unique_ptr<ChildProcess> subscriber_;
  std::unique_ptr<ChildProcess> gatewayd_;
};

TEST_F(OpsE2eTest, HealthReadinessMetricsAndStatusFollowTheGatewaysState) {
  startGateway();
  EXPECT_EQ(statusOf("/readyz"), 200);
  EXPECT_EQ(statusOf("/nope"), 404);

  // A live source that delivers nothing for stall_after (2 s) makes the gateway unhealthy ...
  ASSERT_TRUE(waitUntil([&] { return statusOf("/healthz") == 503; }, std::chrono::seconds(20)));
  auto sick = httpGet(ops_port_, "/healthz");
  ASSERT_TRUE(sick.has_value());
  EXPECT_NE(sick->body.find("source level made no progress"), std::string::npos) << sick->body;

  // ... and readings bring it back: two accepted (one above the threshold: one event), one from a
  // sensor the policy does not list (dropped, counted).
  sendLevels({"wl-1:12", "wl-1:27", "intruder:5"});
  ASSERT_TRUE(
      waitUntil([&] { return lineCount(gw::testing::readWholeFile(dir_ / "sub.out")) >= 3; },
                std::chrono::seconds(20)));
  ASSERT_TRUE(waitUntil([&] { return statusOf("/healthz") == 200; }, std::chrono::seconds(10)));
  // Every envelope published is acknowledged: the KEY, the three DATA and a checkpoint (then
  // the stream is idle for 30 s, so the counts hold still).
  ASSERT_TRUE(waitUntil(
      [&] {
        const auto acked = metric(R"(lantaarn_outbox_acked_total{actor="municipality"})");
        return acked >= 5 &&
               acked == metric(R"(lantaarn_messages_published_total{actor="municipality"})");
      },
      std::chrono::seconds(10)));

  auto m = metrics();
  EXPECT_EQ(m[R"(lantaarn_readings_accepted_total{source="level"})"], 2);
  EXPECT_EQ(m[R"(lantaarn_readings_dropped_total{source="level",reason="unknown_sensor"})"], 1);
  EXPECT_EQ(m[R"(lantaarn_events_total{detector="high-water",kind="threshold_exceeded"})"], 1);
  EXPECT_EQ(m[R"(lantaarn_envelopes_sealed_total{actor="municipality",kind="measurement"})"], 2);
  EXPECT_EQ(m[R"(lantaarn_envelopes_sealed_total{actor="municipality",kind="event"})"], 1);
  EXPECT_EQ(m[R"(lantaarn_envelopes_sealed_total{actor="municipality",kind="key"})"], 1);
  EXPECT_EQ(m[R"(lantaarn_detector_latency_seconds_count{detector="high-water"})"], 2);
  EXPECT_EQ(m[R"(lantaarn_detector_latency_seconds_bucket{detector="high-water",le="+Inf"})"], 2);
  EXPECT_EQ(m[R"(lantaarn_detector_roundtrip_seconds_count{detector="high-water"})"], 2);
  EXPECT_EQ(m[R"(lantaarn_detector_restarts_total{detector="high-water"})"], 0);
  EXPECT_GT(m[R"(lantaarn_bytes_acked_total{actor="municipality"})"], 0);
  EXPECT_EQ(m[R"(lantaarn_bytes_acked_total{actor="municipality"})"],
            m[R"(lantaarn_bytes_sent_total{actor="municipality"})"]);
  EXPECT_EQ(m[R"(lantaarn_outbox_messages{actor="municipality"})"], 0);
  EXPECT_EQ(m["lantaarn_broker_connected"], 1);
  EXPECT_EQ(m["lantaarn_policy_version"], 1);
  EXPECT_EQ(m["lantaarn_policy_reloads_total"], 0);
  EXPECT_EQ(m["lantaarn_pipeline_responsive"], 1);

  auto status = httpGet(ops_port_, "/status");
  ASSERT_TRUE(status.has_value());
  const json s = json::parse(status->body);
  EXPECT_EQ(s["site"], "ops-site");
  ASSERT_EQ(s["recent_events"].size(), 1u);
  EXPECT_EQ(s["recent_events"][0]["kind"], "threshold_exceeded");
  EXPECT_EQ(s["recent_events"][0]["detector"], "high-water");
  EXPECT_FALSE(s["recent_events"][0].contains("value"));  // metadata, not the measurement
  EXPECT_EQ(s["sources"][0]["dropped"]["unknown_sensor"], 1);
  EXPECT_EQ(s["actors"][0]["acknowledged"],
            m[R"(lantaarn_outbox_acked_total{actor="municipality"})"]);

  // The broker goes away: messages wait in the outbox and show there, with their age; the
  // gateway stays live and ready (the outbox accepts), and drains when the broker is back.
  broker_.stop();
  ASSERT_TRUE(waitUntil([&] { return metric("lantaarn_broker_connected") == 0; },
                        std::chrono::seconds(10)));
  sendLevels({"wl-1:14", "wl-1:15"});
  ASSERT_TRUE(
      waitUntil([&] { return metric(R"(lantaarn_outbox_messages{actor="municipality"})") >= 2; },
                std::chrono::seconds(10)));
  ASSERT_TRUE(waitUntil(
      [&] { return metric(R"(lantaarn_outbox_oldest_age_seconds{actor="municipality"})") > 0; },
      std::chrono::seconds(10)));
  EXPECT_EQ(statusOf("/readyz"), 200);
  broker_.start();
  ASSERT_TRUE(
      waitUntil([&] { return metric(R"(lantaarn_outbox_messages{actor="municipality"})") == 0; },
                std::chrono::seconds(40)));

  // SIGHUP: a new policy version, counted.
  writePolicy("25");
  gatewayd_->signal(SIGHUP);
  ASSERT_TRUE(
      waitUntil([&] { return metric("lantaarn_policy_version") == 2; }, std::chrono::seconds(10)));
  EXPECT_EQ(metric("lantaarn_policy_reloads_total"), 1);
  stopGateway();
}

TEST(OpsEndpointE2eTest, ABadOpsAddressOrStallDurationIsAPolicyError) {
  TempDir dir;
  ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("a"), dir / "keys").ok());
  std::ofstream(dir / "bad.yaml") << "site: {id: s}\n"
                                     "gateway: {ops: {listen: 'localhost:x', stall_after: soon}}\n"
                                     "actors: [{id: a, public_key_file: "
                                  << (dir / "keys/a.pub").string() << ", purposes: [p]}]\n";
  ChildProcess check(
      {{gw::testing::appBinary("gatewayctl"), "policy", "check", (dir / "bad.yaml").string()},
       {},
       dir / "check.out",
       dir / "check.err"});
  auto rc = check.wait(std::chrono::seconds(20));
  ASSERT_TRUE(rc.has_value());
  EXPECT_NE(ChildProcess::exitCode(*rc), 0);
  const std::string out = check.readStdout() + check.readStderr();
  EXPECT_NE(out.find("gateway.ops.listen"), std::string::npos) << out;
  EXPECT_NE(out.find("gateway.ops.stall_after"), std::string::npos) << out;
}

// The status page in a real browser: Debian's chromium, headless, loads the page from the
// running gatewayd, runs its JavaScript (the first render and at least one automatic refresh
// from /status), and we read the resulting DOM. Skipped when chromium is not installed.
using gw::testing::findChromium;
using gw::testing::renderedDom;

// The text of the <td class="<cls>"> in the table row <tr data-id="<row>">.
std::string cell(const std::string& dom, const std::string& row, const std::string& cls) {
  const auto tr = dom.find("<tr data-id=\"" + row + "\">");
  if (tr == std::string::npos) return "<no row " + row + ">";
  const auto end = dom.find("</tr>", tr);
  const std::string open = "<td class=\"" + cls + "\">";
  const auto td = dom.find(open, tr);
  if (td == std::string::npos || td > end) return "<no cell " + cls + ">";
  const auto text = td + open.size();
  return dom.substr(text, dom.find('<', text) - text);
}

TEST_F(OpsE2eTest, StatusPageInHeadlessChromiumShowsLiveStateThatChanges) {
  const std::string chromium = findChromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (deploy/install-deps.sh)";
  startGateway();

  const std::string before = renderedDom(chromium, dir_.path(), ops_port_, "before");
  ASSERT_NE(before.find("id=\"site\">ops-site<"), std::string::npos) << before;
  EXPECT_EQ(cell(before, "level", "num total"), "0");
  EXPECT_EQ(cell(before, "municipality", "num published"), "0");
  EXPECT_EQ(before.find("threshold_exceeded"), std::string::npos);
  // The page fetched /status again by itself (auto refresh), not only the embedded first state.
  const std::string marker = "id=\"refreshes\">";
  const auto at = before.find(marker);
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stoi(before.substr(at + marker.size())), 1);

  sendLevels({"wl-1:12", "wl-1:27", "intruder:5"});
  // KEY, 3 DATA and the checkpoint after them; then the stream is idle and the counts hold.
  ASSERT_TRUE(
      waitUntil([&] { return metric(R"(lantaarn_outbox_acked_total{actor="municipality"})") == 5; },
                std::chrono::seconds(20)));

  const std::string after = renderedDom(chromium, dir_.path(), ops_port_, "after");
  EXPECT_EQ(cell(after, "level", "num total"), "3");  // 2 accepted + 1 dropped
  EXPECT_EQ(cell(after, "level", "dropped"), "unknown_sensor: 1");
  EXPECT_EQ(cell(after, "municipality", "num published"), "5");
  EXPECT_EQ(cell(after, "municipality", "num acknowledged"), "5");
  EXPECT_EQ(cell(after, "high-water", "num events"), "1");
  EXPECT_EQ(cell(after, "high-water", "isolation"), "process");
  EXPECT_EQ(cell(after, "high-water", "num restarts"), "0");
  EXPECT_FALSE(cell(after, "high-water", "num roundtrip").empty());
  EXPECT_NE(after.find("<td class=\"kind\">threshold_exceeded</td>"), std::string::npos) << after;
  EXPECT_EQ(after.find("<img"), std::string::npos);  // never images
  stopGateway();
}

}  // namespace
}  // namespace gw
