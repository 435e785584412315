#include "tests/bench/load/load_policy.h"

#include <cmath>
#include <cstdio>

namespace gw::load {

std::string actorId(int index) { return "a" + std::to_string(index); }
std::string sourceId(int index) { return "src-" + std::to_string(index); }

std::vector<int> actorsOfSource(const LoadOptions& options, int source) {
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

std::string loadPolicy(const LoadOptions& options, const std::filesystem::path& keys,
                       const std::vector<int>& source_ports, int alarm_port) {
  std::string p = std::string("site: {id: ") + kSite + "}\n";
  p += "gateway:\n";
  p += "  identity_key_file: " + (keys / "gateway.key").string() + "\n";
  p += "  max_inflight: " + std::to_string(options.max_inflight) + "\n";
  p += "  broker: {mqtt_version: \"" + options.mqtt_version + "\"}\n";
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
    p += "  - id: " + sourceId(s) + "\n    sensor: {format: json_reading, " + options.transport +
         ": {port: " + std::to_string(source_ports[s]) + "}}\n";
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
         "], threshold: {quantity: water_level, above: 1000, clear_below: 1000, severity: "
         "alarm}}\n";
  }
  for (int c = 0; c < options.cameras; ++c) {
    p += "  - {id: fall-" + std::to_string(c) + ", sources: [cam-" + std::to_string(c) +
         "], fall: {}}\n";
  }
  p += "routes:\n";
  for (int a = 0; a < options.actors; ++a) {
    std::string sources;
    for (int s = 0; s < options.sensors; ++s) {
      const auto actors = actorsOfSource(options, s);
      for (int x : actors) {
        if (x == a) sources += (sources.empty() ? "" : ", ") + sourceId(s);
      }
    }
    p += "  - {id: r" + std::to_string(a) + ", to: " + actorId(a) +
         ", purpose: air_quality_monitoring, from: {measurements: [pm10], sources: [" + sources +
         "]}";
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
