#include "gateway/detectors/builtin/water_nuisance/water_nuisance_detector.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace gw::detectors {

namespace {

constexpr int64_t kMinuteMs = 60LL * 1000;
constexpr int64_t kHourMs = 60 * kMinuteMs;

WaterState oneStep(WaterState state, int by) {
  return static_cast<WaterState>(std::clamp(static_cast<int>(state) + by, 0, 3));
}

// The ABI has no "no location" for readings: a source without one passes 0/0 (in the Gulf of
// Guinea), which must not become the event's place; the host then fills in the site's.
bool hasLocation(const gw_reading_view& reading) {
  return std::isfinite(reading.lat) && std::isfinite(reading.lon) &&
         (reading.lat != 0 || reading.lon != 0);
}

}  // namespace

void WaterNuisanceDetector::onReading(const gw_reading_view& reading, lantaarn::Emitter& emit) {
  const std::string_view quantity = reading.quantity != nullptr ? reading.quantity : "";
  const bool level = quantity == "water_level";
  if (!level && quantity != "rain_intensity") return;
  PlausibleRange& range = level ? level_range_ : rain_range_;
  const auto outlier = range.observe(reading.observed_unix_ms, reading.value);
  if (outlier) {
    emitImplausible(reading, *outlier,
                    level ? params_.plausible_margin_cm : params_.plausible_margin_mm_per_h, emit);
  }
  if (level) {
    onLevel(reading);
  } else {
    onRain(reading);
  }
  update(reading, outlier.has_value(), emit);
}

void WaterNuisanceDetector::onLevel(const gw_reading_view& reading) {
  const int64_t t = reading.observed_unix_ms;
  levels_.emplace_back(t, reading.value);
  while (!levels_.empty() && levels_.front().first < t - 10 * kMinuteMs) levels_.pop_front();
  // Rise over about five minutes: against the newest level at least 5 minutes old, scaled.
  double rise = 0;
  for (const auto& [lt, lv] : levels_) {
    if (t - lt >= 5 * kMinuteMs) {
      rise = (reading.value - lv) * 5.0 * kMinuteMs / static_cast<double>(t - lt);
    }
  }
  has_level_ = true;
  last_level_ = reading.value;
  last_rise_ = rise;
  updateLevelState(reading.value);
}

void WaterNuisanceDetector::updateLevelState(double level) {
  const double thresholds[] = {params_.level_advisory_cm, params_.level_warning_cm,
                               params_.level_alarm_cm};
  int state = static_cast<int>(level_state_);
  // Hysteresis: go up when a threshold is reached, down only when the level is clearly below it.
  while (state < 3 && level >= thresholds[state]) ++state;
  while (state > 0 && level < thresholds[state - 1] - params_.hysteresis_cm) --state;
  level_state_ = static_cast<WaterState>(state);
}

void WaterNuisanceDetector::onRain(const gw_reading_view& reading) {
  const int64_t t = reading.observed_unix_ms;
  // The reading covers the time since the previous one (at most an hour): amount = rate x time.
  const int64_t dt =
      last_rain_ms_ < 0 ? kHourMs : std::clamp<int64_t>(t - last_rain_ms_, 0, kHourMs);
  last_rain_ms_ = t;
  has_rain_ = true;
  last_intensity_ = reading.value;
  rain_.emplace_back(t, reading.value * static_cast<double>(dt) / static_cast<double>(kHourMs));
  while (!rain_.empty() && rain_.front().first <= t - 48 * kHourMs) rain_.pop_front();
  sum24_ = sum48_ = 0;
  for (const auto& [rt, mm] : rain_) {
    if (rt > t - 48 * kHourMs) sum48_ += mm;
    if (rt > t - 24 * kHourMs) sum24_ += mm;
  }
}

std::vector<WaterCriterion> WaterNuisanceDetector::criteria() const {
  std::vector<WaterCriterion> out;
  if (has_level_) {
    out.push_back({"water_level",
                   "level",
                   "cm",
                   last_level_,
                   {params_.level_advisory_cm, params_.level_warning_cm, params_.level_alarm_cm},
                   level_state_});
    // Rising fast: act one step early, once the water is within one fast rise of the advisory
    // level. Relative to that threshold, not to 0, so it means the same in cm above the road as
    // in cm NAP (where 0 is mean sea level, not the street).
    const double r = params_.rise_cm_per_5min;
    WaterCriterion rise{"water_level_rise", "rise",    "cm/5min",
                        last_rise_,         {r, r, r}, WaterState::kNone};
    if (last_rise_ >= r && last_level_ >= params_.level_advisory_cm - r &&
        level_state_ < WaterState::kAlarm) {
      rise.state = oneStep(level_state_, 1);
    }
    out.push_back(rise);
  }
  if (has_rain_) {
    const auto& p = params_;
    out.push_back(thresholdCriterion("rain_intensity", "rain", "mm/h", last_intensity_,
                                     p.rain_warning_mm_per_h / 2, p.rain_warning_mm_per_h,
                                     p.rain_alarm_mm_per_h));
    out.push_back(thresholdCriterion("rain_24h_total", "24-h total", "mm", sum24_,
                                     p.rain_24h_warning_mm / 2, p.rain_24h_warning_mm,
                                     p.rain_24h_alarm_mm));
    out.push_back(thresholdCriterion("rain_48h_total", "48-h total", "mm", sum48_,
                                     p.rain_48h_warning_mm / 2, p.rain_48h_warning_mm,
                                     p.rain_48h_alarm_mm));
  }
  return out;
}

