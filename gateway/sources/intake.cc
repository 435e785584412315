#include "gateway/sources/intake.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace gw::sources {

namespace {
// First few rejections of a source are logged, then one in this many: a hostile or broken sensor
// must not be able to flood the log.
constexpr uint64_t kLogFirst = 5, kLogEvery = 1000;
}  // namespace

Intake::Intake(std::string source_id, GuardConfig guard, pipeline::ReadingSink& sink,
               Counters& counters, SequenceLimits sequence_limits)
    : source_id_(std::move(source_id)),
      guard_(std::move(guard)),
      sink_(sink),
      counters_(counters),
      tokens_(guard_.burst),
      sequences_(sequence_limits),
      screen_(guard_.reorder_tolerance_ms) {}

bool Intake::checkNumber(const ParseOutcome& outcome) {
  if (!outcome.number) return true;
  const uint64_t forgotten_before = sequences_.forgotten();
  const SequenceStep step = sequences_.observe(*outcome.number);
  if (sequences_.forgotten() != forgotten_before) {
    counters_.add(counterKey("sequence_devices_forgotten_total", {{"source", source_id_}}));
  }
  switch (step.verdict) {
    case SequenceVerdict::kNext:
      if (step.missing > 0) {
        counters_.add(counterKey("readings_missing_total",
                                 {{"source", source_id_}, {"reason", "sequence_gap"}}),
                      step.missing);
      }
      return true;
    case SequenceVerdict::kDuplicate:
      counters_.add(
          counterKey("readings_dropped_total", {{"source", source_id_}, {"reason", "duplicate"}}),
          outcome.readings.size());
      return false;
    case SequenceVerdict::kLate:
      counters_.add(counterKey("sequence_late_total", {{"source", source_id_}}));
      return true;
    case SequenceVerdict::kReset:
      counters_.add(counterKey("sequence_resets_total", {{"source", source_id_}}));
      return true;
    case SequenceVerdict::kFirst:
    case SequenceVerdict::kRepeat:
      return true;
  }
  return true;
}

void Intake::reject(const std::string& reason, const std::string& detail) {
  counters_.add(counterKey("readings_dropped_total", {{"source", source_id_}, {"reason", reason}}));
  ++logged_;
  if (logged_ <= kLogFirst || logged_ % kLogEvery == 0) {
    spdlog::warn("Input dropped source={} reason={} detail=\"{}\" (dropped so far: {})", source_id_,
                 reason, detail, logged_);
  }
}

bool Intake::admit(const gateway::v1::Reading& reading, int64_t now_ms) {
  if (!guard_.allowed_sensor_refs.empty() &&
      !guard_.allowed_sensor_refs.count(reading.sensor_ref())) {
    reject("unknown_sensor",
           "sensor id '" + reading.sensor_ref() + "' is not configured for this source");
    return false;
  }
  if (reading.observed_unix_ms() > now_ms + guard_.max_future_ms) {
    reject("future_timestamp",
           std::to_string((reading.observed_unix_ms() - now_ms) / 1000) + " s ahead");
    return false;
  }
  if (reading.observed_unix_ms() < now_ms - guard_.max_age_ms) {
    reject("stale_timestamp",
           std::to_string((now_ms - reading.observed_unix_ms()) / 1000) + " s old");
    return false;
  }
  // Before the rate limit, so that a repeated reading does not use up the sender's tokens.
  if (!passesScreen(reading)) return false;
  if (guard_.max_readings_per_second > 0) {
    if (last_refill_ms_ > 0) {
      tokens_ = std::min(guard_.burst, tokens_ + static_cast<double>(now_ms - last_refill_ms_) /
                                                     1000.0 * guard_.max_readings_per_second);
    }
    last_refill_ms_ = now_ms;
    if (tokens_ < 1) {
      reject("rate_limited",
             "more than " + std::to_string(guard_.max_readings_per_second) + " readings/s");
      return false;
    }
    tokens_ -= 1;
  }
  return true;
}

bool Intake::passesScreen(const gateway::v1::Reading& reading) {
  const auto refusal = screen_.check(reading);
  if (refusal) reject(refusal->reason, refusal->detail);
  return !refusal;
}

std::vector<gateway::v1::Reading> Intake::screen(const ParseOutcome& outcome, int64_t now_ms) {
  if (!checkNumber(outcome)) return {};
  for (const auto& r : outcome.rejected) reject(r.reason, r.column + ": " + r.detail);
  std::vector<gateway::v1::Reading> admitted;
  for (const auto& reading : outcome.readings) {
    if (admit(reading, now_ms)) admitted.push_back(reading);
  }
  return admitted;
}

IntakeResult Intake::offer(const gateway::v1::Reading& reading) {
  // Again: two copies screened from one message are only told apart once the first is taken.
  if (!passesScreen(reading)) return IntakeResult::kRejected;
  Status s = sink_.accept(reading);
  if (s.ok()) {
    screen_.accepted(reading);
    counters_.add(counterKey("readings_accepted_total", {{"source", source_id_}}));
    return IntakeResult::kAccepted;
  }
  if (s.code() == StatusCode::kResourceExhausted) return IntakeResult::kPipelineFull;
  reject("rejected", s.message());
  return IntakeResult::kRejected;
}

IntakeResult Intake::deliver(const ParseOutcome& outcome, int64_t now_ms) {
  if (!checkNumber(outcome)) return IntakeResult::kRejected;
  for (const auto& r : outcome.rejected) reject(r.reason, r.column + ": " + r.detail);
  IntakeResult result =
      outcome.rejected.empty() ? IntakeResult::kAccepted : IntakeResult::kRejected;
  for (const auto& reading : outcome.readings) {
    if (!admit(reading, now_ms)) {
      result = IntakeResult::kRejected;
      continue;
    }
    Status s = sink_.accept(reading);
    if (s.ok()) {
      screen_.accepted(reading);
      counters_.add(counterKey("readings_accepted_total", {{"source", source_id_}}));
    } else if (s.code() == StatusCode::kResourceExhausted) {
      reject("pipeline_full", s.message());
      result = IntakeResult::kPipelineFull;
    } else {
      reject("rejected", s.message());
      result = IntakeResult::kRejected;
    }
  }
  return result;
}

}  // namespace gw::sources
