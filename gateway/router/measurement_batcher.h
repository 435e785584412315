#pragma once
// Batches the measurements of routes that ask for it (`batch: {max_readings, linger}`) into one
// ActorMessage with a MeasurementBatch body per route, so a high-rate stream costs the MQTT
// client and broker one message per batch instead of one per reading (per-message CPU is the
// limit, shared/measurements.md). A batch is released when it holds max_readings, or when
// `linger` has passed since its first reading. Events never enter it: they are not delayed.
//
// Pure and clock-injected (the caller passes `now` and runs the timer), so it is tested without
// sleeping. Not thread-safe: used on the pipeline strand. Holds Route pointers into the policy:
// the owner must takeAll() before the policy they point into goes away (a reload).
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/router/router.h"

namespace gw::router {

class MeasurementBatcher {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes `item` when it is a measurement of a route with a batch; a batch it completes is
  // appended to `ready`. False (and `item` untouched) when the item is not for batching.
  bool offer(RoutedMessage& item, Clock::time_point now, std::vector<RoutedMessage>* ready);
  // Appends every batch whose linger has passed at `now`, oldest deadline first.
  void takeDue(Clock::time_point now, std::vector<RoutedMessage>* ready);
  // Appends every batch, due or not (shutdown, policy reload).
  void takeAll(std::vector<RoutedMessage>* ready);
  // When the earliest pending batch is due; nullopt when nothing waits.
  std::optional<Clock::time_point> nextDeadline() const;
  size_t pendingReadings() const;

 private:
  struct Pending {
    RoutedMessage batch;
    Clock::time_point deadline;
  };
  std::map<std::string, Pending> by_route_;  // route id -> the batch being filled
};

}  // namespace gw::router
