#include "gateway/detectors/builtin/air_quality/rolling_mean.h"

namespace gw::detectors {

namespace {
constexpr int64_t kHourMs = 3600LL * 1000;
constexpr int64_t kKeepHours = 48;  // enough for a 24-h window plus late readings
}  // namespace

void HourlySeries::add(int64_t unix_ms, double value) {
  const int64_t hour = unix_ms / kHourMs;
  auto& b = hours_[hour];
  b.sum += value;
  ++b.count;
  while (!hours_.empty() && hours_.begin()->first < hour - kKeepHours) hours_.erase(hours_.begin());
}

std::optional<double> HourlySeries::hourMean(int64_t unix_ms) const {
  auto it = hours_.find(unix_ms / kHourMs);
  if (it == hours_.end() || it->second.count == 0) return std::nullopt;
  return it->second.sum / it->second.count;
}

std::optional<double> HourlySeries::windowMean(int64_t unix_ms, int hours, int min_hours) const {
  const int64_t last = unix_ms / kHourMs;
  double sum = 0;
  int covered = 0;
  for (auto it = hours_.lower_bound(last - hours + 1); it != hours_.end() && it->first <= last;
       ++it) {
    if (it->second.count == 0) continue;
    sum += it->second.sum / it->second.count;
    ++covered;
  }
  if (covered < min_hours || covered == 0) return std::nullopt;
  return sum / covered;
}

}  // namespace gw::detectors
