#include "gateway/sources/listeners/intake_queue.h"

namespace gw::sources {

size_t IntakeQueue::push(QueuedMessage message) {
  std::lock_guard lock(mutex_);
  messages_.push_back(std::move(message));
  return messages_.size();
}

std::optional<QueuedMessage> IntakeQueue::pop() {
  std::lock_guard lock(mutex_);
  if (messages_.empty()) return std::nullopt;
  QueuedMessage message = std::move(messages_.front());
  messages_.pop_front();
  return message;
}

size_t IntakeQueue::clear() {
  std::lock_guard lock(mutex_);
  const size_t n = messages_.size();
  messages_.clear();
  return n;
}

size_t IntakeQueue::size() const {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

}  // namespace gw::sources
