#pragma once
// The outbox without a state directory (`--state-dir ""`: tests, demos, dry runs): sealed
// messages wait here until the broker acknowledges them (PUBACK), in memory and bounded; a crash
// loses them. With a state directory gatewayd uses SegmentOutbox, behind the same calls.
//
// Messages are handed out in append order, and requeued ones go back into that order; a held
// stream waits apart (waiting_queue.h). Dead letters are kept in memory (the newest 10,000).
// Not thread-safe: used only on the pipeline strand.
#include <cstdint>
#include <map>
#include <memory>
#include <set>

#include "gateway/core/counters.h"
#include "gateway/outbox/dead_letter_store.h"
#include "gateway/outbox/waiting_queue.h"
#include "gateway/pipeline/stage.h"

namespace gw::outbox {

class MemoryOutbox : public pipeline::Outbox {
 public:
  MemoryOutbox(size_t capacity, Counters& counters);

  Status append(pipeline::OutboundMessage message) override;
  bool hasRoom(size_t count) const override { return entries_.size() + count <= capacity_; }

  const Entry* takeNext() override;
  void ack(uint64_t id) override;
  void requeue(uint64_t id) override;
  void requeueAllInFlight() override;
  size_t size() const override { return entries_.size(); }
  size_t inFlight() const override { return in_flight_.size(); }
  const Entry* entry(uint64_t id) const override {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second;
  }
  std::optional<uint64_t> oldestInFlight() const override {
    if (in_flight_.empty()) return std::nullopt;
    return *in_flight_.begin();
  }
  size_t unsent() const { return waiting_.size(); }
  size_t deadLetterUnsent(const std::string& actor) override;
  void holdStream(const std::string& topic) override;
  void resumeStream(const std::string& topic) override { waiting_.resume(topic); }
  Status deadLetter(uint64_t id, const std::string& reason) override {
    return deadLetterIds({id}, reason);
  }
  Result<size_t> deadLetterStream(const std::string& topic, const std::string& reason) override;
  size_t deadLetters() const override { return dead_letters_->held(); }
  Result<size_t> requeueResends() override { return size_t{0}; }
  void forEachEntry(const std::function<void(const Entry&)>& visit) const override {
    for (const auto& [id, entry] : entries_) visit(entry);
  }

 private:
  void erase(uint64_t id);
  Status deadLetterIds(const std::vector<uint64_t>& ids, const std::string& reason);

  size_t capacity_;
  Counters& counters_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Entry> entries_;
  WaitingQueue waiting_;
  std::set<uint64_t> in_flight_;
  std::unique_ptr<DeadLetterStore> dead_letters_;
};

}  // namespace gw::outbox
