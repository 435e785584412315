// The sensor formats on the real files in tests/data, with expectations computed independently
// (plain splitting of the same files), not with the parsers under test.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "gateway/core/files.h"
#include "gateway/sources/sensor/formats/cayenne_lpp.h"
#include "gateway/sources/sensor/formats/json_reading.h"
#include "gateway/sources/sensor/formats/knmi_hourly_csv.h"
#include "gateway/sources/sensor/formats/length_prefixed_readings.h"
#include "gateway/sources/sensor/formats/sensor_community_push.h"
#include "gateway/sources/sensor/formats/text_split.h"
#include "gateway/sources/sensor/formats/time_parse.h"
#include "gateway/sources/sensor/formats/ttn_uplink.h"
#include "gateway/sources/sensor/formats/units.h"
#include "gateway/sources/sensor/formats/waterinfo_csv.h"
#include "tests/support/temp_dir.h"

namespace gw::sources {
namespace {

using gw::testing::testData;

std::string slurp(const std::filesystem::path& path) {
  auto text = readFile(path);
  EXPECT_TRUE(text.ok()) << path;
  return text.ok() ? *text : std::string();
}

// Runs a RecordParser over a whole file (any line ending) and collects everything.
ParseOutcome parseAll(RecordParser& parser, const std::string& text, size_t* bad_rows) {
  auto lines = splitLines(text);
  EXPECT_FALSE(lines.empty());
  EXPECT_TRUE(parser.parseHeader(lines[0]).ok()) << lines[0];
  ParseOutcome all;
  *bad_rows = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    auto row = parser.parseRow(lines[i]);
    if (!row.ok()) {
      ++*bad_rows;
      continue;
    }
    for (auto& r : row->readings) all.readings.push_back(r);
    for (auto& r : row->rejected) all.rejected.push_back(r);
  }
  return all;
}

TEST(WaterinfoCsvTest, ShortExportGivesEveryMeasuredLevelInDutchCivilTime) {
  const std::string text = slurp(testData("water/NVT_WATHTE_SCHE_20200507.csv"));
  // Independent expectation: column 5 ("Meting") of every data line.
  std::vector<double> expected;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> c;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ';');) c.push_back(cell);
    if (c.size() > 4 && !c[4].empty()) expected.push_back(std::stod(c[4]));
  }
  WaterinfoCsvParser parser("sche");
  size_t bad = 0;
  auto all = parseAll(parser, text, &bad);
  EXPECT_EQ(bad, 0u);
  ASSERT_EQ(all.readings.size(), expected.size());
  ASSERT_EQ(expected.size(), 144u);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_DOUBLE_EQ(all.readings[i].value(), expected[i]);
    EXPECT_EQ(all.readings[i].quantity(), "water_level");
    EXPECT_EQ(all.readings[i].unit(), "cm");
    EXPECT_EQ(all.readings[i].sensor_ref(), "Scheveningen");
  }
  // 7-5-2020 00:00:00 CEST is 2020-05-06T22:00:00Z; rows are 10 minutes apart.
  EXPECT_EQ(all.readings[0].observed_unix_ms(), *parseIsoUtcMs("2020-05-06T22:00:00Z"));
  EXPECT_EQ(all.readings[1].observed_unix_ms() - all.readings[0].observed_unix_ms(), 600000);
}

TEST(WaterinfoCsvTest, DdlExportWithCrOnlyLinesKeepsMeasuredRowsAndPositions) {
  const std::string text = slurp(testData("water/20200608_069_20200507.csv"));
  ASSERT_EQ(text.find('\n'), std::string::npos) << "the DDL export is expected to use CR only";
  WaterinfoCsvParser parser("sche-ddl");
  size_t bad = 0;
  auto all = parseAll(parser, text, &bad);
  EXPECT_EQ(bad, 0u);
  // 144 measured WATHTE rows; the 144 astronomical WATHTBRKD rows are skipped, counted.
  EXPECT_EQ(all.readings.size(), 144u);
  size_t not_measured = 0;
  for (const auto& r : all.rejected) not_measured += r.reason == "not_measured";
  EXPECT_EQ(not_measured, 144u);
  // Scheveningen harbour: EPSG:25831 (586550.99, 5772806.43) is about 52.10 N, 4.26 E.
  EXPECT_NEAR(all.readings[0].location().lat(), 52.10, 0.01);
  EXPECT_NEAR(all.readings[0].location().lon(), 4.26, 0.01);
  // Both exports describe the same day at the same station, the short one in CEST and the DDL one
  // in MET: at every instant both cover, the measured levels agree.
  WaterinfoCsvParser short_parser("sche");
  auto short_all =
      parseAll(short_parser, slurp(testData("water/NVT_WATHTE_SCHE_20200507.csv")), &bad);
  std::map<int64_t, double> short_by_time;
  for (const auto& r : short_all.readings) short_by_time[r.observed_unix_ms()] = r.value();
  size_t compared = 0;
  for (const auto& r : all.readings) {
    auto it = short_by_time.find(r.observed_unix_ms());
    if (it == short_by_time.end()) continue;
    EXPECT_DOUBLE_EQ(r.value(), it->second) << r.observed_unix_ms();
    ++compared;
  }
  EXPECT_EQ(compared, 138u);  // 23 of the 24 hours overlap
}

