#include "gateway/outbox/memory_outbox.h"

namespace gw::outbox {

MemoryOutbox::MemoryOutbox(size_t capacity, Counters& counters)
    : capacity_(capacity), counters_(counters) {}

Status MemoryOutbox::append(pipeline::OutboundMessage message) {
  if (entries_.size() >= capacity_) {
    counters_.add(counterKey("outbox_full_total", {{"actor", message.actor_id}}));
    return resourceExhausted("outbox holds " + std::to_string(capacity_) + " messages");
  }
  const uint64_t id = next_id_++;
  counters_.add(counterKey("outbox_appended_total", {{"actor", message.actor_id}}));
  entries_.emplace(id, Entry{id, std::move(message), std::chrono::steady_clock::now()});
  unsent_.insert(id);
  return okStatus();
}

const MemoryOutbox::Entry* MemoryOutbox::takeNext() {
  if (unsent_.empty()) return nullptr;
  const uint64_t id = *unsent_.begin();
  unsent_.erase(unsent_.begin());
  in_flight_.insert(id);
  return &entries_.at(id);
}

void MemoryOutbox::ack(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;  // a late duplicate acknowledgement
  counters_.add(counterKey("outbox_acked_total", {{"actor", it->second.message.actor_id}}));
  in_flight_.erase(id);
  unsent_.erase(id);
  entries_.erase(it);
}

void MemoryOutbox::requeue(uint64_t id) {
  if (in_flight_.erase(id) > 0) unsent_.insert(id);
}

size_t MemoryOutbox::dropUnsent(const std::string& actor) {
  size_t dropped = 0;
  for (auto it = unsent_.begin(); it != unsent_.end();) {
    auto entry = entries_.find(*it);
    if (entry != entries_.end() && entry->second.message.actor_id == actor) {
      counters_.add(
          counterKey("outbox_evicted_total", {{"actor", actor}, {"reason", "actor_removed"}}));
      entries_.erase(entry);
      it = unsent_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  return dropped;
}

void MemoryOutbox::requeueAllInFlight() {
  unsent_.insert(in_flight_.begin(), in_flight_.end());
  in_flight_.clear();
}

}  // namespace gw::outbox
