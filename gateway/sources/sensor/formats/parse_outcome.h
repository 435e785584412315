#pragma once
// What every sensor-format parser returns for one record (a CSV row, a JSON message): the readings
// it yields and the values it had to reject, each with a counter label and a detail for the log.
#include <string>
#include <vector>

#include "gateway/v1/data.pb.h"

namespace gw::sources {

struct RejectedValue {
  std::string column;  // the field or column the value came from
  std::string reason;  // counter label: malformed, out_of_range, not_finite, unknown_unit, ...
  std::string detail;  // for the log
};

struct ParseOutcome {
  std::vector<gateway::v1::Reading> readings;
  std::vector<RejectedValue> rejected;

  // Checks `value` (finite, convertible to the quantity's canonical unit, within its plausible
  // range) and adds a Reading built from `base` or a RejectedValue naming `column`.
  void addValue(const gateway::v1::Reading& base, const std::string& column,
                const std::string& quantity, const std::string& unit, double value);
};

}  // namespace gw::sources
