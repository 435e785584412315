#pragma once
// Parser for the Sensor.Community (luftdaten) archive CSV, e.g.
//   sensor_id;sensor_type;location;lat;lon;timestamp;P1;durP1;ratioP1;P2;durP2;ratioP2
//   5331;SDS011;3121;57.138;-2.077;2019-02-12T00:00:04;9.00;;;2.80;;
// The header names the columns, so SDS011, DHT22, BME280 and the other sensor types share it.
// Each row yields one Reading per known, non-empty value column:
//   P1 -> pm10 ug/m3, P2 -> pm2_5 ug/m3, P0 -> pm1, temperature -> degC, humidity ->
//   relative_humidity percent, pressure (Pa) -> air_pressure hPa (flagged CONVERTED).
#include <string>
#include <vector>

#include "gateway/sources/sensor/formats/record_parser.h"
#include "gateway/sources/sensor/formats/time_parse.h"

namespace gw::sources {

class SensorCommunityCsvParser : public RecordParser {
 public:
  // `source_id` goes into every Reading.
  explicit SensorCommunityCsvParser(std::string source_id) : source_id_(std::move(source_id)) {}

  Status parseHeader(std::string_view line) override;
  // InvalidArgument for a row that cannot be used at all (column count, id, time, position).
  Result<ParseOutcome> parseRow(std::string_view line) override;

 private:
  struct ValueColumn {
    size_t index;
    std::string name;
    std::string quantity;
    std::string unit;
  };

  std::string source_id_;
  size_t column_count_ = 0;
  size_t sensor_id_col_ = 0, lat_col_ = 0, lon_col_ = 0, timestamp_col_ = 0;
  std::vector<ValueColumn> values_;
  bool have_header_ = false;
};

}  // namespace gw::sources
