#include "gateway/sources/sensor/formats/record_parser_factory.h"

#include "gateway/sources/sensor/formats/generic_csv.h"
#include "gateway/sources/sensor/formats/knmi_hourly_csv.h"
#include "gateway/sources/sensor/formats/waterinfo_csv.h"
#include "gateway/sources/sensor/sensor_community_csv.h"

namespace gw::sources {

Result<RecordParserPtr> makeRecordParser(const gateway::v1::SensorSource& sensor,
                                         const std::string& source_id) {
  switch (sensor.format()) {
    case gateway::v1::SENSOR_FORMAT_SENSOR_COMMUNITY_CSV:
      return RecordParserPtr(std::make_unique<SensorCommunityCsvParser>(source_id));
    case gateway::v1::SENSOR_FORMAT_RWS_WATERINFO_CSV:
      return RecordParserPtr(std::make_unique<WaterinfoCsvParser>(source_id));
    case gateway::v1::SENSOR_FORMAT_KNMI_HOURLY_CSV:
      return RecordParserPtr(std::make_unique<KnmiHourlyCsvParser>(source_id));
    case gateway::v1::SENSOR_FORMAT_GENERIC_CSV:
      return RecordParserPtr(std::make_unique<GenericCsvParser>(source_id, sensor.csv()));
    default:
      break;
  }
  return invalidArgument("sensor format " + gateway::v1::SensorFormat_Name(sensor.format()) +
                         " cannot be replayed from a file");
}

}  // namespace gw::sources
