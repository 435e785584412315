// End to end: a route with `batch` sends its measurements as MeasurementBatch messages (full
// ones, and the rest once the linger passes), and an event on the same actor is not held back
// behind the batch that contains the reading that raised it.
#include "tests/e2e/outage_fixture.h"

namespace gw::e2e {
namespace {

constexpr int kReadings = 1010;  // 25 full batches of 40, and 10 the linger has to release
constexpr int kBatch = 40;
constexpr int kTrigger = 105;  // its value crosses the threshold; the next one clears it

std::string batchPolicy(const std::filesystem::path& dir, int port) {
  return "site: {id: batch-site}\n"
         "gateway: {identity_key_file: " +
         (dir / "keys" / "gateway.key").string() +
         "}\n"
         "actors:\n"
         "  - {id: municipality, public_key_file: " +
         (dir / "keys" / "municipality.pub").string() +
         ", purposes: [air_quality_monitoring, public_health]}\n"
         "sources:\n"
         "  - id: feed\n"
         "    sensor: {format: json_reading, tcp: {port: " +
         std::to_string(port) +
         "}}\n"
         "detectors:\n"
         "  - {id: pm10-limit, sources: [feed], threshold: {quantity: pm10, above: 50}}\n"
         "routes:\n"
         "  - {to: municipality, purpose: air_quality_monitoring, from: {measurements: [pm10]},\n"
         "     batch: {max_readings: " +
         std::to_string(kBatch) +
         ", linger: 300ms}}\n"
         "  - {to: municipality, purpose: public_health, from: {detectors: [pm10-limit]}}\n";
}

TEST(BatchingE2eTest, MeasurementsArriveBatchedAndTheEventIsNotHeldBehindItsBatch) {
  TempDir dir;
  MosquittoBroker broker;
  ASSERT_TRUE(crypto::writeIdentityKeyPair(crypto::generateIdentityKey("batch-site"), dir / "keys",
                                           "gateway")
                  .ok());
  ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("municipality"), dir / "keys").ok());
  const int port = gw::testing::freeLoopbackPort();
  std::ofstream(dir / "policy.yaml") << batchPolicy(dir.path(), port);

  ChildProcess subscriber({{gw::testing::appBinary("gatewayctl"), "subscribe", "--broker",
                            broker.url(), "--site", "batch-site", "--actor", "municipality",
                            "--key", (dir / "keys" / "municipality.key").string(), "--gateway-key",
                            (dir / "keys" / "gateway.pub").string(), "--json"},
                           {},
                           dir / "sub.out",
                           dir / "sub.err"});
  ASSERT_TRUE(
      waitUntil([&] { return subscriber.readStderr().find("subscribed") != std::string::npos; },
                std::chrono::seconds(15)));
  ChildProcess gatewayd(
      {{gw::testing::appBinary("gatewayd"), "--policy", (dir / "policy.yaml").string(), "--broker",
        broker.url(), "--state-dir", (dir / "state").string()},
       {},
       dir / "gatewayd.out",
       dir / "gatewayd.err"});
  ASSERT_TRUE(
      waitUntil([&] { return gw::testing::acceptsConnections(port); }, std::chrono::seconds(20)));

  const int64_t base_ms = nowMs() - 60'000;
  std::string feed_text;
  for (int i = 0; i < kReadings; ++i) {
    const int value = i == kTrigger ? 80 : 10;
    feed_text += "{\"sensor\":\"s1\",\"quantity\":\"pm10\",\"unit\":\"ug/m3\",\"value\":" +
                 std::to_string(value) + ",\"time_ms\":" + std::to_string(base_ms + i) + "}\n";
  }
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket feed(io);
  feed.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
  boost::asio::write(feed, boost::asio::buffer(feed_text));

  // Every line the actor printed, parsed.
  auto lines = [&] {
    std::vector<json> out;
    std::istringstream in(gw::testing::readWholeFile(dir / "sub.out"));
    for (std::string line; std::getline(in, line);) {
      auto m = json::parse(line, nullptr, false);
      if (!m.is_discarded()) out.push_back(std::move(m));
    }
    return out;
  };
  auto readings_in = [](const std::vector<json>& messages) {
    size_t n = 0;
    for (const auto& m : messages) {
      if (m.contains("measurement_batch")) n += m["measurement_batch"]["readings"].size();
    }
    return n;
  };
  ASSERT_TRUE(
      waitUntil([&] { return readings_in(lines()) >= kReadings; }, std::chrono::seconds(60)))
      << readings_in(lines()) << " readings arrived\n"
      << gatewayd.readStderr();
  feed.close();
  gatewayd.signal(SIGTERM);
  ASSERT_TRUE(gatewayd.wait(std::chrono::seconds(30)).has_value());
  subscriber.signal(SIGTERM);
  ASSERT_TRUE(subscriber.wait(std::chrono::seconds(10)).has_value());

  const auto messages = lines();
  std::vector<int> sequence;  // reading numbers, in the order the batches carried them
  std::vector<size_t> batch_sizes;
  size_t batch_with_trigger = messages.size();
  size_t exceeded_event = messages.size();
  for (size_t k = 0; k < messages.size(); ++k) {
    const auto& m = messages[k];
    if (m.contains("event")) {
      if (m["event"]["kind"] == "threshold_exceeded") exceeded_event = k;
      continue;
    }
    ASSERT_TRUE(m.contains("measurement_batch")) << m.dump();  // no single measurements
    EXPECT_EQ(m["purpose"], "air_quality_monitoring");
    batch_sizes.push_back(m["measurement_batch"]["readings"].size());
    for (const auto& r : m["measurement_batch"]["readings"]) {
      sequence.push_back(
          static_cast<int>(std::stoll(r["observed_unix_ms"].get<std::string>()) - base_ms));
      if (sequence.back() == kTrigger) batch_with_trigger = k;
    }
  }
  std::vector<int> expected(kReadings);
  for (int i = 0; i < kReadings; ++i) expected[i] = i;
  EXPECT_EQ(sequence, expected);
  ASSERT_EQ(batch_sizes.size(), static_cast<size_t>(kReadings / kBatch + 1));
  for (size_t b = 0; b + 1 < batch_sizes.size(); ++b) EXPECT_EQ(batch_sizes[b], kBatch) << b;
  EXPECT_EQ(batch_sizes.back(), static_cast<size_t>(kReadings % kBatch));  // released by linger
  ASSERT_LT(exceeded_event, messages.size()) << "no threshold_exceeded event";
  EXPECT_LT(exceeded_event, batch_with_trigger)
      << "the event waited for the batch of the reading that raised it";
}

}  // namespace
}  // namespace gw::e2e
