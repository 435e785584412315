#include "gateway/sources/sensor/formats/generic_csv.h"

#include <charconv>

#include "gateway/sources/sensor/formats/text_split.h"
#include "gateway/sources/sensor/formats/time_parse.h"

namespace gw::sources {

GenericCsvParser::GenericCsvParser(std::string source_id, gateway::v1::CsvColumnMap map)
    : source_id_(std::move(source_id)), map_(std::move(map)) {
  if (!map_.separator().empty()) separator_ = map_.separator()[0];
}

Status GenericCsvParser::parseHeader(std::string_view line) {
  auto cols = splitFields(line, separator_);
  columns_ = cols.size();
  auto find = [&](const std::string& name) -> int {
    for (size_t i = 0; i < cols.size(); ++i) {
      if (trimField(cols[i]) == name) return static_cast<int>(i);
    }
    return -1;
  };
  const int time = find(map_.time_column());
  if (time < 0) return invalidArgument("header has no time column '" + map_.time_column() + "'");
  time_ = static_cast<size_t>(time);
  if (!map_.sensor_column().empty() && (sensor_ = find(map_.sensor_column())) < 0) {
    return invalidArgument("header has no sensor column '" + map_.sensor_column() + "'");
  }
  if (!map_.filter_column().empty() && (filter_ = find(map_.filter_column())) < 0) {
    return invalidArgument("header has no filter column '" + map_.filter_column() + "'");
  }
  values_.clear();
  for (const auto& v : map_.values()) {
    const int index = find(v.column());
    if (index < 0) return invalidArgument("header has no value column '" + v.column() + "'");
    values_.push_back({static_cast<size_t>(index), v.column(), v.quantity(), v.unit()});
  }
  if (values_.empty()) return invalidArgument("the column map names no value columns");
  return okStatus();
}

Result<ParseOutcome> GenericCsvParser::parseRow(std::string_view line) {
  auto cols = splitFields(line, separator_);
  if (cols.size() != columns_) {
    return invalidArgument("row has " + std::to_string(cols.size()) + " columns, header has " +
                           std::to_string(columns_));
  }
  ParseOutcome out;
  if (filter_ >= 0 && trimField(cols[static_cast<size_t>(filter_)]) != map_.filter_value())
    return out;
  gateway::v1::Reading base;
  base.set_source_id(source_id_);
  const std::string_view time_text = trimField(cols[time_]);
  if (map_.time_format() == "unix_ms") {
    int64_t ms = 0;
    auto [ptr, ec] = std::from_chars(time_text.data(), time_text.data() + time_text.size(), ms);
    if (ec != std::errc() || ptr != time_text.data() + time_text.size()) {
      return invalidArgument("time '" + std::string(time_text) + "' is not Unix milliseconds");
    }
    base.set_observed_unix_ms(ms);
  } else {
    auto when = parseIsoUtcMs(time_text);
    if (!when.ok()) return when.status();
    base.set_observed_unix_ms(*when);
  }
  if (sensor_ >= 0) base.set_sensor_ref(std::string(trimField(cols[static_cast<size_t>(sensor_)])));
  for (const auto& c : values_) {
    const std::string_view text = trimField(cols[c.index]);
    if (text.empty()) {  // counted: a sensor that stops filling a column must show
      out.rejected.push_back({c.name, "empty_value", "the column is empty"});
      continue;
    }
    double value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      out.rejected.push_back({c.name, "malformed", "'" + std::string(text) + "' is not a number"});
      continue;
    }
    out.addValue(base, c.name, c.quantity, c.unit, value);
  }
  return out;
}

}  // namespace gw::sources
