#include "gateway/outbox/memory_outbox.h"

#include <gtest/gtest.h>

namespace gw::outbox {
namespace {

pipeline::OutboundMessage msg(const std::string& payload) {
  return {"actor", "lantaarn/v1/s/actor/measurement", payload, pipeline::Priority::kMeasurement};
}

TEST(MemoryOutboxTest, HandsOutInAppendOrderAndForgetsOnAck) {
  Counters counters;
  MemoryOutbox outbox(10, counters);
  for (const char* p : {"a", "b", "c"}) ASSERT_TRUE(outbox.append(msg(p)).ok());
  const auto* a = outbox.takeNext();
  const auto* b = outbox.takeNext();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->message.payload, "a");
  EXPECT_EQ(b->message.payload, "b");
  EXPECT_EQ(outbox.inFlight(), 2u);
  const uint64_t b_id = b->id;  // the entry is gone after its ack
  outbox.ack(b_id);
  outbox.ack(b_id);  // a duplicate acknowledgement is harmless
  EXPECT_EQ(outbox.size(), 2u);
  EXPECT_EQ(counters.value(counterKey("outbox_acked_total", {{"actor", "actor"}})), 1u);
}

TEST(MemoryOutboxTest, RequeuedEntriesGoBackInOriginalOrder) {
  Counters counters;
  MemoryOutbox outbox(10, counters);
  for (const char* p : {"a", "b", "c", "d"}) ASSERT_TRUE(outbox.append(msg(p)).ok());
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(outbox.takeNext()->id);
  outbox.ack(ids[1]);
  outbox.requeueAllInFlight();
  std::string order;
  while (const auto* e = outbox.takeNext()) order += e->message.payload;
  EXPECT_EQ(order, "acd");
  outbox.requeue(ids[0]);
  EXPECT_EQ(outbox.takeNext()->message.payload, "a");
}

TEST(MemoryOutboxTest, FullOutboxRefusesWithResourceExhaustedAndCounts) {
  Counters counters;
  MemoryOutbox outbox(2, counters);
  ASSERT_TRUE(outbox.append(msg("a")).ok());
  EXPECT_TRUE(outbox.hasRoom(1));
  ASSERT_TRUE(outbox.append(msg("b")).ok());
  EXPECT_FALSE(outbox.hasRoom(1));
  Status s = outbox.append(msg("c"));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(counters.value(counterKey("outbox_full_total", {{"actor", "actor"}})), 1u);
  outbox.ack(outbox.takeNext()->id);
  EXPECT_TRUE(outbox.append(msg("c")).ok());
}

}  // namespace
}  // namespace gw::outbox
