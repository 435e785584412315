#pragma once
// Unit conversions onto the canonical units of quantities.h, with the factors documented here.
#include <optional>
#include <string_view>

namespace gw::sources {

// Molar volume of an ideal gas at 101.325 kPa and `celsius`: 22.414 L/mol x T / 273.15 K.
double molarVolumeLitres(double celsius);

// Reference temperature for gas conversions: 20 degC (293.15 K), the reference of Directive
// 2008/50/EC for gaseous pollutants. At 25 degC (US EPA) concentrations come out 1.7 % lower.
constexpr double kGasReferenceCelsius = 20.0;

// ppm -> ug/m3 for a gas: ppm x 1000 x M / Vm, with M in g/mol:
//   no2 46.0055, o3 47.9982, so2 64.066, no 30.006, co 28.010.
// Returns nullopt for a quantity whose molar mass is not known.
std::optional<double> ppmToMicrogramsPerCubicMetre(std::string_view quantity, double ppm,
                                                   double celsius = kGasReferenceCelsius);

// Converts `value` in `unit` to the canonical unit of `quantity`. Known: ug/m3; ppm and ppb for the
// gases above; Pa, hPa, mbar, kPa for air_pressure; degC, K, degF; cm, m, mm for water_level;
// mm/h; 0.1 mm/h (KNMI). nullopt when the conversion is not known: the caller rejects the value.
std::optional<double> toCanonical(std::string_view quantity, std::string_view unit, double value);

}  // namespace gw::sources
