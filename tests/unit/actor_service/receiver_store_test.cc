// The receiver's state across restarts: after a crash (no snapshot since) or a clean stop, a
// restarted receiver refuses what it already accepted, reports no gap that was not there, and
// still verifies the checkpoint that spans the restart.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gateway/actor_service/receiver_store.h"
#include "gateway/crypto/gateway_sealer.h"
#include "tests/support/temp_dir.h"

namespace gw::actor_service {
namespace {

using actor::EnvelopeReceiver;
using actor::Report;
using actor::Verdict;

constexpr int64_t kNow = 1'780'000'000'000;

class ReceiverStoreTest : public ::testing::Test {
 protected:
  ReceiverStoreTest() {
    auto sealer = crypto::GatewaySealer::open(identity_, "site", {});
    EXPECT_TRUE(sealer.ok());
    sealer_ = std::move(sealer).value();
    sealer_->setActors({{"police", crypto::publicHalf(police_)}});
  }

  std::unique_ptr<EnvelopeReceiver> receiver() const {
    return std::make_unique<EnvelopeReceiver>(actor::ReceiverIdentity{
        "site", "police", police_, {crypto::identityPublicHalf(identity_)}});
  }

  std::vector<crypto::SealedEnvelope> seal(int count) {
    std::vector<crypto::SealedEnvelope> out;
    for (int i = 0; i < count; ++i) {
      gateway::v1::ActorMessage m;
      m.set_site_id("site");
      m.set_actor_id("police");
      m.mutable_measurement()->set_value(i);
      EXPECT_TRUE(sealer_->seal("police", m, kNow, &out).ok());
    }
    return out;
  }

  crypto::SealedEnvelope checkpoint() {
    std::vector<std::pair<std::string, crypto::SealedEnvelope>> due;
    EXPECT_TRUE(sealer_->checkpoints(kNow + 5000, true, &due).ok());
    EXPECT_EQ(due.size(), 1u);
    return due.at(0).second;
  }

  // Feeds the envelope and journals it when accepted, as the actor service does.
  actor::Received feed(EnvelopeReceiver& r, ReceiverStore& store, const crypto::SealedEnvelope& e) {
    auto got = r.receive(e.payload, kNow, false);
    if (got.verdict != Verdict::kRejected && got.verdict != Verdict::kDuplicate) {
      EXPECT_TRUE(store.journal(e.payload, kNow, false).ok());
    }
    return got;
  }

