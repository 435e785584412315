#include "gateway/sources/sensor/sensor_community_csv.h"

#include <charconv>
#include <cmath>

#include "gateway/sources/sensor/formats/text_split.h"

namespace gw::sources {
namespace {

bool parseDouble(std::string_view text, double* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return !text.empty() && ec == std::errc() && ptr == end;
}

}  // namespace

Status SensorCommunityCsvParser::parseHeader(std::string_view line) {
  auto cols = splitFields(trimField(line), ';');
  column_count_ = cols.size();
  values_.clear();
  bool have_id = false, have_lat = false, have_lon = false, have_ts = false;
  for (size_t i = 0; i < cols.size(); ++i) {
    const std::string_view c = trimField(cols[i]);
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
      values_.push_back({i, "P1", "pm10", "ug/m3"});
    else if (c == "P2")
      values_.push_back({i, "P2", "pm2_5", "ug/m3"});
    else if (c == "P0")
      values_.push_back({i, "P0", "pm1", "ug/m3"});
    else if (c == "temperature")
      values_.push_back({i, "temperature", "temperature", "degC"});
    else if (c == "humidity")
      values_.push_back({i, "humidity", "relative_humidity", "percent"});
    else if (c == "pressure")
      values_.push_back({i, "pressure", "air_pressure", "Pa"});
  }
  if (!have_id || !have_lat || !have_lon || !have_ts) {
    return invalidArgument(
        "header lacks sensor_id, lat, lon or timestamp: not a Sensor.Community archive CSV");
  }
  if (values_.empty()) {
    return invalidArgument(
        "header names no known value column (P0, P1, P2, temperature, humidity, pressure)");
  }
  have_header_ = true;
  return okStatus();
}

Result<ParseOutcome> SensorCommunityCsvParser::parseRow(std::string_view line) {
  if (!have_header_) return failedPrecondition("row before header");
  auto cols = splitFields(trimField(line), ';');
  if (cols.size() != column_count_) {
    return invalidArgument("row has " + std::to_string(cols.size()) + " columns, header has " +
                           std::to_string(column_count_));
  }
  auto when = parseIsoUtcMs(cols[timestamp_col_]);
  if (!when.ok()) return when.status();
  const std::string_view lat_text = trimField(cols[lat_col_]), lon_text = trimField(cols[lon_col_]);
  double lat = 0, lon = 0;
  const bool has_position = !lat_text.empty() && !lon_text.empty();
  if (has_position && (!parseDouble(lat_text, &lat) || !parseDouble(lon_text, &lon) ||
                       std::abs(lat) > 90 || std::abs(lon) > 180)) {
    return invalidArgument("position '" + std::string(lat_text) + ";" + std::string(lon_text) +
                           "' is not a valid latitude;longitude");
  }
  const std::string sensor_ref(trimField(cols[sensor_id_col_]));
  if (sensor_ref.empty()) return invalidArgument("sensor_id is empty");

  gateway::v1::Reading base;
  base.set_source_id(source_id_);
  base.set_sensor_ref(sensor_ref);
  base.set_observed_unix_ms(*when);
  if (has_position) {
    base.mutable_location()->set_lat(lat);
    base.mutable_location()->set_lon(lon);
  }
  ParseOutcome row;
  for (const auto& col : values_) {
    const std::string_view text = trimField(cols[col.index]);
    if (text.empty()) {  // the sensor did not report this value in this row: counted, not hidden
      row.rejected.push_back({col.name, "empty_value", "the column is empty"});
      continue;
    }
    double raw = 0;
    if (!parseDouble(text, &raw)) {
      row.rejected.push_back(
          {col.name, "malformed", "'" + std::string(text) + "' is not a number"});
      continue;
    }
    row.addValue(base, col.name, col.quantity, col.unit, raw);
  }
  return row;
}

}  // namespace gw::sources
