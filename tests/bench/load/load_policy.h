#pragma once
// The policy a load run gives gatewayd: `sensors` json_reading sources on their own ports (or,
// with transport mqtt, each an MQTT source subscribed to its sensor's topic), each routed to one
// actor (round robin, so every actor gets at least one source) or, with routing city, by
// quantity to a realistic table of six actors; and, when alarms
// are asked for, an alarm source whose threshold detector raises an event per reading, routed
// to the first actor at priority alarm. Also the encoding of the send time into a reading, which
// is how latency is measured from reading to decrypted message.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/bench/load/load_options.h"

namespace gw::load {

inline constexpr const char* kSite = "load-site";

std::string actorId(int index);   // a0, a1, ...
std::string sourceId(int index);  // src-0, ...
inline constexpr const char* kAlarmSource = "alarm-src";

// The actors whose routes cover background source `source`.
std::vector<int> actorsOfSource(const LoadOptions& options, int source);
// The quantity background source `source` reports (pm10, or the city table's).
std::string quantityOfSource(const LoadOptions& options, int source);
inline constexpr int kCityActors = 6;

// `sensor_broker_url`: the broker the MQTT sources subscribe at (transport mqtt).
std::string loadPolicy(const LoadOptions& options, const std::filesystem::path& keys,
                       const std::vector<int>& source_ports, int alarm_port,
                       const std::string& sensor_broker_url = {});

// A reading carries its send time (wall clock, µs) as observed_unix_ms (the milliseconds) and the
// fraction of its value (the microseconds within the millisecond, in thousandths), so that
// nothing outside the reading is needed to time it; the value range stays plausible.
struct Stamp {
  int64_t time_ms;
  double value;
};
Stamp stampFor(int64_t send_us, double whole_value);
int64_t sendTimeOf(int64_t observed_unix_ms, double value);

// One json_reading line; `sensor` carries the reading's sequence number (as sensor_ref).
std::string readingLine(const std::string& quantity, uint64_t sequence, const Stamp& stamp);

}  // namespace gw::load
