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

#include "gateway/core/counters.h"
#include "gateway/outbox/streamed_outbox.h"

namespace gw::outbox {

class MemoryOutbox : public StreamedOutbox {
 public:
  MemoryOutbox(size_t capacity, Counters& counters);

  Status append(pipeline::OutboundMessage message) override;
  bool hasRoom(size_t count) const override { return entries_.size() + count <= capacity_; }

  const Entry* takeNext() override;
  void ack(uint64_t id) override;
  size_t size() const override { return entries_.size(); }
  const Entry* entry(uint64_t id) const override {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second;
  }
  size_t unsent() const { return waiting().size(); }
  Result<size_t> requeueResends() override { return size_t{0}; }
  void forEachEntry(const std::function<void(const Entry&)>& visit) const override {
    for (const auto& [id, entry] : entries_) visit(entry);
  }

 private:
  void releaseDeadLettered(uint64_t id) override { erase(id); }
  void erase(uint64_t id);

  size_t capacity_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Entry> entries_;
};

}  // namespace gw::outbox
