// End to end through the built binaries and a real Mosquitto: the broker goes away for 30 s in
// the middle of a 10,000-message stream; each actor still receives all its messages, in order.
#include <sstream>

#include "tests/e2e/outage_fixture.h"

namespace gw::e2e {
namespace {

TEST_F(BrokerOutageE2eTest, ABrokerDownFor30sMidStreamLosesNothingReordersNothing) {
  auto municipality = subscribe("municipality");
  auto rws = subscribe("rijkswaterstaat");
  const int port = gw::testing::freeLoopbackPort();
  auto gateway = gatewayd(port);

  boost::asio::io_context io;
  boost::asio::ip::tcp::socket feed(io);
  feed.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
  const int64_t base_ms = nowMs() - 60'000;
  auto send = [&](int from, int to) {
    std::string chunk;
    for (int i = from; i < to; ++i) chunk += readingLine(i, base_ms);
    boost::asio::write(feed, boost::asio::buffer(chunk));
  };

  // The first half, until the actors are receiving: the stream is flowing when the broker goes.
  send(0, kMessages / 2);
  ASSERT_TRUE(waitUntil(
      [&] {
        return valuesIn(dir_ / "municipality.out", base_ms).size() +
                   valuesIn(dir_ / "rijkswaterstaat.out", base_ms).size() >=
               1000;
      },
      std::chrono::seconds(60)))
      << gateway->readStderr();

  broker_.stop();
  // The second half arrives during the 30 s outage, a slice every second: the gateway accepts
  // it into its outbox with no broker to publish to.
  constexpr int kOutageSeconds = 30;
  const int per_second = (kMessages / 2 + kOutageSeconds - 1) / kOutageSeconds;
  const auto outage_start = std::chrono::steady_clock::now();
  for (int s = 0; s < kOutageSeconds; ++s) {
    const int from = kMessages / 2 + s * per_second;
    send(from, std::min(kMessages, from + per_second));
    std::this_thread::sleep_until(outage_start + std::chrono::seconds(s + 1));
  }
  broker_.start();

  const auto complete = [&] {
    return distinct(valuesIn(dir_ / "municipality.out", base_ms)) == kMessages / 2 &&
           distinct(valuesIn(dir_ / "rijkswaterstaat.out", base_ms)) == kMessages / 2;
  };
  const bool all_arrived = waitUntil(complete, std::chrono::seconds(120));
  feed.close();
  gateway->signal(SIGTERM);
  ASSERT_TRUE(gateway->wait(std::chrono::seconds(30)).has_value());
  for (auto* child : {municipality.get(), rws.get()}) {
    child->signal(SIGTERM);
    ASSERT_TRUE(child->wait(std::chrono::seconds(10)).has_value());
  }
  ASSERT_TRUE(all_arrived) << "municipality "
                           << distinct(valuesIn(dir_ / "municipality.out", base_ms))
                           << ", rijkswaterstaat "
                           << distinct(valuesIn(dir_ / "rijkswaterstaat.out", base_ms)) << " of "
                           << kMessages / 2 << " each\n"
                           << gateway->readStderr().substr(0, 4000);

  const std::string log = gateway->readStderr();
  EXPECT_NE(log.find("Publisher lost broker connection"), std::string::npos)
      << "the broker outage was not seen by the gateway";
  for (const auto& [actor, parity] : {std::pair{"municipality", 0}, {"rijkswaterstaat", 1}}) {
    const auto values = valuesIn(dir_ / (std::string(actor) + ".out"), base_ms);
    // In order: each message's first arrival comes after the first arrival of every earlier one,
    // and there is no gap.
    std::vector<int> first_arrivals;
    std::set<int> seen;
    for (int v : values) {
      if (seen.insert(v).second) first_arrivals.push_back(v);
    }
    std::vector<int> expected;
    for (int i = parity; i < kMessages; i += 2) expected.push_back(i);
    // gtest prints only the first 32 values: say where the order first breaks, with neighbours.
    size_t broken = 0;
    while (broken < first_arrivals.size() && broken < expected.size() &&
           first_arrivals[broken] == expected[broken]) {
      ++broken;
    }
    std::ostringstream around;
    for (size_t i = broken >= 5 ? broken - 5 : 0; i < std::min(first_arrivals.size(), broken + 10);
         ++i) {
      around << first_arrivals[i] << ' ';
    }
    EXPECT_EQ(first_arrivals, expected) << actor << ": first difference at position " << broken
                                        << ", first arrivals there: " << around.str();
    // At least once on the wire (QoS 1 hops re-send what they cannot prove was received, and
    // Mosquitto restarted from its persistence file re-sends to a persistent session part of what
    // it had delivered before it stopped), exactly once for the actor: gatewayctl subscribe drops
    // every (gateway, stream, sequence) it has seen.
    EXPECT_EQ(values, expected) << actor << ": duplicates or reordering reached the actor";
    const std::string err = gw::testing::readWholeFile(dir_ / (std::string(actor) + ".err"));
    const json summary = summaryIn(err);
    ASSERT_TRUE(summary.contains("duplicates")) << err.substr(0, 2000);
    std::cerr << actor << ": " << values.size()
              << " messages; wire duplicates dropped by the actor: " << summary["duplicates"]
              << "\n";
  }
}

}  // namespace
}  // namespace gw::e2e
