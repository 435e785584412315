// The air-quality detector's static table: the policy's `air_quality` settings arrive as ABI
// parameters (factory.cc) and are read here, with the defaults of policy.proto.
#include "gateway/detectors/builtin/air_quality/air_quality_detector.h"
#include "gateway/detectors/builtin/builtin_params.h"
#include "gateway/detectors/builtin/builtin_tables.h"

namespace gw::detectors {
namespace {

AirQualityParams paramsFrom(const lantaarn::Params& params) {
  const builtin::ParamReader read(
      "air_quality", params,
      {"humidity_correction", "kappa", "flat_line_count", "spike_ug_m3", "missing_after_seconds"});
  AirQualityParams p;
  p.humidity_correction = read.flag("humidity_correction", p.humidity_correction);
  // Zero (proto3's "not set") and, for the doubles, negative values take the default.
  const double kappa = read.number("kappa", p.kappa);
  if (kappa > 0) p.kappa = kappa;
  const uint32_t flat = read.count("flat_line_count", p.flat_line_count);
  if (flat != 0) p.flat_line_count = flat;
  const double spike = read.number("spike_ug_m3", p.spike_ug_m3);
  if (spike > 0) p.spike_ug_m3 = spike;
  const uint32_t missing = read.count("missing_after_seconds", p.missing_after_seconds);
  if (missing != 0) p.missing_after_seconds = missing;
  return p;
}

class AirQualityPlugin : public AirQualityDetector {
 public:
  explicit AirQualityPlugin(const lantaarn::Params& params)
      : AirQualityDetector(paramsFrom(params)) {}
};

}  // namespace
}  // namespace gw::detectors

extern "C" {
LANTAARN_DETECTOR_STATIC(gw::detectors::AirQualityPlugin, "air_quality", "1.0.0",
                         gw_builtin_air_quality_init)
}
