#include "gateway/detectors/builtin/air_quality/air_quality_detector.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace gw::detectors {

namespace {

constexpr int64_t kHourMs = 3600LL * 1000;
constexpr int64_t kHumidityMaxAgeMs = 30LL * 60 * 1000;

bool isPollutant(std::string_view q) {
  return q == "pm10" || q == "pm2_5" || q == "no2" || q == "o3" || q == "so2";
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

std::string fmt(const char* format, double a, double b = 0) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, format, a, b);
  return buffer;
}

// Every event carries the context reading's source, time and place; the host copies it in emit.
void emitEvent(lantaarn::Emitter& emit, const gw_reading_view& context, const std::string& kind,
               int32_t severity, const std::string& quantity, double value, double threshold,
               const std::string& summary) {
  gw_event_out event{};
  event.kind = kind.c_str();
  event.severity = severity;
  event.source_id = context.source_id;
  event.quantity = quantity.c_str();
  event.value = value;
  event.threshold = threshold;
  event.unit = "ug/m3";
  event.observed_unix_ms = context.observed_unix_ms;
  event.has_location = 1;
  event.lat = context.lat;
  event.lon = context.lon;
  event.summary = summary.c_str();
  emit.emit(event);
}

}  // namespace

const std::vector<AirQualityStandard>& airQualityStandards() {
  // EU: Directive 2008/50/EC (PM10 daily 50; NO2 hourly 200; SO2 hourly 350; O3 information
  // threshold 180, hourly) and Directive 2024/2881 from 2030 (PM2.5 daily 25).
  // WHO: Global Air Quality Guidelines 2021 (PM2.5 24-h 15, PM10 24-h 45, NO2 24-h 25,
  // SO2 24-h 40, O3 8-h 100).
  static const std::vector<AirQualityStandard> standards = {
      {"pm10", "EU", 24, 50},  {"pm2_5", "EU", 24, 25}, {"no2", "EU", 1, 200},
      {"so2", "EU", 1, 350},   {"o3", "EU", 1, 180},    {"pm2_5", "WHO", 24, 15},
      {"pm10", "WHO", 24, 45}, {"no2", "WHO", 24, 25},  {"so2", "WHO", 24, 40},
      {"o3", "WHO", 8, 100},
  };
  return standards;
}

bool AirQualityDetector::checkFaults(Sensor& sensor, const std::string& q,
                                     const gw_reading_view& reading, lantaarn::Emitter& emit) {
  auto& recent = sensor.recent[q];
  bool usable = true;
  // Spike: far from the median of the last five readings (a step with no driver).
  if (recent.size() >= 5) {
    std::vector<double> sorted(recent.begin(), recent.end());
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    if (std::abs(reading.value - median) > params_.spike_ug_m3) {
      emitEvent(emit, reading, "sensor_fault", GW_SEVERITY_ADVISORY, q, reading.value, median,
                "spike: " + q +
                    fmt(" %.1f ug/m3 against a recent median of %.1f", reading.value, median));
      usable = false;  // excluded from the means, kept out of the history
    }
  }
  if (usable) {
    // Flat line: the same value again and again (a stuck sensor or a stuck rail).
    int& run = sensor.flat_run[q];
    run = (!recent.empty() && recent.back() == reading.value) ? run + 1 : 1;
    const std::string fault = q + "/flat_line";
    if (run >= static_cast<int>(params_.flat_line_count) && !sensor.faulted.count(fault)) {
      sensor.faulted.insert(fault);
      emitEvent(emit, reading, "sensor_fault", GW_SEVERITY_ADVISORY, q, reading.value, run,
                "flat_line: " + q + fmt(" stuck at %.1f for %.0f readings", reading.value, run));
    } else if (run == 1) {
      sensor.faulted.erase(fault);
    }
    recent.push_back(reading.value);
    if (recent.size() > 5) recent.pop_front();
  }
  return usable;
}

