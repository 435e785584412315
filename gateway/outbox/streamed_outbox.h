#pragma once
// What MemoryOutbox and SegmentOutbox share: the per-stream waiting queue (waiting_queue.h), the
// set of entries in flight, and the dead letters (decision 1300). The subclasses own the entries
// themselves and how one is released (a release record on disk, or just erased).
//
// Not thread-safe: used only on the pipeline strand.
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gateway/core/counters.h"
#include "gateway/outbox/dead_letter_store.h"
#include "gateway/outbox/waiting_queue.h"
#include "gateway/pipeline/stage.h"

namespace gw::outbox {

class StreamedOutbox : public pipeline::Outbox {
 public:
  void requeue(uint64_t id) override;
  void requeueAllInFlight() override;
  size_t deadLetterUnsent(const std::string& actor) override;
  void holdStream(const std::string& topic) override;
  void resumeStream(const std::string& topic) override { waiting_.resume(topic); }
  Status deadLetter(uint64_t id, const std::string& reason) override {
    return deadLetterIds({id}, reason);
  }
  // O(entries): a refused stream is rare, and a per-topic index would cost every message.
  Result<size_t> deadLetterStream(const std::string& topic, const std::string& reason) override;
  size_t deadLetters() const override { return dead_letters_->held(); }
  size_t inFlight() const override { return in_flight_.size(); }
  std::optional<uint64_t> oldestInFlight() const override {
    if (in_flight_.empty()) return std::nullopt;
    return *in_flight_.begin();
  }

 protected:
  explicit StreamedOutbox(Counters& counters) : counters_(counters) {}

  // Releases `id` for good once it is stored as a dead letter (and counted).
  virtual void releaseDeadLettered(uint64_t id) = 0;

  // Waits to be taken (again).
  void enqueue(uint64_t id, const std::string& topic) { waiting_.add(id, topic); }
  // The oldest ready entry, not yet taken.
  std::optional<uint64_t> nextReady() const { return waiting_.front(); }
  // Marks nextReady() in flight.
  void markTaken(uint64_t id) {
    waiting_.popFront();
    in_flight_.insert(id);
  }
  // Gone (acknowledged, evicted, dead-lettered): neither waiting nor in flight.
  void forget(uint64_t id, const std::string& topic) {
    in_flight_.erase(id);
    waiting_.remove(id, topic);
  }
  bool anyInFlight() const { return !in_flight_.empty(); }
  const WaitingQueue& waiting() const { return waiting_; }

  // Stored durably in one write first, then released: a crash in between keeps both copies
  // (a release record may be lost), never neither.
  Status deadLetterIds(const std::vector<uint64_t>& ids, const std::string& reason);

  Counters& counters_;
  std::unique_ptr<DeadLetterStore> dead_letters_;

 private:
  const std::string& topicOf(uint64_t id) const { return entry(id)->message.topic; }

  WaitingQueue waiting_;
  std::set<uint64_t> in_flight_;
};

}  // namespace gw::outbox
