#pragma once
// The outbox without a state directory (`--state-dir ""`: tests, demos, dry runs): sealed
// messages wait here until the broker acknowledges them (PUBACK), in memory and bounded; a crash
// loses them. With a state directory gatewayd uses SegmentOutbox, behind the same calls.
//
// Messages are handed out in append order, and requeued ones go back into that order.
// Not thread-safe: used only on the pipeline strand.
#include <cstdint>
#include <map>
#include <set>

#include "gateway/core/counters.h"
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
  size_t unsent() const { return unsent_.size(); }
  size_t dropUnsent(const std::string& actor) override;
  void forEachEntry(const std::function<void(const Entry&)>& visit) const override {
    for (const auto& [id, entry] : entries_) visit(entry);
  }

 private:
  size_t capacity_;
  Counters& counters_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Entry> entries_;
  std::set<uint64_t> unsent_;
  std::set<uint64_t> in_flight_;
};

}  // namespace gw::outbox
