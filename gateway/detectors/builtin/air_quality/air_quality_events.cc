#include "gateway/detectors/builtin/air_quality/air_quality_events.h"

#include <cstdarg>
#include <cstdio>

namespace gw::detectors {

void emitAirQualityEvent(lantaarn::Emitter& emit, const gw_reading_view& context,
                         const AirQualityEvent& e) {
  gw_event_out event{};
  event.kind = e.kind.c_str();
  event.severity = e.severity;
  event.source_id = context.source_id;
  event.quantity = e.quantity.c_str();
  event.value = e.value;
  event.threshold = e.threshold;
  event.unit = e.unit;
  event.observed_unix_ms = e.observed_unix_ms;
  event.has_location = 1;
  event.lat = context.lat;
  event.lon = context.lon;
  event.summary = e.summary.c_str();
  emit.emit(event);  // the host copies it before returning
}

std::string format(const char* spec, ...) {
  char buffer[320];
  va_list args;
  va_start(args, spec);
  std::vsnprintf(buffer, sizeof buffer, spec, args);
  va_end(args);
  return buffer;
}

std::string utcHourName(int64_t unix_ms) {
  const int64_t hours = unix_ms / 3600000;
  const CivilDate d = civilFromDays(hours / 24);
  return format("%04lld-%02u-%02uT%02lld:00Z", static_cast<long long>(d.year), d.month, d.day,
                static_cast<long long>(hours % 24));
}

std::string dayName(int64_t local_day) {
  const CivilDate d = civilFromDays(local_day);
  return format("%04lld-%02u-%02u", static_cast<long long>(d.year), d.month, d.day);
}

int64_t dayEndUnixMs(const TimeZone& zone, int64_t local_day) {
  const int64_t local_midnight = (local_day + 1) * 86400;
  // The offset in force just before midnight, found from the offset at midnight UTC-wise.
  const int64_t guess = local_midnight - zone.offsetSeconds(local_midnight);
  return (local_midnight - zone.offsetSeconds(guess)) * 1000;
}

int32_t severityOf(EaqiBand band) {
  switch (band) {
    case EaqiBand::kGood:
    case EaqiBand::kFair:
    case EaqiBand::kModerate:
      return GW_SEVERITY_INFO;
    case EaqiBand::kPoor:
      return GW_SEVERITY_ADVISORY;
    case EaqiBand::kVeryPoor:
      return GW_SEVERITY_WARNING;
    case EaqiBand::kExtremelyPoor:
      return GW_SEVERITY_ALARM;
  }
  return GW_SEVERITY_INFO;
}

}  // namespace gw::detectors
