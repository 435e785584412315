#pragma once
// Any CSV with a header row, described by a column map in the policy (CsvColumnMap): which
// column holds the time (ISO 8601 or Unix ms), optionally the sensor id, and which columns hold
// which quantity in which unit. Rows can be filtered on one column (e.g. value_type = meting).
// Quoted fields are supported. This is how OpenAQ exports (ppm gases, unsorted rows) are read.
#include <string>
#include <vector>

#include "gateway/sources/sensor/formats/record_parser.h"
#include "gateway/v1/policy.pb.h"

namespace gw::sources {

class GenericCsvParser : public RecordParser {
 public:
  GenericCsvParser(std::string source_id, gateway::v1::CsvColumnMap map);
  Status parseHeader(std::string_view line) override;
  Result<ParseOutcome> parseRow(std::string_view line) override;

 private:
  struct Column {
    size_t index;
    std::string name, quantity, unit;
  };
  std::string source_id_;
  gateway::v1::CsvColumnMap map_;
  char separator_ = ',';
  size_t columns_ = 0;
  size_t time_ = 0;
  int sensor_ = -1, filter_ = -1;
  std::vector<Column> values_;
};

}  // namespace gw::sources
