#include "gateway/detectors/builtin/air_quality/spike_filter.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace gw::detectors {

double SpikeFilter::median() const {
  std::vector<double> sorted(window_.begin(), window_.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted[sorted.size() / 2];
}

SpikeFilter::Decided SpikeFilter::add(const Sample& sample) {
  Decided out;
  // Until five readings are in there is no reference: the first readings are taken as they are.
  const bool warm = window_.size() >= kWindow;
  const double before = warm ? median() : sample.raw;
  const bool suspect = std::abs(sample.raw - before) > max_jump_;
  recent_.push_back({sample.unix_ms, {sample.raw, before}});
  if (recent_.size() > 2 * kWindow) recent_.pop_front();
  window_.push_back(sample.raw);
  if (window_.size() > kWindow) window_.pop_front();
  if (suspect) {
    held_.push_back(sample);
    // Readings that never settle (a failing sensor jumping about) are not held for ever.
    if (held_.size() > kWindow) judgeHeld(held_.size() - kWindow, out);
  } else {
    judgeHeld(held_.size(), out);
    out.accepted.push_back(sample);
  }
  return out;
}

void SpikeFilter::judgeHeld(size_t count, Decided& out) {
  const double reference = median();
  for (size_t i = 0; i < count; ++i) {
    const Sample held = held_.front();
    held_.pop_front();
    if (std::abs(held.raw - reference) <= max_jump_) {
      out.accepted.push_back(held);
    } else {
      out.spikes.push_back({held, reference});
    }
  }
}

SpikeFilter::Decided SpikeFilter::expire(int64_t unix_ms) {
  Decided out;
  size_t old = 0;
  while (old < held_.size() && held_[old].unix_ms < unix_ms) ++old;
  judgeHeld(old, out);
  return out;
}

std::optional<SpikeFilter::Seen> SpikeFilter::seenAt(int64_t unix_ms, int64_t tolerance_ms) const {
  for (auto it = recent_.rbegin(); it != recent_.rend(); ++it) {
    if (std::llabs(it->unix_ms - unix_ms) <= tolerance_ms) return it->seen;
  }
  return std::nullopt;
}

std::optional<int64_t> SpikeFilter::oldestHeld() const {
  if (held_.empty()) return std::nullopt;
  return held_.front().unix_ms;
}

}  // namespace gw::detectors
