#include "gateway/detectors/builtin/air_quality/air_quality_detector.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "gateway/detectors/builtin/air_quality/air_quality_events.h"

namespace gw::detectors {

namespace {

constexpr int64_t kHourMs = 3600LL * 1000;
constexpr int64_t kHumidityMaxAgeMs = 30LL * 60 * 1000;
constexpr int64_t kSameReadingMs = 60LL * 1000;  // PM10 and PM2.5 of one measurement
constexpr int64_t kMaxHoldMs = 2 * kHourMs;      // longest a suspect reading waits for a verdict
// An 8-h running mean needs 6 of its 8 hourly means (75 %, Directive 2008/50/EC Annex VII).
constexpr int kEightHourHours = 6;

bool isPollutant(std::string_view q) {
  return q == "pm10" || q == "pm2_5" || q == "no2" || q == "o3" || q == "so2";
}
bool isPm(std::string_view q) { return q == "pm10" || q == "pm2_5"; }

}  // namespace

AirQualityDetector::AirQualityDetector(AirQualityParams params)
    : params_(std::move(params)), standards_(airQualityStandards(params_.legal_basis)) {}

AirQualityDetector::Sensor& AirQualityDetector::sensorOf(const gw_reading_view& reading) {
  std::string key = reading.source_id != nullptr ? reading.source_id : "";
  key += '/';
  key += lantaarn::sensorRef(reading);
  return sensors_[key];
}

void AirQualityDetector::onReading(const gw_reading_view& reading, lantaarn::Emitter& emit) {
  const std::string_view quantity = reading.quantity != nullptr ? reading.quantity : "";
  if (quantity == "relative_humidity") {
    Sensor& sensor = sensorOf(reading);
    sensor.last_humidity = reading.value;
    sensor.last_humidity_ms = reading.observed_unix_ms;
    if (reading.observed_unix_ms >= site_humidity_ms_) {
      site_humidity_ = reading.value;
      site_humidity_ms_ = reading.observed_unix_ms;
    }
    return;
  }
  if (!isPollutant(quantity)) return;
  takePollutant(sensorOf(reading), std::string(quantity), reading, emit);
}

std::optional<double> AirQualityDetector::humidityFor(const Sensor& sensor, int64_t t) const {
  // The sensor's own humidity first (same source and sensor id: the same box), else the most
  // recent humidity of any source of this detector (the site), each within 30 minutes.
  if (sensor.last_humidity_ms >= 0 &&
      std::llabs(t - sensor.last_humidity_ms) <= kHumidityMaxAgeMs) {
    return sensor.last_humidity;
  }
  if (site_humidity_ms_ >= 0 && std::llabs(t - site_humidity_ms_) <= kHumidityMaxAgeMs) {
    return site_humidity_;
  }
  return std::nullopt;
}

void AirQualityDetector::takePollutant(Sensor& sensor, const std::string& q,
                                       const gw_reading_view& reading, lantaarn::Emitter& emit) {
  const int64_t t = reading.observed_unix_ms;
  if (sensor.last_seen_ms >= 0 &&
      t - sensor.last_seen_ms > int64_t{params_.missing_after_seconds} * 1000) {
    const double gap_s = static_cast<double>(t - sensor.last_seen_ms) / 1000.0;
    emitAirQualityEvent(emit, reading,
                        {"sensor_fault", GW_SEVERITY_ADVISORY, q, gap_s,
                         static_cast<double>(params_.missing_after_seconds), "s", t,
                         format("missing_data: no readings for %.0f minutes", gap_s / 60)});
  }
  sensor.last_seen_ms = std::max(sensor.last_seen_ms, t);

  Sample sample{t, reading.value, reading.value, false};
  if (params_.humidity_correction && isPm(q)) {
    if (const auto rh = humidityFor(sensor, t)) {
      // kappa-Koehler: C(RH) = 1 + (kappa/1.65) / (1/a_w - 1), a_w = RH/100; corrected = raw / C.
      // Above 95 % RH (fog, condensation) the correction is unreliable: it is capped there.
      const double aw = std::min(*rh, 95.0) / 100.0;
      if (aw > 0) sample.adjusted /= 1.0 + (params_.kappa / 1.65) / (1.0 / aw - 1.0);
    } else {
      sample.uncorrected = true;
    }
  }
  const int64_t hour = t / kHourMs;
  sensor.open_hours.insert(hour);
  auto& filter = sensor.filters.try_emplace(q, params_.spike_ug_m3).first->second;
  settle(sensor, q, filter.add(sample), reading, emit);
  // A pollutant that stopped reporting gives up what it holds after two hours; until then the
  // hours of a held reading wait for its verdict.
  for (auto& [name, f] : sensor.filters)
    settle(sensor, name, f.expire(t - kMaxHoldMs), reading, emit);

  // Hours before this reading's are complete, except those with a reading still held.
  int64_t before = hour;
  for (const auto& [name, f] : sensor.filters) {
    if (const auto held = f.oldestHeld()) before = std::min(before, *held / kHourMs);
  }
  evaluateHours(sensor, before, reading, emit);
}

void AirQualityDetector::settle(Sensor& sensor, const std::string& q,
                                const SpikeFilter::Decided& decided, const gw_reading_view& reading,
                                lantaarn::Emitter& emit) {
  for (const auto& spike : decided.spikes) {
    if (corroborated(sensor, q, spike.sample, spike.reference)) {
      accept(sensor, q, spike.sample, reading, emit);
      continue;
    }
    emitAirQualityEvent(
        emit, reading,
        {"sensor_fault", GW_SEVERITY_ADVISORY, q, spike.sample.raw, spike.reference, "ug/m3",
         spike.sample.unix_ms,
         "spike: " + q +
             format(" %.1f ug/m3 against a median of %.1f of the recent readings; left out of "
                    "the means",
                    spike.sample.raw, spike.reference)});
  }
  for (const auto& accepted : decided.accepted) accept(sensor, q, accepted, reading, emit);
}

bool AirQualityDetector::corroborated(const Sensor& sensor, const std::string& q,
                                      const Sample& sample, double reference) const {
  // A jump of one PM fraction that the other fraction of the same sensor shows at the same time
  // (same direction, at least doubled or halved against its own recent median, and by 10 ug/m3
  // or more) is a change in the air, e.g. the onset of an episode, not a glitch of one channel.
  if (!isPm(q)) return false;
  const auto other = sensor.filters.find(q == "pm10" ? "pm2_5" : "pm10");
  if (other == sensor.filters.end()) return false;
  const auto seen = other->second.seenAt(sample.unix_ms, kSameReadingMs);
  if (!seen) return false;
  const double jump = sample.raw - reference, moved = seen->raw - seen->reference;
  if (jump * moved <= 0 || std::abs(moved) < 10) return false;
  return jump > 0 ? seen->raw >= 2 * seen->reference : seen->raw <= seen->reference / 2;
}

void AirQualityDetector::accept(Sensor& sensor, const std::string& q, const Sample& sample,
                                const gw_reading_view& context, lantaarn::Emitter& emit) {
  // Flat line: the same value again and again (a stuck sensor or a stuck rail).
  int& run = sensor.flat_run[q];
  const auto last = sensor.last_value.find(q);
  run = (last != sensor.last_value.end() && last->second == sample.raw) ? run + 1 : 1;
  sensor.last_value[q] = sample.raw;
  const std::string fault = q + "/flat_line";
  if (run >= static_cast<int>(params_.flat_line_count) && !sensor.faulted.count(fault)) {
    sensor.faulted.insert(fault);
    emitAirQualityEvent(
        emit, context,
        {"sensor_fault", GW_SEVERITY_ADVISORY, q, static_cast<double>(run),
         static_cast<double>(params_.flat_line_count), "readings", sample.unix_ms,
         "flat_line: " + q + format(" stuck at %.1f ug/m3 for %d readings", sample.raw, run)});
  } else if (run == 1) {
    sensor.faulted.erase(fault);
  }

  if (params_.humidity_correction && isPm(q)) {
    const int64_t hour = sample.unix_ms / kHourMs;
    ++sensor.pm_readings[hour];
    if (sample.uncorrected) {
      ++sensor.uncorrected[hour];
      if (!sensor.correction_missing) {
        sensor.correction_missing = true;
        emitAirQualityEvent(emit, context,
                            {"humidity_correction_unavailable", GW_SEVERITY_INFO, q, sample.raw, 0,
                             "ug/m3", sample.unix_ms,
                             "humidity correction not applied from " + utcHourName(sample.unix_ms) +
                                 ": no humidity of this sensor or the site within 30 minutes; " +
                                 q + " is used as measured until humidity arrives"});
      }
    } else {
      sensor.correction_missing = false;
    }
  }
  sensor.series[q].add(sample.unix_ms, sample.adjusted);
}

void AirQualityDetector::evaluateHours(Sensor& sensor, int64_t before_hour,
                                       const gw_reading_view& context, lantaarn::Emitter& emit) {
  while (!sensor.open_hours.empty() && *sensor.open_hours.begin() < before_hour) {
    const int64_t hour = *sensor.open_hours.begin();
    sensor.open_hours.erase(sensor.open_hours.begin());
    completeHour(sensor, hour, context, emit);
  }
}

void AirQualityDetector::completeHour(Sensor& sensor, int64_t hour, const gw_reading_view& context,
                                      lantaarn::Emitter& emit) {
  const int64_t start_ms = hour * kHourMs, end_ms = start_ms + kHourMs;
  // An hour belongs to the local day in which it starts.
  const int64_t day = params_.time_zone.localDay(start_ms);
  if (sensor.open_day != INT64_MIN && day != sensor.open_day) closeDay(sensor, context, emit);
  sensor.open_day = day;
  const int64_t year = civilFromDays(day).year;
  if (year != sensor.open_year) {
    sensor.open_year = year;
    sensor.years.clear();
    sensor.exceedances.clear();  // exceedances are counted per calendar year
  }

  std::string humidity_note;
  if (const int missed = sensor.uncorrected[hour]; missed > 0) {
    humidity_note = format("; humidity correction not applied to %d of %d readings", missed,
                           sensor.pm_readings[hour]);
  }
  sensor.uncorrected.erase(sensor.uncorrected.begin(), sensor.uncorrected.upper_bound(hour));
  sensor.pm_readings.erase(sensor.pm_readings.begin(), sensor.pm_readings.upper_bound(hour));

  std::optional<EaqiBand> overall;
  std::string worst, covered;
  for (auto& [q, series] : sensor.series) {
    const auto mean = series.hourMean(start_ms);
    if (!mean) continue;
    const EaqiBand band = eaqiBand(q, *mean).value_or(EaqiBand::kGood);
    if (!overall || band > *overall) {
      overall = band;
      worst = q;
    }
    covered += (covered.empty() ? "" : ", ") + q;
    const std::string note = isPm(q) ? humidity_note : "";
    if (params_.hourly_means) {
      emitAirQualityEvent(emit, context,
                          {"hourly_mean", GW_SEVERITY_INFO, q, *mean, 0, "ug/m3", end_ms,
                           q + " hourly mean to " + utcHourName(end_ms) +
                               format(": %.2f ug/m3 (EAQI %s)", *mean, eaqiBandName(band)) + note});
    }
    auto previous = sensor.bands.find(q);
    if (previous == sensor.bands.end() || previous->second != band) {
      sensor.bands[q] = band;
      emitAirQualityEvent(
          emit, context,
          {"aqi_band", severityOf(band), q, *mean, 0, "ug/m3", end_ms,
           q + format(" hourly mean %.1f ug/m3: EAQI ", *mean) + eaqiBandName(band) + note});
    }
    for (size_t i = 0; i < standards_.size(); ++i) {
      const auto& s = standards_[i];
      if (s.quantity == q && s.averaging == Averaging::kHour && *mean > s.value) {
        exceeded(sensor, i, "in the hour to " + utcHourName(end_ms), *mean, year, end_ms, context,
                 emit);
      }
    }
    auto& d = sensor.days[q];
    ++d.hours;
    d.sum += *mean;
    if (q == "o3") {
      // Each 8-h running mean belongs to the day in which it ends.
      if (const auto m8 = series.windowMean(start_ms, 8, kEightHourHours)) {
        d.max_8h = d.valid_8h == 0 ? *m8 : std::max(d.max_8h, *m8);
        ++d.valid_8h;
      }
    }
    auto& y = sensor.years[q];
    ++y.hours;
    y.sum += *mean;
  }
  if (overall && (sensor.bands.find("overall") == sensor.bands.end() ||
                  sensor.bands["overall"] != *overall || sensor.overall_covered != covered)) {
    sensor.bands["overall"] = *overall;
    sensor.overall_covered = covered;
    // The value is the band's number (1 good .. 6 extremely poor), not a concentration.
    emitAirQualityEvent(emit, context,
                        {"aqi_band", severityOf(*overall), "overall", static_cast<double>(*overall),
                         0, "band", end_ms,
                         std::string("overall EAQI ") + eaqiBandName(*overall) +
                             " (worst: " + worst + "; covers " + covered + ")"});
  }
}

}  // namespace gw::detectors
