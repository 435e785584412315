#pragma once
// Where every live source (UDP, TCP, HTTP, MQTT) hands over what it parsed: rejected values are
// counted per source and reason and logged at a limited rate; accepted readings pass the source's
// guard (known sensor ids, plausible timestamps, a rate limit) and go to the pipeline. A numbered
// message (ParseOutcome::number) first passes the sequence check: gaps, resets and late messages
// are counted, and a duplicate is dropped whole (sequence_gaps.h). Each reading then passes the
// screen shared with file replay (reading_screen.h): duplicate and out-of-order readings of a
// sensor are dropped and counted.
// Runs on the pipeline executor only.
#include <cstdint>
#include <set>
#include <string>

#include "gateway/core/counters.h"
#include "gateway/pipeline/stage.h"
#include "gateway/sources/reading_screen.h"
#include "gateway/sources/sensor/formats/parse_outcome.h"
#include "gateway/sources/sequence_gaps.h"

namespace gw::sources {

struct GuardConfig {
  std::set<std::string> allowed_sensor_refs;    // empty: any sensor id
  int64_t max_future_ms = 5LL * 60 * 1000;      // clocks drift; more than this ahead is wrong
  int64_t max_age_ms = 7LL * 24 * 3600 * 1000;  // older than this is a replay or a broken clock
  double max_readings_per_second = 0;           // 0: unlimited; otherwise a token bucket
  double burst = 100;                           // bucket size when rate limited
  // A sensor's reading older than its newest by more than this is out_of_order.
  int64_t reorder_tolerance_ms = kDefaultReorderToleranceMs;
};

enum class IntakeResult { kAccepted, kRejected, kPipelineFull };

class Intake {
 public:
  Intake(std::string source_id, GuardConfig guard, pipeline::ReadingSink& sink, Counters& counters,
         SequenceLimits sequence_limits = {});

  // Counts outcome.rejected, then guards and offers each reading. kPipelineFull when the sink
  // pushed back on at least one reading (it was counted as dropped: `pipeline_full`); callers
  // that can apply backpressure (TCP) should stop reading for a while.
  IntakeResult deliver(const ParseOutcome& outcome, int64_t now_ms);
  // Counts and logs one unusable input (a malformed message, an oversized datagram, ...).
  void reject(const std::string& reason, const std::string& detail);

  // For sources that can hold data back (TCP): counts outcome.rejected and returns the readings
  // that pass the guard, without offering them yet ...
  std::vector<gateway::v1::Reading> screen(const ParseOutcome& outcome, int64_t now_ms);
  // ... then offers one. kPipelineFull leaves the reading with the caller (nothing is counted as
  // dropped): it offers the same reading again later.
  IntakeResult offer(const gateway::v1::Reading& reading);

  const std::string& sourceId() const { return source_id_; }

 private:
  bool admit(const gateway::v1::Reading& reading, int64_t now_ms);
  // False (counted and logged) for a duplicate or out-of-order reading.
  bool passesScreen(const gateway::v1::Reading& reading);
  // False for a duplicate message, whose readings are counted dropped (`duplicate`).
  bool checkNumber(const ParseOutcome& outcome);

  std::string source_id_;
  GuardConfig guard_;
  pipeline::ReadingSink& sink_;
  Counters& counters_;
  uint64_t logged_ = 0;
  double tokens_;
  int64_t last_refill_ms_ = 0;
  SequenceGaps sequences_;
  ReadingScreen screen_;
};

}  // namespace gw::sources
