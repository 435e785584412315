#pragma once
// Counts per interval instead of individual data, for routes with `aggregate`: an actor (or the
// public) learns how many falls or what mean PM10 there was per 15 minutes, not who was where
// when.
//
// Intervals are aligned to multiples of the interval in Unix time and chosen by the data's own
// time (observed_unix_ms), so a replay aggregates like the live stream did. An interval is
// finished, and its Aggregate produced, when
//   - data more than one interval newer than its end arrives (one interval of slack for sources
//     whose clocks or replays interleave),
//   - no data reached it for one interval of wall-clock time (a live source went quiet), or
//   - flushAll() (shutdown, policy reload).
// Data for an interval already produced is dropped and counted by the caller (`late`).
// Single-threaded (the pipeline thread).
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "gateway/v1/data.pb.h"

namespace gw::privacy {

class Aggregator {
 public:
  explicit Aggregator(int64_t interval_ms);

  // `message` is a routed measurement or event (its header: site, actor, route, purpose).
  // Returns false when its interval was already produced (late data, dropped).
  bool add(const gateway::v1::ActorMessage& message, int64_t wall_ms,
           std::vector<gateway::v1::ActorMessage>* finished);
  void flushIdle(int64_t wall_ms, std::vector<gateway::v1::ActorMessage>* finished);
  void flushAll(int64_t wall_ms, std::vector<gateway::v1::ActorMessage>* finished);

  int64_t intervalMs() const { return interval_ms_; }
  size_t openIntervals() const { return open_.size(); }

 private:
  struct Accumulator {
    gateway::v1::AggregateRow row;
    double sum = 0;
  };
  // (source, quantity, detector, kind)
  using RowKey = std::tuple<std::string, std::string, std::string, std::string>;
  struct Interval {
    gateway::v1::ActorMessage header;
    std::map<RowKey, Accumulator> rows;
    int64_t last_touch_wall_ms = 0;
  };

  void finish(int64_t start_ms, Interval& interval, int64_t wall_ms,
              std::vector<gateway::v1::ActorMessage>* finished);

  int64_t interval_ms_;
  std::map<int64_t, Interval> open_;  // by start
  int64_t newest_data_ms_ = INT64_MIN;
  int64_t produced_before_ms_ = INT64_MIN;  // intervals starting before this are done
};

}  // namespace gw::privacy
