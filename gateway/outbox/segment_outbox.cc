#include "gateway/outbox/segment_outbox.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <vector>

#include "gateway/outbox/record_codec.h"

namespace gw::outbox {
namespace {

namespace fs = std::filesystem;

std::string segmentName(uint64_t seq) {
  char name[40];
  std::snprintf(name, sizeof name, "seg-%016llx.log", static_cast<unsigned long long>(seq));
  return name;
}

bool parseSegmentName(const std::string& name, uint64_t& seq) {
  unsigned long long value = 0;
  char tail[8] = {};
  if (name.size() != 24 || std::sscanf(name.c_str(), "seg-%16llx.%3s", &value, tail) != 2 ||
      std::string(tail) != "log") {
    return false;
  }
  seq = value;
  return true;
}

}  // namespace

SegmentOutbox::SegmentOutbox(SegmentOutboxOptions options, Counters& counters)
    : StreamedOutbox(counters), opts_(std::move(options)) {}

SegmentOutbox::~SegmentOutbox() {
  if (fd_ >= 0) {
    flushReleases();
    if (dirty_) ::fdatasync(fd_);
    ::close(fd_);
  }
}

Result<std::unique_ptr<SegmentOutbox>> SegmentOutbox::open(SegmentOutboxOptions options,
                                                           Counters& counters) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec)
    return unavailable("cannot create outbox dir " + options.dir.string() + ": " + ec.message());
  std::unique_ptr<SegmentOutbox> box(new SegmentOutbox(std::move(options), counters));
  auto dead_letters = DeadLetterStore::open(box->opts_.dead_letter_dir);
  if (!dead_letters.ok()) return dead_letters.status();
  box->dead_letters_ = std::move(dead_letters).value();
  if (Status s = box->recover(); !s.ok()) return s;
  if (Status s = box->openForAppend(); !s.ok()) return s;
  return box;
}

Status SegmentOutbox::recover() {
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(opts_.dir, ec)) {
    uint64_t seq = 0;
    if (!parseSegmentName(item.path().filename().string(), seq)) continue;
    segments_[seq] = Segment{seq, item.path(), 0};
  }
  if (ec) return unavailable("cannot list outbox dir " + opts_.dir.string() + ": " + ec.message());
  const uint64_t last_seq = segments_.empty() ? 0 : segments_.rbegin()->first;
  for (auto& [seq, segment] : segments_) {
    if (Status s = replaySegment(segment, seq == last_seq); !s.ok()) return s;
  }
  for (const auto& [id, held] : entries_) {
    enqueue(id, held.entry.message.topic);
    total_bytes_ += held.entry.message.payload.size();
    actor_bytes_[held.entry.message.actor_id] += held.entry.message.payload.size();
  }
  if (!entries_.empty()) next_id_ = std::max(next_id_, entries_.rbegin()->first + 1);
  // As before this bookkeeping existed, what recovery found counts as written and durable.
  durable_below_ = written_below_ = next_id_;
  if (recovered_records_ > 0 || truncated_bytes_ > 0) {
    spdlog::info("Outbox recovered dir={} records={} pending={} truncated_bytes={}",
                 opts_.dir.string(), recovered_records_, entries_.size(), truncated_bytes_);
  }
  return okStatus();
}

namespace {
// The whole file in one buffer, read with read(2) (a segment is at most a few MiB beyond
// segment_bytes; an istreambuf_iterator copy went byte by byte).
bool readWholeFile(const fs::path& path, std::string& data) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  data.clear();
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) data.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  for (;;) {
    if (done == data.size()) data.resize(data.size() + 65536);  // grew since fstat
    const ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  ::close(fd);
  return true;
}
}  // namespace

