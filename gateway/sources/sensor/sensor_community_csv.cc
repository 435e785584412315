#include "gateway/sources/sensor/sensor_community_csv.h"

#include <charconv>
#include <cmath>
#include <ctime>

namespace gw::sources {
namespace {

std::vector<std::string_view> splitFields(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = line.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

bool parseDouble(std::string_view text, double* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

bool parseInt(std::string_view text, int* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

Result<int64_t> parseIsoUtcMs(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.back() == 'Z') text.remove_suffix(1);
  // YYYY-MM-DDTHH:MM:SS[.fff]
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    return invalidArgument("timestamp '" + std::string(text) + "' is not YYYY-MM-DDTHH:MM:SS");
  }
  int year, month, day, hour, minute, second;
  if (!parseInt(text.substr(0, 4), &year) || !parseInt(text.substr(5, 2), &month) ||
      !parseInt(text.substr(8, 2), &day) || !parseInt(text.substr(11, 2), &hour) ||
      !parseInt(text.substr(14, 2), &minute) || !parseInt(text.substr(17, 2), &second) ||
      month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 ||
      year < 1970 || year > 9999) {
    return invalidArgument("timestamp '" + std::string(text) + "' is not a valid date and time");
  }
  int millis = 0;
  if (text.size() > 19) {
    if (text[19] != '.')
      return invalidArgument("timestamp '" + std::string(text) + "' has trailing text");
    std::string_view frac = text.substr(20, 3);
    int value = 0;
    if (frac.empty() || !parseInt(frac, &value)) {
      return invalidArgument("timestamp '" + std::string(text) + "' has a bad fraction");
    }
    for (size_t i = frac.size(); i < 3; ++i) value *= 10;
    millis = value;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

Status SensorCommunityCsvParser::parseHeader(std::string_view line) {
  auto cols = splitFields(trim(line), ';');
  column_count_ = cols.size();
  values_.clear();
  bool have_id = false, have_lat = false, have_lon = false, have_ts = false;
  for (size_t i = 0; i < cols.size(); ++i) {
    std::string_view c = trim(cols[i]);
    if (c == "sensor_id") {
      sensor_id_col_ = i;
      have_id = true;
    } else if (c == "lat") {
      lat_col_ = i;
      have_lat = true;
    } else if (c == "lon") {
      lon_col_ = i;
      have_lon = true;
    } else if (c == "timestamp") {
      timestamp_col_ = i;
      have_ts = true;
    } else if (c == "P1")
      values_.push_back({i, "P1", "pm10", "ug/m3", 1.0, 0.0, 1000.0});
    else if (c == "P2")
      values_.push_back({i, "P2", "pm2_5", "ug/m3", 1.0, 0.0, 1000.0});
    else if (c == "temperature")
      values_.push_back({i, "temperature", "temperature", "degC", 1.0, -60.0, 70.0});
    else if (c == "humidity")
      values_.push_back({i, "humidity", "relative_humidity", "percent", 1.0, 0.0, 100.0});
    else if (c == "pressure")
      values_.push_back({i, "pressure", "air_pressure", "hPa", 0.01, 300.0, 1100.0});
  }
  if (!have_id || !have_lat || !have_lon || !have_ts) {
    return invalidArgument(
        "header lacks sensor_id, lat, lon or timestamp: not a Sensor.Community archive CSV");
  }
  if (values_.empty())
    return invalidArgument(
        "header names no known value column (P1, P2, temperature, humidity, pressure)");
  have_header_ = true;
  return okStatus();
}

Result<ParsedRow> SensorCommunityCsvParser::parseRow(std::string_view line) const {
  if (!have_header_) return failedPrecondition("row before header");
  auto cols = splitFields(trim(line), ';');
  if (cols.size() != column_count_) {
    return invalidArgument("row has " + std::to_string(cols.size()) + " columns, header has " +
                           std::to_string(column_count_));
  }
  auto when = parseIsoUtcMs(cols[timestamp_col_]);
  if (!when.ok()) return when.status();
  double lat = 0, lon = 0;
  const bool has_position = !trim(cols[lat_col_]).empty() && !trim(cols[lon_col_]).empty();
  if (has_position &&
      (!parseDouble(trim(cols[lat_col_]), &lat) || !parseDouble(trim(cols[lon_col_]), &lon) ||
       std::abs(lat) > 90 || std::abs(lon) > 180)) {
    return invalidArgument("position '" + std::string(cols[lat_col_]) + ";" +
                           std::string(cols[lon_col_]) + "' is not a valid latitude;longitude");
  }
  const std::string sensor_ref(trim(cols[sensor_id_col_]));
  if (sensor_ref.empty()) return invalidArgument("sensor_id is empty");

  ParsedRow row;
  for (const auto& col : values_) {
    std::string_view text = trim(cols[col.index]);
    if (text.empty()) continue;  // the sensor did not report this value in this row
    double raw = 0;
    if (!parseDouble(text, &raw)) {
      row.rejected.push_back(
          {col.name, "malformed", "'" + std::string(text) + "' is not a number"});
      continue;
    }
    if (!std::isfinite(raw)) {
      row.rejected.push_back({col.name, "not_finite", std::string(text)});
      continue;
    }
    const double value = raw * col.scale;
    if (value < col.min || value > col.max) {
      row.rejected.push_back({col.name, "out_of_range",
                              std::to_string(value) + " " + col.unit + " outside [" +
                                  std::to_string(col.min) + ", " + std::to_string(col.max) + "]"});
      continue;
    }
    gateway::v1::Reading reading;
    reading.set_source_id(source_id_);
    reading.set_sensor_ref(sensor_ref);
    reading.set_quantity(col.quantity);
    reading.set_unit(col.unit);
    reading.set_value(value);
    reading.set_observed_unix_ms(*when);
    if (has_position) {
      reading.mutable_location()->set_lat(lat);
      reading.mutable_location()->set_lon(lon);
    }
    if (col.scale != 1.0) reading.set_quality_flags(gateway::v1::QUALITY_FLAG_CONVERTED);
    row.readings.push_back(std::move(reading));
  }
  return row;
}

}  // namespace gw::sources
