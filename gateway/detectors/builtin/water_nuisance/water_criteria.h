#pragma once
// The criteria the water-nuisance state is judged by (the level, its rise, the rain in the last
// hour, 24 h and 48 h), each with the state it gives on its own, and the choice of the one an
// event reports: the criterion that decided the state, with its value, threshold and unit, so an
// actor sees "48-h total 72.8 mm ≥ 70 mm" as data and not only in the summary.
#include <cstdint>
#include <string>
#include <vector>

namespace gw::detectors {

enum class WaterState { kNone = 0, kAdvisory, kWarning, kAlarm };

const char* waterKind(WaterState state);  // water_all_clear, water_advisory, ...
int32_t waterSeverity(WaterState state);  // gw_severity

struct WaterCriterion {
  const char* quantity;  // event quantity: water_level, water_level_rise, rain_intensity, ...
  const char* label;     // for the summary: "level", "48-h total", ...
  const char* unit;      // of value and thresholds: cm, cm/5min, mm/h, mm
  double value = 0;
  // The value at which the criterion gives advisory, warning and alarm.
  double thresholds[3] = {0, 0, 0};
  WaterState state = WaterState::kNone;  // what this criterion alone gives now

  // The threshold of `state` (advisory .. alarm); for kNone the advisory threshold.
  double thresholdOf(WaterState state) const;
  // How far the value is towards `state`'s threshold (1 = at it): compares criteria in
  // different units.
  double ratioTo(WaterState state) const;
};

// A criterion from fixed thresholds: the highest state whose threshold the value reaches.
WaterCriterion thresholdCriterion(const char* quantity, const char* label, const char* unit,
                                  double value, double advisory, double warning, double alarm);

// The criterion that put the state at `state` (raising): among those that give it, the one
// furthest past its threshold. Null if none does.
const WaterCriterion* raisingCriterion(const std::vector<WaterCriterion>& criteria,
                                       WaterState state);
// The criterion closest to keeping the state at `left` (lowering from it): the one with the
// highest value relative to the threshold of `left`. Null if there are none.
const WaterCriterion* lowestMargin(const std::vector<WaterCriterion>& criteria, WaterState left);

// "48-h total 72.8 mm ≥ 70 mm" (or "<" when the value is below it).
std::string describe(const WaterCriterion& criterion, double threshold);

}  // namespace gw::detectors
