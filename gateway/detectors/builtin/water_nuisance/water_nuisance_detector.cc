#include "gateway/detectors/builtin/water_nuisance/water_nuisance_detector.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace gw::detectors {

namespace {

constexpr int64_t kMinuteMs = 60LL * 1000;
constexpr int64_t kHourMs = 60 * kMinuteMs;

const char* kindOf(WaterState s) {
  switch (s) {
    case WaterState::kNone:
      return "water_all_clear";
    case WaterState::kAdvisory:
      return "water_advisory";
    case WaterState::kWarning:
      return "water_warning";
    case WaterState::kAlarm:
      return "water_alarm";
  }
  return "water_unknown";
}

int32_t severityOf(WaterState s) {
  switch (s) {
    case WaterState::kNone:
      return GW_SEVERITY_INFO;
    case WaterState::kAdvisory:
      return GW_SEVERITY_ADVISORY;
    case WaterState::kWarning:
      return GW_SEVERITY_WARNING;
    case WaterState::kAlarm:
      return GW_SEVERITY_ALARM;
  }
  return GW_SEVERITY_INFO;
}

}  // namespace

WaterState WaterNuisanceDetector::levelState(double level, double rise) {
  const double thresholds[] = {params_.level_advisory_cm, params_.level_warning_cm,
                               params_.level_alarm_cm};
  int state = static_cast<int>(level_state_);
  // Hysteresis: go up when a threshold is reached, down only when the level is clearly below it.
  while (state < 3 && level >= thresholds[state]) ++state;
  while (state > 0 && level < thresholds[state - 1] - params_.hysteresis_cm) --state;
  level_state_ = static_cast<WaterState>(state);
  WaterState effective = level_state_;
  if (rise >= params_.rise_cm_per_5min && level > 0 && effective < WaterState::kAlarm) {
    effective = static_cast<WaterState>(static_cast<int>(effective) + 1);  // rising fast: act early
  }
  return effective;
}

WaterState WaterNuisanceDetector::rainState(int64_t now) const {
  double sum24 = 0, sum48 = 0;
  for (const auto& [t, mm] : rain_) {
    if (t > now - 48 * kHourMs) sum48 += mm;
    if (t > now - 24 * kHourMs) sum24 += mm;
  }
  const double i = last_intensity_;
  auto level = [&](double alarm_i, double warn_i, double alarm24, double warn24, double alarm48,
                   double warn48) {
    if (i >= alarm_i || sum24 >= alarm24 || sum48 >= alarm48) return WaterState::kAlarm;
    if (i >= warn_i || sum24 >= warn24 || sum48 >= warn48) return WaterState::kWarning;
    if (i >= warn_i / 2 || sum24 >= warn24 / 2 || sum48 >= warn48 / 2) return WaterState::kAdvisory;
    return WaterState::kNone;
  };
  return level(params_.rain_alarm_mm_per_h, params_.rain_warning_mm_per_h,
               params_.rain_24h_alarm_mm, params_.rain_24h_warning_mm, params_.rain_48h_alarm_mm,
               params_.rain_48h_warning_mm);
}

void WaterNuisanceDetector::onReading(const gw_reading_view& reading, lantaarn::Emitter& emit) {
  const int64_t t = reading.observed_unix_ms;
  const std::string_view quantity = reading.quantity != nullptr ? reading.quantity : "";
  if (quantity == "water_level") {
    levels_.emplace_back(t, reading.value);
    while (!levels_.empty() && levels_.front().first < t - 10 * kMinuteMs) levels_.pop_front();
    // Rise over about five minutes: against the oldest level at least 5 minutes old, scaled.
    double rise = 0;
    for (const auto& [lt, lv] : levels_) {
      if (t - lt >= 5 * kMinuteMs) {
        rise = (reading.value - lv) * 5.0 * kMinuteMs / static_cast<double>(t - lt);
      }
    }
    last_level_ = reading.value;
    last_rise_ = rise;
    level_effective_ = levelState(reading.value, rise);
    reason_ = level_effective_ > level_state_ ? "water rising fast" : "water level";
    update(reading, emit);
    return;
  }
  if (quantity == "rain_intensity") {
    // The reading covers the time since the previous one (at most an hour): amount = rate x time.
    const int64_t dt =
        last_rain_ms_ < 0 ? kHourMs : std::clamp<int64_t>(t - last_rain_ms_, 0, kHourMs);
    last_rain_ms_ = t;
    last_intensity_ = reading.value;
    rain_.emplace_back(t, reading.value * static_cast<double>(dt) / static_cast<double>(kHourMs));
    while (!rain_.empty() && rain_.front().first <= t - 48 * kHourMs) rain_.pop_front();
    rain_state_ = rainState(t);
    reason_ = "rain";
    update(reading, emit);
  }
}

void WaterNuisanceDetector::update(const gw_reading_view& reading, lantaarn::Emitter& emit) {
  const int64_t t = reading.observed_unix_ms;
  const WaterState computed = std::max(level_effective_, rain_state_);
  if (computed > reported_) {
    reported_ = computed;
    lower_since_ms_ = -1;
  } else if (computed < reported_) {
    if (lower_since_ms_ < 0) lower_since_ms_ = t;
    if (t - lower_since_ms_ < int64_t{params_.clear_after_seconds} * 1000) return;  // debounce
    reported_ = computed;
    lower_since_ms_ = -1;
  } else {
    lower_since_ms_ = -1;
    return;
  }
  double sum24 = 0, sum48 = 0;
  for (const auto& [rt, mm] : rain_) {
    if (rt > t - 24 * kHourMs) sum24 += mm;
    sum48 += mm;
  }
  gw_event_out event{};
  event.kind = kindOf(reported_);
  event.severity = severityOf(reported_);
  event.source_id = reading.source_id;
  event.quantity = reading.quantity;
  event.value = reading.value;
  event.unit = reading.unit;
  event.observed_unix_ms = t;
  event.has_location = 1;
  event.lat = reading.lat;
  event.lon = reading.lon;
  char summary[200];
  std::snprintf(summary, sizeof summary,
                "%s (%s): level %.0f cm, rising %.1f cm/5 min; rain %.1f mm/h, %.1f mm in 24 h, "
                "%.1f mm in 48 h",
                kindOf(reported_), reason_.c_str(), last_level_, last_rise_, last_intensity_, sum24,
                sum48);
  event.summary = summary;
  emit.emit(event);
}

}  // namespace gw::detectors