TEST(WaterinfoCsvTest, MissingMarkerAndBadValuesAreRejectedByReason) {
  WaterinfoCsvParser parser("x");
  ASSERT_TRUE(
      parser
          .parseHeader(
              "Datum;Tijd;Parameter;Locatie;Meting;Verwachting;Astronomisch getijden;Eenheid;")
          .ok());
  auto missing = parser.parseRow("7-5-2020;00:00:00;p;L;999999999;;;cm;");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->rejected.at(0).reason, "missing");
  auto malformed = parser.parseRow("7-5-2020;00:00:00;p;L;abc;;;cm;");
  ASSERT_TRUE(malformed.ok());
  EXPECT_EQ(malformed->rejected.at(0).reason, "malformed");
  EXPECT_FALSE(parser.parseRow("31-2-2020;00:00:00;p;L;1;;;cm;").ok());
  EXPECT_FALSE(parser.parseRow("garbage").ok());
  EXPECT_FALSE(WaterinfoCsvParser("y").parseHeader("a;b;c").ok());
}

TEST(KnmiHourlyCsvTest, July2021RainfallInMillimetresPerHour) {
  const std::string text = slurp(testData("water/knmi380_maastricht_hourly_precip_2021-07.csv"));
  double expected_total = 0;
  size_t expected_rows = 0;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    expected_total += std::stod(line.substr(line.find(',') + 1));
    ++expected_rows;
  }
  KnmiHourlyCsvParser parser("knmi380");
  size_t bad = 0;
  auto all = parseAll(parser, text, &bad);
  EXPECT_EQ(bad, 0u);
  ASSERT_EQ(all.readings.size(), expected_rows);
  double total = 0;
  for (const auto& r : all.readings) {
    EXPECT_EQ(r.quantity(), "rain_intensity");
    EXPECT_EQ(r.unit(), "mm/h");
    total += r.value();
  }
  EXPECT_NEAR(total, expected_total, 1e-6);
  EXPECT_EQ(all.readings[0].observed_unix_ms(), *parseIsoUtcMs("2021-07-01T00:00:00Z"));
}

TEST(KnmiHourlyCsvTest, WholeSeriesFromSharedDataWhenPresent) {
  const auto path =
      gw::testing::sharedDataDir() /
      "water/knmi_maastricht_geul_2021/knmi380_maastricht_hourly_precip_2019-2022.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not present: " << path;
  KnmiHourlyCsvParser parser("knmi380");
  size_t bad = 0;
  auto all = parseAll(parser, slurp(path), &bad);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(all.readings.size() + all.rejected.size(), 28465u);
}

TEST(SensorCommunityPushTest, AirrohrBodyBecomesPmTemperatureHumidityPressure) {
  auto out = parseSensorCommunityPush(
      slurp(testData("payloads/measurement_esp8266-11545355_NRZ-2020-133.json")), "push",
      1700000000000);
  ASSERT_TRUE(out.ok()) << out.status().toString();
  std::map<std::string, double> got;
  for (const auto& r : out->readings) {
    got[r.quantity()] = r.value();
    EXPECT_EQ(r.sensor_ref(), "esp8266-11545355");
    EXPECT_EQ(r.observed_unix_ms(), 1700000000000);
  }
  EXPECT_EQ(got.size(), 5u);
  EXPECT_DOUBLE_EQ(got["pm10"], 6.35);
  EXPECT_DOUBLE_EQ(got["pm2_5"], 3.83);
  EXPECT_DOUBLE_EQ(got["temperature"], 26.43);
  EXPECT_DOUBLE_EQ(got["relative_humidity"], 23.77);
  EXPECT_NEAR(got["air_pressure"], 995.0519, 1e-9);  // 99505.19 Pa
  EXPECT_TRUE(out->rejected.empty());  // samples, min_micro, interval, signal are housekeeping
}

