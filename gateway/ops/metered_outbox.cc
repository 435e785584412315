#include "gateway/ops/metered_outbox.h"

namespace gw::ops {
namespace {
// An entry the inner outbox evicted while in flight is never acked here; forget such strays
// rather than grow without bound (the window is max_inflight, tens of entries).
constexpr size_t kMaxTracked = 100000;
}  // namespace

const pipeline::Outbox::Entry* MeteredOutbox::takeNext() {
  const Entry* entry = inner_->takeNext();
  if (entry == nullptr) return nullptr;
  const std::string& actor = entry->message.actor_id;
  const uint64_t bytes = entry->message.payload.size();
  counters_.add(counterKey("bytes_sent_total", {{"actor", actor}}), bytes);
  if (in_flight_.size() >= kMaxTracked) in_flight_.clear();
  in_flight_[entry->id] =
      Sent{&counters_.get(counterKey("bytes_acked_total", {{"actor", actor}})), bytes};
  return entry;
}

void MeteredOutbox::ack(uint64_t id) {
  auto it = in_flight_.find(id);
  if (it != in_flight_.end()) {
    it->second.acked_bytes->fetch_add(it->second.bytes, std::memory_order_relaxed);
    in_flight_.erase(it);
  }
  inner_->ack(id);
}

}  // namespace gw::ops
