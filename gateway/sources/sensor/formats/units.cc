#include "gateway/sources/sensor/formats/units.h"

#include "gateway/sources/sensor/formats/quantities.h"

namespace gw::sources {

double molarVolumeLitres(double celsius) { return 22.414 * (celsius + 273.15) / 273.15; }

std::optional<double> ppmToMicrogramsPerCubicMetre(std::string_view quantity, double ppm,
                                                   double celsius) {
  double molar_mass = 0;
  if (quantity == "no2")
    molar_mass = 46.0055;
  else if (quantity == "o3")
    molar_mass = 47.9982;
  else if (quantity == "so2")
    molar_mass = 64.066;
  else if (quantity == "no")
    molar_mass = 30.006;
  else if (quantity == "co")
    molar_mass = 28.010;
  else
    return std::nullopt;
  return ppm * 1000.0 * molar_mass / molarVolumeLitres(celsius);
}

std::optional<double> toCanonical(std::string_view quantity, std::string_view unit, double value) {
  const auto info = findQuantity(quantity);
  if (!info) return std::nullopt;
  if (unit == info->unit) return value;
  if (std::string_view(info->unit) == "ug/m3") {
    if (unit == "ug/m3" || unit == "µg/m³" || unit == "µg/m3") return value;
    if (unit == "ppm") return ppmToMicrogramsPerCubicMetre(quantity, value);
    if (unit == "ppb") return ppmToMicrogramsPerCubicMetre(quantity, value / 1000.0);
    if (unit == "mg/m3") return value * 1000.0;
  }
  if (quantity == "air_pressure") {
    if (unit == "Pa") return value / 100.0;
    if (unit == "kPa") return value * 10.0;
    if (unit == "mbar") return value;
  }
  if (quantity == "temperature") {
    if (unit == "K") return value - 273.15;
    if (unit == "degF") return (value - 32.0) * 5.0 / 9.0;
    if (unit == "°C") return value;
  }
  if (quantity == "water_level") {
    if (unit == "m") return value * 100.0;
    if (unit == "mm") return value / 10.0;
  }
  if (quantity == "rain_intensity" && unit == "0.1 mm/h") return value / 10.0;
  if (quantity == "rain_amount" && unit == "0.1 mm") return value / 10.0;
  if (quantity == "relative_humidity" && unit == "%") return value;
  return std::nullopt;
}

}  // namespace gw::sources
