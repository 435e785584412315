#pragma once
// What the air-quality detector tests share: a recorder of events, the CSV parsing of real data,
// the detector built through the factory (the C ABI table it sits behind), and the EEA bands
// written out again, independently of eaqi.cc.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "gateway/detectors/factory.h"
#include "tests/support/sensor_rows.h"

namespace gw::detectors::testing {

class Recorder : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event& event) override { events.push_back(event); }
  std::vector<gateway::v1::Event> ofKind(const std::string& kind,
                                         const std::string& quantity = "") const {
    std::vector<gateway::v1::Event> out;
    for (const auto& e : events) {
      if (e.kind() == kind && (quantity.empty() || e.quantity() == quantity)) out.push_back(e);
    }
    return out;
  }
  std::vector<gateway::v1::Event> events;
};

using gw::testing::parseRows;

inline DetectorPtr airQuality(const gateway::v1::AirQualityDetector& settings = {}) {
  gateway::v1::Detector config;
  config.set_id("aq");
  *config.mutable_air_quality() = settings;
  auto created = createDetector(config);
  EXPECT_TRUE(created.ok()) << created.status().toString();
  return created.ok() ? std::move(created).value() : nullptr;
}

inline gateway::v1::Reading reading(const std::string& source, const std::string& quantity,
                                    double value, int64_t unix_ms) {
  gateway::v1::Reading r;
  r.set_source_id(source);
  r.set_quantity(quantity);
  r.set_unit("ug/m3");
  r.set_value(value);
  r.set_observed_unix_ms(unix_ms);
  return r;
}

// How many readings the detector rejected as spikes.
inline int spikes(const Recorder& rec) {
  int n = 0;
  for (const auto& e : rec.ofKind("sensor_fault")) n += e.summary().rfind("spike", 0) == 0;
  return n;
}

// The EEA table again, independently of eaqi.cc: upper bounds of good..very poor.
inline int expectedBand(const std::string& q, double v) {
  static const std::map<std::string, std::vector<double>> table = {
      {"pm2_5", {5, 15, 50, 90, 140}},
      {"pm10", {15, 45, 120, 195, 270}},
      {"no2", {10, 25, 60, 100, 150}},
      {"o3", {60, 100, 120, 160, 180}},
      {"so2", {20, 40, 125, 190, 275}}};
  const auto& bounds = table.at(q);
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (v <= bounds[i]) return static_cast<int>(i) + 1;
  }
  return 6;
}

// Plain hourly means of every reading of `quantity`, per UTC clock hour (hour index -> mean).
inline std::map<int64_t, double> plainHourlyMeans(const std::vector<gateway::v1::Reading>& readings,
                                                  const std::string& quantity) {
  std::map<int64_t, std::pair<double, int>> sums;
  for (const auto& r : readings) {
    if (r.quantity() != quantity) continue;
    auto& h = sums[r.observed_unix_ms() / 3600000];
    h.first += r.value();
    ++h.second;
  }
  std::map<int64_t, double> out;
  for (const auto& [hour, s] : sums) out[hour] = s.first / s.second;
  return out;
}

}  // namespace gw::detectors::testing
