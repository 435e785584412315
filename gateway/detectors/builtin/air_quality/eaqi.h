#pragma once
// The European Air Quality Index (EEA), revised bands (ETC HE Report 2024/17; aligned with WHO
// 2021 and Directive 2024/2881), upper bounds in ug/m3 of the hourly concentration:
//
//   pollutant  good  fair  moderate  poor  very poor  extremely poor
//   PM2.5        5    15      50      90     140          >140
//   PM10        15    45     120     195     270          >270
//   NO2         10    25      60     100     150          >150
//   O3          60   100     120     160     180          >180
//   SO2         20    40     125     190     275          >275
//
// The overall index is the worst band of the pollutants measured. A value exactly on a bound
// belongs to the lower band.
#include <optional>
#include <string_view>

namespace gw::detectors {

enum class EaqiBand { kGood = 1, kFair, kModerate, kPoor, kVeryPoor, kExtremelyPoor };

const char* eaqiBandName(EaqiBand band);

// nullopt for a quantity the index does not cover.
std::optional<EaqiBand> eaqiBand(std::string_view quantity, double ug_per_m3);

}  // namespace gw::detectors