Status SegmentOutbox::replaySegment(Segment& segment, bool last) {
  std::string data;
  if (!readWholeFile(segment.path, data)) {
    return unavailable("cannot read outbox segment " + segment.path.string());
  }
  // One clock reading per segment: recovered entries' "since" is the recovery time anyway.
  const auto now = std::chrono::steady_clock::now();
  size_t offset = 0;
  Record record;
  while (offset < data.size()) {
    const size_t used = decodeRecord(std::string_view(data).substr(offset), record);
    if (used == 0) break;  // torn or corrupt: nothing after it can be trusted
    offset += used;
    ++recovered_records_;
    if (isMessageRecord(record.type)) {
      next_id_ = std::max(next_id_, record.id + 1);
      ++segment.live;
      // Ids grow in append order, so a new one almost always goes at the end: hint it there.
      entries_.insert_or_assign(
          entries_.end(), record.id,
          Held{Entry{record.id, std::move(record.message), now}, segment.seq});
    } else if (auto it = entries_.find(record.id); it != entries_.end()) {
      --segments_.at(it->second.segment_seq).live;
      entries_.erase(it);
    }
  }
  if (offset == data.size()) return okStatus();
  const uint64_t bad = data.size() - offset;
  truncated_bytes_ += bad;
  if (last) {
    // A torn tail: the crash hit mid-write. Cut it so later appends follow valid records.
    counters_.add("outbox_torn_tail_bytes_total", bad);
    spdlog::warn("Outbox segment {} has a torn tail: truncating {} bytes at offset {}",
                 segment.path.string(), bad, offset);
    if (::truncate(segment.path.c_str(), static_cast<off_t>(offset)) != 0) {
      return unavailable("cannot truncate " + segment.path.string() + ": " + std::strerror(errno));
    }
  } else {
    // Corruption inside an older segment: keep what precedes it, report the rest as lost.
    counters_.add("outbox_corrupt_bytes_total", bad);
    spdlog::error("Outbox segment {} is corrupt at offset {}: {} bytes after it are skipped",
                  segment.path.string(), offset, bad);
  }
  return okStatus();
}

Status SegmentOutbox::openForAppend() {
  // Every start writes to a fresh segment, so a recovered file is never appended to.
  const uint64_t seq = segments_.empty() ? 1 : segments_.rbegin()->first + 1;
  const fs::path path = opts_.dir / segmentName(seq);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    countWriteError("open", errno);
    return unavailable("cannot open outbox segment " + path.string() + ": " + std::strerror(errno));
  }
  if (fd_ >= 0) {
    if (dirty_) ::fdatasync(fd_);
    ::close(fd_);
  }
  fd_ = fd;
  fd_bytes_ = 0;
  segments_[seq] = Segment{seq, path, 0};
  // Make the new file's directory entry durable, else a power loss could forget the segment.
  if (const int dir = ::open(opts_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  dropDeadSegments();
  return okStatus();
}

std::atomic<uint64_t>& SegmentOutbox::actorCounter(
    std::map<std::string, std::atomic<uint64_t>*>& cache, const char* name,
    const std::string& actor) {
  auto it = cache.find(actor);
  if (it == cache.end()) {
    it = cache.emplace(actor, &counters_.get(counterKey(name, {{"actor", actor}}))).first;
  }
  return *it->second;
}

void SegmentOutbox::countWriteError(const std::string& what, int err) {
  counters_.add(counterKey("outbox_write_errors_total", {{"op", what}}));
  spdlog::error("Outbox {} failed in {}: {}", what, opts_.dir.string(), std::strerror(err));
}

Status SegmentOutbox::writeRecord(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      countWriteError("write", err);
      // Remove a partial record so the segment stays a sequence of whole records.
      if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(fd_bytes_)) != 0) {
        countWriteError("truncate", errno);
      }
      return err == ENOSPC || err == EFBIG || err == EDQUOT
                 ? resourceExhausted(std::string("outbox disk full: ") + std::strerror(err))
                 : unavailable(std::string("outbox write failed: ") + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  fd_bytes_ += bytes.size();
  dirty_ = true;
  return okStatus();
}

void SegmentOutbox::flushReleases() {
  if (pending_releases_.empty() || fd_ < 0) return;
  // A failed write is counted by writeRecord; losing releases only means duplicates after a crash.
  (void)writeRecord(pending_releases_);
  pending_releases_.clear();
}

Status SegmentOutbox::sync() {
  flushReleases();  // they ride along with the group commit
  if (!dirty_ || fd_ < 0) {
    durable_below_ = written_below_;  // nothing written since the last fdatasync
    alarm_not_durable_ = false;
    return okStatus();
  }
  if (::fdatasync(fd_) != 0) {
    countWriteError("fdatasync", errno);
    return unavailable(std::string("outbox fdatasync failed: ") + std::strerror(errno));
  }
  dirty_ = false;
  durable_below_ = written_below_;
  alarm_not_durable_ = false;
  last_sync_ = std::chrono::steady_clock::now();
  counters_.add("outbox_fsyncs_total");
  return okStatus();
}

Status SegmentOutbox::maybeSync(bool is_release) {
  switch (opts_.fsync) {
    case FsyncPolicy::kEveryRecord:
      return sync();
    case FsyncPolicy::kGroupCommit:
      return okStatus();  // takeNext() and sync() commit the group
    case FsyncPolicy::kInterval:
      if (!is_release && std::chrono::steady_clock::now() - last_sync_ >= opts_.fsync_interval) {
        return sync();
      }
      return okStatus();
  }
  return okStatus();
}

