// The actor never falls silent without saying so (issue 19), end to end through gatewayd, a real
// Mosquitto and gatewayctl subscribe:
//  - the failure: a persistent session, and a broker restarted WITHOUT persistence
//    mid-stream. Before, the actor received part of the stream, then nothing, and its summary
//    said gaps=0 missing=0. Now it reports session_lost, subscribes again, receives what comes
//    after the restart and reports what the broker dropped as a gap.
//  - a gateway that stops: after --silence-after the stream is reported silent, with the reason
//    from the gateway's retained status ("gateway offline"), and resumed when it is back.
#include <atomic>

#include "gateway/pipeline/topics.h"
#include "tests/e2e/outage_fixture.h"

namespace gw::e2e {
namespace {

// Every stderr line of gatewayctl subscribe that is a JSON report of this type.
std::vector<json> reportsIn(const std::string& err, const std::string& type) {
  std::vector<json> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.value("report", "") == type) out.push_back(j);
  }
  return out;
}

// Counts what reaches one actor's topics on the broker, from a client of the test's own.
class TopicCounter {
 public:
  TopicCounter(const std::string& url, const std::string& filter) : client_(url, "topic-counter") {
    client_.set_message_callback([this](mqtt::const_message_ptr) { ++count_; });
    client_.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
    client_.subscribe(filter, 1)->wait();
  }
  int count() const { return count_.load(); }

 private:
  mqtt::async_client client_;
  std::atomic<int> count_{0};
};

class ActorSessionE2eTest : public ::testing::Test {
 protected:
  ActorSessionE2eTest() : broker_(gw::testing::BrokerOptions{}) {  // persistence off
    writeTestKeys(dir_ / "keys", {"municipality", "rijkswaterstaat"});
  }

  std::unique_ptr<ChildProcess> subscribe(const std::string& actor,
                                          std::vector<std::string> extra) {
    std::vector<std::string> argv = {gw::testing::appBinary("gatewayctl"),
                                     "subscribe",
                                     "--broker",
                                     broker_.url(),
                                     "--site",
                                     kSite,
                                     "--actor",
                                     actor,
                                     "--key",
                                     (dir_ / "keys" / (actor + ".key")).string(),
                                     "--gateway-key",
                                     (dir_ / "keys" / "gateway.pub").string(),
                                     "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto child = std::make_unique<ChildProcess>(
        ChildProcess::Options{argv, {}, dir_ / (actor + ".out"), dir_ / (actor + ".err")});
    EXPECT_TRUE(
        waitUntil([&] { return child->readStderr().find("subscribed") != std::string::npos; },
                  std::chrono::seconds(15)))
        << child->readStderr();
    return child;
  }

