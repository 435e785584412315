#include "gateway/detectors/host/plugin_detector.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "gateway/core/clock.h"

namespace gw::detectors {

class PluginLibrary {
 public:
  explicit PluginLibrary(void* handle) : handle_(handle) {}
  ~PluginLibrary() {
    if (handle_ != nullptr) ::dlclose(handle_);
  }
  void* handle() const { return handle_; }

 private:
  void* handle_;
};

namespace {

void hostLog(void* ctx, int32_t level, const char* message) {
  const auto* id = static_cast<const std::string*>(ctx);
  spdlog::log(level >= 3   ? spdlog::level::err
              : level == 2 ? spdlog::level::warn
              : level == 1 ? spdlog::level::info
                           : spdlog::level::debug,
              "Plugin detector={} says: {}", *id, message == nullptr ? "" : message);
}

// What the host gathers from one call's emits, copied while the plugin's memory is valid.
struct EmitContext {
  const std::string* detector_id;
  std::vector<gateway::v1::Event> events;
};

void collectEvent(void* ctx, const gw_event_out* e) {
  auto* context = static_cast<EmitContext*>(ctx);
  // Only fields that exist in the plugin's version of the struct are read.
  if (e == nullptr || e->struct_size < offsetof(gw_event_out, roi_x)) return;
  gateway::v1::Event event;
  event.set_detector_id(*context->detector_id);
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
    if (e->has_location != 0) {
      event.mutable_location()->set_lat(e->lat);
      event.mutable_location()->set_lon(e->lon);
    }
  }
  context->events.push_back(std::move(event));
}

Status refuse(const std::string& path, const std::string& why) {
  return failedPrecondition("plugin " + path + " refused: " + why);
}

}  // namespace

Result<std::unique_ptr<PluginDetector>> PluginDetector::load(const gateway::v1::Detector& config,
                                                             Counters* counters) {
  const std::string& path = config.plugin().path();
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return refuse(path, std::string("cannot load: ") + ::dlerror());
  auto library = std::make_shared<PluginLibrary>(handle);
  auto init =
      reinterpret_cast<gw_detector_plugin_init_fn>(::dlsym(handle, GW_DETECTOR_PLUGIN_INIT_SYMBOL));
  if (init == nullptr)
    return refuse(path, std::string("it does not export ") + GW_DETECTOR_PLUGIN_INIT_SYMBOL);

  return fromTable(config.id(), init, path, config.plugin().params(), std::move(library), counters);
}

Result<std::unique_ptr<PluginDetector>> PluginDetector::builtin(
    const std::string& id, gw_detector_plugin_init_fn init,
    const google::protobuf::RepeatedPtrField<gateway::v1::PluginParam>& params,
    Counters* counters) {
  return fromTable(id, init, "built-in", params, nullptr, counters);
}

Result<std::unique_ptr<PluginDetector>> PluginDetector::fromTable(
    const std::string& id, gw_detector_plugin_init_fn init, const std::string& path,
    const google::protobuf::RepeatedPtrField<gateway::v1::PluginParam>& config_params,
    std::shared_ptr<PluginLibrary> library, Counters* counters) {
  std::unique_ptr<PluginDetector> detector(new PluginDetector());
  detector->id_ = id;
  detector->library_ = std::move(library);
  detector->counters_ = counters;
  // The host API lives as long as the detector: a plugin may keep the pointer for logging.
  detector->host_api_ = {sizeof(gw_host_api), GW_DETECTOR_ABI_MAJOR, GW_DETECTOR_API_MINOR,
                         &hostLog, &detector->id_};
  const gw_detector_api* api =
      init(GW_DETECTOR_ABI_MAJOR, GW_DETECTOR_API_MINOR, &detector->host_api_);
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
  detector->api_ = api;
  detector->name_ = api->name != nullptr ? api->name : path;

  std::vector<gw_param> params;
  for (const auto& param : config_params) {
    const std::string& key = param.key();
    const std::string& value = param.value();
    if (key == "budget_ms") {
      try {
        detector->budget_ = std::chrono::milliseconds(std::stoi(value));
      } catch (const std::exception&) {
        return invalidArgument("detector '" + id + "': budget_ms '" + value + "' is not a number");
      }
      continue;
    }
    params.push_back({key.c_str(), value.c_str()});
  }
  char error[256] = {0};
  if (api->create(params.data(), params.size(), &detector->instance_, error, sizeof error) !=
          GW_OK ||
      detector->instance_ == nullptr) {
    return invalidArgument("detector '" + id + "' (" + detector->name_ +
                           ") did not start: " + error);
  }
  spdlog::info("Plugin loaded detector={} plugin={} version={} path={}", id, detector->name_,
               api->version != nullptr ? api->version : "?", path);
  return detector;
}