Status SegmentOutbox::rollIfNeeded() {
  if (fd_bytes_ < opts_.segment_bytes) return okStatus();
  if (Status s = sync(); !s.ok()) return s;
  return openForAppend();
}

bool SegmentOutbox::makeRoom(const pipeline::OutboundMessage& message, uint64_t bytes) {
  auto over_total = [&] { return total_bytes_ + bytes > opts_.max_total_bytes; };
  auto over_actor = [&] { return actor_bytes_[message.actor_id] + bytes > opts_.max_actor_bytes; };
  while (over_total() || over_actor()) {
    const bool actor_only = !over_total();
    // The least urgent waiting message, oldest first; never more urgent than the newcomer.
    const Held* victim = nullptr;
    waiting().forEach([&](uint64_t id) {
      const Held& held = entries_.at(id);
      if (actor_only && held.entry.message.actor_id != message.actor_id) return true;
      if (held.entry.message.priority < message.priority) return true;
      if (!victim || held.entry.message.priority > victim->entry.message.priority) victim = &held;
      return victim->entry.message.priority != pipeline::Priority::kMeasurement;
    });
    if (!victim) return false;
    release(victim->entry.id, actor_only ? "budget_actor" : "budget_total");
  }
  return true;
}

Status SegmentOutbox::append(pipeline::OutboundMessage message) {
  const std::string& actor = message.actor_id;
  if (entries_.size() >= opts_.max_messages) {
    counters_.add(counterKey("outbox_full_total", {{"actor", actor}}));
    return resourceExhausted("outbox holds " + std::to_string(opts_.max_messages) + " messages");
  }
  if (actor.size() > 0xffff || message.topic.size() > 0xffff ||
      message.payload.size() + actor.size() + message.topic.size() + 16 > kMaxRecordBody) {
    counters_.add(counterKey("outbox_rejected_total", {{"actor", actor}, {"reason", "too_large"}}));
    return invalidArgument("outbox message for actor " + actor + " is too large to store");
  }
  const uint64_t bytes = message.payload.size();
  if (!makeRoom(message, bytes)) {
    counters_.add(counterKey("outbox_full_total", {{"actor", actor}}));
    return resourceExhausted("outbox disk budget reached for actor " + actor);
  }
  if (Status s = rollIfNeeded(); !s.ok()) return s;
  const uint64_t id = next_id_;
  // Pending release records go out in the same write(), before the message (they release older
  // messages, so invariant 2 holds). If the write fails they are lost with it: duplicates only.
  std::string records = std::move(pending_releases_);
  pending_releases_.clear();
  records += encodeMessageRecord(id, message);
  if (Status s = writeRecord(records); !s.ok()) return s;
  written_below_ = id + 1;
  if (message.priority == pipeline::Priority::kAlarm) alarm_not_durable_ = true;
  if (written_below_ - 1 == durable_below_) group_started_ = std::chrono::steady_clock::now();
  if (Status s = maybeSync(false); !s.ok()) return s;
  ++next_id_;
  const uint64_t seq = segments_.rbegin()->first;
  ++segments_.rbegin()->second.live;
  actorCounter(appended_counters_, "outbox_appended_total", actor)
      .fetch_add(1, std::memory_order_relaxed);
  total_bytes_ += bytes;
  actor_bytes_[actor] += bytes;
  auto [it, inserted] = entries_.emplace(
      id, Held{Entry{id, std::move(message), std::chrono::steady_clock::now()}, seq});
  enqueue(id, it->second.entry.message.topic);
  return okStatus();
}

