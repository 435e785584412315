// The message record grew an expiry field (the route's ttl); segments written before that must
// stay readable, and the expiry must survive a restart.
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/outbox/record_codec.h"
#include "gateway/outbox/segment_outbox.h"
#include "tests/support/temp_dir.h"

namespace gw::outbox {
namespace {

using pipeline::Priority;

pipeline::OutboundMessage message(const std::string& payload, int64_t expires) {
  pipeline::OutboundMessage m{"fire", "lantaarn/v1/s/fire/event", payload, Priority::kAlarm};
  m.expires_unix_ms = expires;
  return m;
}

TEST(RecordVersionsTest, TheExpiryRoundTripsInTheCurrentLayout) {
  const std::string rec = encodeMessageRecord(7, message("sealed", 1'700'000'123'456));
  Record r;
  ASSERT_EQ(decodeRecord(rec, r), rec.size());
  EXPECT_EQ(r.type, RecordType::kMessageWithExpiry);
  EXPECT_EQ(r.message.expires_unix_ms, 1'700'000'123'456);
  EXPECT_EQ(r.message.payload, "sealed");
  EXPECT_EQ(r.message.actor_id, "fire");
}

TEST(RecordVersionsTest, AFirstLayoutRecordDecodesWithoutExpiry) {
  const std::string rec = encodeMessageRecordV1(9, message("old", 0));
  // The first layout is 8 bytes shorter: no expiry field.
  EXPECT_EQ(rec.size() + 8, encodeMessageRecord(9, message("old", 0)).size());
  Record r;
  r.message.expires_unix_ms = 99;  // must be reset, not left over
  ASSERT_EQ(decodeRecord(rec, r), rec.size());
  EXPECT_EQ(r.type, RecordType::kMessage);
  EXPECT_EQ(r.message.expires_unix_ms, 0);
  EXPECT_EQ(r.message.payload, "old");
}

TEST(RecordVersionsTest, AnOutboxWrittenInTheFirstLayoutIsRecoveredAndKeepsAppending) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "outbox");
  {
    std::ofstream seg(dir / "outbox" / "seg-0000000000000001.log", std::ios::binary);
    seg << encodeMessageRecordV1(1, message("a", 0)) << encodeMessageRecordV1(2, message("b", 0))
        << encodeReleaseRecord(1, ReleaseReason::kAcked);
  }
  Counters counters;
  SegmentOutboxOptions options;
  options.dir = dir / "outbox";
  {
    auto box = SegmentOutbox::open(options, counters);
    ASSERT_TRUE(box.ok()) << box.status().toString();
    ASSERT_EQ((*box)->size(), 1u);
    ASSERT_TRUE((*box)->append(message("c", 1'800'000'000'000)).ok());
  }
  auto box = SegmentOutbox::open(options, counters);
  ASSERT_TRUE(box.ok()) << box.status().toString();
  const auto* b = (*box)->takeNext();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->message.payload, "b");
  EXPECT_EQ(b->message.expires_unix_ms, 0);
  const auto* c = (*box)->takeNext();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->message.payload, "c");
  EXPECT_EQ(c->message.expires_unix_ms, 1'800'000'000'000);
  EXPECT_GT(c->id, 2u);
}

}  // namespace
}  // namespace gw::outbox
