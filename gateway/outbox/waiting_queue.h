#pragma once
// The outbox's messages that wait to be handed to the publisher, one queue per stream (MQTT
// topic): a stream the broker refuses for now is held, and the others keep flowing past it
// (decision 1300). The publisher still takes the oldest ready message of all streams, so order
// within a stream and the overall append order are kept while nothing is held.
//
// Not thread-safe: used only on the pipeline strand, by MemoryOutbox and SegmentOutbox.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace gw::outbox {

class WaitingQueue {
 public:
  using TopicOf = std::function<const std::string&(uint64_t id)>;

  // Waits in the ready queue, or with its stream if that is held.
  void add(uint64_t id, const std::string& topic);
  // Gone from wherever it waits (released, evicted, dead-lettered); no-op if it does not wait.
  void remove(uint64_t id, const std::string& topic);
  // The oldest ready message, or none (nothing waits, or only held streams do).
  std::optional<uint64_t> front() const;
  void popFront() { ready_.erase(ready_.begin()); }

  // Holds `topic`: its waiting messages leave the ready queue until resume(). O(ready).
  void hold(const std::string& topic, const TopicOf& topic_of);
  void resume(const std::string& topic);
  bool held(const std::string& topic) const { return held_.contains(topic); }
  size_t heldStreams() const { return held_.size(); }

  size_t size() const { return ready_.size() + held_count_; }
  bool empty() const { return size() == 0; }
  // Every waiting id, ready ones first (oldest first), then each held stream's.
  void forEach(const std::function<bool(uint64_t id)>& visit) const;

 private:
  std::set<uint64_t> ready_;
  std::map<std::string, std::set<uint64_t>> held_;
  size_t held_count_ = 0;
};

}  // namespace gw::outbox