void WaterNuisanceDetector::update(const gw_reading_view& reading, bool implausible,
                                   lantaarn::Emitter& emit) {
  const int64_t t = reading.observed_unix_ms;
  const std::vector<WaterCriterion> all = criteria();
  WaterState computed = WaterState::kNone;
  for (const auto& c : all) computed = std::max(computed, c.state);
  if (computed > reported_) {
    reported_ = computed;
    lower_since_ms_ = -1;
    const WaterCriterion* decided = raisingCriterion(all, computed);
    emitEvent(reading, decided, decided->thresholdOf(computed), "", implausible, emit);
    return;
  }
  if (computed == reported_) {
    lower_since_ms_ = -1;
    return;
  }
  if (lower_since_ms_ < 0) lower_since_ms_ = t;
  const int64_t held_ms = t - lower_since_ms_;
  if (held_ms < int64_t{params_.clear_after_seconds} * 1000) return;  // debounce
  // One step, never more: the state below this one must hold as long again, from now.
  const WaterState left = reported_;
  reported_ = oneStep(reported_, -1);
  lower_since_ms_ = computed < reported_ ? t : -1;
  // The criterion that came closest to keeping the state it left (the rise only ever raises).
  std::vector<WaterCriterion> lowering;
  for (const auto& c : all) {
    if (std::string_view(c.quantity) != "water_level_rise") lowering.push_back(c);
  }
  const WaterCriterion* closest = lowestMargin(lowering, left);
  const std::string why = std::string(" (") + waterKind(left) + " lowered after " +
                          std::to_string(held_ms / kMinuteMs) + " min below it)";
  emitEvent(reading, closest, closest != nullptr ? closest->thresholdOf(left) : 0, why, implausible,
            emit);
}

std::string WaterNuisanceDetector::context() const {
  char text[200];
  std::string out;
  if (has_level_) {
    std::snprintf(text, sizeof text, "level %.1f cm, rising %.1f cm/5 min", last_level_,
                  last_rise_);
    out += text;
  }
  if (has_rain_) {
    std::snprintf(text, sizeof text, "%srain %.1f mm/h, %.1f mm in 24 h, %.1f mm in 48 h",
                  out.empty() ? "" : "; ", last_intensity_, sum24_, sum48_);
    out += text;
  }
  return out;
}

void WaterNuisanceDetector::emitEvent(const gw_reading_view& reading, const WaterCriterion* decided,
                                      double threshold, const std::string& why, bool implausible,
                                      lantaarn::Emitter& emit) const {
  gw_event_out event{};
  event.kind = waterKind(reported_);
  event.severity = waterSeverity(reported_);
  event.source_id = reading.source_id;
  event.observed_unix_ms = reading.observed_unix_ms;
  std::string summary = std::string(waterKind(reported_)) + ": ";
  if (decided != nullptr) {
    event.quantity = decided->quantity;
    event.value = decided->value;
    event.threshold = threshold;
    event.unit = decided->unit;
    summary += describe(*decided, threshold);
  }
  summary += why + "; " + context();
  if (implausible) summary += "; the reading is far outside this station's history";
  event.summary = summary.c_str();
  if (hasLocation(reading)) {
    event.has_location = 1;
    event.lat = reading.lat;
    event.lon = reading.lon;
  }
  emit.emit(event);
}

void WaterNuisanceDetector::emitImplausible(const gw_reading_view& reading,
                                            const PlausibleRange::Outlier& outlier, double margin,
                                            lantaarn::Emitter& emit) const {
  const char* unit = reading.unit != nullptr ? reading.unit : "";
  char summary[300];
  std::snprintf(summary, sizeof summary,
                "%s %.1f %s is far outside this station's history (%.1f to %.1f %s seen; more "
                "than %g %s beyond it): check the sensor; the value is still used",
                reading.quantity, reading.value, unit, outlier.seen_min, outlier.seen_max, unit,
                margin, unit);
  gw_event_out event{};
  event.kind = "sensor_fault";
  event.severity = GW_SEVERITY_ADVISORY;
  event.source_id = reading.source_id;
  event.quantity = reading.quantity;
  event.value = reading.value;
  event.threshold = outlier.bound;
  event.unit = reading.unit;
  event.observed_unix_ms = reading.observed_unix_ms;
  event.summary = summary;
  if (hasLocation(reading)) {
    event.has_location = 1;
    event.lat = reading.lat;
    event.lon = reading.lon;
  }
  emit.emit(event);
}

}  // namespace gw::detectors
