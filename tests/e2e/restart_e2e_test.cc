// End to end through the built binaries and a real Mosquitto: what an actor sees across gatewayd
// restarts (docs/ACTORS.md "Across gateway restarts", decision 1200). With a state directory: a
// SIGKILL shows as one `unaccounted` range no wider than the reservation, a clean restart as
// nothing. Without one: a `stream_restart`, never a gap of 10^15.
#include "gateway/crypto/envelope_format.h"
#include "tests/e2e/outage_fixture.h"

namespace gw::e2e {
namespace {

constexpr int kPerRun = 200;  // readings fed per run; half of them are the municipality's

// The JSON report lines of a subscriber's stderr.
std::vector<json> reportsIn(const std::string& err) {
  std::vector<json> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("report")) out.push_back(j);
  }
  return out;
}

std::vector<json> ofType(const std::vector<json>& reports, const std::string& type) {
  std::vector<json> out;
  for (const auto& r : reports) {
    if (r["report"] == type) out.push_back(r);
  }
  return out;
}

class RestartE2eTest : public BrokerOutageE2eTest {
 protected:
  std::unique_ptr<ChildProcess> run(int port, bool state_dir, int n) {
    std::ofstream(dir_ / "policy.yaml") << policyText(dir_.path(), port);
    // "--state-dir ''": positions from the clock, the outbox in memory.
    std::vector<std::string> argv{gw::testing::appBinary("gatewayd"),
                                  "--policy",
                                  (dir_ / "policy.yaml").string(),
                                  "--broker",
                                  broker_.url(),
                                  "--ops-listen",
                                  "off",
                                  "--state-dir",
                                  state_dir ? (dir_ / "state").string() : std::string()};
    const std::string tag = "gatewayd" + std::to_string(n);
    auto child = std::make_unique<ChildProcess>(
        ChildProcess::Options{argv, {}, dir_ / (tag + ".out"), dir_ / (tag + ".err"), true});
    EXPECT_TRUE(
        waitUntil([&] { return gw::testing::acceptsConnections(port); }, std::chrono::seconds(20)))
        << child->readStderr();
    return child;
  }

  // Feeds readings [from, to) and waits until the municipality printed `want` distinct ones.
  void feedAndWait(int port, int from, int to, size_t want, ChildProcess& gateway) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket feed(io);
    feed.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
    std::string chunk;
    for (int i = from; i < to; ++i) chunk += readingLine(i, base_ms_);
    boost::asio::write(feed, boost::asio::buffer(chunk));
    EXPECT_TRUE(
        waitUntil([&] { return distinct(valuesIn(dir_ / "municipality.out", base_ms_)) >= want; },
                  std::chrono::seconds(60)))
        << distinct(valuesIn(dir_ / "municipality.out", base_ms_)) << " of " << want << "\n"
        << gateway.readStderr().substr(0, 4000);
  }

  static void stop(ChildProcess& child, int signal) {
    child.signal(signal);
    ASSERT_TRUE(child.wait(std::chrono::seconds(30)).has_value());
  }

  const int64_t base_ms_ = nowMs() - 60'000;
};

TEST_F(RestartE2eTest, WithAStateDirASigkillIsOneBoundedUnaccountedRangeACleanRestartNothing) {
  auto actor = subscribe("municipality");
  int port = gw::testing::freeLoopbackPort();
  auto first = run(port, true, 1);
  feedAndWait(port, 0, kPerRun, kPerRun / 2, *first);
  stop(*first, SIGKILL);  // no shutdown code runs: the positions file still says "running"

  port = gw::testing::freeLoopbackPort();
  auto second = run(port, true, 2);
  feedAndWait(port, kPerRun, 2 * kPerRun, kPerRun, *second);
  const auto after_crash = reportsIn(actor->readStderr());
  stop(*second, SIGTERM);  // clean: the exact positions are recorded

  port = gw::testing::freeLoopbackPort();
  auto third = run(port, true, 3);
  feedAndWait(port, 2 * kPerRun, 3 * kPerRun, 3 * kPerRun / 2, *third);
  stop(*third, SIGTERM);
  stop(*actor, SIGTERM);

  const auto all = reportsIn(gw::testing::readWholeFile(dir_ / "municipality.err"));
  const auto unaccounted = ofType(all, "unaccounted");
  ASSERT_EQ(unaccounted.size(), 1u) << gw::testing::readWholeFile(dir_ / "municipality.err");
  const uint64_t width =
      unaccounted[0]["to"].get<uint64_t>() - unaccounted[0]["from"].get<uint64_t>() + 1;
  std::cerr << "after SIGKILL: " << unaccounted[0].dump() << " (" << width << " numbers)\n";
  EXPECT_GT(width, 0u);
  EXPECT_LE(width, crypto::kSequenceReservation + 3) << "the jump is bounded by the reservation";
  // The clean restart added no report about the stream's numbers, only checkpoints.
  EXPECT_EQ(ofType(all, "unaccounted").size(), ofType(after_crash, "unaccounted").size());
  EXPECT_TRUE(ofType(all, "gap").empty()) << gw::testing::readWholeFile(dir_ / "municipality.err");
  EXPECT_TRUE(ofType(all, "stream_restart").empty());
  EXPECT_TRUE(ofType(all, "checkpoint_mismatch").empty());
  const std::string err = gw::testing::readWholeFile(dir_ / "municipality.err");
  EXPECT_EQ(err.find("{\"rejected\""), std::string::npos) << err.substr(0, 2000);
  EXPECT_EQ(distinct(valuesIn(dir_ / "municipality.out", base_ms_)),
            static_cast<size_t>(3 * kPerRun / 2));
}

TEST_F(RestartE2eTest, WithoutAStateDirARestartIsAStreamRestartNotAGap) {
  auto actor = subscribe("municipality");
  int port = gw::testing::freeLoopbackPort();
  auto first = run(port, false, 1);
  feedAndWait(port, 0, kPerRun, kPerRun / 2, *first);
  stop(*first, SIGKILL);

  port = gw::testing::freeLoopbackPort();
  auto second = run(port, false, 2);
  feedAndWait(port, kPerRun, 2 * kPerRun, kPerRun, *second);
  stop(*second, SIGTERM);
  stop(*actor, SIGTERM);

  const std::string err = gw::testing::readWholeFile(dir_ / "municipality.err");
  const auto all = reportsIn(err);
  const auto restarts = ofType(all, "stream_restart");
  ASSERT_EQ(restarts.size(), 1u) << err;
  std::cerr << "after a stateless restart: " << restarts[0].dump() << "\n";
  EXPECT_EQ(restarts[0]["missing"], 0);
  EXPECT_TRUE(ofType(all, "gap").empty()) << err;
  EXPECT_TRUE(ofType(all, "unaccounted").empty()) << err;
  EXPECT_EQ(err.find("{\"rejected\""), std::string::npos) << err.substr(0, 2000);
  EXPECT_EQ(distinct(valuesIn(dir_ / "municipality.out", base_ms_)), static_cast<size_t>(kPerRun));
}

}  // namespace
}  // namespace gw::e2e
