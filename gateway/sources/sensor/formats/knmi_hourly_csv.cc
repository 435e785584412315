#include "gateway/sources/sensor/formats/knmi_hourly_csv.h"

#include <charconv>

#include "gateway/sources/sensor/formats/text_split.h"
#include "gateway/sources/sensor/formats/time_parse.h"

namespace gw::sources {

Status KnmiHourlyCsvParser::parseHeader(std::string_view line) {
  auto cols = splitFields(line, ',');
  if (cols.size() != 2 || trimField(cols[0]) != "Datetime" ||
      trimField(cols[1]) != "Precipitation") {
    return invalidArgument(
        "header is not 'Datetime,Precipitation': not a KNMI hourly precipitation CSV");
  }
  return okStatus();
}

Result<ParseOutcome> KnmiHourlyCsvParser::parseRow(std::string_view line) {
  auto cols = splitFields(line, ',');
  if (cols.size() != 2) {
    return invalidArgument("row has " + std::to_string(cols.size()) + " columns, expected 2");
  }
  auto when = parseIsoUtcMs(cols[0]);
  if (!when.ok()) return when.status();
  ParseOutcome out;
  const std::string_view text = trimField(cols[1]);
  if (text.empty()) {
    out.rejected.push_back({"Precipitation", "empty_value", "the column is empty"});
    return out;
  }
  double mm = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), mm);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    out.rejected.push_back(
        {"Precipitation", "malformed", "'" + std::string(text) + "' is not a number"});
    return out;
  }
  gateway::v1::Reading base;
  base.set_source_id(source_id_);
  base.set_observed_unix_ms(*when);
  out.addValue(base, "Precipitation", "rain_intensity", "mm/h", mm);
  return out;
}

}  // namespace gw::sources
