#pragma once
// The MQTT source's hand-over from Paho's callback thread to the pipeline executor: raw messages
// (topic, payload) in arrival order. push() never waits: Paho runs every client's callbacks on one
// receive thread while holding its library-wide lock, so a callback that waits for the pipeline
// would also stop the publisher's publish() on that very pipeline thread (decision 1310). Past
// `capacity` the owner stops taking messages from the broker instead (it pauses its session);
// what arrives until the broker has noticed still goes in, so the depth can overshoot a little.
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace gw::sources {

struct QueuedMessage {
  std::string topic;
  std::string payload;
};

class IntakeQueue {
 public:
  explicit IntakeQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Any thread. Returns the depth after the push.
  size_t push(QueuedMessage message);
  // The oldest message, if any.
  std::optional<QueuedMessage> pop();
  // Removes and returns how many were left (at shutdown, to count them).
  size_t clear();

  size_t size() const;
  bool empty() const { return size() == 0; }
  size_t capacity() const { return capacity_; }
  bool full() const { return size() >= capacity_; }

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<QueuedMessage> messages_;
};

}  // namespace gw::sources
