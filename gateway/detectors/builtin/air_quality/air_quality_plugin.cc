// The air-quality detector's static table: the policy's `air_quality` settings arrive as ABI
// parameters (factory.cc) and are read here, with the defaults of policy.proto.
#include <stdexcept>

#include "gateway/detectors/builtin/air_quality/air_quality_detector.h"
#include "gateway/detectors/builtin/builtin_params.h"
#include "gateway/detectors/builtin/builtin_tables.h"

namespace gw::detectors {
namespace {

AirQualityParams paramsFrom(const lantaarn::Params& params) {
  const builtin::ParamReader read(
      "air_quality", params,
      {"humidity_correction", "kappa", "flat_line_count", "spike_ug_m3", "missing_after_seconds",
       "time_zone", "legal_basis", "hourly_means", "daily_means", "annual_means"});
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
  // The zone's file is read once, here: a name policy check accepted may still be missing on
  // another box (no tzdata), and then the detector refuses to start rather than count in UTC.
  const std::string zone = read.text("time_zone", "UTC");
  auto time_zone = TimeZone::load(zone);
  if (!time_zone.ok()) {
    throw std::invalid_argument("air_quality detector: time_zone: " + time_zone.status().message());
  }
  p.time_zone = std::move(time_zone).value();
  const std::string basis = read.text("legal_basis", "2008/50/EC");
  const auto legal_basis = legalBasisFrom(basis);
  if (!legal_basis) {
    throw std::invalid_argument(
        "air_quality detector: legal_basis must be 2008/50/EC or "
        "2024/2881, not '" +
        basis + "'");
  }
  p.legal_basis = *legal_basis;
  p.hourly_means = read.flag("hourly_means", p.hourly_means);
  p.daily_means = read.flag("daily_means", p.daily_means);
  p.annual_means = read.flag("annual_means", p.annual_means);
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
