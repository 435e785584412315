#include "gateway/outbox/segment_outbox.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <deque>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "gateway/outbox/dead_letter_store.h"
#include "gateway/outbox/record_codec.h"
#include "tests/support/temp_dir.h"

namespace gw::outbox {
namespace {

namespace fs = std::filesystem;
using pipeline::Priority;

pipeline::OutboundMessage msg(const std::string& payload, Priority p = Priority::kMeasurement,
                              const std::string& actor = "police") {
  return {actor, "lantaarn/v1/s/" + actor + "/m", payload, p};
}

// Most tests check other contracts than the group commit's wait for a bigger group (it has its
// own test): they hand out as soon as a message is durable.
SegmentOutboxOptions noGroupWait() {
  SegmentOutboxOptions o;
  o.group_commit_min_messages = 1;
  return o;
}

std::unique_ptr<SegmentOutbox> openBox(const fs::path& dir, Counters& counters,
                                       SegmentOutboxOptions o = noGroupWait()) {
  o.dir = dir;
  auto box = SegmentOutbox::open(o, counters);
  EXPECT_TRUE(box.ok()) << box.status().toString();
  return box.ok() ? std::move(box).value() : nullptr;
}

std::vector<std::string> drainPayloads(SegmentOutbox& box) {
  std::vector<std::string> out;
  while (const auto* e = box.takeNext()) out.push_back(e->message.payload);
  return out;
}

std::vector<fs::path> segmentFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& f : fs::directory_iterator(dir)) files.push_back(f.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(RecordCodecTest, RoundTripsAndRejectsAnyFlippedByte) {
  const std::string rec = encodeMessageRecord(42, msg("sealed", Priority::kAlarm));
  Record r;
  ASSERT_EQ(decodeRecord(rec, r), rec.size());
  EXPECT_EQ(r.id, 42u);
  EXPECT_EQ(r.message.payload, "sealed");
  EXPECT_EQ(r.message.priority, Priority::kAlarm);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the CRC32C check value
  for (size_t i = 0; i < rec.size(); ++i) {
    std::string bad = rec;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    EXPECT_EQ(decodeRecord(bad, r), 0u) << "byte " << i;
  }
  EXPECT_EQ(decodeRecord(std::string_view(rec).substr(0, rec.size() - 1), r), 0u);
}

// The SSE 4.2 path (where the CPU has it) must be the same function as the table: every length
// (the 8-byte loop and its tail), every alignment, chained calls.
TEST(RecordCodecTest, FastCrcEqualsTheTableDrivenOne) {
  std::mt19937 rng(7);
  std::string data(1024, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (size_t at = 0; at < 9; ++at) {
    for (size_t len = 0; len + at <= 300; ++len) {
      const std::string_view part = std::string_view(data).substr(at, len);
      ASSERT_EQ(crc32c(part), crc32cPortable(part)) << "at " << at << " len " << len;
    }
  }
  EXPECT_EQ(
      crc32c(std::string_view(data).substr(100), crc32c(std::string_view(data).substr(0, 100))),
      crc32cPortable(data));
  EXPECT_EQ(crc32cPortable("123456789"), 0xE3069283u);
}

TEST(SegmentOutboxTest, UnreleasedMessagesSurviveReopenInOrder) {
  testing::TempDir dir;
  Counters counters;
  {
    auto box = openBox(dir.path(), counters);
    for (const char* p : {"a", "b", "c", "d"}) ASSERT_TRUE(box->append(msg(p)).ok());
    const auto* a = box->takeNext();
    const auto* b = box->takeNext();
    ASSERT_TRUE(a && b);
    box->ack(b->id);  // b reached the broker; a was in flight when we "crashed"
  }
  auto box = openBox(dir.path(), counters);
  EXPECT_EQ(box->size(), 3u);
  EXPECT_EQ(drainPayloads(*box), (std::vector<std::string>{"a", "c", "d"}));
  ASSERT_TRUE(box->append(msg("e")).ok());
  EXPECT_EQ(drainPayloads(*box), (std::vector<std::string>{"e"}));
}

TEST(SegmentOutboxTest, TornTailIsTruncatedAndEverythingBeforeItRecovered) {
  testing::TempDir dir;
  Counters counters;
  {
    auto box = openBox(dir.path(), counters);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(box->append(msg("m" + std::to_string(i))).ok());
    ASSERT_TRUE(box->sync().ok());
  }
  const fs::path seg = segmentFiles(dir.path()).front();
  const auto full = fs::file_size(seg);
  fs::resize_file(seg, full - 3);  // the last record lost its tail in the crash
  {
    auto box = openBox(dir.path(), counters);
    EXPECT_GT(box->truncatedBytes(), 0u);
    EXPECT_EQ(box->size(), 9u);
    EXPECT_EQ(drainPayloads(*box).back(), "m8");
    EXPECT_GT(counters.value("outbox_torn_tail_bytes_total"), 0u);
  }
  EXPECT_LT(fs::file_size(seg), full - 3);  // cut back to the last whole record
}

TEST(SegmentOutboxTest, CorruptRecordInAnOldSegmentKeepsWhatPrecedesIt) {
  testing::TempDir dir;
  Counters counters;
  SegmentOutboxOptions o;
  o.segment_bytes = 200;  // a few records per segment
  {
    auto box = openBox(dir.path(), counters, o);
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(box->append(msg("payload-" + std::to_string(i))).ok());
  }
  const auto files = segmentFiles(dir.path());
  ASSERT_GE(files.size(), 3u);
  const auto size = fs::file_size(files[0]);
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size - 2));
    f.put('\xff');
  }
  auto box = openBox(dir.path(), counters, o);
  const auto got = drainPayloads(*box);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front(), "payload-0");
  EXPECT_EQ(got.back(), "payload-19");
  EXPECT_EQ(got.size(), 19u);  // exactly the damaged record is missing
  EXPECT_GT(counters.value("outbox_corrupt_bytes_total"), 0u);
}

