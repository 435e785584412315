// End to end, the crash loop of issue 21 through the built binaries: gatewayd takes PM10 readings
// (a real Sensor.Community day, fed live over TCP) and runs misbehaving detector plugins, each in
// its own confined process, beside a built-in threshold detector. An actor on another stream
// (municipality: every reading and the threshold events) must lose nothing while the plugins
// crash, hang and misbehave; the operator's actor (police, here the one routed the health events)
// gets one detector_crashed per restart with the reason, then detector_disabled; gatewayd keeps
// running and exits 0, and /metrics counts every crash by reason.
#include <fstream>

#include "tests/e2e/outage_fixture.h"
#include "tests/support/http_get.h"

namespace gw::e2e {
namespace {

// PM10 of the Aberdeen SDS011 day (tests/data), with a plain split: the feed and the expectation.
std::vector<double> realPm10() {
  std::ifstream in(gw::testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv"));
  std::string line;
  std::getline(in, line);
  std::vector<double> values;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ';');) cells.push_back(cell);
    if (cells.size() > 6 && !cells[6].empty()) values.push_back(std::stod(cells[6]));
  }
  return values;
}

size_t readingsIn(const std::vector<json>& messages) {
  size_t n = 0;
  for (const auto& m : messages) n += readingsOf(m).size();
  return n;
}

struct Plugin {
  std::string id;          // the detector id in the policy
  std::string kind;        // libgw_misbehave_<kind>_plugin.so
  std::string reason;      // what its child's end must be reported as
  std::string extra = "";  // more params
};

class PluginIsolationE2eTest : public ::testing::Test {
 protected:
  std::string policy(const std::vector<Plugin>& plugins, int restart_limit) {
    const auto keys = dir_ / "keys";
    std::string text = std::string("site: {id: ") + kSite +
                       "}\n"
                       "gateway:\n"
                       "  identity_key_file: " +
                       (keys / "gateway.key").string() +
                       "\n  backlog_batching: {mode: off}\n"
                       "  ops: {listen: '127.0.0.1:" +
                       std::to_string(ops_port_) +
                       "'}\n"
                       "actors:\n"
                       "  - {id: municipality, public_key_file: " +
                       (keys / "municipality.pub").string() +
                       ", purposes: [air_quality_monitoring, public_health]}\n"
                       "  - {id: police, public_key_file: " +
                       (keys / "police.pub").string() +
                       ", purposes: [operations]}\n"
                       "sources:\n"
                       "  - id: feed\n"
                       "    sensor: {format: json_reading, tcp: {port: " +
                       std::to_string(feed_port_) +
                       "}}\n"
                       "detectors:\n"
                       "  - {id: pm10-limit, sources: [feed], threshold: {quantity: pm10, above: "
                       "50, clear_below: 40}}\n";
    std::string ids;
    for (const auto& p : plugins) {
      text += "  - id: " + p.id +
              "\n    sources: [feed]\n"
              "    budget_ms: 100\n"
              "    plugin: {path: " +
              std::string(GW_PLUGIN_DIR) + "/libgw_misbehave_" + p.kind +
              "_plugin.so, params: {after: '20'" + p.extra +
              "}}\n"
              "    sandbox: {reply_timeout_ms: 1000, memory_mb: 128, restart_limit: " +
              std::to_string(restart_limit) + "}\n";
      ids += (ids.empty() ? "" : ", ") + p.id;
    }
    text +=
        "routes:\n"
        "  - {to: municipality, purpose: air_quality_monitoring, from: {measurements: [pm10]}}\n"
        "  - {to: municipality, purpose: public_health, from: {detectors: [pm10-limit]}}\n"
        "  - {to: police, purpose: operations, from: {health: [detector_crashed, "
        "detector_disabled, detector_enabled], detectors: [" +
        ids + "]}}\n";
    return text;
  }

  std::unique_ptr<ChildProcess> subscribe(const std::string& actor) {
    auto child = std::make_unique<ChildProcess>(ChildProcess::Options{
        {gw::testing::appBinary("gatewayctl"), "subscribe", "--broker", broker_.url(), "--site",
         kSite, "--actor", actor, "--key", (dir_ / "keys" / (actor + ".key")).string(),
         "--gateway-key", (dir_ / "keys" / "gateway.pub").string(), "--json"},
        {},
        dir_ / (actor + ".out"),
        dir_ / (actor + ".err")});
    EXPECT_TRUE(
        waitUntil([&] { return child->readStderr().find("subscribed") != std::string::npos; },
                  std::chrono::seconds(15)));
    return child;
  }