TEST(SensorCommunityPushTest, MalformedBodiesAreRejected) {
  EXPECT_FALSE(parseSensorCommunityPush("not json", "p", 0).ok());
  EXPECT_FALSE(parseSensorCommunityPush("{\"esp8266id\":\"1\"}", "p", 0).ok());
  auto out = parseSensorCommunityPush(
      R"({"sensordatavalues":[{"value_type":"SDS_P1","value":"NaN"},{"value_type":"SDS_P2","value":"-3"},)"
      R"({"value_type":"mystery","value":"1"},{"value":"1"}]})",
      "p", 0);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->readings.empty());
  std::vector<std::string> reasons;
  for (const auto& r : out->rejected) reasons.push_back(r.reason);
  EXPECT_EQ(reasons, (std::vector<std::string>{"not_finite", "out_of_range", "unknown_value_type",
                                               "malformed"}));
}

TEST(CayenneLppTest, DecodesTheBertrikUplinkPayload) {
  // frm_payload of the TTN v3 sample, hex 010204460202019b036700f604684205732798.
  static const char kPayload[] =
      "\x01\x02\x04\x46\x02\x02\x01\x9b\x03\x67\x00\xf6\x04\x68\x42\x05\x73\x27\x98";
  const std::string bytes(kPayload, sizeof kPayload - 1);  // it holds a NUL byte
  ASSERT_EQ(bytes.size(), 19u);
  auto values = decodeCayenneLpp(bytes);
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(values->size(), 5u);
  EXPECT_DOUBLE_EQ((*values)[0].value, 10.94);
  EXPECT_DOUBLE_EQ((*values)[1].value, 4.11);
  EXPECT_DOUBLE_EQ((*values)[2].value, 24.6);
  EXPECT_DOUBLE_EQ((*values)[3].value, 33.0);
  EXPECT_DOUBLE_EQ((*values)[4].value, 1013.6);
  EXPECT_FALSE(decodeCayenneLpp(bytes.substr(0, 3)).ok());               // truncated item
  EXPECT_FALSE(decodeCayenneLpp(std::string("\x01\xff\x00", 3)).ok());   // unknown type
  auto negative = decodeCayenneLpp(std::string("\x01\x67\xff\x9c", 4));  // -10.0 degC
  ASSERT_TRUE(negative.ok());
  EXPECT_DOUBLE_EQ((*negative)[0].value, -10.0);
}

TEST(TtnUplinkTest, V3UplinkWithLppPayload) {
  TtnMapping mapping;
  mapping.lpp_analog_channels = {{1, "pm10"}, {2, "pm2_5"}};
  auto out = parseTtnUplink(slurp(testData("payloads/ttnv3_mqtt_message.json")), "ttn", mapping);
  ASSERT_TRUE(out.ok()) << out.status().toString();
  std::map<std::string, double> got;
  for (const auto& r : out->readings) {
    got[r.quantity()] = r.value();
    EXPECT_EQ(r.sensor_ref(), "fijnstofmeter");
    EXPECT_EQ(r.observed_unix_ms(), *parseIsoUtcMs("2021-02-04T22:12:45.761Z"));
  }
  EXPECT_DOUBLE_EQ(got["pm10"], 10.94);
  EXPECT_DOUBLE_EQ(got["pm2_5"], 4.11);
  EXPECT_DOUBLE_EQ(got["temperature"], 24.6);
  EXPECT_DOUBLE_EQ(got["relative_humidity"], 33.0);
  EXPECT_DOUBLE_EQ(got["air_pressure"], 1013.6);
  // Without a channel map the PM channels cannot be interpreted: rejected, not guessed.
  auto unmapped = parseTtnUplink(slurp(testData("payloads/ttnv3_mqtt_message.json")), "ttn", {});
  ASSERT_TRUE(unmapped.ok());
  EXPECT_EQ(unmapped->readings.size(), 3u);
  EXPECT_EQ(unmapped->rejected.size(), 2u);
}

