// Silence detection per pinned gateway, on a made-up clock.
#include "gateway/actor/stream_watch.h"

#include <gtest/gtest.h>

namespace gw::actor {
namespace {

using std::chrono::milliseconds;

TEST(StreamWatchTest, SilentOnceAfterTheIntervalThenResumed) {
  StreamWatch watch({{"s1", "k1"}, {"s2", "k2"}}, milliseconds(1000), 10'000);
  EXPECT_TRUE(watch.check(10'999).empty());
  EXPECT_FALSE(watch.arrived("k1", 10'500).has_value());
  // k2 never sent anything: silent since the watch started; k1 since its last envelope.
  auto silent = watch.check(11'000);
  ASSERT_EQ(silent.size(), 1u);
  EXPECT_EQ(silent[0].type, Notice::Type::kSilent);
  EXPECT_EQ(silent[0].gateway_key_id, "k2");
  EXPECT_EQ(silent[0].site_id, "s2");
  EXPECT_EQ(silent[0].since_unix_ms, 10'000);
  EXPECT_EQ(silent[0].reason, "unknown");
  EXPECT_TRUE(watch.check(20'000).size() == 1u);  // k1 now; k2 is not reported twice
  EXPECT_EQ(watch.silentCount(), 2u);
  auto resumed = watch.arrived("k2", 25'000);
  ASSERT_TRUE(resumed.has_value());
  EXPECT_EQ(resumed->type, Notice::Type::kResumed);
  EXPECT_EQ(resumed->since_unix_ms, 10'000);
  EXPECT_EQ(resumed->at_unix_ms, 25'000);
  EXPECT_FALSE(watch.arrived("k2", 25'001).has_value());
  EXPECT_FALSE(watch.arrived("not-pinned", 25'002).has_value());
  EXPECT_EQ(watch.silentCount(), 1u);
}

TEST(StreamWatchTest, TheReasonComesFromTheConnectionAndTheGatewayStatus) {
  const auto reasonAt = [](const std::string& status, bool connected) {
    StreamWatch watch({{"s1", "k1"}}, milliseconds(10), 0);
    if (!status.empty()) watch.setStatus("s1", status);
    watch.setStatus("other-site", "offline");
    watch.setConnected(connected);
    auto silent = watch.check(10);
    return silent.empty() ? std::string("(none)") : silent[0].reason;
  };
  EXPECT_EQ(reasonAt("offline", true), "gateway offline");
  EXPECT_EQ(reasonAt("online", true), "gateway online");
  EXPECT_EQ(reasonAt("", true), "unknown");
  EXPECT_EQ(reasonAt("offline", false), "no broker connection");
}

}  // namespace
}  // namespace gw::actor
