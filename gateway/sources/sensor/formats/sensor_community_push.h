#pragma once
// The Sensor.Community (airrohr firmware) HTTP push body:
//   {"esp8266id":"11545355","software_version":"NRZ-2020-133",
//    "sensordatavalues":[{"value_type":"SDS_P1","value":"6.35"}, ...]}
// Known value types: SDS_P1/SDS_P2 (and PMS_, SPS30_, HPM_ variants) -> pm10/pm2_5 (P0 -> pm1);
// <sensor>_temperature, <sensor>_humidity, <sensor>_pressure (Pa) for BME280/BMP280/DHT22/SHT3X,
// plain temperature/humidity. Housekeeping values (samples, min_micro, max_micro, interval,
// signal) are ignored; other unknown types are rejected as `unknown_value_type`.
#include <string>
#include <string_view>

#include "gateway/core/status.h"
#include "gateway/sources/sensor/formats/parse_outcome.h"

namespace gw::sources {

// `received_unix_ms` stamps the readings: the push format carries no time of its own.
Result<ParseOutcome> parseSensorCommunityPush(std::string_view body, const std::string& source_id,
                                              int64_t received_unix_ms);

}  // namespace gw::sources