TEST(TtnUplinkTest, DecodedPayloadIsPreferred) {
  const std::string uplink =
      R"({"end_device_ids":{"device_id":"node-7"},"received_at":"2024-05-01T10:00:00Z",)"
      R"("uplink_message":{"frm_payload":"AQIERg==","decoded_payload":{"pm25":3.0,"pm10":3.7,"temperature":10.1,)"
      R"("humidity":90.2,"airpressure":997,"battRemain":90,"tvoc":-8806}}})";
  auto out = parseTtnUplink(uplink, "ttn", {});
  ASSERT_TRUE(out.ok()) << out.status().toString();
  std::map<std::string, double> got;
  for (const auto& r : out->readings) got[r.quantity()] = r.value();
  EXPECT_EQ(got.size(), 5u);
  EXPECT_DOUBLE_EQ(got["pm2_5"], 3.0);
  EXPECT_DOUBLE_EQ(got["air_pressure"], 997);
  EXPECT_FALSE(parseTtnUplink("{\"uplink_message\":{}}", "ttn", {}).ok());
  EXPECT_FALSE(parseTtnUplink("[]", "ttn", {}).ok());
}

TEST(JsonReadingTest, ConvertsUnitsAndRejectsBadFields) {
  auto ok = parseJsonReading(
      R"({"sensor":"no2-1","quantity":"no2","unit":"ppb","value":20,"time":"2024-05-01T12:00:00Z"})",
      "udp");
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->readings.size(), 1u);
  // 20 ppb NO2 at 20 degC: 0.020 x 1000 x 46.0055 / 24.055 = 38.25 ug/m3.
  EXPECT_NEAR(ok->readings[0].value(), 0.020 * 1000 * 46.0055 / (22.414 * 293.15 / 273.15), 1e-9);
  EXPECT_EQ(ok->readings[0].unit(), "ug/m3");
  EXPECT_FALSE(parseJsonReading(R"({"quantity":"pm10","value":"high","time_ms":1})", "udp").ok());
  EXPECT_FALSE(parseJsonReading(R"({"quantity":"pm10","value":1})", "udp").ok());
  EXPECT_FALSE(
      parseJsonReading(R"({"quantity":"pm10","value":1,"time_ms":1,"lat":91,"lon":0})", "udp")
          .ok());
  auto unknown_unit =
      parseJsonReading(R"({"quantity":"pm10","unit":"furlongs","value":1,"time_ms":1})", "udp");
  ASSERT_TRUE(unknown_unit.ok());
  EXPECT_EQ(unknown_unit->rejected.at(0).reason, "unknown_unit");
}

TEST(UnitsTest, DocumentedFactors) {
  EXPECT_NEAR(molarVolumeLitres(20), 24.055, 0.001);
  EXPECT_NEAR(molarVolumeLitres(25), 24.465, 0.001);
  EXPECT_NEAR(*ppmToMicrogramsPerCubicMetre("o3", 0.050), 0.050 * 1000 * 47.9982 / 24.055, 0.01);
  EXPECT_NEAR(*toCanonical("air_pressure", "Pa", 101325), 1013.25, 1e-9);
  EXPECT_NEAR(*toCanonical("water_level", "m", 1.5), 150, 1e-9);
  EXPECT_NEAR(*toCanonical("temperature", "K", 273.15), 0, 1e-9);
  EXPECT_FALSE(toCanonical("pm10", "ppm", 1).has_value());  // particles have no molar mass
}

TEST(LengthPrefixedReadingsTest, FramesSplitAcrossReadsAndOversizedFramesFailTheStream) {
  gateway::v1::Reading a, b;
  a.set_quantity("pm10");
  a.set_value(1);
  b.set_quantity("pm2_5");
  b.set_value(2);
  const std::string stream =
      LengthPrefixedReadingDecoder::encode(a) + LengthPrefixedReadingDecoder::encode(b);
  LengthPrefixedReadingDecoder decoder;
  std::vector<gateway::v1::Reading> got;
  for (char c : stream) {  // one byte at a time, the worst split a TCP stream can produce
    for (auto& r : decoder.feed(std::string_view(&c, 1))) {
      ASSERT_TRUE(r.ok());
      got.push_back(*r);
    }
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].quantity(), "pm2_5");
  EXPECT_EQ(decoder.buffered(), 0u);
  LengthPrefixedReadingDecoder small(16);
  auto out = small.feed(std::string("\x00\x01\x00\x00", 4));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].ok());
  EXPECT_TRUE(small.failed());
  auto garbage = LengthPrefixedReadingDecoder().feed(std::string("\x00\x00\x00\x02\xff\xff", 6));
  ASSERT_EQ(garbage.size(), 1u);
  EXPECT_FALSE(garbage[0].ok());
}

}  // namespace
}  // namespace gw::sources

