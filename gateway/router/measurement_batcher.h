#pragma once
// Batches the measurements of routes that ask for it (`batch: {max_readings, linger}`) into one
// ActorMessage with a MeasurementBatch body per route, so a high-rate stream costs the MQTT
// client and broker one message per batch instead of one per reading (per-message CPU is the
// limit, shared/measurements.md). A batch is released when it holds max_readings, or when
// `linger` has passed since its first reading. Events never enter it: they are not delayed.
//
// Under a backlog (backlog_batching.h) the caller also passes a rule for the routes without a
// `batch` of their own; those batches are kept apart so that they can all be released the moment
// the backlog is gone, and one that holds a single reading leaves as a plain measurement.
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

  // Takes `item` when it is a measurement of a route with a batch, or, with `backlog` set, of a
  // route with neither a batch nor never_batch; a batch it completes is appended to `ready`.
  // False (and `item` untouched) when the item is not for batching.
  bool offer(RoutedMessage& item, Clock::time_point now, std::vector<RoutedMessage>* ready,
             const pipeline::Route::Batch* backlog = nullptr);
  // Appends every batch made under a backlog, due or not (the backlog is gone).
  void takeBacklog(std::vector<RoutedMessage>* ready);
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
    uint32_t max_readings;
    bool backlog;  // made under a backlog, not by the route's own `batch`
  };
  // Moves `pending`'s batch to `ready`; a backlog batch of one reading as that measurement.
  static void release(Pending& pending, std::vector<RoutedMessage>* ready);
  std::map<std::string, Pending> by_route_;  // route id -> the batch being filled
};

}  // namespace gw::router
