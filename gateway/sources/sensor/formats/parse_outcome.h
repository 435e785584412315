#pragma once
// What every sensor-format parser returns for one record (a CSV row, a JSON message): the readings
// it yields and the values it had to reject, each with a counter label and a detail for the log.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/v1/data.pb.h"

namespace gw::sources {

struct RejectedValue {
  std::string column;  // the field or column the value came from
  std::string reason;  // counter label: malformed, out_of_range, not_finite, unknown_unit, ...
  std::string detail;  // for the log
};

// A message's own number, where its sender counts its messages (a TTN uplink's f_cnt, a JSON
// reading's `seq`): the intake counts the numbers that never arrived and drops a redelivered
// message (sequence_gaps.h).
struct MessageNumber {
  std::string device;  // numbers count per device
  uint64_t value = 0;
  int bits = 64;             // the counter's width: after 2^bits - 1 it wraps to 0
  int64_t time_ms = 0;       // the message's own time: a counter that went back with a newer
                             // time is a restarted device, with an older one a late copy
  uint64_t fingerprint = 0;  // hash of the whole message: a QoS 1 redelivery is byte-identical
};

struct ParseOutcome {
  std::vector<gateway::v1::Reading> readings;
  std::vector<RejectedValue> rejected;
  std::optional<MessageNumber> number;  // when the format numbers its messages

  // Checks `value` (finite, convertible to the quantity's canonical unit, within its plausible
  // range) and adds a Reading built from `base` or a RejectedValue naming `column`.
  void addValue(const gateway::v1::Reading& base, const std::string& column,
                const std::string& quantity, const std::string& unit, double value);
};

}  // namespace gw::sources
