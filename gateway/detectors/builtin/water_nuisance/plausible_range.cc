#include "gateway/detectors/builtin/water_nuisance/plausible_range.h"

#include <algorithm>

namespace gw::detectors {

std::optional<PlausibleRange::Outlier> PlausibleRange::observe(int64_t t_ms, double value) {
  if (first_ms_ < 0) {
    first_ms_ = t_ms;
    min_ = max_ = value;
    return std::nullopt;
  }
  if (t_ms - first_ms_ >= kHistoryMs) {
    if (value > max_ + margin_) return Outlier{min_, max_, max_ + margin_};
    if (value < min_ - margin_) return Outlier{min_, max_, min_ - margin_};
  }
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  return std::nullopt;
}

}  // namespace gw::detectors
