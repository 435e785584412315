#pragma once
// KNMI hourly precipitation as `Datetime,Precipitation` CSV ("2021-07-14 13:00:00,5.3"): the
// rain that fell in that hour, in mm, which is the hour's mean intensity in mm/h. Times are UTC
// (KNMI publishes hourly station data in UTC). Each row becomes one rain_intensity reading.
#include <string>

#include "gateway/sources/sensor/formats/record_parser.h"

namespace gw::sources {

class KnmiHourlyCsvParser : public RecordParser {
 public:
  explicit KnmiHourlyCsvParser(std::string source_id) : source_id_(std::move(source_id)) {}
  Status parseHeader(std::string_view line) override;
  Result<ParseOutcome> parseRow(std::string_view line) override;

 private:
  std::string source_id_;
};

}  // namespace gw::sources