TEST(SegmentOutboxTest, FullyReleasedSegmentsAreDeleted) {
  testing::TempDir dir;
  Counters counters;
  SegmentOutboxOptions o;
  o.segment_bytes = 256;
  auto box = openBox(dir.path(), counters, o);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(box->append(msg(std::string(40, 'x'))).ok());
  EXPECT_GT(box->segmentCount(), 5u);
  while (const auto* e = box->takeNext()) box->ack(e->id);
  EXPECT_EQ(box->size(), 0u);
  EXPECT_LE(box->segmentCount(), 2u);
  EXPECT_LE(segmentFiles(dir.path()).size(), 2u);
  EXPECT_GT(counters.value("outbox_segments_deleted_total"), 0u);
}

TEST(SegmentOutboxTest, BudgetEvictsOldestMeasurementsBeforeAlarms) {
  testing::TempDir dir;
  Counters counters;
  SegmentOutboxOptions o;
  o.max_total_bytes = 100;
  auto box = openBox(dir.path(), counters, o);
  ASSERT_TRUE(box->append(msg(std::string(30, 'A'), Priority::kAlarm)).ok());
  ASSERT_TRUE(box->append(msg(std::string(30, '1'))).ok());
  ASSERT_TRUE(box->append(msg(std::string(30, '2'))).ok());
  ASSERT_TRUE(box->append(msg(std::string(30, 'B'), Priority::kAlarm)).ok());  // evicts '1'
  ASSERT_TRUE(box->append(msg(std::string(30, 'C'), Priority::kAlarm)).ok());  // evicts '2'
  // Only alarms are left: a measurement cannot push one out.
  EXPECT_EQ(box->append(msg(std::string(30, '3'))).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(counters.value(counterKey("outbox_evicted_total",
                                      {{"actor", "police"}, {"reason", "budget_total"}})),
            2u);
  std::vector<std::string> want{std::string(30, 'A'), std::string(30, 'B'), std::string(30, 'C')};
  EXPECT_EQ(drainPayloads(*box), want);
  box.reset();
  auto again = openBox(dir.path(), counters, o);  // evictions are durable too
  EXPECT_EQ(drainPayloads(*again), want);
}

TEST(SegmentOutboxTest, PerActorBudgetOnlyEvictsThatActor) {
  testing::TempDir dir;
  Counters counters;
  SegmentOutboxOptions o;
  o.max_actor_bytes = 50;
  auto box = openBox(dir.path(), counters, o);
  ASSERT_TRUE(box->append(msg(std::string(30, 'f'), Priority::kMeasurement, "fire")).ok());
  ASSERT_TRUE(box->append(msg(std::string(30, '1'))).ok());
  ASSERT_TRUE(box->append(msg(std::string(30, '2'))).ok());
  EXPECT_EQ(counters.value(counterKey("outbox_evicted_total",
                                      {{"actor", "police"}, {"reason", "budget_actor"}})),
            1u);
  EXPECT_EQ(drainPayloads(*box),
            (std::vector<std::string>{std::string(30, 'f'), std::string(30, '2')}));
}

// Disk full: a child process with RLIMIT_FSIZE gets EFBIG on the segment. The outbox must report
// it (ResourceExhausted, counted), keep running and keep serving what it stored; everything it
// accepted must be recoverable afterwards.
TEST(SegmentOutboxTest, DiskFullIsReportedAndWhatWasStoredSurvives) {
  testing::TempDir dir;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{4096, 4096};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(210);
    Counters counters;
    SegmentOutboxOptions o;
    o.dir = dir.path();
    o.segment_bytes = 1u << 20;  // beyond the limit: the write itself must fail
    o.release_batch_bytes = 0;   // each release written at once: the child _exit()s (a crash)
    auto box = SegmentOutbox::open(o, counters);
    if (!box.ok()) ::_exit(211);
    int accepted = 0;
    for (int i = 0; i < 200; ++i) {
      const Status st = (*box)->append(msg(std::string(100, 'm')));
      if (st.ok()) {
        ++accepted;
      } else if (st.code() != StatusCode::kResourceExhausted) {
        ::_exit(212);
      }
    }
    if (accepted <= 5 || accepted >= 200) ::_exit(213);
    if (counters.value(counterKey("outbox_write_errors_total", {{"op", "write"}})) == 0)
      ::_exit(214);
    // Still running: what is stored is handed out and released as usual.
    int served = 0;
    while (const auto* e = (*box)->takeNext()) {
      ++served;
      if (served <= 5) (*box)->ack(e->id);
    }
    if (served != accepted) ::_exit(215);
    ::_exit(accepted);  // < 200: the parent checks recovery against it
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  const int accepted = WEXITSTATUS(status);
  ASSERT_LT(accepted, 200) << "child failed at check " << accepted;
  Counters counters;
  auto box = openBox(dir.path(), counters);
  const auto got = drainPayloads(*box);
  // Every record on disk is whole (partial writes were cut off), and 5 releases may or may not
  // have fit: what remains is exactly the accepted messages minus some of those 5.
  EXPECT_EQ(box->truncatedBytes(), 0u);
  EXPECT_GE(got.size(), static_cast<size_t>(accepted - 5));
  EXPECT_LT(got.size(), static_cast<size_t>(accepted));  // at least one release was durable
  for (const auto& p : got) EXPECT_EQ(p, std::string(100, 'm'));
}

// Group commit makes a message durable before it is handed out, and only then: a backlog that is
// already on disk (or a message sent before and requeued) leaves without another fdatasync, which
// under load would otherwise cost one per PUBACK (issue 10, docs/BENCHMARKS.md).
TEST(SegmentOutboxTest, GroupCommitSyncsOnlyForAMessageNotYetDurable) {
  testing::TempDir dir;
  Counters counters;
  auto box = openBox(dir.path(), counters);  // group commit is the default
  ASSERT_TRUE(box);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(box->append(msg("m" + std::to_string(i))).ok());
  const auto* first = box->takeNext();
  ASSERT_TRUE(first);
  EXPECT_EQ(counters.value("outbox_fsyncs_total"), 1u);  // the group of ten
  ASSERT_TRUE(box->append(msg("late")).ok());            // written, not yet durable
  box->requeue(first->id);
  std::vector<std::string> out;
  for (int i = 0; i < 10; ++i) {
    const auto* e = box->takeNext();
    ASSERT_TRUE(e);
    out.push_back(e->message.payload);
  }
  EXPECT_EQ(out.front(), "m0");  // the requeued one first, in order
  EXPECT_EQ(out.back(), "m9");
  EXPECT_EQ(counters.value("outbox_fsyncs_total"), 1u) << "the durable backlog forced a sync";
  const auto* late = box->takeNext();
  ASSERT_TRUE(late);
  EXPECT_EQ(late->message.payload, "late");
  EXPECT_EQ(counters.value("outbox_fsyncs_total"), 2u) << "handed out before it was durable";
}

// Model-based: random operations against a trivially correct in-memory model, with crashes
// (drop the object, optionally tear the tail of the newest segment) at random points. Under
// every-record fsync nothing appended may be lost; released messages may come back only if
// their release record was torn off (at-least-once), and order must always be append order.
TEST(SegmentOutboxPropertyTest, MatchesModelAcrossRandomCrashes) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    testing::TempDir dir;
    Counters counters;
    std::mt19937 rng(seed);
    SegmentOutboxOptions o;
    // Seeds 9-12: group commit with batched release records, flushed after a few releases.
    o.fsync = seed <= 8 ? FsyncPolicy::kEveryRecord : FsyncPolicy::kGroupCommit;
    o.release_batch_bytes = 60;
    o.segment_bytes = 512;
    auto box = openBox(dir.path(), counters, o);
    std::deque<std::string> model;  // unreleased payloads in append order
    std::map<uint64_t, std::string> flight;
    int next = 0;
    for (int step = 0; step < 300; ++step) {
      const int op = static_cast<int>(rng() % 100);
      if (op < 45) {
        const std::string p = "v" + std::to_string(next++);
        ASSERT_TRUE(box->append(msg(p, static_cast<Priority>(rng() % 3))).ok());
        model.push_back(p);
      } else if (op < 70) {
        if (const auto* e = box->takeNext()) flight[e->id] = e->message.payload;
      } else if (op < 88) {
        if (flight.empty()) continue;
        auto it = std::next(flight.begin(), static_cast<long>(rng() % flight.size()));
        box->ack(it->first);
        model.erase(std::find(model.begin(), model.end(), it->second));
        flight.erase(it);
      } else if (op < 95) {
        box->requeueAllInFlight();
        flight.clear();
      } else {
        box.reset();  // crash
        flight.clear();
        const auto files = segmentFiles(dir.path());
        bool torn_release = false;
        if (rng() % 2 == 0 && !files.empty() && fs::file_size(files.back()) > 0) {
          // Tear the last record: appends are in the model only once written, so only a
          // release record may be torn without violating the contract.
          std::ifstream in(files.back(), std::ios::binary);
          std::string data((std::istreambuf_iterator<char>(in)), {});
          size_t at = 0, last = 0;
          Record r;
          while (size_t n = decodeRecord(std::string_view(data).substr(at), r)) {
            last = at;
            at += n;
            if (at == data.size()) break;
          }
          Record tail;
          decodeRecord(std::string_view(data).substr(last), tail);
          if (tail.type == RecordType::kRelease) {
            fs::resize_file(files.back(), last + 3);
            torn_release = true;
          }
        }
        box = openBox(dir.path(), counters, o);
        std::vector<std::string> got;
        while (const auto* e = box->takeNext()) got.push_back(e->message.payload);
        box->requeueAllInFlight();
        std::vector<std::string> want(model.begin(), model.end());
        if (torn_release) {
          // At most one extra (the message whose release was torn); order is still append order.
          ASSERT_LE(got.size(), want.size() + 1) << "seed " << seed;
          for (const auto& w : want) {
            ASSERT_NE(std::find(got.begin(), got.end(), w), got.end()) << "lost " << w;
          }
          model.assign(got.begin(), got.end());
        } else {
          ASSERT_EQ(got, want) << "seed " << seed << " step " << step;
        }
        ASSERT_TRUE(std::is_sorted(got.begin(), got.end(), [](const auto& a, const auto& b) {
          return std::stoi(a.substr(1)) < std::stoi(b.substr(1));
        }));
      }
    }
  }
}

