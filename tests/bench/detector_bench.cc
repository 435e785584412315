// Per-reading cost of the sensor detectors, built through the detector factory exactly as
// gatewayd builds them (since decision 0710: PluginDetector over a gw_detector_api table).
// Run: build/release/tests/bench/detector_bench
//   BM_ThresholdQuiet        a reading that crosses nothing: the floor cost of one call
//   BM_ThresholdCrossing     every reading crosses (exceeded, cleared, ...): one event each
//   BM_AirQualityRealDay     a real Sensor.Community SDS011 day (PM10 + PM2.5), cycled; events
//                            as the data produces them (hourly bands, faults)
//   BM_ThresholdTable*       the threshold table called directly, without the host (no time
//                            budget, no lock, no copy into an Event): the difference to the two
//                            above is what the host adds per call
//   BM_ThresholdIsolation/isolated:0|1/gap_us:0|1000  the quiet threshold call inside gatewayd
//                            and in its own process (isolation: process, docs/PLUGINS.md): what
//                            the boundary adds per reading call, back to back (gap 0) and at
//                            1,000 readings/s (gap 1000 us: the child has gone to sleep and must
//                            be woken). Counters p50_us and p99_us time each call alone.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "gateway/core/files.h"
#include "gateway/detectors/builtin/builtin_tables.h"
#include "gateway/detectors/factory.h"
#include "gateway/sources/sensor/formats/text_split.h"
#include "gateway/sources/sensor/sensor_community_csv.h"
#include "tests/bench/call_latency.h"
#include "tests/support/temp_dir.h"

namespace gw {
namespace {

class CountingSink : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event& event) override {
    ++events;
    benchmark::DoNotOptimize(event.kind().data());
  }
  int64_t events = 0;
};

detectors::DetectorPtr thresholdDetector() {
  gateway::v1::Detector config;
  config.set_id("pm10-limit");
  auto* t = config.mutable_threshold();
  t->set_quantity("pm10");
  t->set_above(50);
  t->set_clear_below(40);
  t->set_severity(gateway::v1::SEVERITY_WARNING);
  auto detector = detectors::createDetector(config);
  if (!detector.ok()) return nullptr;
  return std::move(detector).value();
}

gateway::v1::Reading pm10(double value, int64_t t) {
  gateway::v1::Reading r;
  r.set_source_id("pm-1");
  r.set_quantity("pm10");
  r.set_unit("ug/m3");
  r.set_value(value);
  r.set_observed_unix_ms(t);
  r.mutable_location()->set_lat(52.09);
  r.mutable_location()->set_lon(5.12);
  return r;
}

void BM_ThresholdQuiet(benchmark::State& state) {
  auto detector = thresholdDetector();
  if (!detector) return state.SkipWithError("threshold detector did not start");
  CountingSink sink;
  const auto reading = pm10(20, 1700000000000);
  for (auto _ : state) detector->onReading(reading, sink);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ThresholdQuiet);

// The same quiet call in process and through the child process: each call timed on its own, so
// the tail shows (a context switch each way; the mean hides the scheduler's outliers).
void BM_ThresholdIsolation(benchmark::State& state) {
  gateway::v1::Detector config;
  config.set_id("pm10-limit");
  config.add_sources("pm-1");
  config.set_isolation(state.range(0) == 1 ? gateway::v1::ISOLATION_PROCESS
                                           : gateway::v1::ISOLATION_NONE);
  auto* t = config.mutable_threshold();
  t->set_quantity("pm10");
  t->set_above(50);
  t->set_clear_below(40);
  detectors::HostContext host;
  host.detector_host = GW_DETECTOR_HOST;
  auto detector = detectors::createDetector(config, host);
  if (!detector.ok()) return state.SkipWithError(detector.status().toString().c_str());
  CountingSink sink;
  bench::CallLatency latency(1 << 20);
  int64_t at = 1700000000000;
  const auto gap = std::chrono::microseconds(state.range(1));
  for (auto _ : state) {
    if (gap.count() > 0) {
      state.PauseTiming();
      std::this_thread::sleep_for(gap);
      state.ResumeTiming();
    }
    const auto reading = pm10(20, at++);
    latency.time([&] { (*detector)->onReading(reading, sink); });
  }
  latency.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ThresholdIsolation)
    ->ArgNames({"isolated", "gap_us"})
    ->ArgsProduct({{0, 1}, {0, 1000}})
    ->Iterations(3000);  // fixed: a paced run sleeps 1 ms per call, whatever the timed part

