// Fuzzes the Sensor.Community CSV parser: first line is the header, the rest are rows.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "gateway/sources/sensor/sensor_community_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gw::sources::SensorCommunityCsvParser parser("fuzz");
  size_t eol = text.find('\n');
  if (!parser.parseHeader(text.substr(0, eol)).ok() || eol == std::string_view::npos) return 0;
  text.remove_prefix(eol + 1);
  while (!text.empty()) {
    eol = text.find('\n');
    auto row = parser.parseRow(text.substr(0, eol));
    if (row.ok()) {
      for (const auto& r : row->readings) {
        if (!std::isfinite(r.value())) __builtin_trap();  // non-finite values must never pass
      }
    }
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  return 0;
}
