#include "gateway/router/measurement_batcher.h"

#include <algorithm>

namespace gw::router {

bool MeasurementBatcher::offer(RoutedMessage& item, Clock::time_point now,
                               std::vector<RoutedMessage>* ready,
                               const pipeline::Route::Batch* backlog) {
  const auto& route = *item.route;
  if (!item.message.has_measurement()) return false;
  const pipeline::Route::Batch* rule = nullptr;
  if (route.batch) {
    rule = &*route.batch;
  } else if (backlog != nullptr && !route.spec->never_batch()) {
    rule = backlog;
  }
  if (rule == nullptr || rule->max_readings < 2) return false;
  auto it = by_route_.find(route.id());
  if (it == by_route_.end()) {
    // The first reading opens the batch: its header (route, purpose, produced time) is the
    // batch's, and the linger counts from now.
    Pending pending{std::move(item), now + rule->linger, rule->max_readings, rule == backlog};
    gateway::v1::Reading first = std::move(*pending.batch.message.mutable_measurement());
    *pending.batch.message.mutable_measurement_batch()->add_readings() = std::move(first);
    it = by_route_.emplace(route.id(), std::move(pending)).first;
  } else {
    *it->second.batch.message.mutable_measurement_batch()->add_readings() =
        std::move(*item.message.mutable_measurement());
  }
  if (static_cast<uint32_t>(it->second.batch.message.measurement_batch().readings_size()) >=
      it->second.max_readings) {
    release(it->second, ready);
    by_route_.erase(it);
  }
  return true;
}

void MeasurementBatcher::release(Pending& pending, std::vector<RoutedMessage>* ready) {
  auto& message = pending.batch.message;
  if (pending.backlog && message.measurement_batch().readings_size() == 1) {
    // Batching under a backlog is the gateway's business: a reading that found no company goes
    // as the message it would have been without a backlog.
    gateway::v1::Reading only =
        std::move(*message.mutable_measurement_batch()->mutable_readings(0));
    *message.mutable_measurement() = std::move(only);
  }
  ready->push_back(std::move(pending.batch));
}

void MeasurementBatcher::takeBacklog(std::vector<RoutedMessage>* ready) {
  for (auto it = by_route_.begin(); it != by_route_.end();) {
    if (it->second.backlog) {
      release(it->second, ready);
      it = by_route_.erase(it);
    } else {
      ++it;
    }
  }
}

void MeasurementBatcher::takeDue(Clock::time_point now, std::vector<RoutedMessage>* ready) {
  std::vector<std::pair<Clock::time_point, std::string>> due;
  for (const auto& [route_id, pending] : by_route_) {
    if (pending.deadline <= now) due.emplace_back(pending.deadline, route_id);
  }
  std::sort(due.begin(), due.end());
  for (const auto& [deadline, route_id] : due) {
    auto it = by_route_.find(route_id);
    release(it->second, ready);
    by_route_.erase(it);
  }
}

void MeasurementBatcher::takeAll(std::vector<RoutedMessage>* ready) {
  takeDue(Clock::time_point::max(), ready);
}

std::optional<MeasurementBatcher::Clock::time_point> MeasurementBatcher::nextDeadline() const {
  std::optional<Clock::time_point> next;
  for (const auto& [route_id, pending] : by_route_) {
    if (!next || pending.deadline < *next) next = pending.deadline;
  }
  return next;
}

size_t MeasurementBatcher::pendingReadings() const {
  size_t n = 0;
  for (const auto& [route_id, pending] : by_route_) {
    n += static_cast<size_t>(pending.batch.message.measurement_batch().readings_size());
  }
  return n;
}

}  // namespace gw::router
