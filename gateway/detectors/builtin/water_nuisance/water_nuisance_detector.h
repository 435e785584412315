#pragma once
// Water nuisance (wateroverlast) for a street, underpass or quay: the water level at its lowest
// point and the rain intensity (mm/h) become one state
//   none -> advisory -> warning -> alarm
// Level: thresholds with hysteresis (a level must fall `hysteresis_cm` below a threshold to
// leave it), in any reference (cm above the road, or cm NAP). A fast rise (>= rise_cm_per_5min)
// raises the state one step early once the level is within one such rise of the advisory
// threshold, so the rule means the same in every reference.
// Rain: KNMI's warning criteria: intensity (30 / 50 mm in an hour: code yellow / orange),
// 24-h totals (50 / 75 mm), and 48-h totals for persistent rain on saturated ground (60 / 70 mm).
// Half of each warning criterion gives an advisory.
// Raising is reported at once; lowering goes one step at a time (alarm -> warning -> advisory ->
// all-clear), each step once the state below has held for `clear_after_seconds` since the last
// change, so a flapping sensor cannot flood the actors with events.
// Events: water_advisory, water_warning, water_alarm, water_all_clear, carrying the criterion
// that decided (water_criteria.h); sensor_fault for a value far outside the station's history
// (plausible_range.h).
//
// Written against the plugin ABI's types and run by the host through the static table in
// water_nuisance_plugin.cc, like every detector.
#include <deque>
#include <string>
#include <vector>

#include "gateway/detectors/builtin/water_nuisance/plausible_range.h"
#include "gateway/detectors/builtin/water_nuisance/water_criteria.h"
#include "gateway/detectors/sdk/lantaarn_detector.hpp"

namespace gw::detectors {

// The policy's `water_nuisance` settings (WaterNuisanceDetector in policy.proto), defaults applied.
struct WaterNuisanceParams {
  double level_advisory_cm = 5;
  double level_warning_cm = 10;
  double level_alarm_cm = 25;
  double hysteresis_cm = 2;
  double rise_cm_per_5min = 5;
  double rain_warning_mm_per_h = 30;
  double rain_alarm_mm_per_h = 50;
  double rain_24h_warning_mm = 50;
  double rain_24h_alarm_mm = 75;
  double rain_48h_warning_mm = 60;
  double rain_48h_alarm_mm = 70;
  uint32_t clear_after_seconds = 3600;
  double plausible_margin_cm = 100;
  double plausible_margin_mm_per_h = 30;
};

class WaterNuisanceDetector : public lantaarn::Detector {
 public:
  explicit WaterNuisanceDetector(const WaterNuisanceParams& params)
      : params_(params),
        level_range_(params.plausible_margin_cm),
        rain_range_(params.plausible_margin_mm_per_h) {}

  void onReading(const gw_reading_view& reading, lantaarn::Emitter& emit) override;

 private:
  void onLevel(const gw_reading_view& reading);
  void onRain(const gw_reading_view& reading);
  void updateLevelState(double level_cm);
  // The criteria of the inputs seen so far: a rain-only detector has no level criteria.
  std::vector<WaterCriterion> criteria() const;
  // Raises at once, lowers one step after the state below held for clear_after_seconds.
  void update(const gw_reading_view& reading, bool implausible, lantaarn::Emitter& emit);
  // The levels and rain seen so far, for the summary: "level 12 cm, rising 0.4 cm/5 min; ...".
  std::string context() const;
  void emitEvent(const gw_reading_view& reading, const WaterCriterion* decided, double threshold,
                 const std::string& why, bool implausible, lantaarn::Emitter& emit) const;
  void emitImplausible(const gw_reading_view& reading, const PlausibleRange::Outlier& outlier,
                       double margin, lantaarn::Emitter& emit) const;

  WaterNuisanceParams params_;
  PlausibleRange level_range_;
  PlausibleRange rain_range_;
  bool has_level_ = false, has_rain_ = false;
  WaterState level_state_ = WaterState::kNone;  // from the level, with hysteresis
  WaterState reported_ = WaterState::kNone;
  int64_t lower_since_ms_ = -1;  // since when the state has been below reported_ (-1: it is not)
  std::deque<std::pair<int64_t, double>> levels_;  // last 10 minutes of levels
  std::deque<std::pair<int64_t, double>> rain_;    // (end time, mm) over the last 48 hours
  int64_t last_rain_ms_ = -1;
  double last_level_ = 0, last_rise_ = 0, last_intensity_ = 0;
  double sum24_ = 0, sum48_ = 0;
};

}  // namespace gw::detectors