PluginDetector::~PluginDetector() {
  if (api_ != nullptr && instance_ != nullptr) api_->destroy(instance_);
}

void PluginDetector::afterCall(gw_status status, std::chrono::steady_clock::duration took,
                               const std::string& source_id, pipeline::EventSink& events) {
  if (status != GW_OK && counters_ != nullptr) {
    counters_->add(
        counterKey("detector_errors_total", {{"detector", id_}, {"code", std::to_string(status)}}));
  }
  if (took <= budget_) return;
  disabled_ = true;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  if (counters_ != nullptr)
    counters_->add(counterKey("detector_disabled_total", {{"detector", id_}}));
  spdlog::error("Detector disabled detector={} plugin={} reason=\"call took {} ms, budget {} ms\"",
                id_, name_, ms, budget_.count());
  gateway::v1::Event event;
  event.set_detector_id("health");
  event.set_kind("detector_disabled");
  event.set_severity(gateway::v1::SEVERITY_WARNING);
  event.set_source_id(source_id);
  event.set_value(static_cast<double>(ms));
  event.set_threshold(static_cast<double>(budget_.count()));
  event.set_observed_unix_ms(nowUnixMs());
  event.set_summary("detector " + id_ + " (" + name_ + ") disabled: a call took " +
                    std::to_string(ms) + " ms, its budget is " + std::to_string(budget_.count()) +
                    " ms");
  events.emit(event);
}

void PluginDetector::onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events) {
  if (disabled_ || api_->on_reading == nullptr) return;
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
  EmitContext context{&id_, {}};
  std::lock_guard lock(call_mutex_);
  const auto start = std::chrono::steady_clock::now();
  const gw_status status = api_->on_reading(instance_, &view, &collectEvent, &context);
  const auto took = std::chrono::steady_clock::now() - start;
  for (const auto& event : context.events) events.emit(event);
  afterCall(status, took, reading.source_id(), events);
}

void PluginDetector::onFrame(const pipeline::Frame& frame, pipeline::EventSink& events) {
  if (disabled_ || api_->on_frame == nullptr || frame.image.empty()) return;
  const cv::Mat& image = frame.image;
  gw_frame_view view{sizeof(gw_frame_view),
                     image.data,
                     image.cols,
                     image.rows,
                     static_cast<int32_t>(image.step[0]),
                     image.channels() == 1 ? GW_PIXEL_GRAY8 : GW_PIXEL_BGR8,
                     frame.captured_unix_ms,
                     frame.camera_id.c_str(),
                     frame.stream_position_ms};
  EmitContext context{&id_, {}};
  std::lock_guard lock(call_mutex_);
  const auto start = std::chrono::steady_clock::now();
  const gw_status status = api_->on_frame(instance_, &view, &collectEvent, &context);
  const auto took = std::chrono::steady_clock::now() - start;
  for (const auto& event : context.events) events.emit(event);
  afterCall(status, took, frame.camera_id, events);
}

}  // namespace gw::detectors