std::vector<RecordType> recordTypes(const fs::path& dir) {
  std::vector<RecordType> types;
  for (const auto& file : segmentFiles(dir)) {
    std::ifstream in(file, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), {});
    Record r;
    for (size_t at = 0; size_t n = decodeRecord(std::string_view(data).substr(at), r); at += n) {
      types.push_back(r.type);
    }
  }
  return types;
}

// Decision 1011: no write() per PUBACK; the releases go out with the next message record.
TEST(SegmentOutboxTest, ReleaseRecordsRideWithTheNextMessageRecord) {
  testing::TempDir dir;
  Counters counters;
  auto box = openBox(dir.path(), counters);
  for (const char* p : {"a", "b", "c"}) ASSERT_TRUE(box->append(msg(p)).ok());
  std::vector<uint64_t> ids;
  while (const auto* e = box->takeNext()) ids.push_back(e->id);
  const auto size_before = fs::file_size(segmentFiles(dir.path()).back());
  for (uint64_t id : ids) box->ack(id);
  EXPECT_EQ(fs::file_size(segmentFiles(dir.path()).back()), size_before) << "no write per ack";
  ASSERT_TRUE(box->append(msg("d")).ok());
  constexpr auto kM = RecordType::kMessageWithExpiry;
  constexpr auto kR = RecordType::kRelease;
  EXPECT_EQ(recordTypes(dir.path()), (std::vector<RecordType>{kM, kM, kM, kR, kR, kR, kM}));
  box.reset();
  box = openBox(dir.path(), counters);
  EXPECT_EQ(drainPayloads(*box), (std::vector<std::string>{"d"}));
}

