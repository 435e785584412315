#include "gateway/detectors/host/plugin_instance.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <cstddef>

#include "gateway/detectors/builtin/builtin_tables.h"

namespace gw::detectors {
namespace {

void spdlogLog(void* ctx, int32_t level, const char* message) {
  const auto* id = static_cast<const std::string*>(ctx);
  spdlog::log(level >= 3   ? spdlog::level::err
              : level == 2 ? spdlog::level::warn
              : level == 1 ? spdlog::level::info
                           : spdlog::level::debug,
              "Plugin detector={} says: {}", *id, message == nullptr ? "" : message);
}

Status refuse(const std::string& path, const std::string& why) {
  return failedPrecondition("plugin " + path + " refused: " + why);
}

// What one call's emits gather, copied while the plugin's memory is valid.
struct EmitContext {
  std::vector<gateway::v1::Event>* events;
  size_t max_events;
  size_t emitted = 0;
};

void collectEvent(void* ctx, const gw_event_out* e) {
  auto* context = static_cast<EmitContext*>(ctx);
  ++context->emitted;
  if (context->events->size() >= context->max_events) return;
  gateway::v1::Event event;
  if (eventFromPlugin(e, event)) context->events->push_back(std::move(event));
}

}  // namespace

bool eventFromPlugin(const gw_event_out* e, gateway::v1::Event& event) {
  // Only fields that exist in the plugin's version of the struct are read.
  if (e == nullptr || e->struct_size < offsetof(gw_event_out, roi_x)) return false;
  event.set_kind(e->kind != nullptr ? e->kind : "event");
  event.set_severity(e->severity >= GW_SEVERITY_INFO && e->severity <= GW_SEVERITY_ALARM
                         ? static_cast<gateway::v1::Severity>(e->severity)
                         : gateway::v1::SEVERITY_INFO);
  if (e->source_id != nullptr) event.set_source_id(e->source_id);
  if (e->quantity != nullptr) event.set_quantity(e->quantity);
  event.set_value(e->value);
  event.set_threshold(e->threshold);
  event.set_observed_unix_ms(e->observed_unix_ms);
  if (e->summary != nullptr) event.set_summary(e->summary);
  if (e->confidence > 0 && e->confidence <= 1) event.set_confidence(e->confidence);
  if (GW_HAS_FIELD(gw_event_out, e, roi_h) && e->roi_w > 0 && e->roi_h > 0) {
    auto* box = event.mutable_box();
    box->set_x(e->roi_x);
    box->set_y(e->roi_y);
    box->set_width(e->roi_w);
    box->set_height(e->roi_h);
  }
  if (GW_HAS_FIELD(gw_event_out, e, lon)) {  // API minor 2
    if (e->unit != nullptr) event.set_unit(e->unit);
    // 0/0 is what a detector copies from a reading without a position (the view has no "none"),
    // not a place in the Gulf of Guinea: it counts as no location, so the site's applies.
    if (e->has_location != 0 && (e->lat != 0 || e->lon != 0)) {
      event.mutable_location()->set_lat(e->lat);
      event.mutable_location()->set_lon(e->lon);
    }
  }
  return true;
}

gw_detector_plugin_init_fn builtinInit(const std::string& name) {
  if (name == "threshold") return &gw_builtin_threshold_init;
  if (name == "air_quality") return &gw_builtin_air_quality_init;
  if (name == "water_nuisance") return &gw_builtin_water_nuisance_init;
  if (name == "fall") return &gw_builtin_fall_init;
  return nullptr;
}

Result<std::unique_ptr<PluginInstance>> PluginInstance::open(const std::string& plugin,
                                                             const std::string& detector_id,
                                                             const std::vector<gw_param>& params,
                                                             gw_log_fn log, void* log_ctx) {
  const std::string prefix = kBuiltinPrefix;
  if (plugin.rfind(prefix, 0) == 0) {
    gw_detector_plugin_init_fn init = builtinInit(plugin.substr(prefix.size()));
    if (init == nullptr) return refuse(plugin, "no built-in detector has that name");
    return openTable(init, "built-in", detector_id, params, log, log_ctx);
  }
  void* handle = ::dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return refuse(plugin, std::string("cannot load: ") + ::dlerror());
  auto init =
      reinterpret_cast<gw_detector_plugin_init_fn>(::dlsym(handle, GW_DETECTOR_PLUGIN_INIT_SYMBOL));
  if (init == nullptr) {
    ::dlclose(handle);
    return refuse(plugin, std::string("it does not export ") + GW_DETECTOR_PLUGIN_INIT_SYMBOL);
  }
  auto instance = openTable(init, plugin, detector_id, params, log, log_ctx);
  if (!instance.ok()) {
    ::dlclose(handle);
    return instance.status();
  }
  (*instance)->library_ = handle;
  return instance;
}

Result<std::unique_ptr<PluginInstance>> PluginInstance::openTable(
    gw_detector_plugin_init_fn init, const std::string& path, const std::string& detector_id,
    const std::vector<gw_param>& params, gw_log_fn log, void* log_ctx) {
  std::unique_ptr<PluginInstance> self(new PluginInstance());
  self->detector_id_ = detector_id;
  // The host API lives as long as the instance: a plugin may keep the pointer for logging.
  self->host_api_ = {sizeof(gw_host_api), GW_DETECTOR_ABI_MAJOR, GW_DETECTOR_API_MINOR,
                     log != nullptr ? log : &spdlogLog,
                     log != nullptr ? log_ctx : &self->detector_id_};
  const gw_detector_api* api = init(GW_DETECTOR_ABI_MAJOR, GW_DETECTOR_API_MINOR, &self->host_api_);
  if (api == nullptr) {
    return refuse(path, "it does not support ABI " + std::to_string(GW_DETECTOR_ABI_MAJOR));
  }
  // The size first: nothing beyond it may be read.
  if (api->struct_size < sizeof(gw_detector_api)) {
    return refuse(path, "its function table is " + std::to_string(api->struct_size) +
                            " bytes, version 1 has " + std::to_string(sizeof(gw_detector_api)));
  }
  if (api->abi_major != GW_DETECTOR_ABI_MAJOR) {
    return refuse(path, "it was built for ABI " + std::to_string(api->abi_major) +
                            ", this host speaks " + std::to_string(GW_DETECTOR_ABI_MAJOR));
  }
  if (api->create == nullptr || api->destroy == nullptr ||
      (api->on_reading == nullptr && api->on_frame == nullptr)) {
    return refuse(path,
                  "its function table lacks create, destroy, or both on_reading and on_frame");
  }
  self->api_ = api;
  self->name_ = api->name != nullptr ? api->name : path;
  self->version_ = api->version != nullptr ? api->version : "?";
  char error[256] = {0};
  if (api->create(params.data(), params.size(), &self->instance_, error, sizeof error) != GW_OK ||
      self->instance_ == nullptr) {
    self->instance_ = nullptr;
    return invalidArgument("detector '" + detector_id + "' (" + self->name_ +
                           ") did not start: " + error);
  }
  return self;
}

PluginInstance::~PluginInstance() {
  if (api_ != nullptr && instance_ != nullptr) api_->destroy(instance_);
  if (library_ != nullptr) ::dlclose(library_);
}

PluginInstance::CallResult PluginInstance::onReading(const gateway::v1::Reading& reading,
                                                     std::vector<gateway::v1::Event>& events,
                                                     size_t max_events) {
  gw_reading_view view{sizeof(gw_reading_view),
                       reading.source_id().c_str(),
                       reading.quantity().c_str(),
                       reading.unit().c_str(),
                       reading.value(),
                       reading.observed_unix_ms(),
                       reading.location().lat(),
                       reading.location().lon(),
                       reading.sensor_ref().c_str(),
                       reading.quality_flags()};
  EmitContext context{&events, events.size() + max_events};
  if (max_events == SIZE_MAX) context.max_events = SIZE_MAX;
  const gw_status status = api_->on_reading(instance_, &view, &collectEvent, &context);
  return {status, context.emitted};
}

PluginInstance::CallResult PluginInstance::onFrame(const gw_frame_view& frame,
                                                   std::vector<gateway::v1::Event>& events,
                                                   size_t max_events) {
  EmitContext context{&events, events.size() + max_events};
  if (max_events == SIZE_MAX) context.max_events = SIZE_MAX;
  const gw_status status = api_->on_frame(instance_, &frame, &collectEvent, &context);
  return {status, context.emitted};
}

}  // namespace gw::detectors