  testing::TempDir dir_;
  crypto::IdentityKey identity_ = crypto::generateIdentityKey("site");
  crypto::SecretKey police_ = crypto::generateKeyPair("police");
  std::unique_ptr<crypto::GatewaySealer> sealer_;
};

TEST_F(ReceiverStoreTest, AfterACrashTheJournalRestoresEverythingAccepted) {
  const auto envelopes = seal(8);  // KEY + 8 DATA: sequences 1..9
  ASSERT_EQ(envelopes.size(), 9u);
  {
    auto store = ReceiverStore::open(dir_.path());
    ASSERT_TRUE(store.ok());
    auto r = receiver();
    ASSERT_TRUE((*store)->restore(*r).ok());
    ASSERT_TRUE((*store)->snapshot(*r).ok());  // an empty baseline, as the service starts
    for (int i = 0; i < 6; ++i) {
      EXPECT_NE(feed(*r, **store, envelopes[i]).verdict, Verdict::kRejected);
    }
    // A crash: no snapshot, the store and receiver simply vanish.
  }
  auto store = ReceiverStore::open(dir_.path());
  ASSERT_TRUE(store.ok());
  auto r = receiver();
  auto replayed = (*store)->restore(*r);
  ASSERT_TRUE(replayed.ok()) << replayed.status().toString();
  EXPECT_EQ(*replayed, 6u);

  // A replay of something accepted before the crash is a duplicate, not a message.
  EXPECT_EQ(r->receive(envelopes[3].payload, kNow).verdict, Verdict::kDuplicate);
  // The next one follows on without a gap report.
  auto next = r->receive(envelopes[6].payload, kNow);
  EXPECT_EQ(next.verdict, Verdict::kMessage);
  EXPECT_TRUE(next.reports.empty());
  EXPECT_EQ(r->receive(envelopes[7].payload, kNow).verdict, Verdict::kMessage);
  EXPECT_EQ(r->receive(envelopes[8].payload, kNow).verdict, Verdict::kMessage);
  // The checkpoint over all nine, two thirds of them received before the restart, verifies.
  auto cp = r->receive(checkpoint().payload, kNow + 5000);
  ASSERT_EQ(cp.verdict, Verdict::kCheckpoint);
  ASSERT_EQ(cp.reports.size(), 1u);
  EXPECT_EQ(cp.reports[0].type, Report::Type::kCheckpointVerified);
  EXPECT_EQ(cp.reports[0].from, envelopes.front().sequence);
  EXPECT_EQ(cp.reports[0].to, envelopes.back().sequence);
}

TEST_F(ReceiverStoreTest, ASnapshotEmptiesTheJournalAndRestoresTheSame) {
  const auto envelopes = seal(3);  // KEY + 3 DATA
  {
    auto store = ReceiverStore::open(dir_.path());
    ASSERT_TRUE(store.ok());
    auto r = receiver();
    for (int i = 0; i < 3; ++i) feed(*r, **store, envelopes[i]);  // KEY + 2 DATA
    ASSERT_TRUE((*store)->snapshot(*r).ok());
    EXPECT_EQ((*store)->journalRecords(), 0u);
    feed(*r, **store, envelopes[3]);
  }
  EXPECT_EQ(std::filesystem::status(dir_.path() / "receiver.state").permissions() &
                (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);  // it holds epoch keys
  auto store = ReceiverStore::open(dir_.path());
  ASSERT_TRUE(store.ok());
  auto r = receiver();
  auto replayed = (*store)->restore(*r);
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(*replayed, 1u);  // only what came after the snapshot
  for (const auto& e : envelopes) {
    EXPECT_EQ(r->receive(e.payload, kNow).verdict, Verdict::kDuplicate);
  }
}

TEST_F(ReceiverStoreTest, ATornJournalTailIsCutAndTheRestKept) {
  const auto envelopes = seal(3);
  {
    auto store = ReceiverStore::open(dir_.path());
    ASSERT_TRUE(store.ok());
    auto r = receiver();
    for (const auto& e : envelopes) feed(*r, **store, e);
  }
  const auto journal = dir_.path() / "receiver.journal";
  const auto size = std::filesystem::file_size(journal);
  std::filesystem::resize_file(journal, size - 7);  // the last record torn
  auto store = ReceiverStore::open(dir_.path());
  ASSERT_TRUE(store.ok());
  auto r = receiver();
  auto replayed = (*store)->restore(*r);
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(*replayed, 3u);  // KEY + 2 DATA intact
  EXPECT_GT((*store)->truncatedBytes(), 0u);
  EXPECT_EQ(r->receive(envelopes[3].payload, kNow).verdict, Verdict::kMessage);  // the torn one
}

TEST_F(ReceiverStoreTest, AStateOfAnotherWindowSizeIsRefusedNamingIt) {
  const auto envelopes = seal(1);
  {
    auto store = ReceiverStore::open(dir_.path());
    ASSERT_TRUE(store.ok());
    auto r = receiver();
    for (const auto& e : envelopes) feed(*r, **store, e);
    ASSERT_TRUE((*store)->snapshot(*r).ok());
  }
  auto store = ReceiverStore::open(dir_.path());
  ASSERT_TRUE(store.ok());
  actor::ReceiverOptions small;
  small.dedup_window = 128;
  EnvelopeReceiver r(
      actor::ReceiverIdentity{"site", "police", police_, {crypto::identityPublicHalf(identity_)}},
      small);
  auto replayed = (*store)->restore(r);
  ASSERT_FALSE(replayed.ok());
  EXPECT_NE(replayed.status().message().find("receiver.state"), std::string::npos);
  EXPECT_NE(replayed.status().message().find("128"), std::string::npos);
}

}  // namespace
}  // namespace gw::actor_service
