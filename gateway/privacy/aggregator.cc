#include "gateway/privacy/aggregator.h"

#include <algorithm>

namespace gw::privacy {
namespace {

int64_t floorTo(int64_t value, int64_t step) {
  const int64_t q = value / step;
  return (value % step < 0 ? q - 1 : q) * step;
}

}  // namespace

Aggregator::Aggregator(int64_t interval_ms) : interval_ms_(std::max<int64_t>(1, interval_ms)) {}

bool Aggregator::add(const gateway::v1::ActorMessage& message, int64_t wall_ms,
                     std::vector<gateway::v1::ActorMessage>* finished) {
  const bool measurement = message.has_measurement();
  if (!measurement && !message.has_event()) return true;  // nothing to count
  int64_t observed =
      measurement ? message.measurement().observed_unix_ms() : message.event().observed_unix_ms();
  if (observed == 0) observed = message.produced_unix_ms();
  const int64_t start = floorTo(observed, interval_ms_);
  if (start < produced_before_ms_ && !open_.count(start)) return false;

  Interval& interval = open_[start];
  if (interval.rows.empty()) {
    interval.header = message;
    interval.header.clear_body();
    interval.header.clear_snapshot();
  }
  interval.last_touch_wall_ms = wall_ms;
  RowKey key;
  if (measurement) {
    const auto& m = message.measurement();
    key = {m.source_id(), m.quantity(), "", ""};
  } else {
    const auto& e = message.event();
    key = {e.source_id(), e.quantity(), e.detector_id(), e.kind()};
  }
  Accumulator& acc = interval.rows[key];
  auto& row = acc.row;
  if (row.count() == 0) {
    row.set_source_id(std::get<0>(key));
    row.set_quantity(std::get<1>(key));
    row.set_detector_id(std::get<2>(key));
    row.set_kind(std::get<3>(key));
    const auto& location =
        measurement ? message.measurement().location() : message.event().location();
    if (measurement ? message.measurement().has_location() : message.event().has_location()) {
      *row.mutable_location() = location;
    }
  }
  row.set_count(row.count() + 1);
  if (measurement) {
    const double v = message.measurement().value();
    row.set_unit(message.measurement().unit());
    row.set_min(row.count() == 1 ? v : std::min(row.min(), v));
    row.set_max(row.count() == 1 ? v : std::max(row.max(), v));
    acc.sum += v;
  }

  newest_data_ms_ = std::max(newest_data_ms_, observed);
  // Intervals that ended more than one interval before the newest data are complete.
  while (!open_.empty()) {
    auto oldest = open_.begin();
    if (oldest->first + 2 * interval_ms_ > newest_data_ms_) break;
    finish(oldest->first, oldest->second, wall_ms, finished);
    open_.erase(oldest);
  }
  return true;
}

void Aggregator::flushIdle(int64_t wall_ms, std::vector<gateway::v1::ActorMessage>* finished) {
  for (auto it = open_.begin(); it != open_.end();) {
    if (wall_ms - it->second.last_touch_wall_ms < interval_ms_) {
      ++it;
      continue;
    }
    finish(it->first, it->second, wall_ms, finished);
    it = open_.erase(it);
  }
}

void Aggregator::flushAll(int64_t wall_ms, std::vector<gateway::v1::ActorMessage>* finished) {
  for (auto& [start, interval] : open_) finish(start, interval, wall_ms, finished);
  open_.clear();
}

void Aggregator::finish(int64_t start_ms, Interval& interval, int64_t wall_ms,
                        std::vector<gateway::v1::ActorMessage>* finished) {
  produced_before_ms_ = std::max(produced_before_ms_, start_ms + interval_ms_);
  gateway::v1::ActorMessage out = interval.header;
  out.set_produced_unix_ms(wall_ms);
  auto* aggregate = out.mutable_aggregate();
  aggregate->set_interval_start_unix_ms(start_ms);
  aggregate->set_interval_end_unix_ms(start_ms + interval_ms_);
  for (auto& [key, acc] : interval.rows) {
    if (acc.row.detector_id().empty()) {
      acc.row.set_mean(acc.sum / static_cast<double>(acc.row.count()));
    }
    *aggregate->add_rows() = std::move(acc.row);
  }
  finished->push_back(std::move(out));
}

}  // namespace gw::privacy
