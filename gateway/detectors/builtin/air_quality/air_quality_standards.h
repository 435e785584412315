#pragma once
// The limit values, target values and guideline values the air-quality detector checks, with the
// act that sets each one and the number of exceedances it allows per calendar year. One legal
// basis is chosen per policy (`legal_basis`): the EU values come from that directive alone, never
// mixed; the WHO 2021 guidelines are always checked beside them. Sources: docs/DETECTORS.md and
// the domain notes (section 2.2, 2.3).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gw::detectors {

enum class Averaging {
  kHour,        // each hourly mean
  kDay,         // the calendar-day mean (site time zone), 18 hourly means needed
  kMaxDaily8h,  // the day's highest 8-h running mean (O3)
  kYear,        // the calendar-year mean
};

enum class StandardKind {
  kLimitValue,            // EU limit value: events limit_exceeded
  kTargetValue,           // EU target value (O3): events target_exceeded
  kInformationThreshold,  // EU information threshold (O3 180): information_threshold_exceeded
  kGuideline,             // WHO 2021 guideline: guideline_exceeded
};

struct AirQualityStandard {
  std::string_view quantity;
  Averaging averaging;
  double value;  // ug/m3
  StandardKind kind;
  std::string_view basis;  // "Directive 2008/50/EC", "Directive (EU) 2024/2881", "WHO 2021"
  int allowed_per_year;    // exceedances allowed per calendar year; -1: not counted
};

enum class LegalBasis { kDirective2008_50, kDirective2024_2881 };

// "2008/50/EC" or "2024/2881" (as the policy writes them).
std::optional<LegalBasis> legalBasisFrom(std::string_view text);
const char* legalBasisSpelling(LegalBasis basis);

// The standards in force under `basis`, followed by the WHO guidelines.
std::vector<AirQualityStandard> airQualityStandards(LegalBasis basis);

}  // namespace gw::detectors
