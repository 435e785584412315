#pragma once
// One sink's durable queue: each verified message the sink's filter takes is written here before
// the sink sees it, and leaves only when the sink took it. It is the gateway's segment outbox
// (gateway/outbox, group commit): checksummed segment files, recovered after a crash, bounded
// in bytes and messages with the least urgent, oldest message evicted first and counted
// (spool_evicted_total). Messages of one sink go out in order; a failed delivery goes back to
// the front. Thread-safe: the delivery thread puts, the sink's worker takes.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/core/counters.h"
#include "gateway/outbox/segment_outbox.h"
#include "gateway/v1/actor_state.pb.h"

namespace gw::actor_service {

struct SpoolOptions {
  std::filesystem::path dir;
  std::string sink;
  uint64_t max_bytes = 256u << 20;
  uint64_t max_messages = 1'000'000;
};

class SinkSpool {
 public:
  struct Item {
    uint64_t id = 0;
    gateway::v1::SpooledMessage message;
  };

  static Result<std::unique_ptr<SinkSpool>> open(const SpoolOptions& options, Counters& counters);

  // Writes the message (write(), fsync at the group commit before the sink sees it).
  // ResourceExhausted when the spool is full of more urgent messages.
  Status put(const gateway::v1::SpooledMessage& message);
  // The oldest waiting message; waits up to `wait` for one. Empty on timeout or after close().
  std::optional<Item> next(std::chrono::milliseconds wait);
  // The sink took it: gone for good.
  void done(uint64_t id);
  // The sink failed: it goes back to the front, for the next attempt.
  void retry(uint64_t id);
  // Wakes a waiting next() for good.
  void close();

  size_t backlog() const;
  // How long the oldest waiting message has waited, ms (0 when none waits).
  int64_t oldestAgeMs() const;

 private:
  SinkSpool(std::unique_ptr<outbox::SegmentOutbox> outbox, std::string sink)
      : outbox_(std::move(outbox)), sink_(std::move(sink)) {}

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::unique_ptr<outbox::SegmentOutbox> outbox_;
  std::string sink_;
  bool closed_ = false;
};

}  // namespace gw::actor_service
