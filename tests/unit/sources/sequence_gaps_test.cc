// The per-device message counter check: gaps, duplicates, late copies, counter resets, the
// 32-bit wrap of LoRaWAN's f_cnt, and the bound on the number of devices.
#include "gateway/sources/sequence_gaps.h"

#include <gtest/gtest.h>

namespace gw::sources {
namespace {

// A message `value` from `device` at `time_ms`; by default its fingerprint is unique per
// (value, time), as two different messages' are.
MessageNumber msg(const std::string& device, uint64_t value, int64_t time_ms, int bits = 32) {
  return {device, value, bits, time_ms, value * 1'000'003 + static_cast<uint64_t>(time_ms)};
}

TEST(SequenceGapsTest, CountsWhatAJumpAheadSkipped) {
  SequenceGaps gaps;
  EXPECT_EQ(gaps.observe(msg("a", 1, 100)).verdict, SequenceVerdict::kFirst);
  auto step = gaps.observe(msg("a", 2, 200));
  EXPECT_EQ(step.verdict, SequenceVerdict::kNext);
  EXPECT_EQ(step.missing, 0u);
  step = gaps.observe(msg("a", 5, 300));
  EXPECT_EQ(step.verdict, SequenceVerdict::kNext);
  EXPECT_EQ(step.missing, 2u);
  // Devices count apart: b's first number says nothing about a's.
  EXPECT_EQ(gaps.observe(msg("b", 40, 300)).verdict, SequenceVerdict::kFirst);
  EXPECT_EQ(gaps.observe(msg("a", 6, 400)).missing, 0u);
}

TEST(SequenceGapsTest, TheSameMessageAgainIsADuplicateAlsoWhenOlder) {
  SequenceGaps gaps;
  for (uint64_t v = 1; v <= 10; ++v) gaps.observe(msg("a", v, static_cast<int64_t>(v) * 100));
  // A QoS 1 redelivery of the last message, and of an earlier one after a reconnect.
  EXPECT_EQ(gaps.observe(msg("a", 10, 1000)).verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(gaps.observe(msg("a", 8, 800)).verdict, SequenceVerdict::kDuplicate);
  EXPECT_EQ(gaps.observe(msg("a", 11, 1100)).verdict, SequenceVerdict::kNext);
}

TEST(SequenceGapsTest, OlderNumbersSeenAlreadyAreDuplicatesAcrossTheWholeWindow) {
  SequenceGaps gaps;
  for (uint64_t v = 1; v <= 300; ++v) gaps.observe(msg("a", v, 100));
  // What a broker resends after a lost connection, all of the same time here (one burst).
  for (uint64_t v = 300 - kSequenceWindow + 1; v <= 300; ++v) {
    EXPECT_EQ(gaps.observe(msg("a", v, 100)).verdict, SequenceVerdict::kDuplicate) << v;
  }
  EXPECT_EQ(gaps.observe(msg("a", 301, 100)).verdict, SequenceVerdict::kNext);
}

TEST(SequenceGapsTest, AMissingNumberThatArrivesLateIsDeliveredOnce) {
  SequenceGaps gaps;
  gaps.observe(msg("a", 1, 100));
  EXPECT_EQ(gaps.observe(msg("a", 3, 300)).missing, 1u);
  EXPECT_EQ(gaps.observe(msg("a", 2, 200)).verdict, SequenceVerdict::kLate);
  EXPECT_EQ(gaps.observe(msg("a", 2, 200)).verdict, SequenceVerdict::kDuplicate);
}

TEST(SequenceGapsTest, ACounterThatWentBackWithANewerTimeIsAReset) {
  SequenceGaps gaps;
  for (uint64_t v = 1; v <= 5; ++v) gaps.observe(msg("a", v, static_cast<int64_t>(v) * 100));
  // The device rejoined: its counter starts again, its clock moved on. Numbers it had used
  // before are new messages now, not duplicates.
  EXPECT_EQ(gaps.observe(msg("a", 1, 10'000)).verdict, SequenceVerdict::kReset);
  auto step = gaps.observe(msg("a", 2, 10'100));
  EXPECT_EQ(step.verdict, SequenceVerdict::kNext);
  EXPECT_EQ(step.missing, 0u);
  // Even landing on the very number it had last.
  gaps.observe(msg("a", 3, 10'200));
  EXPECT_EQ(gaps.observe(msg("a", 3, 20'000)).verdict, SequenceVerdict::kReset);
}

TEST(SequenceGapsTest, FCntWrapsAt32BitsWithoutAGapOrReset) {
  SequenceGaps gaps;
  const uint64_t top = (uint64_t{1} << 32) - 1;
  gaps.observe(msg("a", top - 1, 100));
  EXPECT_EQ(gaps.observe(msg("a", top, 200)).missing, 0u);
  auto step = gaps.observe(msg("a", 0, 300));
  EXPECT_EQ(step.verdict, SequenceVerdict::kNext);
  EXPECT_EQ(step.missing, 0u);
  step = gaps.observe(msg("a", 3, 400));
  EXPECT_EQ(step.missing, 2u);
  // The same jump over the wrap with a 64-bit counter is a huge step back: a reset.
  SequenceGaps wide;
  wide.observe(msg("b", top, 100, 64));
  EXPECT_EQ(wide.observe(msg("b", 0, 200, 64)).verdict, SequenceVerdict::kReset);
}

TEST(SequenceGapsTest, AJumpTooFarAheadIsAResetNotAMillionLostMessages) {
  SequenceGaps gaps(SequenceLimits{100, 1000});
  gaps.observe(msg("a", 5, 100));
  EXPECT_EQ(gaps.observe(msg("a", 1005, 200)).missing, 999u);
  EXPECT_EQ(gaps.observe(msg("a", 500'000, 300)).verdict, SequenceVerdict::kReset);
  EXPECT_EQ(gaps.observe(msg("a", 500'001, 400)).missing, 0u);
}

TEST(SequenceGapsTest, SameNumberOnADifferentMessageOfTheSameTimeIsDelivered) {
  SequenceGaps gaps;
  gaps.observe({"a", 7, 64, 100, 1});
  // A sender that gives one number to the pm10 and the pm2_5 message of one measurement.
  EXPECT_EQ(gaps.observe({"a", 7, 64, 100, 2}).verdict, SequenceVerdict::kRepeat);
  EXPECT_EQ(gaps.observe({"a", 7, 64, 100, 2}).verdict, SequenceVerdict::kDuplicate);
}

TEST(SequenceGapsTest, TheLeastRecentlyHeardDeviceIsForgottenAtTheBound) {
  SequenceGaps gaps(SequenceLimits{3, 1000});
  gaps.observe(msg("a", 1, 100));
  gaps.observe(msg("b", 1, 100));
  gaps.observe(msg("c", 1, 100));
  gaps.observe(msg("a", 2, 200));  // a is now the most recently heard; b the least
  gaps.observe(msg("d", 1, 200));
  EXPECT_EQ(gaps.devices(), 3u);
  EXPECT_EQ(gaps.forgotten(), 1u);
  // a is still known (a gap is counted), b starts over as new (none is).
  EXPECT_EQ(gaps.observe(msg("a", 4, 300)).missing, 1u);
  EXPECT_EQ(gaps.observe(msg("b", 9, 300)).verdict, SequenceVerdict::kFirst);
  EXPECT_EQ(gaps.forgotten(), 2u);  // c made room for b
  EXPECT_EQ(gaps.devices(), 3u);
}

}  // namespace
}  // namespace gw::sources
