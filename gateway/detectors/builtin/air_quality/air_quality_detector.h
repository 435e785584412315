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
#include <deque>
#include <map>
#include <set>
#include <string>

#include "gateway/detectors/builtin/air_quality/eaqi.h"
#include "gateway/detectors/builtin/air_quality/rolling_mean.h"
#include "gateway/detectors/detector.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

struct AirQualityStandard {
  const char* quantity;
  const char* body;  // "EU" or "WHO"
  int window_hours;  // 1, 8 or 24
  double limit;      // ug/m3
};

// The limit and guideline values the detector checks (see the .cc for their sources).
const std::vector<AirQualityStandard>& airQualityStandards();

class AirQualityDetector : public Detector {
 public:
  AirQualityDetector(std::string id, gateway::v1::AirQualityDetector config);

  const std::string& id() const override { return id_; }
  void onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events) override;

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

  void completeHour(Sensor& sensor, int64_t hour_end_ms, const gateway::v1::Reading& context,
                    pipeline::EventSink& events);
  bool checkFaults(Sensor& sensor, const gateway::v1::Reading& reading,
                   pipeline::EventSink& events);
  gateway::v1::Event makeEvent(const gateway::v1::Reading& context, const std::string& kind,
                               gateway::v1::Severity severity, const std::string& quantity,
                               double value, double threshold, const std::string& summary) const;

  std::string id_;
  gateway::v1::AirQualityDetector config_;
  std::map<std::string, Sensor> sensors_;  // key: source id + sensor ref
};

}  // namespace gw::detectors
