#pragma once
// One reading as a JSON object, the line format of Lantaarn's UDP/TCP listeners:
//   {"sensor":"pm-01","quantity":"pm10","unit":"ug/m3","value":12.5,"time":"2024-05-01T12:00:00Z"}
// `time` may instead be `time_ms` (Unix milliseconds); `lat`/`lon` are optional; `seq`, optional,
// is the sender's message counter per sensor (+1 per message), for gap counting. Units are
// converted to the quantity's canonical unit (units.h); without `unit` the value is taken to be in
// that canonical unit already.
#include <string>
#include <string_view>

#include "gateway/core/status.h"
#include "gateway/sources/sensor/formats/parse_outcome.h"

namespace gw::sources {

Result<ParseOutcome> parseJsonReading(std::string_view line, const std::string& source_id);

}  // namespace gw::sources
