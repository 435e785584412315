#include "gateway/detectors/builtin/air_quality/air_quality_standards.h"

namespace gw::detectors {

namespace {

using enum Averaging;
using enum StandardKind;

constexpr std::string_view k2008 = "Directive 2008/50/EC";
constexpr std::string_view k2024 = "Directive (EU) 2024/2881";
constexpr std::string_view kWho = "WHO 2021";

// Directive 2008/50/EC, Annex XI (limit values), Annex VII (O3 target value and information
// threshold), Annex XII: PM10 day 50 (35/yr), year 40; PM2.5 year 25; NO2 hour 200 (18/yr),
// year 40; SO2 hour 350 (24/yr), day 125 (3/yr); O3 max daily 8-h mean 120 (25 days/yr averaged
// over three years), information threshold 180 (hour).
constexpr AirQualityStandard k2008Values[] = {
    {"pm10", kDay, 50, kLimitValue, k2008, 35},
    {"pm10", kYear, 40, kLimitValue, k2008, -1},
    {"pm2_5", kYear, 25, kLimitValue, k2008, -1},
    {"no2", kHour, 200, kLimitValue, k2008, 18},
    {"no2", kYear, 40, kLimitValue, k2008, -1},
    {"so2", kHour, 350, kLimitValue, k2008, 24},
    {"so2", kDay, 125, kLimitValue, k2008, 3},
    {"o3", kMaxDaily8h, 120, kTargetValue, k2008, 25},
    {"o3", kHour, 180, kInformationThreshold, k2008, -1},
};

// Directive (EU) 2024/2881, Annex I, limit values to be met from 1 January 2030: PM10 day 45
// (18/yr), year 20; PM2.5 day 25 (18/yr), year 10; NO2 hour 200 (3/yr), day 50 (18/yr), year 20;
// SO2 hour 350 (3/yr), day 50 (18/yr), year 20; O3 target value 120 (max daily 8-h mean, 18
// days/yr averaged over three years), information threshold 180.
constexpr AirQualityStandard k2024Values[] = {
    {"pm10", kDay, 45, kLimitValue, k2024, 18},
    {"pm10", kYear, 20, kLimitValue, k2024, -1},
    {"pm2_5", kDay, 25, kLimitValue, k2024, 18},
    {"pm2_5", kYear, 10, kLimitValue, k2024, -1},
    {"no2", kHour, 200, kLimitValue, k2024, 3},
    {"no2", kDay, 50, kLimitValue, k2024, 18},
    {"no2", kYear, 20, kLimitValue, k2024, -1},
    {"so2", kHour, 350, kLimitValue, k2024, 3},
    {"so2", kDay, 50, kLimitValue, k2024, 18},
    {"so2", kYear, 20, kLimitValue, k2024, -1},
    {"o3", kMaxDaily8h, 120, kTargetValue, k2024, 18},
    {"o3", kHour, 180, kInformationThreshold, k2024, -1},
};

// WHO Global Air Quality Guidelines 2021: the 24-h values are 99th percentiles, i.e. 3-4
// exceedance days a year (3 counted here); O3 8-h 100 as the max daily 8-h mean.
constexpr AirQualityStandard kWhoValues[] = {
    {"pm2_5", kDay, 15, kGuideline, kWho, 3}, {"pm2_5", kYear, 5, kGuideline, kWho, -1},
    {"pm10", kDay, 45, kGuideline, kWho, 3},  {"pm10", kYear, 15, kGuideline, kWho, -1},
    {"no2", kDay, 25, kGuideline, kWho, 3},   {"no2", kYear, 10, kGuideline, kWho, -1},
    {"so2", kDay, 40, kGuideline, kWho, 3},   {"o3", kMaxDaily8h, 100, kGuideline, kWho, 3},
};

}  // namespace

std::optional<LegalBasis> legalBasisFrom(std::string_view text) {
  if (text == "2008/50/EC") return LegalBasis::kDirective2008_50;
  if (text == "2024/2881") return LegalBasis::kDirective2024_2881;
  return std::nullopt;
}

const char* legalBasisSpelling(LegalBasis basis) {
  return basis == LegalBasis::kDirective2008_50 ? "2008/50/EC" : "2024/2881";
}

std::vector<AirQualityStandard> airQualityStandards(LegalBasis basis) {
  std::vector<AirQualityStandard> out;
  if (basis == LegalBasis::kDirective2008_50) {
    out.assign(std::begin(k2008Values), std::end(k2008Values));
  } else {
    out.assign(std::begin(k2024Values), std::end(k2024Values));
  }
  out.insert(out.end(), std::begin(kWhoValues), std::end(kWhoValues));
  return out;
}

}  // namespace gw::detectors
