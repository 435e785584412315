#include "gateway/sources/sensor/formats/sensor_community_push.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace gw::sources {
namespace {

struct Mapping {
  std::string quantity;
  std::string unit;
};

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// nullopt: housekeeping to ignore; empty quantity: unknown.
std::optional<Mapping> mapValueType(std::string_view type) {
  if (type == "samples" || type == "min_micro" || type == "max_micro" || type == "interval" ||
      type == "signal" || type == "GPS_lat" || type == "GPS_lon" || type == "GPS_height" ||
      type == "GPS_date" || type == "GPS_time") {
    return std::nullopt;
  }
  if (endsWith(type, "_P1") || type == "P1") return Mapping{"pm10", "ug/m3"};
  if (endsWith(type, "_P2") || type == "P2") return Mapping{"pm2_5", "ug/m3"};
  if (endsWith(type, "_P0") || type == "P0") return Mapping{"pm1", "ug/m3"};
  if (endsWith(type, "temperature")) return Mapping{"temperature", "degC"};
  if (endsWith(type, "humidity")) return Mapping{"relative_humidity", "percent"};
  if (endsWith(type, "pressure")) return Mapping{"air_pressure", "Pa"};
  if (type == "noise_LAeq") return Mapping{"noise_level", "dB(A)"};
  return Mapping{};
}

}  // namespace

Result<ParseOutcome> parseSensorCommunityPush(std::string_view body, const std::string& source_id,
                                              int64_t received_unix_ms) {
  const auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return invalidArgument("body is not a JSON object");
  const auto values = doc.find("sensordatavalues");
  if (values == doc.end() || !values->is_array()) {
    return invalidArgument("body has no 'sensordatavalues' array");
  }
  gateway::v1::Reading base;
  base.set_source_id(source_id);
  base.set_observed_unix_ms(received_unix_ms);
  if (auto id = doc.find("esp8266id"); id != doc.end() && id->is_string()) {
    base.set_sensor_ref("esp8266-" + id->get<std::string>());
  }
  ParseOutcome out;
  for (const auto& item : *values) {
    if (!item.is_object() || !item.contains("value_type") || !item["value_type"].is_string() ||
        !item.contains("value")) {
      out.rejected.push_back(
          {"sensordatavalues", "malformed", "entry without value_type and value"});
      continue;
    }
    const std::string type = item["value_type"].get<std::string>();
    const auto mapping = mapValueType(type);
    if (!mapping) continue;
    if (mapping->quantity.empty()) {
      out.rejected.push_back({type, "unknown_value_type", type});
      continue;
    }
    double value = 0;
    if (item["value"].is_number()) {
      value = item["value"].get<double>();
    } else if (item["value"].is_string()) {
      const std::string text = item["value"].get<std::string>();
      if (text.empty()) {
        out.rejected.push_back({type, "empty_value", "the value is empty"});
        continue;
      }
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
        out.rejected.push_back({type, "malformed", "'" + text + "' is not a number"});
        continue;
      }
    } else {
      out.rejected.push_back({type, "malformed", "value is neither a number nor a string"});
      continue;
    }
    out.addValue(base, type, mapping->quantity, mapping->unit, value);
  }
  return out;
}

}  // namespace gw::sources
