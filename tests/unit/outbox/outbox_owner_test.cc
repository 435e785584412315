#include "gateway/outbox/outbox_owner.h"

#include <gtest/gtest.h>

#include <fstream>

#include "gateway/outbox/open_outbox.h"
#include "gateway/outbox/waiting_queue.h"
#include "tests/support/temp_dir.h"

namespace gw::outbox {
namespace {

namespace fs = std::filesystem;

TEST(OutboxOwnerTest, ClaimsANewOutboxAndRefusesAnotherOwnersNamingBoth) {
  testing::TempDir dir;
  const auto box = dir.path() / "outbox";
  ASSERT_TRUE(claimOutbox(box, {"x", "key-x"}).ok());
  EXPECT_TRUE(claimOutbox(box, {"x", "key-x"}).ok()) << "its own owner again";
  const Status other_site = claimOutbox(box, {"y", "key-x"});
  EXPECT_EQ(other_site.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(other_site.message().find("site 'x'"), std::string::npos) << other_site.message();
  EXPECT_NE(other_site.message().find("site 'y'"), std::string::npos) << other_site.message();
  EXPECT_NE(other_site.message().find("--quarantine-foreign-outbox"), std::string::npos);
  EXPECT_EQ(claimOutbox(box, {"x", "key-other"}).code(), StatusCode::kFailedPrecondition)
      << "same site, another gateway identity";
}

TEST(OutboxOwnerTest, ForeignOutboxIsRefusedOrQuarantinedNeverOpened) {
  testing::TempDir dir;
  Counters counters;
  SegmentOutboxOptions options;
  {
    auto x = openOutbox(options, {dir.path().string(), {"x", "key-x"}, false}, counters);
    ASSERT_TRUE(x.ok()) << x.status().toString();
    ASSERT_TRUE((*x)->append({"amb", "lantaarn/v1/x/amb/m", "sealed for x"}).ok());
  }
  auto refused = openOutbox(options, {dir.path().string(), {"y", "key-y"}, false}, counters);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);

  auto y = openOutbox(options, {dir.path().string(), {"y", "key-y"}, true}, counters);
  ASSERT_TRUE(y.ok()) << y.status().toString();
  EXPECT_EQ((*y)->size(), 0u) << "x's message is never handed to y's publisher";
  EXPECT_EQ(counters.value("outbox_quarantined_total"), 1u);
  int quarantined = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    if (entry.path().filename().string().rfind("outbox.quarantine-", 0) == 0) ++quarantined;
  }
  EXPECT_EQ(quarantined, 1) << "kept aside, not deleted";
}

TEST(WaitingQueueTest, OldestReadyFirstAcrossStreamsAndHeldOnesApart) {
  std::map<uint64_t, std::string> topics{{1, "a"}, {2, "b"}, {3, "a"}, {4, "c"}};
  WaitingQueue q;
  for (const auto& [id, topic] : topics) q.add(id, topic);
  q.hold("a", [&](uint64_t id) -> const std::string& { return topics.at(id); });
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.front(), 2u);
  q.popFront();
  EXPECT_EQ(q.front(), 4u);
  q.remove(3, "a");
  EXPECT_EQ(q.size(), 2u);
  q.resume("a");
  EXPECT_EQ(q.front(), 1u);
  std::vector<uint64_t> seen;
  q.forEach([&](uint64_t id) {
    seen.push_back(id);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 4}));
}

}  // namespace
}  // namespace gw::outbox