TEST(SegmentOutboxTest, GroupCommitWritesPendingReleasesAndABatchFlushesWhenFull) {
  testing::TempDir dir;
  Counters counters;
  SegmentOutboxOptions o;
  o.release_batch_bytes = 3 * encodeReleaseRecord(1, ReleaseReason::kAcked).size();
  auto box = openBox(dir.path(), counters, o);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(box->append(msg("m" + std::to_string(i))).ok());
  std::vector<uint64_t> ids;
  while (const auto* e = box->takeNext()) ids.push_back(e->id);
  for (size_t i = 0; i < 4; ++i) box->ack(ids[i]);
  // Three releases filled the batch and were written; the fourth waits.
  const auto written = recordTypes(dir.path());
  EXPECT_EQ(std::count(written.begin(), written.end(), RecordType::kRelease), 3);
  ASSERT_TRUE(box->sync().ok());
  const auto types = recordTypes(dir.path());
  EXPECT_EQ(std::count(types.begin(), types.end(), RecordType::kRelease), 4);
}

// A real crash (the child _exit()s: no destructor, nothing flushed) loses at most the pending
// releases: those messages come back (at-least-once), every unreleased one is there, in order.
TEST(SegmentOutboxTest, ACrashLosesOnlyPendingReleasesNeverAMessage) {
  testing::TempDir dir;
  constexpr int kMessages = 1000;
  constexpr int kAcked = 900;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Counters counters;
    SegmentOutboxOptions o;
    o.dir = dir.path();
    auto box = SegmentOutbox::open(o, counters);
    if (!box.ok()) ::_exit(201);
    for (int i = 0; i < kMessages; ++i) {
      if (!(*box)->append(msg(std::to_string(i))).ok()) ::_exit(202);
    }
    std::vector<uint64_t> ids;
    while (const auto* e = (*box)->takeNext()) ids.push_back(e->id);
    if (ids.size() != kMessages) ::_exit(203);
    for (int i = 0; i < kAcked; ++i) (*box)->ack(ids[static_cast<size_t>(i)]);
    ::_exit(0);  // crash: the pending releases are lost
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  Counters counters;
  auto box = openBox(dir.path(), counters);
  std::vector<int> got;
  for (const auto& p : drainPayloads(*box)) got.push_back(std::stoi(p));
  ASSERT_FALSE(got.empty());
  // A contiguous run ending at the last message: the unreleased ones plus the last few acked.
  const int first = got.front();
  std::vector<int> want(static_cast<size_t>(kMessages - first));
  std::iota(want.begin(), want.end(), first);
  EXPECT_EQ(got, want);
  EXPECT_LE(first, kAcked);
  const size_t release_bytes = encodeReleaseRecord(1, ReleaseReason::kAcked).size();
  EXPECT_GE(first,
            kAcked - static_cast<int>(SegmentOutboxOptions{}.release_batch_bytes / release_bytes))
      << "more came back than one batch of releases";
  EXPECT_LT(first, kAcked) << "the last releases were pending: some acked come back";
}

