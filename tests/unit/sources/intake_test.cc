// The intake's sequence check as the listeners use it: numbered JSON readings and TTN uplinks,
// their gaps, duplicates and resets counted per source, a duplicate kept out of the pipeline.
#include "gateway/sources/intake.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/core/files.h"
#include "gateway/sources/sensor/formats/json_reading.h"
#include "gateway/sources/sensor/formats/ttn_uplink.h"
#include "tests/support/pipeline_fakes.h"
#include "tests/support/temp_dir.h"

namespace gw::sources {
namespace {

using CollectingSink = gw::testing::RecordingReadingSink;

std::string jsonReading(int64_t seq, int64_t time_ms, double value = 12.5) {
  return R"({"sensor":"wl-1","quantity":"water_level","unit":"cm","value":)" +
         std::to_string(value) + R"(,"time_ms":)" + std::to_string(time_ms) + R"(,"seq":)" +
         std::to_string(seq) + "}";
}

uint64_t counter(const Counters& c, const std::string& name, const std::string& reason = "") {
  return reason.empty() ? c.value(counterKey(name, {{"source", "s"}}))
                        : c.value(counterKey(name, {{"source", "s"}, {"reason", reason}}));
}

TEST(IntakeSequenceTest, JsonReadingsWithSeqCountGapsAndDropDuplicates) {
  CollectingSink sink;
  Counters counters;
  Intake intake("s", GuardConfig{}, sink, counters);
  const int64_t now = 1'700'000'000'000;
  for (int64_t seq : {1, 2, 5}) {
    auto parsed = parseJsonReading(jsonReading(seq, now + seq), "s");
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(intake.deliver(*parsed, now + 10), IntakeResult::kAccepted);
  }
  EXPECT_EQ(counter(counters, "readings_missing_total", "sequence_gap"), 2u);
  // The very same line again (a redelivery) is dropped; through screen() as through deliver().
  auto again = parseJsonReading(jsonReading(5, now + 5), "s");
  EXPECT_TRUE(intake.screen(*again, now + 10).empty());
  EXPECT_EQ(counter(counters, "readings_dropped_total", "duplicate"), 1u);
  EXPECT_EQ(sink.readings.size(), 3u);
  // The device restarted its counter: no loss, counted as a reset.
  auto restarted = parseJsonReading(jsonReading(1, now + 1000), "s");
  EXPECT_EQ(intake.deliver(*restarted, now + 1000), IntakeResult::kAccepted);
  EXPECT_EQ(counter(counters, "sequence_resets_total"), 1u);
  EXPECT_EQ(counter(counters, "readings_missing_total", "sequence_gap"), 2u);
  EXPECT_EQ(sink.readings.size(), 4u);
}

TEST(IntakeSequenceTest, ANegativeSeqIsMalformed) {
  EXPECT_FALSE(
      parseJsonReading(R"({"sensor":"x","quantity":"pm10","value":1,"time_ms":1,"seq":-1})", "s")
          .ok());
}

TEST(IntakeSequenceTest, TtnUplinksAreNumberedByFCntPerDevice) {
  const auto text = readFile(gw::testing::testData("payloads/ttnv3_mqtt_message.json"));
  ASSERT_TRUE(text.ok());
  auto uplink = nlohmann::json::parse(*text);
  TtnMapping mapping;
  mapping.lpp_analog_channels = {{1, "pm10"}, {2, "pm2_5"}};
  auto parsed = parseTtnUplink(uplink.dump(), "s", mapping);
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed->number.has_value());
  EXPECT_EQ(parsed->number->device, "fijnstofmeter");
  EXPECT_EQ(parsed->number->value, 7u);
  EXPECT_EQ(parsed->number->bits, 32);
  // TTN leaves out an f_cnt of 0: such an uplink is not numbered (not a gap, not a duplicate).
  uplink["uplink_message"].erase("f_cnt");
  parsed = parseTtnUplink(uplink.dump(), "s", mapping);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->number.has_value());
}

}  // namespace
}  // namespace gw::sources
