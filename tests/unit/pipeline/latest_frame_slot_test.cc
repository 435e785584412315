// The camera -> detector edge: latest frame wins for live and paced cameras; a file played at
// full speed waits for the detector instead, so no kept frame is lost to a slow box.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "gateway/pipeline/latest_frame_slot.h"

namespace gw::pipeline {
namespace {

FramePtr frame(int64_t sequence) {
  auto f = std::make_shared<Frame>();
  f->sequence = sequence;
  return f;
}

TEST(LatestFrameSlotTest, PutReplacesAnUntakenFrameAndCountsTheDrop) {
  LatestFrameSlot slot;
  EXPECT_FALSE(slot.put(frame(1)));
  EXPECT_TRUE(slot.put(frame(2)));
  EXPECT_EQ(slot.take(std::chrono::milliseconds(10))->sequence, 2);
  EXPECT_EQ(slot.dropped(), 1u);
}

TEST(LatestFrameSlotTest, PutWhenTakenHandsEveryFrameToASlowConsumer) {
  LatestFrameSlot slot;
  std::atomic<bool> stop{false};
  constexpr int kFrames = 50;
  std::vector<int64_t> seen;
  std::thread consumer([&] {
    while (static_cast<int>(seen.size()) < kFrames) {
      if (auto f = slot.take(std::chrono::seconds(5))) {
        seen.push_back(f->sequence);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // slower than the producer
      }
    }
  });
  for (int i = 1; i <= kFrames; ++i) {
    EXPECT_FALSE(slot.putWhenTaken(frame(i), stop, std::chrono::seconds(10)));
  }
  consumer.join();
  ASSERT_EQ(seen.size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) EXPECT_EQ(seen[i], i + 1);
  EXPECT_EQ(slot.dropped(), 0u);
}

TEST(LatestFrameSlotTest, PutWhenTakenGivesUpOnAConsumerThatStoppedTaking) {
  LatestFrameSlot slot;
  std::atomic<bool> stop{false};
  EXPECT_FALSE(slot.putWhenTaken(frame(1), stop, std::chrono::milliseconds(20)));
  // Nobody takes: after its patience it replaces, counted as a drop.
  EXPECT_TRUE(slot.putWhenTaken(frame(2), stop, std::chrono::milliseconds(20)));
  EXPECT_EQ(slot.dropped(), 1u);
  // A stopping camera does not wait at all.
  stop = true;
  EXPECT_TRUE(slot.putWhenTaken(frame(3), stop, std::chrono::hours(1)));
}

}  // namespace
}  // namespace gw::pipeline
