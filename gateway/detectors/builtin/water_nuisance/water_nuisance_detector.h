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
#include <deque>
#include <string>

#include "gateway/detectors/detector.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

enum class WaterState { kNone = 0, kAdvisory, kWarning, kAlarm };

class WaterNuisanceDetector : public Detector {
 public:
  WaterNuisanceDetector(std::string id, gateway::v1::WaterNuisanceDetector config);

  const std::string& id() const override { return id_; }
  void onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events) override;

  WaterState reportedState() const { return reported_; }

 private:
  WaterState levelState(double level_cm, double rise_cm_per_5min);
  WaterState rainState(int64_t now_ms) const;
  void update(const gateway::v1::Reading& reading, pipeline::EventSink& events);

  std::string id_;
  gateway::v1::WaterNuisanceDetector config_;
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