  // Runs gatewayd with `plugins`, feeds the day's PM10 values `gap` apart, and checks what every
  // actor sees. Returns the health events police got, in order.
  std::vector<json> run(const std::vector<Plugin>& plugins, int restart_limit,
                        std::chrono::milliseconds gap, int passes = 1) {
    writeTestKeys(dir_ / "keys", {"municipality", "police"});
    std::ofstream(dir_ / "policy.yaml") << policy(plugins, restart_limit);
    auto municipality = subscribe("municipality");
    auto police = subscribe("police");
    ChildProcess gatewayd(
        {{gw::testing::appBinary("gatewayd"), "--policy", (dir_ / "policy.yaml").string(),
          "--broker", broker_.url(), "--state-dir", (dir_ / "state").string()},
         {},
         dir_ / "gatewayd.out",
         dir_ / "gatewayd.err"});
    EXPECT_TRUE(waitUntil([&] { return gw::testing::acceptsConnections(feed_port_); },
                          std::chrono::seconds(30)))
        << gatewayd.readStderr();

    // The day `passes` times, 1.5 s apart: a second pass meets every restarted child after its
    // 1 s backoff, whatever the first pass left queued behind a hung one.
    std::vector<double> values;
    for (int p = 0; p < passes; ++p) {
      const auto day = realPm10();
      values.insert(values.end(), day.begin(), day.end());
    }
    const size_t pass_size = values.size() / static_cast<size_t>(passes);
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket feed(io);
    feed.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(feed_port_)});
    const int64_t base_ms = nowMs() - 3'600'000;
    for (size_t i = 0; i < values.size(); ++i) {
      const std::string line =
          "{\"sensor\":\"5331\",\"quantity\":\"pm10\",\"unit\":\"ug/m3\","
          "\"value\":" +
          std::to_string(values[i]) + ",\"time_ms\":" + std::to_string(base_ms + 1000 * i) + "}\n";
      boost::asio::write(feed, boost::asio::buffer(line));
      std::this_thread::sleep_for(gap);
      if ((i + 1) % pass_size == 0 && i + 1 < values.size()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      }
    }
    // Every reading reaches the municipality, crash or no crash.
    EXPECT_TRUE(waitUntil(
        [&] { return readingsIn(messagesIn(dir_ / "municipality.out")) >= values.size(); },
        std::chrono::seconds(60)))
        << readingsIn(messagesIn(dir_ / "municipality.out")) << " of " << values.size() << "\n"
        << gatewayd.readStderr();
    EXPECT_FALSE(gatewayd.wait(std::chrono::milliseconds(1)).has_value()) << "gatewayd ended";
    metrics_ = gw::testing::httpGet(ops_port_, "/metrics").value_or(gw::testing::HttpReply{}).body;
    feed.close();
    gatewayd.signal(SIGTERM);
    const auto status = gatewayd.wait(std::chrono::seconds(30));
    EXPECT_TRUE(status.has_value());
    if (status) {
      EXPECT_EQ(ChildProcess::exitCode(*status), 0) << gatewayd.readStderr();
    }
    for (auto* s : {municipality.get(), police.get()}) {
      s->signal(SIGTERM);
      s->wait(std::chrono::seconds(10));
    }

    // Municipality: exactly the readings, in order, and the threshold events of an independent
    // hysteresis over the same values.
    const auto got = messagesIn(dir_ / "municipality.out");
    std::vector<double> readings;
    std::vector<std::string> events;
    for (const auto& m : got) {
      for (const auto& r : readingsOf(m)) readings.push_back(r["value"].get<double>());
      if (m.contains("event")) events.push_back(m["event"]["kind"]);
    }
    EXPECT_EQ(readings, values);
    std::vector<std::string> expected_events;
    bool raised = false;
    for (double v : values) {
      if (!raised && v > 50) {
        expected_events.push_back("threshold_exceeded");
        raised = true;
      } else if (raised && v < 40) {
        expected_events.push_back("threshold_cleared");
        raised = false;
      }
    }
    EXPECT_EQ(events, expected_events);

    std::vector<json> health;
    for (const auto& m : messagesIn(dir_ / "police.out")) {
      if (m.contains("event") && m["event"]["detector_id"] == "health") {
        health.push_back(m["event"]);
      }
    }
    return health;
  }

  // The number after `name{labels} ` in the /metrics text, 0 when absent.
  uint64_t metric(const std::string& series) const {
    const auto at = metrics_.find(series + " ");
    if (at == std::string::npos) return 0;
    return std::stoull(metrics_.substr(at + series.size() + 1));
  }

  MosquittoBroker broker_;
  TempDir dir_;
  int feed_port_ = gw::testing::freeLoopbackPort();
  int ops_port_ = gw::testing::freeLoopbackPort();
  std::string metrics_;
};

