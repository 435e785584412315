#include "gateway/router/batching_stage.h"

#include <spdlog/spdlog.h>

namespace gw::router {

BatchingStage::BatchingStage(const boost::asio::any_io_executor& executor,
                             pipeline::RoutedSink& next, Counters& counters, WaitingProbe waiting)
    : next_(next),
      waiting_(std::move(waiting)),
      backlog_switched_on_(counters.get("backlog_batching_switched_on_total")),
      backlog_batched_readings_(counters.get("backlog_batched_readings_total")),
      timer_(executor) {}

void BatchingStage::setBacklogBatching(std::optional<BacklogBatching> rule) {
  std::vector<RoutedMessage> released;
  batcher_.takeBacklog(&released);
  backlog_on_ = false;
  backlog_rule_ = waiting_ ? rule : std::nullopt;
  if (!released.empty()) next_.deliver(released);
}

void BatchingStage::followBacklog(std::vector<RoutedMessage>* out) {
  if (!backlog_rule_) return;
  const size_t waiting = waiting_();
  if (!backlog_on_ && waiting > backlog_rule_->above) {
    backlog_on_ = true;
    backlog_switched_on_.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("Backlog batching on: {} messages wait in the outbox", waiting);
  } else if (backlog_on_ && waiting <= backlog_rule_->offAt()) {
    backlog_on_ = false;
    batcher_.takeBacklog(out);
    spdlog::debug("Backlog batching off: {} messages wait in the outbox", waiting);
  }
}

void BatchingStage::deliver(std::vector<RoutedMessage>& messages) {
  const auto now = MeasurementBatcher::Clock::now();
  std::vector<RoutedMessage> out;
  std::vector<RoutedMessage> full;
  out.reserve(messages.size());
  followBacklog(&out);
  const pipeline::Route::Batch* backlog = backlog_on_ ? &backlog_rule_->batch : nullptr;
  for (auto& item : messages) {
    const bool route_batches = item.route->batch.has_value();  // `item` is moved when taken
    if (batcher_.offer(item, now, &full, backlog)) {
      if (!route_batches) backlog_batched_readings_.fetch_add(1, std::memory_order_relaxed);
    } else {
      out.push_back(std::move(item));
    }
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
