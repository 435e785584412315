#pragma once
#include "gateway/sources/sensor/formats/record_parser.h"
#include "gateway/v1/policy.pb.h"

namespace gw::sources {

// The line-oriented parser for a replayable file format; InvalidArgument for a format that is not
// line-oriented (message formats belong to listeners, not to file replay).
Result<RecordParserPtr> makeRecordParser(const gateway::v1::SensorSource& sensor,
                                         const std::string& source_id);

}  // namespace gw::sources