// Decision 1013: while messages are in flight, a small group that is not yet durable waits (no
// fdatasync per few readings when the window has room); an alarm, a full group, or an empty
// window syncs at once. Nothing is handed out before it is durable.
TEST(SegmentOutboxTest, GroupCommitWaitsForABiggerGroupOnlyWhileMessagesAreInFlight) {
  testing::TempDir dir;
  Counters counters;
  SegmentOutboxOptions o;
  o.group_commit_min_messages = 4;
  o.group_commit_max_wait = std::chrono::hours(1);  // its own test below
  auto box = openBox(dir.path(), counters, o);
  auto fsyncs = [&] { return counters.value("outbox_fsyncs_total"); };
  ASSERT_TRUE(box->append(msg("m0")).ok());
  const auto* m0 = box->takeNext();  // nothing in flight: synced at once
  ASSERT_TRUE(m0);
  EXPECT_EQ(fsyncs(), 1u);
  const uint64_t m0_id = m0->id;
  ASSERT_TRUE(box->append(msg("m1")).ok());
  EXPECT_EQ(box->takeNext(), nullptr) << "a group of one while m0 is in flight waits";
  EXPECT_EQ(fsyncs(), 1u);
  ASSERT_TRUE(box->append(msg("alarm", Priority::kAlarm)).ok());
  const auto* m1 = box->takeNext();  // an alarm in the group: no waiting
  ASSERT_TRUE(m1);
  EXPECT_EQ(m1->message.payload, "m1");
  EXPECT_EQ(fsyncs(), 2u);
  const auto* alarm = box->takeNext();
  ASSERT_TRUE(alarm);
  EXPECT_EQ(alarm->message.payload, "alarm");
  const uint64_t m1_id = m1->id, alarm_id = alarm->id;

  for (int i = 2; i < 5; ++i) ASSERT_TRUE(box->append(msg("m" + std::to_string(i))).ok());
  EXPECT_EQ(box->takeNext(), nullptr) << "three of four";
  ASSERT_TRUE(box->append(msg("m5")).ok());
  const auto* m2 = box->takeNext();  // the group is full
  ASSERT_TRUE(m2);
  EXPECT_EQ(m2->message.payload, "m2");
  EXPECT_EQ(fsyncs(), 3u);
  while (const auto* e = box->takeNext()) box->ack(e->id);  // m3..m5, durable

  ASSERT_TRUE(box->append(msg("m6")).ok());
  EXPECT_EQ(box->takeNext(), nullptr);
  for (uint64_t id : {m0_id, m1_id, alarm_id, m2->id}) box->ack(id);  // the window empties
  const auto* m6 = box->takeNext();
  ASSERT_TRUE(m6);
  EXPECT_EQ(m6->message.payload, "m6");
  EXPECT_EQ(fsyncs(), 4u);
}

