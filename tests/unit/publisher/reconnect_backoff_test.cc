#include "gateway/publisher/reconnect_backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace gw::publisher {
namespace {

using std::chrono::milliseconds;

TEST(ReconnectBackoffTest, DoublesFromMinToMaxAndStaysWithinHalfAndFullDelay) {
  ReconnectBackoff backoff(milliseconds(100), milliseconds(1000), 42);
  const int64_t expected_base[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (int64_t base : expected_base) {
    const auto delay = backoff.next();
    EXPECT_GE(delay.count(), base / 2) << "base " << base;
    EXPECT_LE(delay.count(), base) << "base " << base;
  }
}

TEST(ReconnectBackoffTest, ResetStartsAgainAtMin) {
  ReconnectBackoff backoff(milliseconds(100), milliseconds(10000), 7);
  for (int i = 0; i < 5; ++i) backoff.next();
  EXPECT_EQ(backoff.base(), milliseconds(3200));
  backoff.reset();
  EXPECT_EQ(backoff.base(), milliseconds(100));
  EXPECT_LE(backoff.next().count(), 100);
}

TEST(ReconnectBackoffTest, GatewaysWithDifferentSeedsSpreadOut) {
  // Twenty gateways that lost the same broker at the same moment: their third retries must not
  // all fall on the same millisecond (no thundering herd in lock step).
  std::set<int64_t> third_delays;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    ReconnectBackoff backoff(milliseconds(1000), milliseconds(30000), seed);
    backoff.next();
    backoff.next();
    third_delays.insert(backoff.next().count());
  }
  EXPECT_GT(third_delays.size(), 10u);
  for (int64_t d : third_delays) {
    EXPECT_GE(d, 2000);
    EXPECT_LE(d, 4000);
  }
}

TEST(ReconnectBackoffTest, MaxBelowMinIsRaisedToMin) {
  ReconnectBackoff backoff(milliseconds(500), milliseconds(100), 3);
  backoff.next();
  EXPECT_EQ(backoff.base(), milliseconds(500));
}

}  // namespace
}  // namespace gw::publisher