TEST_F(PluginIsolationE2eTest, ACrashingPluginIsRestartedThenDisabledAndOtherStreamsLoseNothing) {
  // Dereferences NULL on its 20th reading, in every new process: the crash loop of issue 21.
  // 10 ms apart the 564 readings take 5.6 s: time for the backoffs of 1 s and 2 s.
  const auto health = run({{"crasher", "segfault", "segfault"}}, 3, std::chrono::milliseconds(10));
  std::vector<std::string> kinds;
  kinds.reserve(health.size());
  for (const auto& e : health) kinds.push_back(e["kind"]);
  ASSERT_EQ(kinds, (std::vector<std::string>{"detector_crashed", "detector_crashed",
                                             "detector_disabled"}));
  for (const auto& e : health) {
    EXPECT_NE(e["summary"].get<std::string>().find("detector crasher ("), std::string::npos);
    EXPECT_EQ(e["source_id"], "feed");
  }
  EXPECT_EQ(health[0]["reason"], "segfault");
  EXPECT_EQ(health[1]["reason"], "segfault");
  EXPECT_EQ(metric("detector_crashes_total{detector=\"crasher\",reason=\"segfault\"}"), 3u)
      << metrics_;
  EXPECT_EQ(metric("detector_restarts_total{detector=\"crasher\"}"), 2u);
  EXPECT_EQ(metric("detector_disabled_total{detector=\"crasher\"}"), 1u);
}

TEST_F(PluginIsolationE2eTest, EveryKindOfMisbehaviourEndsOnlyItsOwnProcess) {
  std::filesystem::create_directories(dir_ / "state");
  const std::string key = (dir_ / "keys" / "gateway.key").string();
  std::vector<Plugin> plugins = {
      {"p-segfault", "segfault", "segfault"},
      {"p-abort", "abort", "abort"},
      {"p-loop", "loop", "hang"},
      {"p-forkbomb", "forkbomb", "forbidden_syscall"},
      {"p-write-etc", "write_etc", "forbidden_file"},
      {"p-write-state", "write_state", "forbidden_file",
       ", path: " + (dir_ / "state" / "outbox-was-here").string()},
      {"p-connect", "connect", "forbidden_syscall", ", port: '" + std::to_string(ops_port_) + "'"},
      {"p-read-key", "read_key", "forbidden_file", ", path: " + key},
      {"p-garbage", "garbage", "protocol"},
      {"p-flood", "flood", "protocol"},
      {"p-exec", "exec", "forbidden_syscall"},
  };
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // Allocates until operator new fails: only where the address-space limit applies (the
  // sanitizers' shadow memory rules it out, and the plugin would take the box's memory instead).
  plugins.push_back({"p-alloc", "alloc_new", "memory_limit"});
#endif
  const auto health = run(plugins, 2, std::chrono::milliseconds(4), 2);
  for (const auto& p : plugins) {
    std::vector<json> mine;
    for (const auto& e : health) {
      if (e["summary"].get<std::string>().find("detector " + p.id + " (") != std::string::npos) {
        mine.push_back(e);
      }
    }
    ASSERT_EQ(mine.size(), 2u) << p.id;  // crashed, restarted, then disabled at the limit of 2
    EXPECT_EQ(mine[0]["kind"], "detector_crashed") << p.id;
    EXPECT_EQ(mine[0]["reason"], p.reason) << p.id << ": " << mine[0]["summary"];
    EXPECT_EQ(mine[1]["kind"], "detector_disabled") << p.id;
    EXPECT_EQ(
        metric("detector_crashes_total{detector=\"" + p.id + "\",reason=\"" + p.reason + "\"}"), 2u)
        << p.id << "\n"
        << metrics_;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state" / "outbox-was-here"));
  EXPECT_FALSE(std::filesystem::exists("/etc/lantaarn-plugin-was-here"));
  for (const auto& m : messagesIn(dir_ / "police.out")) {
    if (!m.contains("event")) continue;
    EXPECT_NE(m["event"]["kind"], "escaped") << m.dump();
  }
}

}  // namespace
}  // namespace gw::e2e
