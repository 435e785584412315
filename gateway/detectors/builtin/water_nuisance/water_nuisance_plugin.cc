// The water-nuisance detector's static table: the policy's `water_nuisance` settings arrive as ABI
// parameters (factory.cc) and are read here, with the defaults of policy.proto.
#include "gateway/detectors/builtin/builtin_params.h"
#include "gateway/detectors/builtin/builtin_tables.h"
#include "gateway/detectors/builtin/water_nuisance/water_nuisance_detector.h"

namespace gw::detectors {
namespace {

WaterNuisanceParams paramsFrom(const lantaarn::Params& params) {
  const builtin::ParamReader read(
      "water_nuisance", params,
      {"level_advisory_cm", "level_warning_cm", "level_alarm_cm", "hysteresis_cm",
       "rise_cm_per_5min", "rain_warning_mm_per_h", "rain_alarm_mm_per_h", "rain_24h_warning_mm",
       "rain_24h_alarm_mm", "rain_48h_warning_mm", "rain_48h_alarm_mm", "clear_after_seconds",
       "plausible_margin_cm", "plausible_margin_mm_per_h"});
  WaterNuisanceParams p;
  // Zero (proto3's "not set") and negative values take the default.
  auto positive = [&](const char* key, double& field) {
    const double value = read.number(key, 0);
    if (value > 0) field = value;
  };
  // Level thresholds may be negative (cm NAP in a polder); only zero means "not set".
  auto nonzero = [&](const char* key, double& field) {
    const double value = read.number(key, 0);
    if (value != 0) field = value;
  };
  nonzero("level_advisory_cm", p.level_advisory_cm);
  nonzero("level_warning_cm", p.level_warning_cm);
  nonzero("level_alarm_cm", p.level_alarm_cm);
  positive("hysteresis_cm", p.hysteresis_cm);
  positive("rise_cm_per_5min", p.rise_cm_per_5min);
  positive("rain_warning_mm_per_h", p.rain_warning_mm_per_h);
  positive("rain_alarm_mm_per_h", p.rain_alarm_mm_per_h);
  positive("rain_24h_warning_mm", p.rain_24h_warning_mm);
  positive("rain_24h_alarm_mm", p.rain_24h_alarm_mm);
  positive("rain_48h_warning_mm", p.rain_48h_warning_mm);
  positive("rain_48h_alarm_mm", p.rain_48h_alarm_mm);
  positive("plausible_margin_cm", p.plausible_margin_cm);
  positive("plausible_margin_mm_per_h", p.plausible_margin_mm_per_h);
  const uint32_t clear = read.count("clear_after_seconds", 0);
  if (clear != 0) p.clear_after_seconds = clear;
  return p;
}

class WaterNuisancePlugin : public WaterNuisanceDetector {
 public:
  explicit WaterNuisancePlugin(const lantaarn::Params& params)
      : WaterNuisanceDetector(paramsFrom(params)) {}
};

}  // namespace
}  // namespace gw::detectors

extern "C" {
LANTAARN_DETECTOR_STATIC(gw::detectors::WaterNuisancePlugin, "water_nuisance", "1.0.0",
                         gw_builtin_water_nuisance_init)
}
