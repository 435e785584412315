#pragma once
// Whether a value is far outside what this station has reported before: beyond the range of the
// values seen so far, widened by a margin, once at least a day of values has been seen.
//
// It flags, it does not filter: a flood is by definition unlike the days before it, so a flagged
// value still counts (the water detector reports it as a sensor_fault beside its own events). A
// flagged value does not widen the range, so a glitch cannot teach the check to accept the next.
// The history is the detector's lifetime (a restart begins a new one).
#include <cstdint>
#include <optional>

namespace gw::detectors {

class PlausibleRange {
 public:
  explicit PlausibleRange(double margin) : margin_(margin) {}

  struct Outlier {
    double seen_min, seen_max;  // the history it is compared with
    double bound;               // the bound it passed: seen_max + margin or seen_min - margin
  };

  // Checks `value` (observed at `t_ms`) against the history, then adds it unless it is an
  // outlier.
  std::optional<Outlier> observe(int64_t t_ms, double value);

 private:
  static constexpr int64_t kHistoryMs = 24LL * 3600 * 1000;  // a day before anything is flagged

  double margin_;
  int64_t first_ms_ = -1;
  double min_ = 0, max_ = 0;
};

}  // namespace gw::detectors
