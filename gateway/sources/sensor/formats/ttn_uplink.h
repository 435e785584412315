#pragma once
// The Things Network v3 uplink message (the JSON TTN publishes on
// v3/<app>@ttn/devices/<device>/up). Readings come from `uplink_message.decoded_payload` when the
// application has a payload formatter, otherwise from `uplink_message.frm_payload` decoded as
// Cayenne LPP. The device id becomes the reading's sensor_ref; `received_at` its time;
// `uplink_message.f_cnt` the message's number (ParseOutcome::number).
#include <map>
#include <string>
#include <string_view>

#include "gateway/core/status.h"
#include "gateway/sources/sensor/formats/parse_outcome.h"

namespace gw::sources {

struct TtnMapping {
  // decoded_payload field -> quantity (unit taken as the quantity's canonical unit, except
  // `pressure`/`airpressure`/`barometer`, which TTN formatters give in hPa). Fields not listed are
  // looked up under their own name (pm10, pm2_5, temperature, ...) and ignored if unknown.
  std::map<std::string, std::string> fields;
  // LPP analog channel -> quantity (LPP has no type for particulate matter; devices put PM on
  // analog channels, e.g. channel 1 = pm10, channel 2 = pm2_5).
  std::map<int, std::string> lpp_analog_channels;
};

Result<ParseOutcome> parseTtnUplink(std::string_view json, const std::string& source_id,
                                    const TtnMapping& mapping);

}  // namespace gw::sources
