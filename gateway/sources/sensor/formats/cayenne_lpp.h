#pragma once
// Cayenne Low Power Payload (LPP) decoding: a sequence of [channel][type][data] items.
// Types (IPSO id - 3200): 0 digital in (1 B), 1 digital out (1 B), 2 analog in (2 B signed,
// 0.01), 3 analog out (2 B signed, 0.01), 101 illuminance (2 B, 1 lx), 102 presence (1 B),
// 103 temperature (2 B signed, 0.1 degC), 104 humidity (1 B, 0.5 %), 113 accelerometer (6 B),
// 115 barometer (2 B, 0.1 hPa), 134 gyrometer (6 B), 136 GPS (9 B). Multi-byte values are
// big-endian.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/status.h"

namespace gw::sources {

struct LppValue {
  uint8_t channel;
  uint8_t type;
  double value;  // scaled; for the multi-axis types, the first axis / latitude
};

// InvalidArgument on an unknown type or a truncated item (nothing is returned then: a payload that
// cannot be walked completely cannot be trusted partly either).
Result<std::vector<LppValue>> decodeCayenneLpp(std::string_view bytes);

}  // namespace gw::sources
