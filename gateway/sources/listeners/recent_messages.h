#pragma once
// Remembers the last `capacity` messages of a source by a 64-bit hash of topic and payload, so
// that a QoS 1 redelivery (byte-identical) is recognised whatever its format and whether or not
// its sender numbers its messages. A broker resends what we had not acknowledged when a
// connection ended, and Mosquitto 2.0.11 then sends a resumed session's whole backlog at once,
// past any Receive Maximum: seen redelivering a thousand and more messages after the source
// paused, far beyond a per-device window (sequence_gaps.h). Two different messages with equal
// topic and payload (the same reading, the same time) are indistinguishable and count as one.
// Not thread-safe: used on the pipeline executor.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace gw::sources {

class RecentMessages {
 public:
  explicit RecentMessages(size_t capacity);

  // True when this message is among the last `capacity` seen; otherwise remembers it.
  bool seenBefore(std::string_view topic, std::string_view payload);

 private:
  std::vector<uint64_t> ring_;  // oldest is overwritten first
  size_t next_ = 0;
  size_t filled_ = 0;
  std::unordered_set<uint64_t> hashes_;
};

}  // namespace gw::sources
