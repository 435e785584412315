#pragma once
// Building the air-quality detector's events: one struct with the fields every event fills, the
// formatting of periods (hours in UTC, days in the site's zone) and the severity of a band.
#include <cstdint>
#include <string>

#include "gateway/core/time_zone.h"
#include "gateway/detectors/builtin/air_quality/eaqi.h"
#include "gateway/detectors/sdk/lantaarn_detector.hpp"

namespace gw::detectors {

struct AirQualityEvent {
  std::string kind;
  int32_t severity = GW_SEVERITY_INFO;
  std::string quantity;
  double value = 0;
  double threshold = 0;
  const char* unit = "ug/m3";  // of value AND threshold
  int64_t observed_unix_ms = 0;
  std::string summary;
};

// Source and location come from `context`, the reading that completed the period.
void emitAirQualityEvent(lantaarn::Emitter& emit, const gw_reading_view& context,
                         const AirQualityEvent& event);

// printf into a std::string.
std::string format(const char* spec, ...) __attribute__((format(printf, 1, 2)));

// "2019-02-13T10:00Z"
std::string utcHourName(int64_t unix_ms);
// "2019-02-13"
std::string dayName(int64_t local_day);
// The UTC instant (ms) at which `local_day` ends in `zone` (the next local midnight).
int64_t dayEndUnixMs(const TimeZone& zone, int64_t local_day);

int32_t severityOf(EaqiBand band);

}  // namespace gw::detectors
