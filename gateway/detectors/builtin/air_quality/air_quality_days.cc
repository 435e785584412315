// The air-quality detector's calendar: closing a day of the site's time zone (daily means, the
// maximum daily 8-h mean, the year so far) and the exceedance events with their yearly count.
// The hourly side is in air_quality_detector.cc.
#include "gateway/detectors/builtin/air_quality/air_quality_detector.h"
#include "gateway/detectors/builtin/air_quality/air_quality_events.h"

namespace gw::detectors {

namespace {

// Coverage (Directive 2008/50/EC Annex VII; 2024/2881 Annex V): a calendar-day mean needs 75 % of
// 24 hourly means, i.e. 18, whatever the day's length (23 or 25 h when the clocks change); a
// maximum daily 8-h mean 18 of the day's 24 running means.
constexpr int kDayHours = 18;
constexpr int kDayEightHourMeans = 18;

const char* averagingName(Averaging a) {
  switch (a) {
    case Averaging::kHour:
      return "hourly mean";
    case Averaging::kDay:
      return "daily mean";
    case Averaging::kMaxDaily8h:
      return "maximum daily 8-h mean";
    case Averaging::kYear:
      return "annual mean";
  }
  return "mean";
}

// Minimum share of a year's hours for an annual mean to be judged (2008/50/EC Annex I: 90 %;
// 2024/2881 Annex V: 85 %).
double annualCoverage(LegalBasis basis) {
  return basis == LegalBasis::kDirective2008_50 ? 0.90 : 0.85;
}

}  // namespace

void AirQualityDetector::closeDay(Sensor& sensor, const gw_reading_view& context,
                                  lantaarn::Emitter& emit) {
  const int64_t day = sensor.open_day;
  const CivilDate date = civilFromDays(day);
  const int64_t end_ms = dayEndUnixMs(params_.time_zone, day);
  const std::string on = "on " + dayName(day) + " (" + params_.time_zone.name() + ")";
  const bool year_ends = date.month == 12 && date.day == 31;
  for (const auto& [q, d] : sensor.days) {
    if (d.hours >= kDayHours) {
      const double mean = d.sum / d.hours;
      if (params_.daily_means) {
        emitAirQualityEvent(
            emit, context,
            {"daily_mean", GW_SEVERITY_INFO, q, mean, 0, "ug/m3", end_ms,
             q + " daily mean " + on + format(": %.2f ug/m3 from %d hourly means", mean, d.hours)});
      }
      for (size_t i = 0; i < standards_.size(); ++i) {
        const auto& s = standards_[i];
        if (s.quantity == q && s.averaging == Averaging::kDay && mean > s.value) {
          exceeded(sensor, i, on, mean, date.year, end_ms, context, emit);
        }
      }
    }
    if (d.valid_8h >= kDayEightHourMeans) {
      for (size_t i = 0; i < standards_.size(); ++i) {
        const auto& s = standards_[i];
        if (s.quantity == q && s.averaging == Averaging::kMaxDaily8h && d.max_8h > s.value) {
          exceeded(sensor, i, on, d.max_8h, date.year, end_ms, context, emit);
        }
      }
    }
  }
  sensor.days.clear();

  // The year so far: hours since 1 January (local) up to the end of this day.
  const int64_t hours_so_far = (day - daysFromCivil(date.year, 1, 1) + 1) * 24;
  for (const auto& [q, y] : sensor.years) {
    if (y.hours == 0) continue;
    const double mean = y.sum / y.hours;
    const double coverage = static_cast<double>(y.hours) / static_cast<double>(hours_so_far);
    double eu_annual = 0;
    for (size_t i = 0; i < standards_.size(); ++i) {
      const auto& s = standards_[i];
      if (s.quantity != q || s.averaging != Averaging::kYear) continue;
      if (s.kind != StandardKind::kGuideline) eu_annual = s.value;
      // A calendar year is judged once, when its last day closes, if enough of it was measured.
      if (year_ends && coverage >= annualCoverage(params_.legal_basis) && mean > s.value) {
        exceeded(sensor, i, format("in %lld", static_cast<long long>(date.year)), mean, date.year,
                 end_ms, context, emit);
      }
    }
    if (params_.annual_means) {
      emitAirQualityEvent(
          emit, context,
          {"annual_mean", GW_SEVERITY_INFO, q, mean, eu_annual, "ug/m3", end_ms,
           q + format(" mean of %lld", static_cast<long long>(date.year)) + " up to " +
               dayName(day) +
               format(": %.2f ug/m3 from %d hourly means (%.0f %% of the hours)", mean, y.hours,
                      coverage * 100) +
               (eu_annual > 0 ? format("; EU annual value %.0f ug/m3 (", eu_annual) +
                                    std::string(legalBasisSpelling(params_.legal_basis)) + ")"
                              : std::string())});
    }
  }
}

void AirQualityDetector::exceeded(Sensor& sensor, size_t index, const std::string& period,
                                  double mean, int64_t year, int64_t observed_ms,
                                  const gw_reading_view& context, lantaarn::Emitter& emit) {
  const AirQualityStandard& s = standards_[index];
  const std::string q(s.quantity);
  std::string kind = "limit_exceeded", what = "limit value";
  int32_t severity = GW_SEVERITY_WARNING;
  switch (s.kind) {
    case StandardKind::kLimitValue:
      break;
    case StandardKind::kTargetValue:
      kind = "target_exceeded";
      what = "target value";
      severity = GW_SEVERITY_ADVISORY;  // judged over three years: one year only indicates
      break;
    case StandardKind::kInformationThreshold:
      kind = "information_threshold_exceeded";
      what = "information threshold";
      break;
    case StandardKind::kGuideline:
      kind = "guideline_exceeded";
      what = "guideline value";
      severity = GW_SEVERITY_ADVISORY;
      break;
  }
  std::string summary = q + " " + averagingName(s.averaging) + format(" %.1f ug/m3 ", mean) +
                        period + " above the " + what + format(" %.0f ug/m3 of ", s.value) +
                        std::string(s.basis);
  if (s.allowed_per_year >= 0) {
    const int count = ++sensor.exceedances[q + "/" + std::to_string(index)];
    const char* unit = s.averaging == Averaging::kHour ? "hour" : "day";
    summary += format(": exceedance %s %d of %lld, %d allowed", unit, count,
                      static_cast<long long>(year), s.allowed_per_year);
    if (s.kind == StandardKind::kGuideline) summary += " (99th percentile: 3-4 a year)";
    if (s.kind == StandardKind::kTargetValue) summary += " (averaged over three years)";
    if (count > s.allowed_per_year && s.kind == StandardKind::kLimitValue) {
      summary += "; more than allowed: the limit value is not met this year";
      severity = GW_SEVERITY_ALARM;
    }
  }
  emitAirQualityEvent(emit, context,
                      {kind, severity, q, mean, s.value, "ug/m3", observed_ms, summary});
}

}  // namespace gw::detectors
