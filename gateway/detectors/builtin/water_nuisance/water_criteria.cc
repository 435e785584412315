#include "gateway/detectors/builtin/water_nuisance/water_criteria.h"

#include <cstdio>

#include "gateway/detectors/sdk/lantaarn_detector.hpp"

namespace gw::detectors {

const char* waterKind(WaterState state) {
  switch (state) {
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

int32_t waterSeverity(WaterState state) {
  switch (state) {
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

double WaterCriterion::thresholdOf(WaterState of) const {
  const int index = static_cast<int>(of) - 1;
  return thresholds[index < 0 ? 0 : index];
}

double WaterCriterion::ratioTo(WaterState of) const {
  const double threshold = thresholdOf(of);
  // Thresholds are positive for rain and the rise; a NAP-referenced level threshold may be 0 or
  // negative, where only the difference is meaningful.
  return threshold > 0 ? value / threshold : 1 + (value - threshold) / 100.0;
}

WaterCriterion thresholdCriterion(const char* quantity, const char* label, const char* unit,
                                  double value, double advisory, double warning, double alarm) {
  WaterCriterion c{quantity, label, unit, value, {advisory, warning, alarm}, WaterState::kNone};
  if (value >= alarm) {
    c.state = WaterState::kAlarm;
  } else if (value >= warning) {
    c.state = WaterState::kWarning;
  } else if (value >= advisory) {
    c.state = WaterState::kAdvisory;
  }
  return c;
}

const WaterCriterion* raisingCriterion(const std::vector<WaterCriterion>& criteria,
                                       WaterState state) {
  const WaterCriterion* best = nullptr;
  for (const auto& c : criteria) {
    if (c.state != state) continue;
    if (best == nullptr || c.ratioTo(state) > best->ratioTo(state)) best = &c;
  }
  return best;
}

const WaterCriterion* lowestMargin(const std::vector<WaterCriterion>& criteria, WaterState left) {
  const WaterCriterion* best = nullptr;
  for (const auto& c : criteria) {
    if (best == nullptr || c.ratioTo(left) > best->ratioTo(left)) best = &c;
  }
  return best;
}

std::string describe(const WaterCriterion& c, double threshold) {
  char text[120];
  std::snprintf(text, sizeof text, "%s %.1f %s %s %g %s", c.label, c.value, c.unit,
                c.value >= threshold ? "≥" : "<", threshold, c.unit);
  return text;
}

}  // namespace gw::detectors
