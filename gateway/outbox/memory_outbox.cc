#include "gateway/outbox/memory_outbox.h"

namespace gw::outbox {

MemoryOutbox::MemoryOutbox(size_t capacity, Counters& counters)
    : StreamedOutbox(counters), capacity_(capacity) {
  // In memory, so it cannot fail.
  dead_letters_ = std::move(DeadLetterStore::open({})).value();
}

Status MemoryOutbox::append(pipeline::OutboundMessage message) {
  if (entries_.size() >= capacity_) {
    counters_.add(counterKey("outbox_full_total", {{"actor", message.actor_id}}));
    return resourceExhausted("outbox holds " + std::to_string(capacity_) + " messages");
  }
  const uint64_t id = next_id_++;
  counters_.add(counterKey("outbox_appended_total", {{"actor", message.actor_id}}));
  auto [it, inserted] =
      entries_.emplace(id, Entry{id, std::move(message), std::chrono::steady_clock::now()});
  enqueue(id, it->second.message.topic);
  return okStatus();
}

const MemoryOutbox::Entry* MemoryOutbox::takeNext() {
  const auto id = nextReady();
  if (!id) return nullptr;
  markTaken(*id);
  return &entries_.at(*id);
}

void MemoryOutbox::erase(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  forget(id, it->second.message.topic);
  entries_.erase(it);
}

void MemoryOutbox::ack(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;  // a late duplicate acknowledgement
  counters_.add(counterKey("outbox_acked_total", {{"actor", it->second.message.actor_id}}));
  erase(id);
}

}  // namespace gw::outbox
