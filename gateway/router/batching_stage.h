#pragma once
// The batcher as a stage of the routed path (decision 0512): measurements of `batch` routes wait
// in the MeasurementBatcher until their batch is full or its linger has passed; everything else,
// and every batch it releases, goes on to `next` at once. Its linger timer runs on the pipeline
// executor, so it needs no locks.
//
// It sits after the privacy stage (readings are minimised one by one before they are batched)
// and before the sealing sink. Holds route pointers: flushAll() before the routes change.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <optional>

#include "gateway/pipeline/routed_message.h"
#include "gateway/router/measurement_batcher.h"

namespace gw::router {

class BatchingStage : public pipeline::RoutedSink {
 public:
  BatchingStage(const boost::asio::any_io_executor& executor, pipeline::RoutedSink& next);

  void deliver(std::vector<RoutedMessage>& messages) override;
  // Releases every batch now (shutdown, and before a reload replaces the routes they point into).
  void flushAll();
  // Cancels the linger timer (shutdown: after flushAll()).
  void stop();
  size_t pendingReadings() const { return batcher_.pendingReadings(); }

 private:
  void armTimer();

  pipeline::RoutedSink& next_;
  MeasurementBatcher batcher_;
  boost::asio::steady_timer timer_;
  std::optional<MeasurementBatcher::Clock::time_point> timer_at_;  // when armed
  bool stopped_ = false;
};

}  // namespace gw::router
