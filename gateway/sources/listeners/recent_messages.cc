#include "gateway/sources/listeners/recent_messages.h"

#include <functional>

namespace gw::sources {

RecentMessages::RecentMessages(size_t capacity) : ring_(capacity == 0 ? 1 : capacity) {
  hashes_.reserve(ring_.size());
}

bool RecentMessages::seenBefore(std::string_view topic, std::string_view payload) {
  const auto h = std::hash<std::string_view>{};
  // Mixed so that a payload moved to another topic is another message.
  const uint64_t key = h(payload) ^ (h(topic) * 0x9E3779B97F4A7C15ULL);
  if (hashes_.count(key) != 0) return true;
  if (filled_ == ring_.size()) {
    hashes_.erase(ring_[next_]);
  } else {
    ++filled_;
  }
  ring_[next_] = key;
  next_ = (next_ + 1) % ring_.size();
  hashes_.insert(key);
  return false;
}

}  // namespace gw::sources
