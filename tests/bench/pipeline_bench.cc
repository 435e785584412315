// Per-record cost of the sensor parsers and of the router, the two hot paths between a socket and
// the sealer that had no benchmark (sealing: envelope_bench; outbox append: outbox_bench; frames:
// frame_bench). Real payloads from tests/data where the format has one.
// Run: build/release/tests/bench/pipeline_bench
//   BM_JsonReading*          one listener line (json_reading), with time_ms or an ISO time
//   BM_SensorCommunityCsv    one row of a real SDS011 archive day, cycled
//   BM_SensorCommunityPush   one real airrohr push body (several values)
//   BM_TtnUplink             one real TTN v3 uplink (Cayenne LPP)
//   BM_Route*                one reading or event through a router of 5 actors / 10 routes
#include <benchmark/benchmark.h>

#include "gateway/core/files.h"
#include "gateway/router/router.h"
#include "gateway/sources/sensor/formats/json_reading.h"
#include "gateway/sources/sensor/formats/sensor_community_push.h"
#include "gateway/sources/sensor/formats/text_split.h"
#include "gateway/sources/sensor/formats/ttn_uplink.h"
#include "gateway/sources/sensor/sensor_community_csv.h"
#include "tests/support/temp_dir.h"

namespace gw {
namespace {

std::string dataText(const std::string& name) {
  auto text = readFile(gw::testing::sourceDir() / "tests/data" / name);
  return text.ok() ? *text : std::string();
}

size_t readingsOf(const Result<sources::ParseOutcome>& out) {
  return out.ok() ? out->readings.size() : 0;
}

void BM_JsonReadingTimeMs(benchmark::State& state) {
  const std::string line =
      R"({"sensor":"wl-1","quantity":"water_level","unit":"cm","value":12.5,"time_ms":1714564800000})";
  size_t readings = 0;
  for (auto _ : state) readings += readingsOf(sources::parseJsonReading(line, "level"));
  if (readings != static_cast<size_t>(state.iterations())) state.SkipWithError("parse failed");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JsonReadingTimeMs);

void BM_JsonReadingIsoTime(benchmark::State& state) {
  const std::string line =
      R"({"sensor":"pm-01","quantity":"pm10","unit":"ug/m3","value":12.5,"time":"2024-05-01T12:00:00Z","lat":52.09,"lon":5.12})";
  size_t readings = 0;
  for (auto _ : state) readings += readingsOf(sources::parseJsonReading(line, "pm"));
  if (readings != static_cast<size_t>(state.iterations())) state.SkipWithError("parse failed");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JsonReadingIsoTime);

void BM_SensorCommunityCsv(benchmark::State& state) {
  const std::string text = dataText("air/sensor_community/2019-02-13_sds011_sensor_5331.csv");
  auto lines = sources::splitLines(text);
  if (lines.size() < 2) return state.SkipWithError("tests/data SDS011 file missing");
  sources::SensorCommunityCsvParser parser("pm-1");
  if (!parser.parseHeader(lines[0]).ok()) return state.SkipWithError("header refused");
  size_t i = 1, readings = 0;
  for (auto _ : state) {
    readings += readingsOf(parser.parseRow(lines[i]));
    if (++i == lines.size() || lines[i].empty()) i = 1;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["readings_per_row"] =
      static_cast<double>(readings) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_SensorCommunityCsv);

void BM_SensorCommunityPush(benchmark::State& state) {
  const std::string body = dataText("payloads/measurement_esp8266-11545355_NRZ-2020-133.json");
  if (body.empty()) return state.SkipWithError("tests/data push payload missing");
  size_t readings = 0;
  for (auto _ : state) {
    readings += readingsOf(sources::parseSensorCommunityPush(body, "push", 1714564800000));
  }
  if (readings == 0) state.SkipWithError("parse failed");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SensorCommunityPush);

void BM_TtnUplink(benchmark::State& state) {
  const std::string body = dataText("payloads/ttnv3_mqtt_message.json");
  if (body.empty()) return state.SkipWithError("tests/data TTN payload missing");
  sources::TtnMapping mapping;
  mapping.lpp_analog_channels = {{1, "pm10"}, {2, "pm2_5"}};
  size_t readings = 0;
  for (auto _ : state) readings += readingsOf(sources::parseTtnUplink(body, "ttn", mapping));
  if (readings == 0) state.SkipWithError("parse failed");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TtnUplink);

// Five actors, two routes each (measurements by source, events by detector), as a busy site has.
// No route has a setting to resolve (rate, batch, ttl), so the resolved routes are the specs.
pipeline::RouteTablePtr routerRoutes() {
  struct Owned {
    gateway::v1::Policy policy;
    pipeline::RouteTable table;
  };
  auto owned = std::make_shared<Owned>();
  auto* policy = &owned->policy;
  for (int a = 0; a < 5; ++a) {
    const std::string actor = "a" + std::to_string(a);
    auto* m = policy->add_routes();
    m->set_id("m" + std::to_string(a));
    m->set_to(actor);
    m->set_purpose("air_quality_monitoring");
    m->mutable_from()->add_measurements("pm10");
    m->mutable_from()->add_sources("src-" + std::to_string(a));
    auto* e = policy->add_routes();
    e->set_id("e" + std::to_string(a));
    e->set_to(actor);
    e->set_purpose("public_health");
    e->mutable_from()->add_detectors("d" + std::to_string(a));
  }
  for (const auto& spec : policy->routes()) {
    pipeline::Route route;
    route.spec = &spec;
    owned->table.routes.push_back(route);
  }
  return pipeline::RouteTablePtr(owned, &owned->table);
}

void BM_RouteReading(benchmark::State& state) {
  Counters counters;
  router::Router router(routerRoutes(), counters);
  gateway::v1::Reading reading;
  reading.set_source_id("src-3");
  reading.set_quantity("pm10");
  reading.set_unit("ug/m3");
  reading.set_value(12.5);
  reading.set_observed_unix_ms(1714564800000);
  reading.set_sensor_ref("5331");
  std::vector<router::RoutedMessage> out;
  size_t routed = 0;
  for (auto _ : state) {
    out.clear();
    router.route(reading, &out);
    routed += out.size();
  }
  if (routed != static_cast<size_t>(state.iterations())) state.SkipWithError("not routed once");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteReading);

void BM_RouteEvent(benchmark::State& state) {
  Counters counters;
  router::Router router(routerRoutes(), counters);
  gateway::v1::Event event;
  event.set_detector_id("d1");
  event.set_kind("threshold_exceeded");
  event.set_severity(gateway::v1::SEVERITY_ALARM);
  event.set_source_id("src-1");
  event.set_quantity("pm10");
  event.set_value(80);
  event.set_threshold(50);
  event.set_unit("ug/m3");
  event.set_observed_unix_ms(1714564800000);
  event.set_summary("pm10 at 80.0 ug/m3, above the limit of 50.0");
  std::vector<router::RoutedMessage> out;
  size_t routed = 0;
  for (auto _ : state) {
    out.clear();
    router.route(event, &out);
    routed += out.size();
  }
  if (routed != static_cast<size_t>(state.iterations())) state.SkipWithError("not routed once");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteEvent);

}  // namespace
}  // namespace gw

BENCHMARK_MAIN();
