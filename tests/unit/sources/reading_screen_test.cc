// The source screen (reading_screen.h) as the sources use it: file replay (the real KNMI month-end
// slips, a small file of repeats) and the live sources' intake (JSON readings as over MQTT). The
// expected drops come from the definitions, computed here over the same data: a duplicate has
// the time of an accepted reading of its sensor and quantity; an out-of-order reading is older
// than the newest accepted one by more than the tolerance, or (files) a reading more than twice
// the series' last step ahead that the series' next reading goes back before; an empty value is
// an empty cell.
#include "gateway/sources/reading_screen.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <map>
#include <unordered_set>

#include "gateway/core/files.h"
#include "gateway/sources/intake.h"
#include "gateway/sources/sensor/file_replay_source.h"
#include "gateway/sources/sensor/formats/json_reading.h"
#include "gateway/sources/sensor/formats/record_parser_factory.h"
#include "gateway/sources/sensor/formats/text_split.h"
#include "tests/support/temp_dir.h"

namespace gw::sources {
namespace {

constexpr int64_t kToleranceMs = kDefaultReorderToleranceMs;

class CollectingSink : public pipeline::ReadingSink {
 public:
  Status accept(const gateway::v1::Reading& reading) override {
    if (refuse_next > 0) {
      --refuse_next;
      return resourceExhausted("full");
    }
    readings.push_back(reading);
    return okStatus();
  }
  std::vector<gateway::v1::Reading> readings;
  int refuse_next = 0;
};

// What the definitions say of a file's readings, in file order.
struct Expected {
  uint64_t duplicate = 0, out_of_order = 0, accepted = 0;
  size_t first_out_of_order_line = 0;  // 1-based line of the file
};

Expected expectedDrops(const std::vector<std::pair<size_t, gateway::v1::Reading>>& readings) {
  auto keyOf = [](const gateway::v1::Reading& r) { return r.sensor_ref() + "/" + r.quantity(); };
  // The next reading of the same series, by index (none: readings.size()).
  std::vector<size_t> next(readings.size(), readings.size());
  std::map<std::string, size_t> later;
  for (size_t i = readings.size(); i-- > 0;) {
    const std::string key = keyOf(readings[i].second);
    if (later.count(key) != 0) next[i] = later[key];
    later[key] = i;
  }
  Expected e;
  std::map<std::string, int64_t> newest, step;  // per sensor + quantity
  std::map<std::string, std::unordered_set<int64_t>> times;
  auto passes = [&](const std::string& key, int64_t t) {
    return times[key].count(t) == 0 && (newest.count(key) == 0 || newest[key] - t <= kToleranceMs);
  };
  auto outOfOrder = [&](size_t line) {
    ++e.out_of_order;
    if (e.first_out_of_order_line == 0) e.first_out_of_order_line = line;
  };
  for (size_t i = 0; i < readings.size(); ++i) {
    const auto& [line, r] = readings[i];
    const std::string key = keyOf(r);
    const int64_t t = r.observed_unix_ms();
    if (times[key].count(t) != 0) {
      ++e.duplicate;
      continue;
    }
    if (!passes(key, t)) {
      outOfOrder(line);
      continue;
    }
    const bool ahead =
        step[key] > 0 && t - newest[key] > 2 * step[key] && t - newest[key] > kToleranceMs;
    if (ahead && next[i] < readings.size()) {
      const int64_t t_next = readings[next[i]].second.observed_unix_ms();
      if (t_next < t && passes(key, t_next)) {
        outOfOrder(line);
        continue;
      }
    }
    ++e.accepted;
    times[key].insert(t);
    if (newest.count(key) != 0 && t > newest[key]) step[key] = t - newest[key];
    newest[key] = newest.count(key) != 0 ? std::max(newest[key], t) : t;
  }
  return e;
}

// Every reading of a file with its line number, parsed as the source parses it.
std::vector<std::pair<size_t, gateway::v1::Reading>> readingsByLine(
    const gateway::v1::Source& source, const std::string& text, uint64_t* empty_cells) {
  auto parser = makeRecordParser(source.sensor(), source.id());
  EXPECT_TRUE(parser.ok());
  const auto lines = splitLines(text);
  EXPECT_TRUE((*parser)->parseHeader(lines[0]).ok());
  std::vector<std::pair<size_t, gateway::v1::Reading>> out;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;  // as the replay skips them
    for (const auto& field : splitFields(lines[i], ',')) *empty_cells += field.empty();
    auto row = (*parser)->parseRow(lines[i]);
    if (!row.ok()) continue;
    for (const auto& r : row->readings) out.emplace_back(i + 1, r);
  }
  return out;
}

uint64_t dropped(const Counters& c, const std::string& source, const std::string& reason) {
  return c.value(counterKey("readings_dropped_total", {{"source", source}, {"reason", reason}}));
}

// The log of one test: a ring buffer in place of the default logger while it lives.
class CapturedLog {
 public:
  CapturedLog() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)) {
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink_));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const {
    std::string out;
    for (const auto& line : sink_->last_formatted()) out += line;
    return out;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

struct Replayed {
  CollectingSink sink;
  Counters counters;
};

void replay(const gateway::v1::Source& source, Replayed& out) {
  boost::asio::io_context io;
  FileReplaySource replay_source(source, io.get_executor(), out.sink, out.counters);
  replay_source.start();
  for (int i = 0; i < 1'000'000 && !replay_source.finished(); ++i) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(replay_source.finished());
}

gateway::v1::Source knmiReplay(const std::filesystem::path& path) {
  gateway::v1::Source source;
  source.set_id("rain");
  source.mutable_sensor()->set_format(gateway::v1::SENSOR_FORMAT_KNMI_HOURLY_CSV);
  source.mutable_sensor()->mutable_replay()->set_path(path.string());
  return source;
}

// Each sensor's series reaches the pipeline in time order (within the tolerance), once per time.
void expectTimeOrderPerSeries(const std::vector<gateway::v1::Reading>& readings) {
  std::map<std::string, int64_t> newest;
  std::map<std::string, std::unordered_set<int64_t>> seen;
  for (const auto& r : readings) {
    const std::string key = r.sensor_ref() + "/" + r.quantity();
    if (newest.count(key) != 0) {
      EXPECT_LE(newest[key] - r.observed_unix_ms(), kToleranceMs);
    }
    EXPECT_TRUE(seen[key].insert(r.observed_unix_ms()).second) << key;
    newest[key] = std::max(newest.count(key) != 0 ? newest[key] : 0, r.observed_unix_ms());
  }
}

void checkKnmiFile(const std::filesystem::path& path) {
  SCOPED_TRACE(path.string());
  const auto source = knmiReplay(path);
  auto text = readFile(path);
  ASSERT_TRUE(text.ok());
  uint64_t empty_cells = 0;
  const auto readings = readingsByLine(source, *text, &empty_cells);
  const Expected expected = expectedDrops(readings);
  ASSERT_GT(expected.duplicate + expected.out_of_order, 0u) << "the file's month-end slips";

  CapturedLog log;
  Replayed out;
  replay(source, out);
  EXPECT_EQ(dropped(out.counters, "rain", "duplicate"), expected.duplicate);
  EXPECT_EQ(dropped(out.counters, "rain", "out_of_order"), expected.out_of_order);
  EXPECT_EQ(dropped(out.counters, "rain", "empty_value"), empty_cells);
  EXPECT_EQ(out.sink.readings.size(), expected.accepted);
  EXPECT_EQ(out.counters.value(counterKey("readings_accepted_total", {{"source", "rain"}})),
            expected.accepted);
  expectTimeOrderPerSeries(out.sink.readings);
  // The log says what and where: the reason, the file and line, the sensor and times.
  const std::string where = path.string() + ":" + std::to_string(expected.first_out_of_order_line);
  EXPECT_NE(log.text().find("at=" + where + " reason=out_of_order"), std::string::npos)
      << log.text();
  EXPECT_NE(log.text().find("rain_intensity at "), std::string::npos);
}

TEST(ReadingScreenTest, KnmiMonthEndSlipsInTheRepositoryExcerptAreDroppedAndCounted) {
  checkKnmiFile(gw::testing::testData("water/knmi380_maastricht_hourly_precip_2021-07.csv"));
}

TEST(ReadingScreenTest, KnmiWholeSeriesSlipsAreDroppedAndCounted) {
  const auto path =
      gw::testing::sharedDataDir() /
      "water/knmi_maastricht_geul_2021/knmi380_maastricht_hourly_precip_2019-2022.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not present: " << path;
  checkKnmiFile(path);
}

TEST(ReadingScreenTest, RepeatedAndEarlyRowsOfTwoGaugesPerSensorAndQuantity) {
  const auto path = gw::testing::testData("water/gauge_readings_with_repeats.csv");
  gateway::v1::Source source;
  source.set_id("gauges");
  auto* sensor = source.mutable_sensor();
  sensor->set_format(gateway::v1::SENSOR_FORMAT_GENERIC_CSV);
  sensor->mutable_replay()->set_path(path.string());
  auto* csv = sensor->mutable_csv();
  csv->set_time_column("time");
  csv->set_sensor_column("sensor");
  auto* level = csv->add_values();
  level->set_column("level_cm");
  level->set_quantity("water_level");
  level->set_unit("cm");
  auto* rain = csv->add_values();
  rain->set_column("rain_mm_h");
  rain->set_quantity("rain_intensity");
  rain->set_unit("mm/h");

  auto text = readFile(path);
  ASSERT_TRUE(text.ok());
  uint64_t empty_cells = 0;
  const Expected expected = expectedDrops(readingsByLine(source, *text, &empty_cells));
  // The file has each case at least once, so every count below can be wrong.
  ASSERT_GT(expected.duplicate, 0u);
  ASSERT_GT(expected.out_of_order, 0u);
  ASSERT_GT(empty_cells, 0u);

  Replayed out;
  replay(source, out);
  EXPECT_EQ(dropped(out.counters, "gauges", "duplicate"), expected.duplicate);
  EXPECT_EQ(dropped(out.counters, "gauges", "out_of_order"), expected.out_of_order);
  EXPECT_EQ(dropped(out.counters, "gauges", "empty_value"), empty_cells);
  EXPECT_EQ(out.sink.readings.size(), expected.accepted);
  expectTimeOrderPerSeries(out.sink.readings);
}

std::string jsonReading(int64_t time_ms, const char* sensor = "wl-1") {
  return std::string(R"({"sensor":")") + sensor +
         R"(","quantity":"water_level","unit":"cm","value":12.5,"time_ms":)" +
         std::to_string(time_ms) + "}";
}

