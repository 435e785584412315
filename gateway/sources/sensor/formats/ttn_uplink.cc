#include "gateway/sources/sensor/formats/ttn_uplink.h"

#include <sodium.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "gateway/sources/sensor/formats/cayenne_lpp.h"
#include "gateway/sources/sensor/formats/quantities.h"
#include "gateway/sources/sensor/formats/time_parse.h"

namespace gw::sources {
namespace {

using nlohmann::json;

std::string canonicalField(const std::string& name) {
  if (name == "pm25" || name == "pm2.5" || name == "PM2.5" || name == "pm2_5") return "pm2_5";
  if (name == "PM10") return "pm10";
  if (name == "humidity" || name == "rh") return "relative_humidity";
  if (name == "pressure" || name == "airpressure" || name == "barometer") return "air_pressure";
  return name;
}

void fromDecodedPayload(const json& decoded, const gateway::v1::Reading& base,
                        const TtnMapping& mapping, ParseOutcome* out) {
  for (const auto& [name, value] : decoded.items()) {
    auto mapped = mapping.fields.find(name);
    const std::string quantity =
        mapped != mapping.fields.end() ? mapped->second : canonicalField(name);
    const auto info = findQuantity(quantity);
    if (!info) continue;  // formatter fields we have no use for (battery, version, ...)
    if (!value.is_number()) {
      out->rejected.push_back({name, "malformed", "value is not a number"});
      continue;
    }
    out->addValue(base, name, quantity, info->unit, value.get<double>());
  }
}

Status fromLpp(const std::string& base64, const gateway::v1::Reading& base,
               const TtnMapping& mapping, ParseOutcome* out) {
  std::string bytes(base64.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), base64.data(),
                        base64.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return invalidArgument("frm_payload is not base64");
  }
  bytes.resize(len);
  auto values = decodeCayenneLpp(bytes);
  if (!values.ok()) return values.status();
  for (const auto& v : *values) {
    const std::string column =
        "lpp channel " + std::to_string(v.channel) + " type " + std::to_string(v.type);
    switch (v.type) {
      case 103:
        out->addValue(base, column, "temperature", "degC", v.value);
        break;
      case 104:
        out->addValue(base, column, "relative_humidity", "percent", v.value);
        break;
      case 115:
        out->addValue(base, column, "air_pressure", "hPa", v.value);
        break;
      case 101:
        out->addValue(base, column, "illuminance", "lx", v.value);
        break;
      case 2: {
        auto it = mapping.lpp_analog_channels.find(v.channel);
        if (it == mapping.lpp_analog_channels.end()) {
          out->rejected.push_back(
              {column, "unmapped_channel", "no quantity configured for this channel"});
        } else if (auto info = findQuantity(it->second)) {
          out->addValue(base, column, it->second, info->unit, v.value);
        } else {
          out->rejected.push_back({column, "unknown_quantity", it->second});
        }
        break;
      }
      default:
        break;  // digital I/O, presence, motion, GPS: not measurements we route
    }
  }
  return okStatus();
}

}  // namespace

Result<ParseOutcome> parseTtnUplink(std::string_view text, const std::string& source_id,
                                    const TtnMapping& mapping) {
  const auto doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return invalidArgument("uplink is not a JSON object");
  const auto uplink = doc.find("uplink_message");
  if (uplink == doc.end() || !uplink->is_object()) {
    return invalidArgument("no 'uplink_message': not a TTN v3 uplink");
  }
  gateway::v1::Reading base;
  base.set_source_id(source_id);
  const auto ids = doc.find("end_device_ids");
  if (ids != doc.end() && ids->is_object() && ids->contains("device_id") &&
      (*ids)["device_id"].is_string()) {
    base.set_sensor_ref((*ids)["device_id"].get<std::string>());
  }
  const auto received = doc.find("received_at");
  if (received == doc.end() || !received->is_string())
    return invalidArgument("no 'received_at' time");
  auto when = parseIsoUtcMs(received->get<std::string>());
  if (!when.ok()) return when.status();
  base.set_observed_unix_ms(*when);

  ParseOutcome out;
  // LoRaWAN's uplink frame counter, 32 bits in TTN v3. TTN leaves out fields that are 0, so the
  // first uplink after a join carries none: such an uplink is simply not numbered.
  if (auto f_cnt = uplink->find("f_cnt");
      f_cnt != uplink->end() && f_cnt->is_number_unsigned() && !base.sensor_ref().empty()) {
    out.number = MessageNumber{base.sensor_ref(), f_cnt->get<uint64_t>(), 32,
                               base.observed_unix_ms(), std::hash<std::string_view>{}(text)};
  }
  if (auto decoded = uplink->find("decoded_payload");
      decoded != uplink->end() && decoded->is_object()) {
    fromDecodedPayload(*decoded, base, mapping, &out);
  } else if (auto frm = uplink->find("frm_payload"); frm != uplink->end() && frm->is_string()) {
    GW_RETURN_IF_ERROR(fromLpp(frm->get<std::string>(), base, mapping, &out));
  } else {
    return invalidArgument("uplink has neither decoded_payload nor frm_payload");
  }
  return out;
}

}  // namespace gw::sources
