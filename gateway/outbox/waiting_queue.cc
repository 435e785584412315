#include "gateway/outbox/waiting_queue.h"

namespace gw::outbox {

void WaitingQueue::add(uint64_t id, const std::string& topic) {
  if (auto it = held_.find(topic); it != held_.end()) {
    if (it->second.insert(id).second) ++held_count_;
    return;
  }
  ready_.insert(id);
}

void WaitingQueue::remove(uint64_t id, const std::string& topic) {
  if (ready_.erase(id) > 0) return;
  if (auto it = held_.find(topic); it != held_.end() && it->second.erase(id) > 0) --held_count_;
}

std::optional<uint64_t> WaitingQueue::front() const {
  if (ready_.empty()) return std::nullopt;
  return *ready_.begin();
}

void WaitingQueue::hold(const std::string& topic, const TopicOf& topic_of) {
  auto [it, inserted] = held_.try_emplace(topic);
  if (!inserted) return;
  for (auto id = ready_.begin(); id != ready_.end();) {
    if (topic_of(*id) == topic) {
      it->second.insert(*id);
      ++held_count_;
      id = ready_.erase(id);
    } else {
      ++id;
    }
  }
}

void WaitingQueue::resume(const std::string& topic) {
  auto it = held_.find(topic);
  if (it == held_.end()) return;
  held_count_ -= it->second.size();
  ready_.merge(it->second);
  held_.erase(it);
}

void WaitingQueue::forEach(const std::function<bool(uint64_t id)>& visit) const {
  for (uint64_t id : ready_) {
    if (!visit(id)) return;
  }
  for (const auto& [topic, ids] : held_) {
    for (uint64_t id : ids) {
      if (!visit(id)) return;
    }
  }
}

}  // namespace gw::outbox
