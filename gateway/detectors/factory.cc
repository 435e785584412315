#include "gateway/detectors/factory.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include "gateway/detectors/builtin/air_quality/air_quality_detector.h"
#include "gateway/detectors/builtin/builtin_tables.h"
#include "gateway/detectors/builtin/threshold/threshold_detector.h"
#include "gateway/detectors/builtin/water_nuisance/water_nuisance_detector.h"
#include "gateway/detectors/host/plugin_detector.h"

namespace gw::detectors {
namespace {

// A built-in's typed policy message becomes the key/value parameters of the ABI: every field
// that is set, by its proto name, so the YAML key, the proto field and the parameter agree.
google::protobuf::RepeatedPtrField<gateway::v1::PluginParam> paramsOf(
    const google::protobuf::Message& message) {
  google::protobuf::RepeatedPtrField<gateway::v1::PluginParam> params;
  const auto* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    std::string value;
    switch (field->cpp_type()) {
      case google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE: {
        char text[64];
        std::snprintf(text, sizeof text, "%.17g", reflection->GetDouble(message, field));
        value = text;
        break;
      }
      case google::protobuf::FieldDescriptor::CPPTYPE_UINT32:
        value = std::to_string(reflection->GetUInt32(message, field));
        break;
      default:
        continue;  // the built-in messages use only these types
    }
    auto* param = params.Add();
    param->set_key(field->name());
    param->set_value(value);
  }
  return params;
}

}  // namespace

Result<DetectorPtr> createDetector(const gateway::v1::Detector& config, Counters* counters) {
  switch (config.kind_case()) {
    case gateway::v1::Detector::kThreshold:
      return DetectorPtr(std::make_unique<ThresholdDetector>(config.id(), config.threshold()));
    case gateway::v1::Detector::kAirQuality:
      return DetectorPtr(std::make_unique<AirQualityDetector>(config.id(), config.air_quality()));
    case gateway::v1::Detector::kWaterNuisance:
      return DetectorPtr(
          std::make_unique<WaterNuisanceDetector>(config.id(), config.water_nuisance()));
    case gateway::v1::Detector::kFall: {
      auto fall = PluginDetector::builtin(config.id(), &gw_builtin_fall_init,
                                          paramsOf(config.fall()), counters);
      if (!fall.ok()) return fall.status();
      return DetectorPtr(std::move(fall).value());
    }
    case gateway::v1::Detector::kPlugin: {
      auto plugin = PluginDetector::load(config, counters);
      if (!plugin.ok()) return plugin.status();
      return DetectorPtr(std::move(plugin).value());
    }
    case gateway::v1::Detector::KIND_NOT_SET:
      break;
  }
  return invalidArgument("detector '" + config.id() + "' has no kind");
}

}  // namespace gw::detectors
