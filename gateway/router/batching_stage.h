#pragma once
// The batcher as a stage of the routed path (decision 0512): measurements of `batch` routes wait
// in the MeasurementBatcher until their batch is full or its linger has passed; everything else,
// and every batch it releases, goes on to `next` at once. Its linger timer runs on the pipeline
// executor, so it needs no locks.
//
// Under a backlog it batches the other routes' measurements too (decision 1350): it asks
// `waiting` (how many messages wait in the outbox to be handed to the broker) at each delivery,
// switches on above the rule's `above` and off at half of it, and when it switches off it releases
// those batches ahead of what passes through, so no reading overtakes an older one of its route.
//
// It sits after the privacy stage (readings are minimised one by one before they are batched)
// and before the sealing sink. Holds route pointers: flushAll() before the routes change.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <optional>

#include "gateway/core/counters.h"
#include "gateway/pipeline/routed_message.h"
#include "gateway/router/backlog_batching.h"
#include "gateway/router/measurement_batcher.h"

namespace gw::router {

class BatchingStage : public pipeline::RoutedSink {
 public:
  using WaitingProbe = std::function<size_t()>;

  BatchingStage(const boost::asio::any_io_executor& executor, pipeline::RoutedSink& next,
                Counters& counters, WaitingProbe waiting = {});

  void deliver(std::vector<RoutedMessage>& messages) override;
  // The rule for batching under a backlog; nullopt: never (mode off, or no outbox to ask).
  // Releases the batches made under the old rule first.
  void setBacklogBatching(std::optional<BacklogBatching> rule);
  bool batchingForBacklog() const { return backlog_on_; }
  // Releases every batch now (shutdown, and before a reload replaces the routes they point into).
  void flushAll();
  // Cancels the linger timer (shutdown: after flushAll()).
  void stop();
  size_t pendingReadings() const { return batcher_.pendingReadings(); }

 private:
  void armTimer();
  // Switches batching under a backlog on or off by the outbox's waiting count; batches made
  // under it go to `out` when it switches off.
  void followBacklog(std::vector<RoutedMessage>* out);

  pipeline::RoutedSink& next_;
  WaitingProbe waiting_;
  std::optional<BacklogBatching> backlog_rule_;
  bool backlog_on_ = false;
  std::atomic<uint64_t>& backlog_switched_on_;
  std::atomic<uint64_t>& backlog_batched_readings_;
  MeasurementBatcher batcher_;
  boost::asio::steady_timer timer_;
  std::optional<MeasurementBatcher::Clock::time_point> timer_at_;  // when armed
  bool stopped_ = false;
};

}  // namespace gw::router
