#include "gateway/outbox/memory_outbox.h"

#include "gateway/core/clock.h"

namespace gw::outbox {

MemoryOutbox::MemoryOutbox(size_t capacity, Counters& counters)
    : capacity_(capacity),
      counters_(counters),
      // In memory, so it cannot fail.
      dead_letters_(std::move(DeadLetterStore::open({})).value()) {}

Status MemoryOutbox::append(pipeline::OutboundMessage message) {
  if (entries_.size() >= capacity_) {
    counters_.add(counterKey("outbox_full_total", {{"actor", message.actor_id}}));
    return resourceExhausted("outbox holds " + std::to_string(capacity_) + " messages");
  }
  const uint64_t id = next_id_++;
  counters_.add(counterKey("outbox_appended_total", {{"actor", message.actor_id}}));
  auto [it, inserted] =
      entries_.emplace(id, Entry{id, std::move(message), std::chrono::steady_clock::now()});
  waiting_.add(id, it->second.message.topic);
  return okStatus();
}

const MemoryOutbox::Entry* MemoryOutbox::takeNext() {
  const auto id = waiting_.front();
  if (!id) return nullptr;
  waiting_.popFront();
  in_flight_.insert(*id);
  return &entries_.at(*id);
}

void MemoryOutbox::erase(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  in_flight_.erase(id);
  waiting_.remove(id, it->second.message.topic);
  entries_.erase(it);
}

void MemoryOutbox::ack(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;  // a late duplicate acknowledgement
  counters_.add(counterKey("outbox_acked_total", {{"actor", it->second.message.actor_id}}));
  erase(id);
}

void MemoryOutbox::requeue(uint64_t id) {
  if (in_flight_.erase(id) > 0) waiting_.add(id, entries_.at(id).message.topic);
}

void MemoryOutbox::requeueAllInFlight() {
  for (uint64_t id : in_flight_) waiting_.add(id, entries_.at(id).message.topic);
  in_flight_.clear();
}

void MemoryOutbox::holdStream(const std::string& topic) {
  waiting_.hold(
      topic, [this](uint64_t id) -> const std::string& { return entries_.at(id).message.topic; });
}

Status MemoryOutbox::deadLetterIds(const std::vector<uint64_t>& ids, const std::string& reason) {
  std::vector<DeadLetter> letters;
  const int64_t now = nowUnixMs();
  for (uint64_t id : ids) {
    auto it = entries_.find(id);
    if (it != entries_.end()) letters.push_back(DeadLetter{id, now, reason, it->second.message});
  }
  GW_RETURN_IF_ERROR(dead_letters_->add(letters));
  for (const auto& letter : letters) {
    counters_.add(counterKey("outbox_dead_lettered_total",
                             {{"actor", letter.message.actor_id}, {"reason", reason}}));
    erase(letter.id);
  }
  return okStatus();
}

Result<size_t> MemoryOutbox::deadLetterStream(const std::string& topic, const std::string& reason) {
  std::vector<uint64_t> ids;
  for (const auto& [id, entry] : entries_) {
    if (entry.message.topic == topic) ids.push_back(id);
  }
  GW_RETURN_IF_ERROR(deadLetterIds(ids, reason));
  return ids.size();
}

size_t MemoryOutbox::deadLetterUnsent(const std::string& actor) {
  std::vector<uint64_t> ids;
  waiting_.forEach([&](uint64_t id) {
    if (entries_.at(id).message.actor_id == actor) ids.push_back(id);
    return true;
  });
  return deadLetterIds(ids, "actor_removed").ok() ? ids.size() : 0;
}

}  // namespace gw::outbox
