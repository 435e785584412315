#include "gateway/publisher/publish_refusal.h"

#include <gtest/gtest.h>

namespace gw::publisher {
namespace {

TEST(PublishRefusalTest, PermanentCodesAreDeadLetteredTransientOnesRetriedSuccessIsNone) {
  // OASIS MQTT 5.0, 3.4.2.1: below 0x80 the message was accepted.
  for (int ok : {0x00, 0x10}) EXPECT_FALSE(classifyPubackReason(ok)) << ok;
  EXPECT_FALSE(classifyPubackReason(0xff)) << "Paho C++'s no-reason-code marker";
  for (auto [code, reason] : {std::pair{0x87, "not_authorized"},
                              {0x90, "topic_invalid"},
                              {0x95, "too_large"},
                              {0x99, "payload_format_invalid"}}) {
    const auto r = classifyPubackReason(code);
    ASSERT_TRUE(r) << code;
    EXPECT_FALSE(r->retry) << code;
    EXPECT_EQ(r->reason, reason);
    EXPECT_EQ(r->whole_stream, code == 0x87 || code == 0x90) << "a verdict on the topic";
  }
  for (auto [code, reason] : {std::pair{0x97, "quota_exceeded"},
                              {0x80, "unspecified"},
                              {0x83, "implementation_specific"},
                              {0x91, "packet_id_in_use"},
                              {0xa0, "reason_160"}}) {
    const auto r = classifyPubackReason(code);
    ASSERT_TRUE(r) << code;
    EXPECT_TRUE(r->retry) << code;
    EXPECT_EQ(r->reason, reason);
  }
}

}  // namespace
}  // namespace gw::publisher
