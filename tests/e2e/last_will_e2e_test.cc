// End to end: gatewayd killed by SIGKILL is marked offline on its status topic by the broker,
// through the Last Will it registered at connect, retained for whoever looks later.
#include "tests/e2e/outage_fixture.h"

namespace gw::e2e {
namespace {

TEST_F(BrokerOutageE2eTest, AKilledGatewayIsMarkedOfflineByItsLastWill) {
  const std::string status_topic = std::string("lantaarn/v1/") + kSite + "/_gateway/status";
  std::mutex mutex;
  std::vector<std::string> statuses;
  mqtt::async_client observer(broker_.url(), "will-observer");
  observer.set_message_callback([&](mqtt::const_message_ptr m) {
    std::lock_guard lock(mutex);
    statuses.push_back(m->get_payload_str());
  });
  observer.connect()->wait();
  observer.subscribe(status_topic, 1)->wait();
  auto last = [&] {
    std::lock_guard lock(mutex);
    return statuses.empty() ? std::string() : statuses.back();
  };

  auto gateway = gatewayd(gw::testing::freeLoopbackPort());
  ASSERT_TRUE(waitUntil([&] { return last() == "online"; }, std::chrono::seconds(20)))
      << gateway->readStderr();
  gateway->signal(SIGKILL);  // no shutdown code runs: only the broker can say it is gone
  ASSERT_TRUE(gateway->wait(std::chrono::seconds(10)).has_value());
  ASSERT_TRUE(waitUntil([&] { return last() == "offline"; }, std::chrono::seconds(20)));
  observer.disconnect()->wait();

  // Retained: whoever looks later sees it offline too.
  mqtt::async_client late(broker_.url(), "will-late-observer");
  std::promise<std::string> retained;
  late.set_message_callback([&](mqtt::const_message_ptr m) {
    if (m->is_retained()) {
      try {
        retained.set_value(m->get_payload_str());
      } catch (const std::future_error&) {
      }
    }
  });
  late.connect()->wait();
  late.subscribe(status_topic, 1)->wait();
  auto future = retained.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(future.get(), "offline");
  late.disconnect()->wait();
}

}  // namespace
}  // namespace gw::e2e