// The live sources' intake: the same screen, and a reading the pipeline refused is not
// remembered, so the sender's retry is no duplicate.
TEST(ReadingScreenTest, IntakeDropsRepeatsButNotARetryAfterAFullPipeline) {
  CollectingSink sink;
  Counters counters;
  Intake intake("s", GuardConfig{}, sink, counters);
  const int64_t now = 1'700'000'000'000;
  auto deliver = [&](const std::string& json) {
    auto parsed = parseJsonReading(json, "s");
    EXPECT_TRUE(parsed.ok()) << parsed.status().message();
    return intake.deliver(*parsed, now);
  };
  sink.refuse_next = 1;
  EXPECT_EQ(deliver(jsonReading(now - 60'000)), IntakeResult::kPipelineFull);
  EXPECT_EQ(deliver(jsonReading(now - 60'000)), IntakeResult::kAccepted);  // the retry
  EXPECT_EQ(deliver(jsonReading(now - 60'000)), IntakeResult::kRejected);  // sent again
  EXPECT_EQ(deliver(jsonReading(now - 60'000, "wl-2")), IntakeResult::kAccepted);
  EXPECT_EQ(deliver(jsonReading(now - 60'000 - kToleranceMs / 2)), IntakeResult::kAccepted);
  EXPECT_EQ(deliver(jsonReading(now - 60'000 - 2 * kToleranceMs)), IntakeResult::kRejected);
  EXPECT_EQ(deliver(R"({"sensor":"wl-1","quantity":"water_level","value":null,"time_ms":)" +
                    std::to_string(now) + "}"),
            IntakeResult::kRejected);
  EXPECT_EQ(dropped(counters, "s", "pipeline_full"), 1u);
  EXPECT_EQ(dropped(counters, "s", "duplicate"), 1u);
  EXPECT_EQ(dropped(counters, "s", "out_of_order"), 1u);
  EXPECT_EQ(dropped(counters, "s", "empty_value"), 1u);
  EXPECT_EQ(sink.readings.size(), 3u);
}

// Two copies inside one message, screened together and offered one by one (the TCP path).
TEST(ReadingScreenTest, TwoCopiesScreenedTogetherAreToldApartWhenOffered) {
  CollectingSink sink;
  Counters counters;
  Intake intake("s", GuardConfig{}, sink, counters);
  const int64_t now = 1'700'000'000'000;
  auto parsed = parseJsonReading(jsonReading(now), "s");
  ASSERT_TRUE(parsed.ok());
  ParseOutcome twice = *parsed;
  twice.readings.push_back(twice.readings.front());
  const auto admitted = intake.screen(twice, now);
  ASSERT_EQ(admitted.size(), 2u);
  EXPECT_EQ(intake.offer(admitted[0]), IntakeResult::kAccepted);
  EXPECT_EQ(intake.offer(admitted[1]), IntakeResult::kRejected);
  EXPECT_EQ(dropped(counters, "s", "duplicate"), 1u);
  EXPECT_EQ(sink.readings.size(), 1u);
}

TEST(ReadingScreenTest, ForgetsTheLeastRecentlyAcceptedSeriesBeyondItsBound) {
  ReadingScreen screen(kToleranceMs, 2);
  gateway::v1::Reading r;
  r.set_quantity("water_level");
  r.set_observed_unix_ms(1000);
  for (const char* sensor : {"a", "b", "c"}) {
    r.set_sensor_ref(sensor);
    ASSERT_FALSE(screen.check(r));
    screen.accepted(r);
  }
  EXPECT_EQ(screen.series(), 2u);
  r.set_sensor_ref("a");  // forgotten: its repeat is not recognised any more
  EXPECT_FALSE(screen.check(r));
  r.set_sensor_ref("c");
  EXPECT_TRUE(screen.check(r));
}

}  // namespace
}  // namespace gw::sources
