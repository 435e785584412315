#include "gateway/actor/deduplicator.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <tuple>

namespace gw::actor {
namespace {

TEST(DeduplicatorTest, SecondCopyIsDuplicateAndStreamsAreIndependent) {
  Deduplicator d(128);
  EXPECT_EQ(d.check("gw1", "police/e1", 5), DedupVerdict::kNew);
  EXPECT_EQ(d.check("gw1", "police/e1", 5), DedupVerdict::kDuplicate);
  EXPECT_EQ(d.check("gw1", "police/e2", 5), DedupVerdict::kNew);
  EXPECT_EQ(d.check("gw2", "police/e1", 5), DedupVerdict::kNew);
  EXPECT_EQ(d.check("gw1", "police/e1", 3), DedupVerdict::kNew);  // late but first time
  EXPECT_EQ(d.check("gw1", "police/e1", 3), DedupVerdict::kDuplicate);
  EXPECT_EQ(d.streams(), 3u);
}

TEST(DeduplicatorTest, SequencesBelowTheWindowAreTooOld) {
  Deduplicator d(64);
  EXPECT_EQ(d.check("g", "s", 1000), DedupVerdict::kNew);
  EXPECT_EQ(d.check("g", "s", 1000 - 64), DedupVerdict::kTooOld);
  EXPECT_EQ(d.check("g", "s", 1000 - 63), DedupVerdict::kNew);
  // A big jump forgets the old window entirely; the slot of 1000 must not alias the new one.
  EXPECT_EQ(d.check("g", "s", 1000 + 64 * 10), DedupVerdict::kNew);
  EXPECT_EQ(d.check("g", "s", 1000 + 64 * 10 - 1), DedupVerdict::kNew);
}

// Against an exact model (a set of everything seen) on re-sent, reordered streams whose
// disorder stays within the window: verdicts must match exactly.
TEST(DeduplicatorTest, MatchesExactSetOnReorderedRedeliveries) {
  std::mt19937 rng(7);
  Deduplicator d(256);
  std::set<std::tuple<std::string, std::string, uint64_t>> seen;
  uint64_t base[2] = {0, 0};
  for (int i = 0; i < 20000; ++i) {
    const int stream = static_cast<int>(rng() % 2);
    base[stream] += rng() % 3;
    const uint64_t seq = base[stream] + rng() % 100;  // jitter < window
    const std::string sid = "s" + std::to_string(stream);
    const bool fresh = seen.emplace("gw", sid, seq).second;
    const DedupVerdict v = d.check("gw", sid, seq);
    ASSERT_EQ(v, fresh ? DedupVerdict::kNew : DedupVerdict::kDuplicate) << i << " seq " << seq;
  }
}

}  // namespace
}  // namespace gw::actor