namespace gw::sources {
namespace {

TEST(AmsterdamTimeTest, SummerTimeFollowsTheEuRule) {
  EXPECT_EQ(amsterdamOffsetMinutes(2020, 1, 15, 12), 60);
  EXPECT_EQ(amsterdamOffsetMinutes(2020, 3, 29, 1), 60);  // last Sunday of March, before 02:00
  EXPECT_EQ(amsterdamOffsetMinutes(2020, 3, 29, 3), 120);
  EXPECT_EQ(amsterdamOffsetMinutes(2020, 7, 14, 0), 120);
  EXPECT_EQ(amsterdamOffsetMinutes(2020, 10, 25, 2), 120);  // the doubled hour: first pass
  EXPECT_EQ(amsterdamOffsetMinutes(2020, 10, 25, 3), 60);
  EXPECT_EQ(amsterdamOffsetMinutes(2021, 3, 28, 3), 120);  // 2021's last Sunday of March
  EXPECT_EQ(amsterdamOffsetMinutes(2021, 3, 27, 12), 60);
}

}  // namespace
}  // namespace gw::sources

#include "gateway/sources/sensor/formats/generic_csv.h"

namespace gw::sources {
namespace {

TEST(GenericCsvTest, OpenAqNo2InPpmFromSharedDataWhenPresent) {
  const auto path =
      gw::testing::sharedDataDir() / "air/openaq_toronto_west_2025-09/1274950_no2.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not present: " << path;
  gateway::v1::CsvColumnMap map;
  map.set_time_column("datetimeUtc");
  map.set_sensor_column("location_id");
  auto* v = map.add_values();
  v->set_column("value");
  v->set_quantity("no2");
  v->set_unit("ppm");
  GenericCsvParser parser("openaq", map);
  size_t bad = 0;
  const std::string text = slurp(path);
  auto all = parseAll(parser, text, &bad);
  EXPECT_EQ(bad, 0u);
  // Independently: the value column of the first data row, converted at 20 degC.
  auto lines = splitLines(text);
  auto header = splitFields(lines[0], ',');
  auto first = splitFields(lines[1], ',');
  size_t value_col = 0;
  for (size_t i = 0; i < header.size(); ++i) {
    if (trimField(header[i]) == "value") value_col = i;
  }
  const double ppm = std::stod(std::string(trimField(first[value_col])));
  ASSERT_FALSE(all.readings.empty());
  EXPECT_NEAR(all.readings[0].value(), ppm * 1000 * 46.0055 / (22.414 * 293.15 / 273.15), 1e-9);
  EXPECT_EQ(all.readings[0].sensor_ref(), "1274950");
  EXPECT_EQ(all.readings.size() + all.rejected.size(), lines.size() - 1);
}

TEST(GenericCsvTest, FilterColumnKeepsMeasuredRowsOfAWaterLevelExport) {
  const auto path = gw::testing::sharedDataDir() /
                    "water/rws_waterinfo_continu_inzicht/hoekvanholland_wathte_2026-02-01_02.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not present: " << path;
  gateway::v1::CsvColumnMap map;
  map.set_separator(";");
  map.set_time_column("date_time");
  map.set_filter_column("value_type");
  map.set_filter_value("meting");
  auto* v = map.add_values();
  v->set_column("value");
  v->set_quantity("water_level");
  v->set_unit("cm");
  GenericCsvParser parser("hvh", map);
  size_t bad = 0;
  auto all = parseAll(parser, slurp(path), &bad);
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(all.readings.size(), 145u);  // the 4 forecast rows are filtered out
  // 2026-02-01 13:00:00+01:00 is 12:00 UTC.
  EXPECT_EQ(all.readings[0].observed_unix_ms(), *parseIsoUtcMs("2026-02-01T12:00:00Z"));
}

TEST(GenericCsvTest, HeaderMustHoldTheMappedColumns) {
  gateway::v1::CsvColumnMap map;
  map.set_time_column("t");
  map.add_values()->set_column("v");
  EXPECT_FALSE(GenericCsvParser("x", map).parseHeader("time,v").ok());
  EXPECT_FALSE(GenericCsvParser("x", map).parseHeader("t,value").ok());
  GenericCsvParser ok("x", map);
  ASSERT_TRUE(ok.parseHeader("t,v").ok());
  EXPECT_FALSE(ok.parseRow("2024-01-01T00:00:00Z").ok());
}

}  // namespace
}  // namespace gw::sources