  std::unique_ptr<ChildProcess> gatewayd(int tcp_port) {
    // Step 2 counts PUBLISHes on the broker, one per reading: no batching under a backlog.
    std::ofstream(dir_ / "policy.yaml") << policyText(dir_.path(), tcp_port, false);
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

  // How many of the municipality's readings (the even ones) in [from, to) it printed.
  size_t receivedIn(int64_t base_ms, int from, int to) {
    std::set<int> got;
    for (int v : valuesIn(dir_ / "municipality.out", base_ms)) {
      if (v >= from && v < to) got.insert(v);
    }
    return got.size();
  }

  MosquittoBroker broker_;
  TempDir dir_;
};

TEST_F(ActorSessionE2eTest, ABrokerRestartWithoutPersistenceIsReportedAndTheStreamResumes) {
  const int port = gw::testing::freeLoopbackPort();
  auto gateway = gatewayd(port);
  auto actor = subscribe("municipality",
                         {"--client-id", "session-test-municipality", "--persistent-session"});
  Feed feed(port, nowMs() - 60'000);
  constexpr int kBatch = 2000;  // readings; half of them (the even ones) for the municipality

  // 1. The stream flows.
  feed.send(0, kBatch);
  ASSERT_TRUE(waitUntil([&] { return receivedIn(feed.base_ms, 0, kBatch) == kBatch / 2; },
                        std::chrono::seconds(60)))
      << receivedIn(feed.base_ms, 0, kBatch) << "\n"
      << gateway->readStderr();

  // 2. The actor stalls (SIGSTOP) while the broker takes the next batch for its session: at most
  // Mosquitto's 20 in flight reach its socket, the rest wait in the broker's queue for it.
  {
    TopicCounter counter(broker_.url(), pipeline::actorTopicFilter(kSite, "municipality"));
    actor->signal(SIGSTOP);
    feed.send(kBatch, 2 * kBatch);
    ASSERT_TRUE(waitUntil([&] { return counter.count() >= kBatch / 2; }, std::chrono::seconds(60)))
        << counter.count();
  }
  // 3. The broker restarts without persistence: the session and its queue are gone.
  broker_.stop();
  broker_.start();
  actor->signal(SIGCONT);
  ASSERT_TRUE(waitUntil([&] { return !reportsIn(actor->readStderr(), "session_lost").empty(); },
                        std::chrono::seconds(30)))
      << actor->readStderr();

  // 4. What comes after the restart arrives: the actor subscribed again. session_lost comes just
  // before the new SUBSCRIBE, so probe (one reading at a time, from a range of their own) until
  // one gets through, then send the batch that must arrive whole.
  int probe = 3 * kBatch;
  ASSERT_TRUE(waitUntil(
      [&] {
        if (receivedIn(feed.base_ms, 3 * kBatch, 1 << 30) > 0) return true;
        feed.send(probe, probe + 2);
        probe += 2;
        return false;
      },
      std::chrono::seconds(30)))
      << actor->readStderr().substr(0, 3000);
  feed.send(2 * kBatch, 3 * kBatch);
  ASSERT_TRUE(
      waitUntil([&] { return receivedIn(feed.base_ms, 2 * kBatch, 3 * kBatch) == kBatch / 2; },
                std::chrono::seconds(60)))
      << receivedIn(feed.base_ms, 2 * kBatch, 3 * kBatch) << " of " << kBatch / 2 << "\n"
      << actor->readStderr().substr(0, 3000);

  actor->signal(SIGTERM);
  ASSERT_TRUE(actor->wait(std::chrono::seconds(10)).has_value());
  gateway->signal(SIGTERM);
  ASSERT_TRUE(gateway->wait(std::chrono::seconds(30)).has_value());

  // 5. The loss is reported, not summarised away as gaps=0 missing=0.
  const std::string err = actor->readStderr();
  const size_t lost = kBatch / 2 - receivedIn(feed.base_ms, kBatch, 2 * kBatch);
  std::cerr << "second batch: " << lost << " of " << kBatch / 2 << " lost with the session\n";
  ASSERT_GT(lost, 0u) << "the broker kept everything: the test did not reproduce the loss";
  const auto lost_reports = reportsIn(err, "session_lost");
  ASSERT_EQ(lost_reports.size(), 1u) << err;
  EXPECT_EQ(lost_reports[0]["site"], kSite);
  EXPECT_GE(lost_reports[0]["at_unix_ms"].get<int64_t>(),
            lost_reports[0]["since_unix_ms"].get<int64_t>());
  const auto gaps = reportsIn(err, "gap");
  const auto incomplete = reportsIn(err, "checkpoint_incomplete");
  ASSERT_FALSE(gaps.empty() && incomplete.empty()) << err.substr(0, 3000);
  uint64_t gap_missing = 0;
  for (const auto& g : gaps) gap_missing += g["missing"].get<uint64_t>();
  // The gateway's sequences count every envelope (checkpoints too): at least the lost readings.
  EXPECT_GE(gap_missing, lost) << err.substr(0, 3000);
  const json summary = summaryIn(err);
  ASSERT_TRUE(summary.is_object()) << err.substr(err.size() > 2000 ? err.size() - 2000 : 0);
  EXPECT_EQ(summary["sessions_lost"], 1);
  EXPECT_GE(summary["gaps"].get<uint64_t>(), 1u);
  EXPECT_GE(summary["missing"].get<uint64_t>(), lost);
  std::cerr << "summary: " << summary.dump() << "\n";
}

TEST_F(ActorSessionE2eTest, AStoppedGatewayIsReportedSilentWithItsStatusThenResumed) {
  int port = gw::testing::freeLoopbackPort();
  auto gateway = gatewayd(port);
  // 3 s: well above the time the steps below take between two envelopes while the gateway runs.
  auto actor = subscribe("municipality", {"--silence-after", "3"});
  Feed feed(port, nowMs() - 60'000);
  feed.send(0, 200);
  ASSERT_TRUE(
      waitUntil([&] { return receivedIn(feed.base_ms, 0, 200) == 100; }, std::chrono::seconds(30)))
      << gateway->readStderr();

  // A clean stop: the gateway's retained status becomes "offline".
  gateway->signal(SIGTERM);
  ASSERT_TRUE(gateway->wait(std::chrono::seconds(30)).has_value());
  ASSERT_TRUE(waitUntil([&] { return !reportsIn(actor->readStderr(), "silent").empty(); },
                        std::chrono::seconds(20)))
      << actor->readStderr();
  const auto silent = reportsIn(actor->readStderr(), "silent");
  ASSERT_EQ(silent.size(), 1u) << actor->readStderr();
  EXPECT_EQ(silent[0]["reason"], "gateway offline");
  EXPECT_EQ(silent[0]["site"], kSite);
  EXPECT_GE(silent[0]["at_unix_ms"].get<int64_t>() - silent[0]["since_unix_ms"].get<int64_t>(),
            3000);
  EXPECT_TRUE(reportsIn(actor->readStderr(), "resumed").empty());

  // Back: the next envelope ends the silence.
  port = gw::testing::freeLoopbackPort();
  gateway = gatewayd(port);
  Feed again(port, feed.base_ms);
  again.send(200, 400);
  ASSERT_TRUE(waitUntil([&] { return !reportsIn(actor->readStderr(), "resumed").empty(); },
                        std::chrono::seconds(30)))
      << actor->readStderr();
  const auto resumed = reportsIn(actor->readStderr(), "resumed");
  EXPECT_EQ(resumed[0]["since_unix_ms"], silent[0]["since_unix_ms"]);
  EXPECT_GT(resumed[0]["at_unix_ms"].get<int64_t>(), silent[0]["at_unix_ms"].get<int64_t>());
  ASSERT_TRUE(waitUntil([&] { return receivedIn(feed.base_ms, 200, 400) == 100; },
                        std::chrono::seconds(30)));

  actor->signal(SIGTERM);
  ASSERT_TRUE(actor->wait(std::chrono::seconds(10)).has_value());
  gateway->signal(SIGTERM);
  ASSERT_TRUE(gateway->wait(std::chrono::seconds(30)).has_value());
  const json summary = summaryIn(actor->readStderr());
  EXPECT_EQ(summary["silences"], 1) << actor->readStderr();
}

}  // namespace
}  // namespace gw::e2e
