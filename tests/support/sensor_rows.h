#pragma once
// The readings of a whole CSV text through a sensor format's RecordParser (header, then every
// row; rows the parser refuses are left out), for tests that feed real data files to a detector.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/sources/sensor/formats/record_parser.h"
#include "gateway/sources/sensor/formats/text_split.h"

namespace gw::testing {

inline std::vector<gateway::v1::Reading> parseRows(sources::RecordParser& parser,
                                                   const std::string& text) {
  auto lines = sources::splitLines(text);
  EXPECT_TRUE(parser.parseHeader(lines[0]).ok());
  std::vector<gateway::v1::Reading> out;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto row = parser.parseRow(lines[i]);
    if (row.ok()) out.insert(out.end(), row->readings.begin(), row->readings.end());
  }
  return out;
}

}  // namespace gw::testing
