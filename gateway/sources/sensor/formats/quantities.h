#pragma once
// The canonical quantities every sensor format maps onto, with their unit and the range a real
// sensor can report (a value outside it is dropped as out_of_range, never passed on).
#include <optional>
#include <string>
#include <string_view>

namespace gw::sources {

struct QuantityInfo {
  const char* name;
  const char* unit;
  double min;
  double max;
};

// Known quantities: pm1, pm2_5, pm10 (ug/m3), no2, o3, so2, no, co (ug/m3), temperature (degC),
// relative_humidity (percent), air_pressure (hPa), water_level (cm, relative to NAP or to the
// sensor's own datum), rain_intensity (mm/h), rain_amount (mm), wind_speed (m/s), illuminance (lx),
// noise_level (dB(A)).
std::optional<QuantityInfo> findQuantity(std::string_view name);

}  // namespace gw::sources
