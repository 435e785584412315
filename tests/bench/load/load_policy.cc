#include "tests/bench/load/load_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tests/bench/load/mqtt_feeder.h"

namespace gw::load {

namespace {

// --routing city: a city's sensor network shared by six actors. Sensor s reports the quantity of
// row s % 5; each row goes to the actors listed (a0 environment department, a1 public health
// service, a2 university, a3 open-data portal, a4 water board, a5 emergency services):
//
//   quantity     actors              fan-out
//   pm10         a0 a1 a2 a3         4
//   pm2_5        a0 a1 a3            3
//   no2          a0 a2 a3            3
//   water_level  a4 a5               2
//   noise_level  a0 a5               2
//
// 14 messages per 5 readings: 2.8 per reading on average when the sensors are a multiple of 5
// (readings are spread evenly over the sensors); the report states the fan-out of the run.
struct CityRow {
  const char* quantity;
  std::vector<int> actors;
};
const std::vector<CityRow>& cityTable() {
  static const std::vector<CityRow> table = {{"pm10", {0, 1, 2, 3}},
                                             {"pm2_5", {0, 1, 3}},
                                             {"no2", {0, 2, 3}},
                                             {"water_level", {4, 5}},
                                             {"noise_level", {0, 5}}};
  return table;
}

const CityRow& cityRow(int source) {
  return cityTable()[static_cast<size_t>(source) % cityTable().size()];
}

}  // namespace

std::string actorId(int index) { return "a" + std::to_string(index); }
std::string sourceId(int index) { return "src-" + std::to_string(index); }

std::vector<int> actorsOfSource(const LoadOptions& options, int source) {
  if (options.routing == "city") return cityRow(source).actors;
  std::vector<int> out;
  for (int a = 0; a < options.actors; ++a) {
    // Source s goes to actor s % actors; actors beyond the sources also take source a % sensors,
    // so that every actor has traffic.
    if (source % options.actors == a || (a >= options.sensors && a % options.sensors == source)) {
      out.push_back(a);
    }
  }
  return out;
}

std::string quantityOfSource(const LoadOptions& options, int source) {
  return options.routing == "city" ? cityRow(source).quantity : "pm10";
}

std::string loadPolicy(const LoadOptions& options, const std::filesystem::path& keys,
                       const std::vector<int>& source_ports, int alarm_port,
                       const std::string& sensor_broker_url) {
  std::string p = std::string("site: {id: ") + kSite + "}\n";
  p += "gateway:\n";
  p += "  identity_key_file: " + (keys / "gateway.key").string() + "\n";
  p += "  max_inflight: " + std::to_string(options.max_inflight) + "\n";
  p += "  broker: {mqtt_version: \"" + options.mqtt_version + "\"}\n";
  p += "  backlog_batching: {mode: " + options.backlog_batching + "}\n";
  // Room for every reading of a run, so the measurement is of throughput, not of backpressure.
  p += "  outbox_max_messages: 1000000\n";
  if (options.fsync != "memory") p += "  outbox: {fsync: " + options.fsync + "}\n";
  p += "actors:\n";
  for (int a = 0; a < options.actors; ++a) {
    p += "  - {id: " + actorId(a) +
         ", public_key_file: " + (keys / (actorId(a) + ".pub")).string() +
         ", purposes: [air_quality_monitoring, public_health, emergency_care]}\n";
  }
  p += "sources:\n";
  for (int s = 0; s < options.sensors; ++s) {
    p += "  - id: " + sourceId(s) + "\n    sensor: {format: json_reading, ";
    if (options.transport == "mqtt") {
      p += "mqtt: {broker_url: \"" + sensor_broker_url + "\", topics: [\"" +
           sensorTopic(sourceId(s), quantityOfSource(options, s)) + "\"], mqtt_version: \"" +
           options.mqtt_version + "\"}}\n";
    } else {
      p += options.transport + ": {port: " + std::to_string(source_ports[s]) + "}}\n";
    }
  }
  if (alarm_port > 0) {
    p += std::string("  - id: ") + kAlarmSource +
         "\n    sensor: {format: json_reading, tcp: {port: " + std::to_string(alarm_port) + "}}\n";
  }
  for (int c = 0; c < options.cameras; ++c) {
    p += "  - id: cam-" + std::to_string(c) + "\n    camera: {uri: \"" + options.camera_file +
         "\", fps: " + std::to_string(options.camera_fps) +
         ", width: 640, height: 360, loop: true, realtime: true";
    // As a policy masks a camera's view (docs/POLICY.md): a house window in the top left corner
    // and a slanted strip of the neighbours' facade along the top right.
    if (options.camera_masks) {
      p +=
          ",\n      privacy_masks: [{points: [{x: 0.0, y: 0.0}, {x: 0.3, y: 0.0}, {x: 0.3, y: "
          "0.25}, "
          "{x: 0.0, y: 0.25}]}, {points: [{x: 0.625, y: 0.0}, {x: 1.0, y: 0.0}, {x: 1.0, y: 0.11}, "
          "{x: 0.66, y: 0.17}]}]";
    }
    p += "}\n";
  }
  if (alarm_port > 0 || options.cameras > 0) p += "detectors:\n";
  if (alarm_port > 0) {
    p += std::string("  - {id: alarm-level, sources: [") + kAlarmSource +
         "], isolation: " + options.alarm_isolation +
         ", threshold: {quantity: water_level, above: 1000, clear_below: 1000, severity: "
         "alarm}}\n";
  }
  for (int c = 0; c < options.cameras; ++c) {
    p += "  - {id: fall-" + std::to_string(c) + ", sources: [cam-" + std::to_string(c) +
         "], fall: {}}\n";
  }
  p += "routes:\n";
  for (int a = 0; a < options.actors; ++a) {
    std::string sources;
    std::vector<std::string> quantities;
    for (int s = 0; s < options.sensors; ++s) {
      const auto actors = actorsOfSource(options, s);
      if (std::find(actors.begin(), actors.end(), a) == actors.end()) continue;
      sources += (sources.empty() ? "" : ", ") + sourceId(s);
      const std::string q = quantityOfSource(options, s);
      if (std::find(quantities.begin(), quantities.end(), q) == quantities.end()) {
        quantities.push_back(q);
      }
    }
    if (sources.empty()) continue;  // city routing with fewer sensors than rows
    std::string measurements;
    for (const auto& q : quantities) measurements += (measurements.empty() ? "" : ", ") + q;
    p += "  - {id: r" + std::to_string(a) + ", to: " + actorId(a) +
         ", purpose: air_quality_monitoring, from: {measurements: [" + measurements +
         "], sources: [" + sources + "]}";
    if (options.batch > 0) {
      p += ", batch: {max_readings: " + std::to_string(options.batch) +
           ", linger: " + options.linger + "}";
    }
    p += "}\n";
  }
  if (alarm_port > 0) {
    p += "  - {id: alarms, to: " + actorId(0) +
         ", purpose: public_health, priority: alarm, from: {detectors: [alarm-level]}}\n";
  }
  if (options.cameras > 0) {
    std::string falls;
    for (int c = 0; c < options.cameras; ++c) {
      falls += (c == 0 ? "fall-" : ", fall-") + std::to_string(c);
    }
    p += "  - {id: falls, to: " + actorId(0) +
         ", purpose: emergency_care, legal_basis: load test, " + "from: {detectors: [" + falls +
         "]}}\n";
  }
  return p;
}

Stamp stampFor(int64_t send_us, double whole_value) {
  return {send_us / 1000, whole_value + static_cast<double>(send_us % 1000) / 1000.0};
}

int64_t sendTimeOf(int64_t observed_unix_ms, double value) {
  const double fraction = value - std::floor(value);
  return observed_unix_ms * 1000 + std::lround(fraction * 1000.0);
}

std::string readingLine(const std::string& quantity, uint64_t sequence, const Stamp& stamp) {
  char line[192];
  const int n = std::snprintf(line, sizeof line,
                              "{\"sensor\":\"%llu\",\"quantity\":\"%s\",\"value\":%.3f,"
                              "\"time_ms\":%lld}\n",
                              static_cast<unsigned long long>(sequence), quantity.c_str(),
                              stamp.value, static_cast<long long>(stamp.time_ms));
  return std::string(line, static_cast<size_t>(n));
}

}  // namespace gw::load
