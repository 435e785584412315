// End to end: a route with `batch` sends its measurements as MeasurementBatch messages (full
// ones, and the rest once the linger passes), and an event on the same actor is not held back
// behind the batch that contains the reading that raised it. A route without `batch` is batched
// only while the outbox has a backlog (decision 1350), and a `never_batch` route never is.
#include "tests/e2e/outage_fixture.h"
#include "tests/support/http_get.h"

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

  auto lines = [&] { return messagesIn(dir / "sub.out"); };
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

std::string backlogPolicy(const std::filesystem::path& dir, int port, int ops_port) {
  const auto keys = dir / "keys";
  return std::string("site: {id: ") + kSite +
         "}\n"
         "gateway:\n"
         "  broker: {reconnect_min: 200ms, reconnect_max: 1s}\n"
         "  identity_key_file: " +
         (keys / "gateway.key").string() +
         "\n  ops: {listen: '127.0.0.1:" + std::to_string(ops_port) +
         "'}\n"
         "actors:\n"
         "  - {id: municipality, public_key_file: " +
         (keys / "municipality.pub").string() +
         ", purposes: [air_quality_monitoring, public_health]}\n"
         "  - {id: rijkswaterstaat, public_key_file: " +
         (keys / "rijkswaterstaat.pub").string() +
         ", purposes: [water_management]}\n"
         "sources:\n"
         "  - id: feed\n"
         "    sensor: {format: json_reading, tcp: {port: " +
         std::to_string(port) +
         "}}\n"
         "detectors:\n"
         "  - {id: pm10-high, sources: [feed], threshold: {quantity: pm10, above: 90, "
         "clear_below: 20}}\n"
         "routes:\n"
         "  - {to: municipality, purpose: air_quality_monitoring, from: {measurements: [pm10]}}\n"
         "  - {to: municipality, purpose: public_health, from: {detectors: [pm10-high]}}\n"
         "  - {to: rijkswaterstaat, purpose: water_management, from: {measurements: "
         "[water_level]}, never_batch: true}\n";
}

using BacklogBatchingE2eTest = BrokerOutageE2eTest;  // persistent sessions across the outage

TEST_F(BacklogBatchingE2eTest, ABacklogIsSentBatchedInOrderAndReadingsGoSingleOnceItIsGone) {
  auto municipality = subscribe("municipality");
  auto rws = subscribe("rijkswaterstaat");
  const int port = gw::testing::freeLoopbackPort();
  const int ops_port = gw::testing::freeLoopbackPort();
  auto gateway = gatewayd(port, backlogPolicy(dir_.path(), port, ops_port));
  Feed feed(port, nowMs() - 60'000);  // even readings pm10, odd water_level
  const int64_t base_ms = feed.base_ms;
  auto send = [&](int from, int to) { feed.send(from, to); };
  auto arrived = [&](int total) {
    return distinct(valuesIn(dir_ / "municipality.out", base_ms)) ==
               static_cast<size_t>(total / 2) &&
           distinct(valuesIn(dir_ / "rijkswaterstaat.out", base_ms)) ==
               static_cast<size_t>(total / 2);
  };

  // Flowing: no backlog, one message per reading.
  constexpr int kBefore = 100, kOutage = 3000, kAfter = 40;
  send(0, kBefore);
  ASSERT_TRUE(waitUntil([&] { return arrived(kBefore); }, std::chrono::seconds(30)))
      << gateway->readStderr();
  // The broker goes away; the readings pile up in the outbox (1,500 messages per actor).
  broker_.stop();
  send(kBefore, kBefore + kOutage);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  broker_.start();
  ASSERT_TRUE(waitUntil([&] { return arrived(kBefore + kOutage); }, std::chrono::seconds(60)))
      << gateway->readStderr();
  // Drained: readings travel one per message again.
  send(kBefore + kOutage, kBefore + kOutage + kAfter);
  constexpr int kTotal = kBefore + kOutage + kAfter;
  ASSERT_TRUE(waitUntil([&] { return arrived(kTotal); }, std::chrono::seconds(30)))
      << gateway->readStderr();
  const auto metrics = gw::testing::httpGet(ops_port, "/metrics");
  feed.socket.close();
  gateway->signal(SIGTERM);
  ASSERT_TRUE(gateway->wait(std::chrono::seconds(30)).has_value());
  for (auto* child : {municipality.get(), rws.get()}) {
    child->signal(SIGTERM);
    ASSERT_TRUE(child->wait(std::chrono::seconds(10)).has_value());
  }

  // Every reading once, in order, for both actors, however it travelled.
  for (const auto& [actor, parity] : {std::pair{"municipality", 0}, {"rijkswaterstaat", 1}}) {
    std::vector<int> expected;
    for (int i = parity; i < kTotal; i += 2) expected.push_back(i);
    EXPECT_EQ(valuesIn(dir_ / (std::string(actor) + ".out"), base_ms), expected) << actor;
  }
  // The municipality's plain route was batched under the backlog, and single before and after.
  size_t batches = 0, batched_readings = 0, events = 0;
  std::vector<bool> single_by_index;  // municipality's readings in arrival order: alone or not
  for (const auto& m : messagesIn(dir_ / "municipality.out")) {
    if (m.contains("event")) ++events;
    if (m.contains("measurement")) single_by_index.push_back(true);
    if (m.contains("measurement_batch")) {
      ++batches;
      batched_readings += m["measurement_batch"]["readings"].size();
      for (size_t k = 0; k < m["measurement_batch"]["readings"].size(); ++k) {
        single_by_index.push_back(false);
      }
    }
  }
  EXPECT_GT(batches, 0u) << "the backlog was not batched";
  EXPECT_GT(batched_readings, static_cast<size_t>(kOutage / 4))
      << "most of the backlog should have travelled in batches";
  EXPECT_GT(events, 0u) << "the threshold events (values above 90) did not arrive";
  ASSERT_EQ(single_by_index.size(), static_cast<size_t>(kTotal / 2));
  for (int k = 0; k < kBefore / 2; ++k) EXPECT_TRUE(single_by_index[k]) << "before, reading " << k;
  for (size_t k = single_by_index.size() - kAfter / 2; k < single_by_index.size(); ++k) {
    EXPECT_TRUE(single_by_index[k]) << "after the backlog, reading " << k;
  }
  // The never_batch route: one message per reading throughout.
  for (const auto& m : messagesIn(dir_ / "rijkswaterstaat.out")) {
    EXPECT_FALSE(m.contains("measurement_batch")) << m.dump().substr(0, 200);
  }
  // Counted where the operator looks: every reading batched under the backlog (a lone one of
  // them travelled as a plain measurement, so the actor may have seen fewer inside batches).
  ASSERT_TRUE(metrics.has_value());
  const std::string name = "\nlantaarn_backlog_batched_readings_total ";
  const auto at = metrics->body.find(name);
  ASSERT_NE(at, std::string::npos) << metrics->body.substr(0, 2000);
  EXPECT_GE(std::stoull(metrics->body.substr(at + name.size())), batched_readings);
}

}  // namespace
}  // namespace gw::e2e
