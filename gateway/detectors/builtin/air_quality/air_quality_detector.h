#pragma once
// Air quality per sensor: hourly means, the European Air Quality Index (eaqi.h) per pollutant and
// overall, EU limit and target values (one directive, `legal_basis`) and WHO 2021 guidelines on
// calendar days of the site's time zone, with exceedance days counted per calendar year, optional
// humidity correction of optical PM readings, and sensor fault flags (flat line, spike, missing
// data). Method and figures: docs/DETECTORS.md.
//
// Events (detector id = the policy's id):
//   aqi_band           the band of a pollutant's last complete hour changed, and `overall`
//   hourly_mean, daily_mean, annual_mean    the means as data (settings hourly_means, daily_means,
//                                           annual_means; decision 1400)
//   limit_exceeded, target_exceeded, guideline_exceeded, information_threshold_exceeded
//                      one per exceeded hour or calendar day, with the running count of the year
//   humidity_correction_unavailable        PM readings could not be corrected (no humidity)
//   sensor_fault       flat_line, spike or missing_data (the summary says which)
// Hours are evaluated when the first reading of a later hour arrives (later, while a reading of
// theirs is held as a possible spike), days when the first hour of a later day is evaluated, so
// input must be in time order per sensor (sources drop what is not).
//
// Written against the plugin ABI's types (gw_reading_view in, gw_event_out out) and run by the
// host through the static table in air_quality_plugin.cc, like every detector.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gateway/core/time_zone.h"
#include "gateway/detectors/builtin/air_quality/air_quality_standards.h"
#include "gateway/detectors/builtin/air_quality/eaqi.h"
#include "gateway/detectors/builtin/air_quality/rolling_mean.h"
#include "gateway/detectors/builtin/air_quality/spike_filter.h"
#include "gateway/detectors/sdk/lantaarn_detector.hpp"

namespace gw::detectors {

// The policy's `air_quality` settings (AirQualityDetector in policy.proto), defaults applied.
struct AirQualityParams {
  bool humidity_correction = false;
  double kappa = 0.2;
  uint32_t flat_line_count = 12;
  double spike_ug_m3 = 150;
  uint32_t missing_after_seconds = 1800;
  TimeZone time_zone = TimeZone::utc();
  LegalBasis legal_basis = LegalBasis::kDirective2008_50;
  bool hourly_means = false;
  bool daily_means = false;
  bool annual_means = false;
};

class AirQualityDetector : public lantaarn::Detector {
 public:
  explicit AirQualityDetector(AirQualityParams params);

  void onReading(const gw_reading_view& reading, lantaarn::Emitter& emit) override;

 private:
  struct DaySoFar {  // one pollutant's complete hours of the open calendar day
    int hours = 0;
    double sum = 0;
    int valid_8h = 0;  // 8-h running means ending in this day that had 6 of their 8 hours
    double max_8h = 0;
  };
  struct YearSoFar {  // one pollutant's complete hours of the open calendar year
    int hours = 0;
    double sum = 0;
  };
  struct Sensor {
    std::map<std::string, HourlySeries> series;  // per pollutant, accepted readings only
    std::map<std::string, SpikeFilter> filters;  // per pollutant
    std::map<std::string, EaqiBand> bands;       // last reported band per pollutant, "overall"
    std::string overall_covered;                 // pollutants of the last overall event
    std::set<int64_t> open_hours;                // hours with readings, not yet evaluated
    int64_t last_seen_ms = -1;
    double last_humidity = -1;
    int64_t last_humidity_ms = -1;
    std::map<std::string, double> last_value;  // last accepted reading, for the flat line
    std::map<std::string, int> flat_run;
    std::set<std::string> faulted;         // faults currently reported, per quantity
    std::map<int64_t, int> uncorrected;    // PM readings per hour the correction missed
    std::map<int64_t, int> pm_readings;    // PM readings per hour
    bool correction_missing = false;       // reported, not yet applied again
    int64_t open_day = INT64_MIN;          // local day of the hours in `days`
    std::map<std::string, DaySoFar> days;  // per pollutant
    int64_t open_year = INT64_MIN;
    std::map<std::string, YearSoFar> years;  // per pollutant
    std::map<std::string, int> exceedances;  // "<quantity>/<standard index>" -> count this year
  };

  Sensor& sensorOf(const gw_reading_view& reading);
  void takePollutant(Sensor& sensor, const std::string& q, const gw_reading_view& reading,
                     lantaarn::Emitter& emit);
  // Emits the spikes of a verdict and takes in the accepted readings.
  void settle(Sensor& sensor, const std::string& q, const SpikeFilter::Decided& decided,
              const gw_reading_view& reading, lantaarn::Emitter& emit);
  bool corroborated(const Sensor& sensor, const std::string& q, const Sample& sample,
                    double reference) const;
  void accept(Sensor& sensor, const std::string& q, const Sample& sample,
              const gw_reading_view& context, lantaarn::Emitter& emit);
  void evaluateHours(Sensor& sensor, int64_t before_hour, const gw_reading_view& context,
                     lantaarn::Emitter& emit);
  void completeHour(Sensor& sensor, int64_t hour, const gw_reading_view& context,
                    lantaarn::Emitter& emit);
  void closeDay(Sensor& sensor, const gw_reading_view& context, lantaarn::Emitter& emit);
  void closeYear(Sensor& sensor, const gw_reading_view& context, lantaarn::Emitter& emit);
  void exceeded(Sensor& sensor, size_t standard, const std::string& period, double mean,
                int64_t year, int64_t observed_ms, const gw_reading_view& context,
                lantaarn::Emitter& emit);
  // The humidity to correct a PM reading at `unix_ms` with (the pairing rule, DETECTORS.md).
  std::optional<double> humidityFor(const Sensor& sensor, int64_t unix_ms) const;

  AirQualityParams params_;
  std::vector<AirQualityStandard> standards_;
  std::map<std::string, Sensor> sensors_;  // key: source id + sensor ref
  double site_humidity_ = -1;              // the latest humidity of any source of the detector
  int64_t site_humidity_ms_ = -1;
};

}  // namespace gw::detectors
