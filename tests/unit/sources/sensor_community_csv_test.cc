#include "gateway/sources/sensor/sensor_community_csv.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace gw::sources {
namespace {

using gw::testing::testData;

// Counts the non-empty cells of the named columns with a plain split, independently of the parser.
std::map<std::string, int> countCells(const std::filesystem::path& path,
                                      const std::vector<std::string>& columns) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream hs(line);
  for (std::string cell; std::getline(hs, cell, ';');) header.push_back(cell);
  std::map<std::string, int> counts;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ';');) cells.push_back(cell);
    for (size_t i = 0; i < cells.size() && i < header.size(); ++i) {
      for (const auto& c : columns) {
        if (header[i] == c && !cells[i].empty()) counts[c]++;
      }
    }
  }
  return counts;
}

std::vector<gateway::v1::Reading> parseFile(const std::filesystem::path& path, size_t* rejected) {
  SensorCommunityCsvParser parser("src");
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_TRUE(parser.parseHeader(line).ok());
  std::vector<gateway::v1::Reading> out;
  *rejected = 0;
  while (std::getline(in, line)) {
    auto row = parser.parseRow(line);
    EXPECT_TRUE(row.ok()) << row.status().toString() << " in " << line;
    if (!row.ok()) continue;
    *rejected += row->rejected.size();
    for (auto& r : row->readings) out.push_back(r);
  }
  return out;
}

TEST(SensorCommunityCsvTest, Sds011FileYieldsOnePm10AndOnePm25PerRow) {
  const auto path = testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv");
  size_t rejected = 0;
  auto readings = parseFile(path, &rejected);
  auto expected = countCells(path, {"P1", "P2"});
  int pm10 = 0, pm25 = 0;
  for (const auto& r : readings) {
    if (r.quantity() == "pm10") ++pm10;
    if (r.quantity() == "pm2_5") ++pm25;
    EXPECT_EQ(r.unit(), "ug/m3");
    EXPECT_EQ(r.sensor_ref(), "5331");
    EXPECT_DOUBLE_EQ(r.location().lat(), 57.138);
  }
  EXPECT_EQ(rejected, 0u);
  EXPECT_EQ(pm10, expected["P1"]);
  EXPECT_EQ(pm25, expected["P2"]);
  EXPECT_GT(pm10, 500);
  // First data row: 5331;SDS011;3121;57.138;-2.077;2019-02-13T00:00:...;P1;...
  EXPECT_EQ(readings[0].observed_unix_ms() / 1000 / 86400, 17940);  // 2019-02-13 in days since 1970
}

TEST(SensorCommunityCsvTest, Bme280PressureIsConvertedFromPascalToHectopascal) {
  const auto path = testData("air/sensor_community/2019-02-13_bme280_sensor_16423.csv");
  size_t rejected = 0;
  auto readings = parseFile(path, &rejected);
  auto expected = countCells(path, {"pressure", "temperature", "humidity"});
  int pressure = 0;
  for (const auto& r : readings) {
    if (r.quantity() != "air_pressure") continue;
    ++pressure;
    EXPECT_EQ(r.unit(), "hPa");
    EXPECT_GT(r.value(), 900);
    EXPECT_LT(r.value(), 1100);
    EXPECT_EQ(r.quality_flags(), gateway::v1::QUALITY_FLAG_CONVERTED);
  }
  EXPECT_EQ(pressure, expected["pressure"]);
  EXPECT_EQ(
      readings.size() + rejected,
      static_cast<size_t>(expected["pressure"] + expected["temperature"] + expected["humidity"]));
}

TEST(SensorCommunityCsvTest, Dht22HumidityAndTemperature) {
  const auto path = testData("air/sensor_community/2019-02-13_dht22_sensor_5332.csv");
  size_t rejected = 0;
  auto readings = parseFile(path, &rejected);
  auto expected = countCells(path, {"temperature", "humidity"});
  EXPECT_EQ(readings.size() + rejected,
            static_cast<size_t>(expected["temperature"] + expected["humidity"]));
  for (const auto& r : readings) {
    EXPECT_TRUE(r.quantity() == "temperature" || r.quantity() == "relative_humidity")
        << r.quantity();
  }
}

class MalformedRowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(parser_
                    .parseHeader("sensor_id;sensor_type;location;lat;lon;timestamp;P1;durP1;"
                                 "ratioP1;P2;durP2;ratioP2")
                    .ok());
  }
  SensorCommunityCsvParser parser_{"s"};
};

TEST_F(MalformedRowTest, WrongColumnCountIsRejected) {
  auto row = parser_.parseRow("5331;SDS011;3121;57.1;-2.0;2019-02-13T00:00:00;1.0");
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.status().message(), "row has 7 columns, header has 12");
}

TEST_F(MalformedRowTest, BadTimestampIsRejected) {
  auto row = parser_.parseRow("5331;SDS011;3121;57.1;-2.0;13/02/2019 00:00;1.0;;;2.0;;");
  ASSERT_FALSE(row.ok());
  EXPECT_NE(row.status().message().find("is not YYYY-MM-DDTHH:MM:SS"), std::string::npos);
}

TEST_F(MalformedRowTest, BadPositionIsRejected) {
  auto row = parser_.parseRow("5331;SDS011;3121;97.1;-2.0;2019-02-13T00:00:00;1.0;;;2.0;;");
  ASSERT_FALSE(row.ok());
}

TEST_F(MalformedRowTest, BadValuesAreRejectedOneByOneWithReasons) {
  auto row = parser_.parseRow("5331;SDS011;3121;57.1;-2.0;2019-02-13T00:00:00;abc;;;inf;;");
  ASSERT_TRUE(row.ok());
  EXPECT_TRUE(row->readings.empty());
  ASSERT_EQ(row->rejected.size(), 2u);
  EXPECT_EQ(row->rejected[0].reason, "malformed");
  // from_chars accepts "inf"; the finiteness check must reject it.
  EXPECT_EQ(row->rejected[1].reason, "not_finite");
  auto out = parser_.parseRow("5331;SDS011;3121;57.1;-2.0;2019-02-13T00:00:00;-5;;;2000;;");
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->rejected.size(), 2u);
  EXPECT_EQ(out->rejected[0].reason, "out_of_range");
  EXPECT_EQ(out->rejected[1].reason, "out_of_range");
}

TEST(SensorCommunityCsvHeaderTest, HeaderWithoutKnownColumnsIsRejected) {
  SensorCommunityCsvParser parser("s");
  EXPECT_FALSE(parser.parseHeader("a;b;c").ok());
  EXPECT_FALSE(parser.parseHeader("sensor_id;lat;lon;timestamp;noise").ok());
  EXPECT_FALSE(parser.parseRow("1;2;3;4").ok());
}

TEST(IsoTimeTest, ParsesUtcWithOptionalFractionAndZone) {
  EXPECT_EQ(*parseIsoUtcMs("1970-01-01T00:00:01"), 1000);
  EXPECT_EQ(*parseIsoUtcMs("2019-02-13T00:00:04Z"), 1550016004000);
  EXPECT_EQ(*parseIsoUtcMs("2019-02-13T00:00:04.25"), 1550016004250);
  EXPECT_FALSE(parseIsoUtcMs("2019-13-13T00:00:04").ok());
  EXPECT_EQ(*parseIsoUtcMs("2019-02-13T00:00:04+01:00"), 1550016004000 - 3600000);
  EXPECT_EQ(*parseIsoUtcMs("2021-02-04T22:12:45.761243856Z"), 1612476765761);
  EXPECT_FALSE(parseIsoUtcMs("2019-02-13T00:00:04+1:00").ok());
  EXPECT_FALSE(parseIsoUtcMs("2019-02-29T00:00:04").ok());  // not a leap year
}

}  // namespace
}  // namespace gw::sources
