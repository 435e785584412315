#pragma once
// Water nuisance (wateroverlast) for a street or underpass: the water level at its lowest point
// (cm above the road surface) and the rain intensity (mm/h) become one state
//   none -> advisory -> warning -> alarm
// Level: thresholds with hysteresis (a level must fall `hysteresis_cm` below a threshold to
// leave it), and a fast rise (>= rise_cm_per_5min) raises the state one step early.
// Rain: KNMI's warning criteria: intensity (30 / 50 mm in an hour: code yellow / orange),
// 24-h totals (50 / 75 mm), and 48-h totals for persistent rain on saturated ground (60 / 70 mm).
// Half of each warning criterion gives an advisory.
// Raising is reported at once; lowering only after the lower state has held for
// `clear_after_seconds`, so a flapping sensor cannot flood the actors with events.
// Events: water_advisory, water_warning, water_alarm, water_all_clear.
//
// Written against the plugin ABI's types and run by the host through the static table in
// water_nuisance_plugin.cc, like every detector.
#include <deque>
#include <string>

#include "gateway/detectors/sdk/lantaarn_detector.hpp"

namespace gw::detectors {

enum class WaterState { kNone = 0, kAdvisory, kWarning, kAlarm };

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
};

class WaterNuisanceDetector : public lantaarn::Detector {
 public:
  explicit WaterNuisanceDetector(const WaterNuisanceParams& params) : params_(params) {}

  void onReading(const gw_reading_view& reading, lantaarn::Emitter& emit) override;

 private:
  WaterState levelState(double level_cm, double rise_cm_per_5min);
  WaterState rainState(int64_t now_ms) const;
  void update(const gw_reading_view& reading, lantaarn::Emitter& emit);

  WaterNuisanceParams params_;
  WaterState level_state_ = WaterState::kNone;      // from the level, with hysteresis
  WaterState level_effective_ = WaterState::kNone;  // plus one step while rising fast
  WaterState rain_state_ = WaterState::kNone;
  WaterState reported_ = WaterState::kNone;
  int64_t lower_since_ms_ = -1;
  std::deque<std::pair<int64_t, double>> levels_;  // last 10 minutes of levels
  std::deque<std::pair<int64_t, double>> rain_;    // (end time, mm) over the last 48 hours
  int64_t last_rain_ms_ = -1;
  double last_level_ = 0, last_rise_ = 0, last_intensity_ = 0;
  std::string reason_;
};

}  // namespace gw::detectors