void BM_ThresholdCrossing(benchmark::State& state) {
  auto detector = thresholdDetector();
  if (!detector) return state.SkipWithError("threshold detector did not start");
  CountingSink sink;
  const gateway::v1::Reading readings[] = {pm10(60, 1700000000000), pm10(30, 1700000060000)};
  size_t i = 0;
  for (auto _ : state) detector->onReading(readings[i++ & 1], sink);
  state.SetItemsProcessed(state.iterations());
  state.counters["events_per_reading"] =
      static_cast<double>(sink.events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ThresholdCrossing);

// The threshold detector's own table, as the host would get it, without the host around it.
class DirectThreshold {
 public:
  DirectThreshold()
      : api_(gw_builtin_threshold_init(GW_DETECTOR_ABI_MAJOR, GW_DETECTOR_API_MINOR, nullptr)) {
    const gw_param params[] = {
        {"quantity", "pm10"}, {"above", "50"}, {"clear_below", "40"}, {"severity", "warning"}};
    char error[128];
    if (api_->create(params, 4, &instance_, error, sizeof error) != GW_OK) instance_ = nullptr;
  }
  ~DirectThreshold() {
    if (instance_ != nullptr) api_->destroy(instance_);
  }
  bool ok() const { return instance_ != nullptr; }
  gw_status call(const gw_reading_view& view, int64_t* events) {
    return api_->on_reading(instance_, &view, &countEvent, events);
  }

 private:
  static void countEvent(void* ctx, const gw_event_out* event) {
    ++*static_cast<int64_t*>(ctx);
    benchmark::DoNotOptimize(event->kind);
  }
  const gw_detector_api* api_;
  gw_detector* instance_ = nullptr;
};

gw_reading_view viewOf(double value, int64_t t) {
  return {sizeof(gw_reading_view), "pm-1", "pm10", "ug/m3", value, t, 52.09, 5.12, "", 0};
}

void BM_ThresholdTableQuiet(benchmark::State& state) {
  DirectThreshold detector;
  if (!detector.ok()) return state.SkipWithError("threshold table did not create");
  int64_t events = 0;
  const auto view = viewOf(20, 1700000000000);
  for (auto _ : state) detector.call(view, &events);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ThresholdTableQuiet);

void BM_ThresholdTableCrossing(benchmark::State& state) {
  DirectThreshold detector;
  if (!detector.ok()) return state.SkipWithError("threshold table did not create");
  int64_t events = 0;
  const gw_reading_view views[] = {viewOf(60, 1700000000000), viewOf(30, 1700000060000)};
  size_t i = 0;
  for (auto _ : state) detector.call(views[i++ & 1], &events);
  state.SetItemsProcessed(state.iterations());
  state.counters["events_per_reading"] =
      static_cast<double>(events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ThresholdTableCrossing);

std::vector<gateway::v1::Reading> sensorCommunityDay() {
  std::vector<gateway::v1::Reading> out;
  auto text =
      readFile(gw::testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv"));
  if (!text.ok()) return out;
  sources::SensorCommunityCsvParser parser("pm");
  auto lines = sources::splitLines(*text);
  if (lines.empty() || !parser.parseHeader(lines[0]).ok()) return out;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto row = parser.parseRow(lines[i]);
    if (row.ok()) out.insert(out.end(), row->readings.begin(), row->readings.end());
  }
  return out;
}

void BM_AirQualityRealDay(benchmark::State& state) {
  const auto day = sensorCommunityDay();
  if (day.empty()) return state.SkipWithError("no readings from the Sensor.Community file");
  const int64_t span = day.back().observed_unix_ms() - day.front().observed_unix_ms() + 3600000;
  gateway::v1::Detector config;
  config.set_id("aq");
  config.mutable_air_quality();  // defaults
  auto created = detectors::createDetector(config);
  if (!created.ok()) return state.SkipWithError("air quality detector did not start");
  auto& detector = **created;
  CountingSink sink;
  // The day is replayed again and again, each pass shifted by its span so time keeps moving on.
  std::vector<gateway::v1::Reading> shifted = day;
  int64_t shift = 0;
  size_t i = 0;
  for (auto _ : state) {
    if (i == shifted.size()) {
      i = 0;
      shift += span;
      state.PauseTiming();
      for (size_t k = 0; k < day.size(); ++k)
        shifted[k].set_observed_unix_ms(day[k].observed_unix_ms() + shift);
      state.ResumeTiming();
    }
    detector.onReading(shifted[i++], sink);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["events_per_reading"] =
      static_cast<double>(sink.events) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_AirQualityRealDay);

}  // namespace
}  // namespace gw

BENCHMARK_MAIN();