void AirQualityDetector::completeHour(Sensor& sensor, int64_t hour_end_ms,
                                      const gw_reading_view& context, lantaarn::Emitter& emit) {
  const int64_t in_hour = hour_end_ms - 1;  // a time inside the completed hour
  std::optional<EaqiBand> overall;
  for (auto& [q, series] : sensor.series) {
    const auto mean = series.hourMean(in_hour);
    if (!mean) continue;
    const auto band = eaqiBand(q, *mean);
    if (!band) continue;
    if (!overall || *band > *overall) overall = band;
    auto previous = sensor.bands.find(q);
    if (previous == sensor.bands.end() || previous->second != *band) {
      sensor.bands[q] = *band;
      emitEvent(emit, context, "aqi_band", severityOf(*band), q, *mean, 0,
                q + " hourly mean " + fmt("%.1f", *mean) + " ug/m3: EAQI " + eaqiBandName(*band));
    }
    for (const auto& standard : airQualityStandards()) {
      if (q != standard.quantity) continue;
      // Coverage rule: a 24-h mean needs 18 hours, an 8-h mean 6 (75 %), an hourly mean one.
      const int min_hours = standard.window_hours == 1 ? 1 : standard.window_hours * 3 / 4;
      const auto window = series.windowMean(in_hour, standard.window_hours, min_hours);
      if (!window) continue;
      const std::string key = q + "/" + standard.body + "/" + std::to_string(standard.window_hours);
      const bool was = sensor.exceeded.count(key) > 0;
      const bool is = *window > standard.limit;
      if (was == is) continue;
      const bool eu = std::string(standard.body) == "EU";
      const std::string kind =
          std::string(eu ? "limit" : "guideline") + (is ? "_exceeded" : "_cleared");
      if (is) {
        sensor.exceeded.insert(key);
      } else {
        sensor.exceeded.erase(key);
      }
      emitEvent(emit, context, kind,
                is ? (eu ? GW_SEVERITY_WARNING : GW_SEVERITY_ADVISORY) : GW_SEVERITY_INFO, q,
                *window, standard.limit,
                q + " " + std::to_string(standard.window_hours) + "-h mean " +
                    fmt("%.1f", *window) + (is ? " above " : " back below ") + standard.body +
                    fmt(" value %.0f ug/m3", standard.limit));
    }
  }
  if (overall &&
      (sensor.bands.find("overall") == sensor.bands.end() || sensor.bands["overall"] != *overall)) {
    sensor.bands["overall"] = *overall;
    emitEvent(emit, context, "aqi_band", severityOf(*overall), "overall",
              static_cast<double>(*overall), 0,
              std::string("overall EAQI ") + eaqiBandName(*overall));
  }
}

void AirQualityDetector::onReading(const gw_reading_view& reading, lantaarn::Emitter& emit) {
  const std::string_view quantity = reading.quantity != nullptr ? reading.quantity : "";
  if (!isPollutant(quantity) && quantity != "relative_humidity") return;
  const std::string q(quantity);
  std::string key = reading.source_id != nullptr ? reading.source_id : "";
  key += '/';
  key += lantaarn::sensorRef(reading);
  Sensor& sensor = sensors_[key];
  const int64_t t = reading.observed_unix_ms;

  if (q == "relative_humidity") {
    sensor.last_humidity = reading.value;
    sensor.last_humidity_ms = t;
    return;
  }
  if (sensor.last_seen_ms >= 0 &&
      t - sensor.last_seen_ms > int64_t{params_.missing_after_seconds} * 1000) {
    emitEvent(emit, reading, "sensor_fault", GW_SEVERITY_ADVISORY, q, 0,
              static_cast<double>(params_.missing_after_seconds),
              "missing_data: no readings for " +
                  fmt("%.0f minutes", static_cast<double>(t - sensor.last_seen_ms) / 60000.0));
  }
  sensor.last_seen_ms = std::max(sensor.last_seen_ms, t);

  const int64_t hour = t / kHourMs;
  if (sensor.current_hour >= 0 && hour > sensor.current_hour) {
    completeHour(sensor, (sensor.current_hour + 1) * kHourMs, reading, emit);
  }
  sensor.current_hour = std::max(sensor.current_hour, hour);

  if (!checkFaults(sensor, q, reading, emit)) return;
  double value = reading.value;
  if (params_.humidity_correction && (q == "pm10" || q == "pm2_5") && sensor.last_humidity >= 0 &&
      t - sensor.last_humidity_ms <= kHumidityMaxAgeMs) {
    // kappa-Koehler: C(RH) = 1 + (kappa/1.65) / (1/a_w - 1), a_w = RH/100; corrected = raw / C.
    // Above 95 % RH (fog, condensation) the correction is unreliable: it is capped there.
    const double aw = std::min(sensor.last_humidity, 95.0) / 100.0;
    if (aw > 0) value /= 1.0 + (params_.kappa / 1.65) / (1.0 / aw - 1.0);
  }
  sensor.series[q].add(t, value);
}

}  // namespace gw::detectors
