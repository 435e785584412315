#include "gateway/outbox/streamed_outbox.h"

#include <spdlog/spdlog.h>

#include "gateway/core/clock.h"

namespace gw::outbox {

void StreamedOutbox::requeue(uint64_t id) {
  if (in_flight_.erase(id) > 0) waiting_.add(id, topicOf(id));
}

void StreamedOutbox::requeueAllInFlight() {
  for (uint64_t id : in_flight_) waiting_.add(id, topicOf(id));
  in_flight_.clear();
}

void StreamedOutbox::holdStream(const std::string& topic) {
  waiting_.hold(topic, [this](uint64_t id) -> const std::string& { return topicOf(id); });
}

size_t StreamedOutbox::deadLetterUnsent(const std::string& actor) {
  std::vector<uint64_t> ids;
  waiting_.forEach([&](uint64_t id) {
    if (entry(id)->message.actor_id == actor) ids.push_back(id);
    return true;
  });
  return deadLetterIds(ids, "actor_removed").ok() ? ids.size() : 0;
}

Result<size_t> StreamedOutbox::deadLetterStream(const std::string& topic,
                                                const std::string& reason) {
  std::vector<uint64_t> ids;
  forEachEntry([&](const Entry& held) {
    if (held.message.topic == topic) ids.push_back(held.id);
  });
  GW_RETURN_IF_ERROR(deadLetterIds(ids, reason));
  return ids.size();
}

Status StreamedOutbox::deadLetterIds(const std::vector<uint64_t>& ids, const std::string& reason) {
  std::vector<DeadLetter> letters;
  const int64_t now = nowUnixMs();
  for (uint64_t id : ids) {
    if (const Entry* held = entry(id))
      letters.push_back(DeadLetter{id, now, reason, held->message});
  }
  if (letters.empty()) return okStatus();  // acknowledged after all
  GW_RETURN_IF_ERROR(dead_letters_->add(letters));
  const auto& first = letters.front().message;
  spdlog::warn("Outbox dead-lettered {} message(s) actor={} topic={} reason={}", letters.size(),
               first.actor_id, first.topic, reason);
  for (const auto& letter : letters) {
    counters_.add(counterKey("outbox_dead_lettered_total",
                             {{"actor", letter.message.actor_id}, {"reason", reason}}));
    releaseDeadLettered(letter.id);
  }
  return okStatus();
}

}  // namespace gw::outbox
