#include "gateway/sources/sensor/formats/quantities.h"

namespace gw::sources {
namespace {

// Ranges are the measuring ranges of common street sensors, widened where the physical world
// allows more (e.g. PM up to 1000 ug/m3: SDS011 tops out at 999.9; water level from -1000 cm to
// +3000 cm NAP covers the Dutch coast and the Rhine in flood).
constexpr QuantityInfo kQuantities[] = {
    {"pm1", "ug/m3", 0, 1000},          {"pm2_5", "ug/m3", 0, 1000},
    {"pm10", "ug/m3", 0, 1000},         {"no2", "ug/m3", 0, 5000},
    {"o3", "ug/m3", 0, 2000},           {"so2", "ug/m3", 0, 10000},
    {"no", "ug/m3", 0, 5000},           {"co", "ug/m3", 0, 200000},
    {"temperature", "degC", -60, 70},   {"relative_humidity", "percent", 0, 100},
    {"air_pressure", "hPa", 300, 1100}, {"water_level", "cm", -1000, 3000},
    {"rain_intensity", "mm/h", 0, 500}, {"rain_amount", "mm", 0, 2000},
    {"wind_speed", "m/s", 0, 100},      {"illuminance", "lx", 0, 200000},
    {"noise_level", "dB(A)", 0, 194},
};

}  // namespace

std::optional<QuantityInfo> findQuantity(std::string_view name) {
  for (const auto& q : kQuantities) {
    if (name == q.name) return q;
  }
  return std::nullopt;
}

}  // namespace gw::sources
