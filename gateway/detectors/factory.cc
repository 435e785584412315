#include "gateway/detectors/factory.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <cctype>
#include <cstdio>

#include "gateway/detectors/builtin/builtin_tables.h"
#include "gateway/detectors/host/plugin_detector.h"
#include "gateway/detectors/host/plugin_instance.h"
#include "gateway/detectors/isolation/child_process.h"
#include "gateway/detectors/isolation/isolated_backend.h"

namespace gw::detectors {
namespace {

namespace pb = google::protobuf;

// An enum value as the policy YAML writes it: lower case, without the type's prefix
// (SEVERITY_ALARM -> alarm).
std::string policySpelling(const pb::EnumValueDescriptor* value) {
  std::string prefix;  // Severity -> SEVERITY_
  for (char c : value->type()->name()) {
    if (std::isupper(static_cast<unsigned char>(c)) && !prefix.empty()) prefix += '_';
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  prefix += '_';
  std::string name = value->name();
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// A built-in's typed policy message becomes the key/value parameters of the ABI: every field, by
// its proto name, so the YAML key, the proto field and the parameter agree. Fields the policy
// leaves out are passed too, with proto3's zero value, so a built-in sees exactly what the typed
// message held (an explicit `clear_below: 0` stays 0).
pb::RepeatedPtrField<gateway::v1::PluginParam> paramsOf(const pb::Message& message) {
  pb::RepeatedPtrField<gateway::v1::PluginParam> params;
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (field->is_repeated()) continue;  // the built-in messages have none
    std::string value;
    switch (field->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
        char text[64];
        std::snprintf(text, sizeof text, "%.17g", reflection->GetDouble(message, field));
        value = text;
        break;
      }
      case pb::FieldDescriptor::CPPTYPE_UINT32:
        value = std::to_string(reflection->GetUInt32(message, field));
        break;
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        value = reflection->GetBool(message, field) ? "true" : "false";
        break;
      case pb::FieldDescriptor::CPPTYPE_STRING:
        value = reflection->GetString(message, field);
        break;
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        value = policySpelling(reflection->GetEnum(message, field));
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

// The detector-level budget_ms as the host parameter the host takes out of the list.
void addBudget(const gateway::v1::Detector& config,
               pb::RepeatedPtrField<gateway::v1::PluginParam>* params) {
  if (config.budget_ms() == 0) return;
  auto* param = params->Add();
  param->set_key("budget_ms");
  param->set_value(std::to_string(config.budget_ms()));
}

Result<DetectorPtr> builtin(const gateway::v1::Detector& config, gw_detector_plugin_init_fn init,
                            const pb::Message& settings, const HostContext& host) {
  auto params = paramsOf(settings);
  addBudget(config, &params);
  auto detector = PluginDetector::builtin(config.id(), init, params, host);
  if (!detector.ok()) return detector.status();
  return DetectorPtr(std::move(detector).value());
}

// `isolation: process`: the table runs in a confined child (isolation/child_process.h). The
// sandbox's defaults are here, where the policy's zeros become them (docs/PLUGINS.md).
Result<DetectorPtr> isolated(const gateway::v1::Detector& config, const std::string& plugin,
                             const pb::RepeatedPtrField<gateway::v1::PluginParam>& params,
                             const HostContext& host) {
  OverrunLimits limits;
  ChildSettings child;
  if (Status status = PluginDetector::splitHostParams(config.id(), params, limits, child.params);
      !status.ok()) {
    return status;
  }
  const auto& sandbox = config.sandbox();
  auto or_default = [](uint32_t value, uint32_t fallback) { return value != 0 ? value : fallback; };
  child.host_binary = host.detector_host.empty() ? defaultDetectorHost() : host.detector_host;
  child.detector_id = config.id();
  child.plugin = plugin;
  child.limits.set_address_space_bytes(uint64_t{or_default(sandbox.memory_mb(), 1024)} << 20);
  child.limits.set_cpu_seconds(or_default(sandbox.cpu_seconds(), 3600));
  for (const auto& path : sandbox.read_paths()) child.limits.add_read_paths(path);
  child.limits.set_max_events_per_call(or_default(sandbox.max_events_per_call(), 100));
  const auto budget_ms = static_cast<uint32_t>(limits.budget.count());
  child.reply_timeout = std::chrono::milliseconds(
      or_default(sandbox.reply_timeout_ms(), std::max<uint32_t>(1000, 5 * budget_ms)));
  child.roundtrip = host.roundtrip;
  RestartLimits restart;
  restart.fault_limit = static_cast<int>(or_default(sandbox.restart_limit(), 5));
  restart.fault_window = std::chrono::seconds(or_default(sandbox.restart_window_s(), 300));
  restart.cooldown = std::chrono::seconds(or_default(sandbox.cooldown_s(), 60));
  auto backend = IsolatedBackend::start(std::move(child));
  if (!backend.ok()) return backend.status();
  return DetectorPtr(
      PluginDetector::create(config.id(), std::move(backend).value(), limits, restart, host));
}

// The built-in's name for the child host ("builtin:threshold"), by the policy's kind.
std::string builtinName(const gateway::v1::Detector& config) {
  switch (config.kind_case()) {
    case gateway::v1::Detector::kThreshold:
      return "threshold";
    case gateway::v1::Detector::kAirQuality:
      return "air_quality";
    case gateway::v1::Detector::kWaterNuisance:
      return "water_nuisance";
    case gateway::v1::Detector::kFall:
      return "fall";
    default:
      return "";
  }
}

}  // namespace

Result<DetectorPtr> createDetector(const gateway::v1::Detector& config, Counters* counters) {
  HostContext host;
  host.counters = counters;
  return createDetector(config, host);
}

bool runsInOwnProcess(const gateway::v1::Detector& config) {
  switch (config.isolation()) {
    case gateway::v1::ISOLATION_PROCESS:
      return true;
    case gateway::v1::ISOLATION_NONE:
      return false;
    default:
      // Third-party code is confined unless the operator says otherwise; gatewayd's own
      // detectors run in process, where a call costs no copy and no context switch.
      return config.has_plugin();
  }
}

Result<DetectorPtr> createDetector(const gateway::v1::Detector& config, const HostContext& host) {
  if (config.kind_case() != gateway::v1::Detector::KIND_NOT_SET && runsInOwnProcess(config)) {
    if (config.has_plugin()) {
      gateway::v1::Detector with_budget = config;
      addBudget(config, with_budget.mutable_plugin()->mutable_params());
      return isolated(config, config.plugin().path(), with_budget.plugin().params(), host);
    }
    const pb::Message* settings = nullptr;
    switch (config.kind_case()) {
      case gateway::v1::Detector::kThreshold:
        settings = &config.threshold();
        break;
      case gateway::v1::Detector::kAirQuality:
        settings = &config.air_quality();
        break;
      case gateway::v1::Detector::kWaterNuisance:
        settings = &config.water_nuisance();
        break;
      default:
        settings = &config.fall();
        break;
    }
    auto params = paramsOf(*settings);
    addBudget(config, &params);
    return isolated(config, std::string(PluginInstance::kBuiltinPrefix) + builtinName(config),
                    params, host);
  }
  switch (config.kind_case()) {
    case gateway::v1::Detector::kThreshold:
      return builtin(config, &gw_builtin_threshold_init, config.threshold(), host);
    case gateway::v1::Detector::kAirQuality:
      return builtin(config, &gw_builtin_air_quality_init, config.air_quality(), host);
    case gateway::v1::Detector::kWaterNuisance:
      return builtin(config, &gw_builtin_water_nuisance_init, config.water_nuisance(), host);
    case gateway::v1::Detector::kFall:
      return builtin(config, &gw_builtin_fall_init, config.fall(), host);
    case gateway::v1::Detector::kPlugin: {
      gateway::v1::Detector with_budget = config;
      addBudget(config, with_budget.mutable_plugin()->mutable_params());
      auto plugin = PluginDetector::load(with_budget, host);
      if (!plugin.ok()) return plugin.status();
      return DetectorPtr(std::move(plugin).value());
    }
    case gateway::v1::Detector::KIND_NOT_SET:
      break;
  }
  return invalidArgument("detector '" + config.id() + "' has no kind");
}

}  // namespace gw::detectors
