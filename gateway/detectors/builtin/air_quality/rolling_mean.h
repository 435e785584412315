#pragma once
// Time-weighted-by-sample rolling means over hourly buckets: readings are averaged per clock hour
// (UTC), and a window mean is the mean of the hourly means it covers, valid only when enough of
// its hours have data (Directive 2008/50/EC Annex VII: a 24-h mean needs 75 %, i.e. 18 hours).
#include <cstdint>
#include <map>
#include <optional>

namespace gw::detectors {

class HourlySeries {
 public:
  void add(int64_t unix_ms, double value);
  // Mean of the clock hour containing `unix_ms`, if it has data.
  std::optional<double> hourMean(int64_t unix_ms) const;
  // Mean of the hourly means of the `hours` hours ending with the one containing `unix_ms`,
  // if at least `min_hours` of them have data.
  std::optional<double> windowMean(int64_t unix_ms, int hours, int min_hours) const;

 private:
  struct Bucket {
    double sum = 0;
    int count = 0;
  };
  std::map<int64_t, Bucket> hours_;  // hour index (unix_ms / 3600000) -> bucket; old ones pruned
};

}  // namespace gw::detectors
