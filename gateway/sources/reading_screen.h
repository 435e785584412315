#pragma once
// Input hygiene that every sensor source applies before a reading enters the pipeline, per sensor
// (its sensor id in the source) and quantity:
//  - a reading at the same time as one already accepted is a `duplicate` (a row sent twice would
//    otherwise count twice in every mean);
//  - a reading older than the newest accepted by more than `tolerance_ms` is `out_of_order`
//    (detectors keep state over time and must see each series in time order).
// Both are dropped; the source counts them as readings_dropped_total{source,reason} and logs
// them with where they came from. The check and the bookkeeping are separate, so a reading the
// pipeline refused (full) is not remembered and its resend is not taken for a duplicate.
// A reading far ahead of its series (jumpsAhead) may be a row labelled with a wrong day; a file
// replay holds it until the next reading of the series shows whether the series goes on from
// it (sensor/file_replay_source.cc). Live sources cannot wait without delaying the first reading
// after every outage, so they take it, and drop what follows as out of order.
// At most `max_series` series per source, the least recently accepted forgotten first: a series
// costs ~250 B, and a sender that makes up a sensor id per reading (the load tool numbers its
// readings that way) must not grow the daemon by hundreds of MB. A real source has far fewer
// sensors times quantities; one with more only screens the most recent ones.
#include <cstdint>
#include <list>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "gateway/core/clock.h"  // utcText, for the log lines
#include "gateway/v1/data.pb.h"

namespace gw::sources {

struct ScreenRefusal {
  std::string reason;  // duplicate | out_of_order
  std::string detail;  // for the log: which sensor, quantity and times
};

// SourceLimits.reorder_tolerance_seconds when the policy leaves it out (config/defaults.h).
inline constexpr int64_t kDefaultReorderToleranceMs = 5000;

class ReadingScreen {
 public:
  explicit ReadingScreen(int64_t tolerance_ms = kDefaultReorderToleranceMs,
                         size_t max_series = 4096)
      : tolerance_ms_(tolerance_ms), max_series_(max_series) {}

  // Why `reading` must be dropped, or nothing when it may go on.
  std::optional<ScreenRefusal> check(const gateway::v1::Reading& reading) const;
  // Records a reading the pipeline took.
  void accepted(const gateway::v1::Reading& reading);
  // True when `reading` is ahead of its series' newest by more than twice the series' last step
  // (and the tolerance): a gap, or a slip of the time label, which only the next reading tells.
  bool jumpsAhead(const gateway::v1::Reading& reading) const;

  // The series a reading belongs to: its sensor id and quantity.
  static std::string seriesKey(const gateway::v1::Reading& reading);

  size_t series() const { return series_.size(); }

 private:
  struct Series {
    int64_t newest_ms = 0;
    int64_t last_step_ms = 0;     // from the newest but one to the newest; 0: not known yet
    std::set<int64_t> recent_ms;  // accepted times within the tolerance of newest_ms
    std::list<std::string>::iterator age;
  };
  int64_t tolerance_ms_;
  size_t max_series_;
  std::unordered_map<std::string, Series> series_;
  std::list<std::string> lru_;  // most recently accepted first
};

// "sensor 'wl-1' water_level at 2019-01-31T23:00:00Z" (without the sensor when it has no id).
std::string readingText(const gateway::v1::Reading& reading);

}  // namespace gw::sources