const SegmentOutbox::Entry* SegmentOutbox::takeNext() {
  const auto front = nextReady();
  if (!front) return nullptr;
  // Group commit: nothing leaves the gateway before it is durable here. Only the message handed
  // out must be: one that is already durable (a backlog, a requeued message) needs no sync, and
  // the newer appends wait for the group that the publisher reaches them with. Release records
  // alone never force a sync: they ride along with the next group.
  const uint64_t id = *front;
  if (opts_.fsync != FsyncPolicy::kInterval && id >= durable_below_) {
    // The group is small and the link is busy: wait for it to grow. Without this, a window with
    // room (max_inflight 1000) paid one fdatasync per few readings and the pipeline thread,
    // blocked in it, collapsed to ~1-4k msg/s (decision 1013). A PUBACK of what is in flight
    // calls takeNext() again, and once nothing is in flight it syncs whatever the group is, so
    // nothing waits longer than the messages already on the wire. Alarms never wait. (Waiting
    // only while half a group was in flight was tried: worse at the default window of 20.)
    // Never longer than group_commit_max_wait, though: a broker that delays its PUBACKs (Nagle
    // against the client's delayed ACK) made every measurement wait ~17 ms (decision 1300); the
    // publisher pumps again at groupDeadline().
    const bool defer = opts_.fsync == FsyncPolicy::kGroupCommit && anyInFlight() &&
                       written_below_ - durable_below_ < opts_.group_commit_min_messages &&
                       !alarm_not_durable_ && std::chrono::steady_clock::now() < groupSyncDue();
    if (defer || !sync().ok()) return nullptr;
  }
  markTaken(id);
  return &entries_.at(id).entry;
}

void SegmentOutbox::release(uint64_t id, const char* reason) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;  // a late duplicate acknowledgement
  const pipeline::OutboundMessage& m = it->second.entry.message;
  const bool acked = std::strcmp(reason, "acked") == 0;
  if (acked) {
    actorCounter(acked_counters_, "outbox_acked_total", m.actor_id)
        .fetch_add(1, std::memory_order_relaxed);
  } else if (std::strcmp(reason, "dead_lettered") != 0) {
    counters_.add(counterKey("outbox_evicted_total", {{"actor", m.actor_id}, {"reason", reason}}));
  }
  const ReleaseReason why =
      acked                                       ? ReleaseReason::kAcked
      : std::strcmp(reason, "dead_lettered") == 0 ? ReleaseReason::kDeadLettered
      : std::strcmp(reason, "budget_actor") == 0  ? ReleaseReason::kEvictedActor
                                                  : ReleaseReason::kEvictedTotal;
  if (opts_.fsync == FsyncPolicy::kEveryRecord || opts_.release_batch_bytes == 0) {
    // A release that fails to reach the disk only means a duplicate after a crash; keep going.
    if (rollIfNeeded().ok() && writeRecord(encodeReleaseRecord(id, why)).ok()) {
      (void)maybeSync(true);
    }
  } else {
    // Batched (one write() per PUBACK was ~7% of gatewayd's CPU, docs/decisions/1011).
    appendReleaseRecord(pending_releases_, id, why);
    if (pending_releases_.size() >= opts_.release_batch_bytes && rollIfNeeded().ok()) {
      flushReleases();
    }
  }
  total_bytes_ -= m.payload.size();
  actor_bytes_[m.actor_id] -= m.payload.size();
  if (auto seg = segments_.find(it->second.segment_seq); seg != segments_.end()) --seg->second.live;
  forget(id, m.topic);
  entries_.erase(it);
  dropDeadSegments();
}

void SegmentOutbox::ack(uint64_t id) { release(id, "acked"); }

Result<size_t> SegmentOutbox::requeueResends() {
  return dead_letters_->takeResends(
      [this](const DeadLetter& letter) { return append(letter.message); },
      [this] { return sync(); });
}

std::optional<std::chrono::steady_clock::time_point> SegmentOutbox::groupDeadline() const {
  if (opts_.fsync != FsyncPolicy::kGroupCommit || written_below_ == durable_below_) {
    return std::nullopt;
  }
  return groupSyncDue();
}

std::chrono::steady_clock::time_point SegmentOutbox::groupSyncDue() const {
  // The wait runs from the last fdatasync, not from the group's first append: what it protects
  // is the rate of syncs (at most one per max_wait while the link is busy), and a reading that
  // arrives after a quiet spell has nothing to share a sync with, so it should not wait a whole
  // max_wait for company. At 1,000 readings/s (one every ms) waiting from the first append
  // added ~1 ms to every measurement (issue 20, decision 1370). Never later than max_wait after
  // the group's first append either.
  return std::min(last_sync_, group_started_) + opts_.group_commit_max_wait;
}

void SegmentOutbox::dropDeadSegments() {
  // Only a fully released prefix goes: release records in later segments then always refer to
  // messages that are either gone or still on disk, never resurrect a deleted one's neighbour.
  while (segments_.size() > 1 && segments_.begin()->second.live == 0) {
    std::error_code ec;
    fs::remove(segments_.begin()->second.path, ec);
    if (ec) {
      countWriteError("remove", ec.value());
      return;
    }
    counters_.add("outbox_segments_deleted_total");
    segments_.erase(segments_.begin());
  }
}

}  // namespace gw::outbox
