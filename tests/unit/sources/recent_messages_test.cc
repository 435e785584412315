// The MQTT source's memory of its latest messages, which recognises a QoS 1 redelivery.
#include "gateway/sources/listeners/recent_messages.h"

#include <gtest/gtest.h>

#include <string>

namespace gw::sources {
namespace {

TEST(RecentMessagesTest, TheSameMessageAgainIsRecognisedUntilItLeavesTheWindow) {
  RecentMessages recent(3);
  EXPECT_FALSE(recent.seenBefore("t", "a"));
  EXPECT_TRUE(recent.seenBefore("t", "a"));
  EXPECT_FALSE(recent.seenBefore("other/topic", "a"));  // another topic: another message
  EXPECT_FALSE(recent.seenBefore("t", "b"));
  EXPECT_FALSE(recent.seenBefore("t", "c"));  // pushes ("t", "a") out
  EXPECT_FALSE(recent.seenBefore("t", "a"));
  EXPECT_TRUE(recent.seenBefore("t", "c"));
}

TEST(RecentMessagesTest, ALongRunKeepsExactlyTheLastWindow) {
  RecentMessages recent(1000);
  for (int i = 0; i < 5000; ++i) ASSERT_FALSE(recent.seenBefore("t", std::to_string(i))) << i;
  for (int i = 4000; i < 5000; ++i) EXPECT_TRUE(recent.seenBefore("t", std::to_string(i))) << i;
  EXPECT_FALSE(recent.seenBefore("t", "3999"));
}

}  // namespace
}  // namespace gw::sources