TEST(SegmentOutboxTest, GroupCommitWaitsNoLongerThanItsDeadline) {
  // A broker that holds PUBACKs back (Nagle) must not hold a small group back with them: past
  // group_commit_max_wait the group goes out without another PUBACK asking.
  testing::TempDir dir;
  Counters counters;
  SegmentOutboxOptions o;
  o.group_commit_min_messages = 64;
  o.group_commit_max_wait = std::chrono::milliseconds(30);
  auto box = openBox(dir.path(), counters, o);
  const auto before_sync = std::chrono::steady_clock::now();
  ASSERT_TRUE(box->append(msg("m0")).ok());
  ASSERT_TRUE(box->takeNext());  // nothing in flight: at once
  const auto after_sync = std::chrono::steady_clock::now();
  EXPECT_FALSE(box->groupDeadline());
  ASSERT_TRUE(box->append(msg("m1")).ok());
  const auto deadline = box->groupDeadline();
  ASSERT_TRUE(deadline);
  // Counted from m0's fdatasync, the last one (decision 1370), not from m1's append.
  EXPECT_GE(*deadline, before_sync + o.group_commit_max_wait);
  EXPECT_LE(*deadline, after_sync + o.group_commit_max_wait);
  if (std::chrono::steady_clock::now() < *deadline) {
    EXPECT_EQ(box->takeNext(), nullptr);
  }
  std::this_thread::sleep_until(*deadline);
  const auto* m1 = box->takeNext();
  ASSERT_TRUE(m1);
  EXPECT_EQ(m1->message.payload, "m1");
  EXPECT_FALSE(box->groupDeadline()) << "nothing left that is not durable";
}

