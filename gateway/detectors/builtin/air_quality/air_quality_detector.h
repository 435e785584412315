#pragma once
// Air quality per sensor: hourly means, the European Air Quality Index (eaqi.h) per pollutant and
// overall, exceedances of EU limit values and WHO 2021 guideline values, optional humidity
// correction of optical PM readings, and sensor fault flags (flat line, spike, missing data).
//
// Events (detector id = the policy's id):
//   aqi_band           the band of a pollutant's last complete hour changed (and `overall`)
//   limit_exceeded     / limit_cleared      EU limit values (2008/50/EC and 2024/2881)
//   guideline_exceeded / guideline_cleared  WHO 2021 air quality guidelines
//   sensor_fault       flat_line, spike or missing_data (the summary says which)
// Hours are evaluated when the first reading of a later hour arrives, so input must be in time
// order per sensor (sources deliver it so).
//
// Written against the plugin ABI's types (gw_reading_view in, gw_event_out out) and run by the
// host through the static table in air_quality_plugin.cc, like every detector.
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gateway/detectors/builtin/air_quality/eaqi.h"
#include "gateway/detectors/builtin/air_quality/rolling_mean.h"
#include "gateway/detectors/sdk/lantaarn_detector.hpp"

namespace gw::detectors {

struct AirQualityStandard {
  const char* quantity;
  const char* body;  // "EU" or "WHO"
  int window_hours;  // 1, 8 or 24
  double limit;      // ug/m3
};

// The limit and guideline values the detector checks (see the .cc for their sources).
const std::vector<AirQualityStandard>& airQualityStandards();

// The policy's `air_quality` settings (AirQualityDetector in policy.proto), defaults applied.
struct AirQualityParams {
  bool humidity_correction = false;
  double kappa = 0.2;
  uint32_t flat_line_count = 12;
  double spike_ug_m3 = 150;
  uint32_t missing_after_seconds = 1800;
};

class AirQualityDetector : public lantaarn::Detector {
 public:
  explicit AirQualityDetector(const AirQualityParams& params) : params_(params) {}

  void onReading(const gw_reading_view& reading, lantaarn::Emitter& emit) override;

 private:
  struct Sensor {
    std::map<std::string, HourlySeries> series;  // per pollutant
    std::map<std::string, EaqiBand> bands;       // last reported band per pollutant, "overall"
    std::set<std::string> exceeded;              // "<quantity>/<body>/<window>" in exceedance
    int64_t current_hour = -1;
    int64_t last_seen_ms = -1;
    double last_humidity = -1;
    int64_t last_humidity_ms = -1;
    std::map<std::string, std::deque<double>> recent;  // for spike and flat-line checks
    std::map<std::string, int> flat_run;
    std::set<std::string> faulted;  // faults currently reported, per quantity
  };

  void completeHour(Sensor& sensor, int64_t hour_end_ms, const gw_reading_view& context,
                    lantaarn::Emitter& emit);
  bool checkFaults(Sensor& sensor, const std::string& quantity, const gw_reading_view& reading,
                   lantaarn::Emitter& emit);

  AirQualityParams params_;
  std::map<std::string, Sensor> sensors_;  // key: source id + sensor ref
};

}  // namespace gw::detectors
