#include "gateway/router/batching_stage.h"

namespace gw::router {

BatchingStage::BatchingStage(const boost::asio::any_io_executor& executor,
                             pipeline::RoutedSink& next)
    : next_(next), timer_(executor) {}

void BatchingStage::deliver(std::vector<RoutedMessage>& messages) {
  const auto now = MeasurementBatcher::Clock::now();
  std::vector<RoutedMessage> out;
  std::vector<RoutedMessage> full;
  out.reserve(messages.size());
  for (auto& item : messages) {
    if (!batcher_.offer(item, now, &full)) out.push_back(std::move(item));
  }
  // Batches it completed go after what passed through, as they did before batching was a stage.
  for (auto& batch : full) out.push_back(std::move(batch));
  armTimer();
  if (!out.empty()) next_.deliver(out);
}

void BatchingStage::flushAll() {
  std::vector<RoutedMessage> pending;
  batcher_.takeAll(&pending);
  if (!pending.empty()) next_.deliver(pending);
}

void BatchingStage::stop() {
  stopped_ = true;
  timer_.cancel();
}

void BatchingStage::armTimer() {
  const auto next = batcher_.nextDeadline();
  if (stopped_ || !next || (timer_at_ && *timer_at_ <= *next)) return;
  timer_at_ = *next;
  timer_.expires_at(*next);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed earlier, or shutting down: the newer wait owns the timer
    timer_at_.reset();
    std::vector<RoutedMessage> due;
    batcher_.takeDue(MeasurementBatcher::Clock::now(), &due);
    if (!due.empty()) next_.deliver(due);
    armTimer();
  });
}

}  // namespace gw::router