TEST(SegmentOutboxTest, GroupCommitDoesNotMakeAReadingAfterAQuietSpellWaitForCompany) {
  // The wait limits the rate of fdatasyncs while the link is busy; it is counted from the last
  // one. A message appended when that is longer ago than max_wait goes out at once, even with
  // messages in flight: at 1,000 readings/s (one every ms) counting from the group's first
  // append added ~1 ms to every reading (issue 20, decision 1370).
  testing::TempDir dir;
  Counters counters;
  SegmentOutboxOptions o;
  o.group_commit_min_messages = 64;
  o.group_commit_max_wait = std::chrono::milliseconds(20);
  auto box = openBox(dir.path(), counters, o);
  auto fsyncs = [&] { return counters.value("outbox_fsyncs_total"); };
  ASSERT_TRUE(box->append(msg("m0")).ok());
  ASSERT_TRUE(box->takeNext());  // nothing in flight: synced at once; m0 stays in flight
  EXPECT_EQ(fsyncs(), 1u);
  ASSERT_TRUE(box->append(msg("m1")).ok());
  if (auto deadline = box->groupDeadline()) std::this_thread::sleep_until(*deadline);
  const auto* m1 = box->takeNext();  // due: 20 ms after m0's sync
  ASSERT_TRUE(m1);
  EXPECT_EQ(fsyncs(), 2u);

  std::this_thread::sleep_for(o.group_commit_max_wait + std::chrono::milliseconds(5));
  ASSERT_TRUE(box->append(msg("m2")).ok());  // m0 and m1 still in flight, the last sync is old
  const auto* m2 = box->takeNext();
  ASSERT_TRUE(m2) << "a reading after a quiet spell waited for a group to form";
  EXPECT_EQ(m2->message.payload, "m2");
  EXPECT_EQ(fsyncs(), 3u);
}

TEST(SegmentOutboxTest, HeldStreamWaitsWhileOthersAreHandedOutThenResumesInOrder) {
  testing::TempDir dir;
  Counters counters;
  auto box = openBox(dir.path(), counters);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(box->append(msg("p" + std::to_string(i), Priority::kMeasurement, "police")).ok());
    ASSERT_TRUE(box->append(msg("a" + std::to_string(i), Priority::kMeasurement, "amb")).ok());
  }
  const auto* first = box->takeNext();
  ASSERT_EQ(first->message.payload, "p0");
  box->requeue(first->id);  // refused for now
  box->holdStream(msg("", Priority::kMeasurement, "police").topic);
  EXPECT_EQ(drainPayloads(*box), (std::vector<std::string>{"a0", "a1", "a2"}));
  ASSERT_TRUE(box->append(msg("p3", Priority::kMeasurement, "police")).ok());
  EXPECT_EQ(box->takeNext(), nullptr) << "a new message of a held stream waits with it";
  EXPECT_EQ(box->size(), 7u);
  box->resumeStream(msg("", Priority::kMeasurement, "police").topic);
  EXPECT_EQ(drainPayloads(*box), (std::vector<std::string>{"p0", "p1", "p2", "p3"}));
}

