#include "gateway/sources/sensor/formats/json_reading.h"

#include <functional>
#include <nlohmann/json.hpp>

#include "gateway/sources/sensor/formats/quantities.h"
#include "gateway/sources/sensor/formats/time_parse.h"

namespace gw::sources {

Result<ParseOutcome> parseJsonReading(std::string_view line, const std::string& source_id) {
  const auto doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return invalidArgument("not a JSON object");
  auto text = [&](const char* key) -> std::string {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string quantity = text("quantity");
  if (quantity.empty()) return invalidArgument("'quantity' is missing or not a string");
  const auto value = doc.find("value");
  // null or "": a reading without a value, counted as empty_value rather than a broken message.
  const bool empty =
      value != doc.end() &&
      (value->is_null() || (value->is_string() && value->get_ref<const std::string&>().empty()));
  if (!empty && (value == doc.end() || !value->is_number()))
    return invalidArgument("'value' is missing or not a number");

  gateway::v1::Reading base;
  base.set_source_id(source_id);
  base.set_sensor_ref(text("sensor"));
  if (auto t = doc.find("time_ms"); t != doc.end() && t->is_number_integer()) {
    base.set_observed_unix_ms(t->get<int64_t>());
  } else if (!text("time").empty()) {
    auto when = parseIsoUtcMs(text("time"));
    if (!when.ok()) return when.status();
    base.set_observed_unix_ms(*when);
  } else {
    return invalidArgument("'time' (ISO 8601) or 'time_ms' is required");
  }
  auto lat = doc.find("lat"), lon = doc.find("lon");
  if (lat != doc.end() && lon != doc.end()) {
    if (!lat->is_number() || !lon->is_number() || std::abs(lat->get<double>()) > 90 ||
        std::abs(lon->get<double>()) > 180) {
      return invalidArgument("'lat'/'lon' are not a valid position");
    }
    base.mutable_location()->set_lat(lat->get<double>());
    base.mutable_location()->set_lon(lon->get<double>());
  }
  ParseOutcome out;
  if (auto seq = doc.find("seq"); seq != doc.end()) {
    if (!seq->is_number_unsigned()) return invalidArgument("'seq' is not a non-negative integer");
    out.number = MessageNumber{base.sensor_ref(), seq->get<uint64_t>(), 64, base.observed_unix_ms(),
                               std::hash<std::string_view>{}(line)};
  }
  // Without a unit the value is taken to be in the quantity's canonical unit (quantities.h).
  std::string unit = text("unit");
  if (unit.empty()) {
    if (auto info = findQuantity(quantity)) unit = info->unit;
  }
  if (empty) {
    out.rejected.push_back({"value", "empty_value", "the value is empty"});
    return out;
  }
  out.addValue(base, "value", quantity, unit, value->get<double>());
  return out;
}

}  // namespace gw::sources
