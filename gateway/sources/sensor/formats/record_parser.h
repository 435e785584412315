#pragma once
// A parser for a line-oriented sensor file: a header line, then one record per line.
#include <memory>
#include <string_view>

#include "gateway/core/status.h"
#include "gateway/sources/sensor/formats/parse_outcome.h"

namespace gw::sources {

class RecordParser {
 public:
  virtual ~RecordParser() = default;
  // Called with the first line of the file; InvalidArgument when it is not this format.
  virtual Status parseHeader(std::string_view line) = 0;
  // One data line. InvalidArgument for a line that cannot be used at all; values it cannot use are
  // listed in the outcome's `rejected`. An empty outcome (no readings, nothing rejected) is a
  // line that carries nothing to report (e.g. a forecast-only row).
  virtual Result<ParseOutcome> parseRow(std::string_view line) = 0;
};

using RecordParserPtr = std::unique_ptr<RecordParser>;

}  // namespace gw::sources