TEST(SegmentOutboxTest, DeadLetterIsKeptWithItsReasonAndNeverRecoveredIntoTheOutbox) {
  testing::TempDir dir;
  Counters counters;
  SegmentOutboxOptions o = noGroupWait();
  o.dead_letter_dir = dir.path() / "dead-letter";
  {
    auto box = openBox(dir.path() / "outbox", counters, o);
    ASSERT_TRUE(box->append(msg("refused", Priority::kEvent, "police")).ok());
    ASSERT_TRUE(box->append(msg("fine", Priority::kMeasurement, "amb")).ok());
    const auto* refused = box->takeNext();
    ASSERT_TRUE(box->deadLetter(refused->id, "not_authorized").ok());
    EXPECT_EQ(box->size(), 1u);
    EXPECT_EQ(box->inFlight(), 0u);
    EXPECT_EQ(box->deadLetters(), 1u);
    EXPECT_EQ(counters.value(counterKey("outbox_dead_lettered_total",
                                        {{"actor", "police"}, {"reason", "not_authorized"}})),
              1u);
  }
  auto box = openBox(dir.path() / "outbox", counters, o);
  EXPECT_EQ(drainPayloads(*box), std::vector<std::string>{"fine"});
  EXPECT_EQ(box->deadLetters(), 1u);
  auto letters = DeadLetterStore::list(dir.path() / "dead-letter");
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ(letters->front().reason, "not_authorized");
  EXPECT_EQ(letters->front().message.payload, "refused");
  EXPECT_EQ(letters->front().message.priority, Priority::kEvent);
  EXPECT_GT(letters->front().dead_unix_ms, 0);
}

TEST(SegmentOutboxTest, RemovedActorsWaitingMessagesAreDeadLetteredAndCanBeResent) {
  testing::TempDir dir;
  Counters counters;
  SegmentOutboxOptions o = noGroupWait();
  o.dead_letter_dir = dir.path() / "dead-letter";
  auto box = openBox(dir.path() / "outbox", counters, o);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(box->append(msg("f" + std::to_string(i), Priority::kMeasurement, "fire")).ok());
  }
  ASSERT_TRUE(box->append(msg("amb", Priority::kMeasurement, "amb")).ok());
  EXPECT_EQ(box->deadLetterUnsent("fire"), 3u);
  EXPECT_EQ(drainPayloads(*box), std::vector<std::string>{"amb"});
  EXPECT_EQ(box->deadLetters(), 3u);

  // Nothing queued yet: nothing requeued.
  auto none = box->requeueResends();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  // gatewayctl's side picks two of them (by payload here), the outbox takes them back in order.
  auto queued = DeadLetterStore::queueResend(dir.path() / "dead-letter", [](const DeadLetter& l) {
    return l.reason == "actor_removed" && l.message.payload != "f1";
  });
  ASSERT_TRUE(queued.ok()) << queued.status().toString();
  EXPECT_EQ(*queued, 2u);
  EXPECT_EQ(box->deadLetters(), 1u) << "the log was rewritten without them";
  auto resent = box->requeueResends();
  ASSERT_TRUE(resent.ok());
  EXPECT_EQ(*resent, 2u);
  EXPECT_EQ(drainPayloads(*box), (std::vector<std::string>{"f0", "f2"}));
  auto again = box->requeueResends();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u) << "the resend file is gone once taken";
}

TEST(DeadLetterStoreTest, TornTailIsIgnoredAndCorruptRecordsNeverDecode) {
  testing::TempDir dir;
  auto store = DeadLetterStore::open(dir.path());
  ASSERT_TRUE(store.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE((*store)
                    ->add(DeadLetter{uint64_t(i + 1), 1000 + i, "topic_invalid",
                                     msg("p" + std::to_string(i))})
                    .ok());
  }
  EXPECT_EQ((*store)->held(), 3u);
  const auto log = dir.path() / "dead-letters.log";
  fs::resize_file(log, fs::file_size(log) - 5);  // a crash mid-append
  auto letters = DeadLetterStore::list(dir.path());
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 2u);
  EXPECT_EQ(letters->back().message.payload, "p1");
  EXPECT_EQ((*store)->held(), 2u) << "re-read after the log changed size";

  const std::string record = encodeDeadLetterRecord(DeadLetter{7, 5, "r", msg("x")});
  DeadLetter out;
  EXPECT_EQ(decodeDeadLetterRecord(record, out), record.size());
  for (size_t i = 0; i < record.size(); ++i) {
    std::string bad = record;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    EXPECT_EQ(decodeDeadLetterRecord(bad, out), 0u) << "byte " << i;
  }
}

}  // namespace
}  // namespace gw::outbox
