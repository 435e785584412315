// Fuzzes every sensor-format parser. The first input byte picks the parser, the rest is the input:
//   0 waterinfo CSV, 1 KNMI hourly CSV, 2 Sensor.Community push JSON, 3 TTN v3 uplink JSON,
//   4 JSON reading line, 5 Cayenne LPP bytes, 6 length-prefixed protobuf stream.
// Invariant checked beyond "no crash": no parser ever yields a non-finite or out-of-range value.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "gateway/sources/sensor/formats/cayenne_lpp.h"
#include "gateway/sources/sensor/formats/json_reading.h"
#include "gateway/sources/sensor/formats/knmi_hourly_csv.h"
#include "gateway/sources/sensor/formats/length_prefixed_readings.h"
#include "gateway/sources/sensor/formats/quantities.h"
#include "gateway/sources/sensor/formats/sensor_community_push.h"
#include "gateway/sources/sensor/formats/text_split.h"
#include "gateway/sources/sensor/formats/ttn_uplink.h"
#include "gateway/sources/sensor/formats/waterinfo_csv.h"

namespace {

void check(const gw::sources::ParseOutcome& out) {
  for (const auto& r : out.readings) {
    const auto q = gw::sources::findQuantity(r.quantity());
    if (!q || !std::isfinite(r.value()) || r.value() < q->min || r.value() > q->max)
      __builtin_trap();
  }
}

void lines(gw::sources::RecordParser& parser, std::string_view text) {
  auto all = gw::sources::splitLines(text);
  if (all.empty() || !parser.parseHeader(all[0]).ok()) return;
  for (size_t i = 1; i < all.size(); ++i) {
    auto row = parser.parseRow(all[i]);
    if (row.ok()) check(*row);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 7) {
    case 0: {
      gw::sources::WaterinfoCsvParser p("f");
      lines(p, input);
      break;
    }
    case 1: {
      gw::sources::KnmiHourlyCsvParser p("f");
      lines(p, input);
      break;
    }
    case 2:
      if (auto r = gw::sources::parseSensorCommunityPush(input, "f", 0); r.ok()) check(*r);
      break;
    case 3: {
      gw::sources::TtnMapping mapping;
      mapping.lpp_analog_channels = {{1, "pm10"}, {2, "pm2_5"}};
      if (auto r = gw::sources::parseTtnUplink(input, "f", mapping); r.ok()) check(*r);
      break;
    }
    case 4:
      if (auto r = gw::sources::parseJsonReading(input, "f"); r.ok()) check(*r);
      break;
    case 5:
      (void)gw::sources::decodeCayenneLpp(input);
      break;
    case 6: {
      gw::sources::LengthPrefixedReadingDecoder decoder(1024);
      (void)decoder.feed(input);
      break;
    }
  }
  return 0;
}
