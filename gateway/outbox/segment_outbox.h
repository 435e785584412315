#pragma once
// The durable outbox: sealed messages are appended to checksummed segment files before they are
// published and released (by a release record) only after the broker's PUBACK. After a crash,
// open() replays the segments, truncates a torn tail and hands out again, in append order, every
// message that was not released. Format, invariants and fsync policy: gateway/outbox/DESIGN.md.
//
// Entries are also kept in memory (the log is for recovery, never read on the hot path).
// Not thread-safe: used only on the pipeline strand.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "gateway/core/counters.h"
#include "gateway/outbox/streamed_outbox.h"

namespace gw::outbox {

enum class FsyncPolicy {
  kEveryRecord,  // fdatasync after every append and release record
  kGroupCommit,  // fdatasync once before any appended record is handed out or on sync()
  kInterval,     // fdatasync at most every `fsync_interval`; a power loss may lose that window
};

struct SegmentOutboxOptions {
  std::filesystem::path dir;
  FsyncPolicy fsync = FsyncPolicy::kGroupCommit;
  std::chrono::milliseconds fsync_interval{100};
  uint64_t segment_bytes = 8u << 20;      // a new segment file starts beyond this size
  uint64_t max_total_bytes = 256u << 20;  // payload bytes held, all actors
  uint64_t max_actor_bytes = 64u << 20;   // payload bytes held per actor
  size_t max_messages = 1'000'000;
  // Release records (PUBACKs) are collected and written in one write() with the next message
  // record, at the group commit, or once this many bytes are pending (~18 B each: 4 KiB is ~220
  // releases), instead of one write() each. A crash loses at most these: the messages are sent
  // again (at-least-once; actors de-duplicate). 0 writes each at once. kEveryRecord ignores it.
  size_t release_batch_bytes = 4096;
  // Group commit: while messages are in flight, takeNext() holds back a not-yet-durable group
  // smaller than this (returns nullptr; the next PUBACK asks again) instead of an fdatasync for
  // it. With nothing in flight, or for an alarm, it syncs at once. 1 disables the wait.
  uint64_t group_commit_min_messages = 64;
  // ... but never longer than this after the last fdatasync (so never longer than this after the
  // group's first append either): the publisher pumps again then (groupDeadline()), so a slow
  // PUBACK never holds a measurement back (decision 1300), and while the link is busy there is
  // at most one fdatasync per this interval (decision 1370).
  std::chrono::microseconds group_commit_max_wait{1000};
  // Where dead letters go (dead_letter_store.h); empty: kept in memory.
  std::filesystem::path dead_letter_dir;
};

class SegmentOutbox : public StreamedOutbox {
 public:
  // Opens (creating if needed) the directory and recovers what it holds.
  // takeNext() may return nullptr while messages wait, but only while some are in flight (group
  // commit, see SegmentOutboxOptions::group_commit_min_messages): their ack is the cue to ask
  // again.
  static Result<std::unique_ptr<SegmentOutbox>> open(SegmentOutboxOptions options,
                                                     Counters& counters);
  ~SegmentOutbox() override;
  SegmentOutbox(const SegmentOutbox&) = delete;
  SegmentOutbox& operator=(const SegmentOutbox&) = delete;

  Status append(pipeline::OutboundMessage message) override;
  bool hasRoom(size_t count) const override {
    return entries_.size() + count <= opts_.max_messages;
  }
  const Entry* takeNext() override;
  void ack(uint64_t id) override;
  Result<size_t> requeueResends() override;
  std::optional<std::chrono::steady_clock::time_point> groupDeadline() const override;
  void forEachEntry(const std::function<void(const Entry&)>& visit) const override {
    for (const auto& [id, held] : entries_) visit(held.entry);
  }
  size_t size() const override { return entries_.size(); }
  const Entry* entry(uint64_t id) const override {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second.entry;
  }

  // Makes everything appended so far durable (the group commit point).
  Status sync();
  size_t segmentCount() const { return segments_.size(); }
  uint64_t bytesHeld() const { return total_bytes_; }
  // What recovery found at open(): records replayed, bytes truncated from a torn/corrupt tail.
  uint64_t recoveredRecords() const { return recovered_records_; }
  uint64_t truncatedBytes() const { return truncated_bytes_; }

 private:
  struct Segment {
    uint64_t seq = 0;
    std::filesystem::path path;
    uint64_t live = 0;  // messages in it not yet released
  };
  struct Held {
    Entry entry;
    uint64_t segment_seq = 0;
  };

  SegmentOutbox(SegmentOutboxOptions options, Counters& counters);
  Status recover();
  Status replaySegment(Segment& segment, bool last);
  Status openForAppend();
  Status writeRecord(const std::string& bytes);
  void flushReleases();
  Status maybeSync(bool is_release);
  // When a group that waits for company must be synced (group commit; see groupDeadline()).
  std::chrono::steady_clock::time_point groupSyncDue() const;
  Status rollIfNeeded();
  void release(uint64_t id, const char* reason);
  void releaseDeadLettered(uint64_t id) override { release(id, "dead_lettered"); }
  bool makeRoom(const pipeline::OutboundMessage& message, uint64_t bytes);
  void dropDeadSegments();
  void countWriteError(const std::string& what, int err);
  // The per-actor counter `name{actor="..."}`, looked up once per actor (a key string and a
  // locked map lookup per message showed in the profile).
  std::atomic<uint64_t>& actorCounter(std::map<std::string, std::atomic<uint64_t>*>& cache,
                                      const char* name, const std::string& actor);

  SegmentOutboxOptions opts_;
  int fd_ = -1;
  uint64_t fd_bytes_ = 0;
  bool dirty_ = false;            // bytes written since the last fdatasync
  std::string pending_releases_;  // encoded release records not yet written
  // Message ids below durable_below_ are on disk for good; written_below_ is one past the last
  // message record written. takeNext() syncs only for a message at or above durable_below_, so a
  // backlog of durable messages goes out without an fdatasync per PUBACK (docs/BENCHMARKS.md).
  uint64_t durable_below_ = 1;
  uint64_t written_below_ = 1;
  bool alarm_not_durable_ = false;  // an alarm among the appends since the last fdatasync
  std::chrono::steady_clock::time_point group_started_{};  // first append not yet durable
  std::chrono::steady_clock::time_point last_sync_{};
  uint64_t next_id_ = 1;
  uint64_t recovered_records_ = 0;
  uint64_t truncated_bytes_ = 0;
  uint64_t total_bytes_ = 0;
  std::map<std::string, uint64_t> actor_bytes_;
  std::map<std::string, std::atomic<uint64_t>*> appended_counters_;
  std::map<std::string, std::atomic<uint64_t>*> acked_counters_;
  std::map<uint64_t, Segment> segments_;  // by seq, oldest first
  std::map<uint64_t, Held> entries_;      // by id = append order
};

}  // namespace gw::outbox
