#include "gateway/detectors/host/plugin_detector.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <charconv>
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
  const std::optional<gateway::v1::Location>* fallback_location;
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
    // 0/0 is what a detector copies from a reading without a position (the view has no "none"),
    // not a place in the Gulf of Guinea: it counts as no location, so the site's applies.
    if (e->has_location != 0 && (e->lat != 0 || e->lon != 0)) {
      event.mutable_location()->set_lat(e->lat);
      event.mutable_location()->set_lon(e->lon);
    }
  }
  if (!event.has_location() && context->fallback_location->has_value()) {
    *event.mutable_location() = **context->fallback_location;
  }
  context->events.push_back(std::move(event));
}

Status refuse(const std::string& path, const std::string& why) {
  return failedPrecondition("plugin " + path + " refused: " + why);
}

// A host parameter: a whole number from 1 to `max`, nothing else (" 5", "5s", "0" are refused).
Result<int> hostParam(const std::string& id, const std::string& key, const std::string& value,
                      int max) {
  int parsed = 0;
  const char* end = value.data() + value.size();
  auto [at, error] = std::from_chars(value.data(), end, parsed);
  if (error != std::errc() || at != end || parsed < 1 || parsed > max) {
    return invalidArgument("detector '" + id + "': " + key + " '" + value +
                           "' is not a whole number from 1 to " + std::to_string(max));
  }
  return parsed;
}

// Takes the host's parameters out of `params` into `limits`; the rest is the plugin's.
Status hostParams(const std::string& id,
                  const google::protobuf::RepeatedPtrField<gateway::v1::PluginParam>& params,
                  OverrunLimits& limits, std::vector<gw_param>& rest) {
  constexpr int kDay = 24 * 3600;
  for (const auto& param : params) {
    const std::string& key = param.key();
    const std::string& value = param.value();
    Result<int> n = 0;
    if (key == "budget_ms") {
      n = hostParam(id, key, value, kDay * 1000);
      if (n.ok()) limits.budget = std::chrono::milliseconds(*n);
    } else if (key == "overrun_limit") {
      n = hostParam(id, key, value, 1000);
      if (n.ok()) limits.overrun_limit = *n;
    } else if (key == "overrun_window_s") {
      n = hostParam(id, key, value, kDay);
      if (n.ok()) limits.overrun_window = std::chrono::seconds(*n);
    } else if (key == "cooldown_s") {
      n = hostParam(id, key, value, kDay);
      if (n.ok()) limits.cooldown = std::chrono::seconds(*n);
    } else {
      rest.push_back({key.c_str(), value.c_str()});
    }
    if (!n.ok()) return n.status();
  }
  return okStatus();
}

int64_t wholeMs(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// "30 s", or "1500 ms" when not whole seconds.
std::string durationText(std::chrono::steady_clock::duration d) {
  const int64_t ms = wholeMs(d);
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace

Result<std::unique_ptr<PluginDetector>> PluginDetector::load(const gateway::v1::Detector& config,
                                                             const HostContext& host) {
  const std::string& path = config.plugin().path();
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return refuse(path, std::string("cannot load: ") + ::dlerror());
  auto library = std::make_shared<PluginLibrary>(handle);
  auto init =
      reinterpret_cast<gw_detector_plugin_init_fn>(::dlsym(handle, GW_DETECTOR_PLUGIN_INIT_SYMBOL));
  if (init == nullptr)
    return refuse(path, std::string("it does not export ") + GW_DETECTOR_PLUGIN_INIT_SYMBOL);

  return fromTable(config.id(), init, path, config.plugin().params(), std::move(library), host);
}

Result<std::unique_ptr<PluginDetector>> PluginDetector::builtin(
    const std::string& id, gw_detector_plugin_init_fn init,
    const google::protobuf::RepeatedPtrField<gateway::v1::PluginParam>& params,
    const HostContext& host) {
  return fromTable(id, init, "built-in", params, nullptr, host);
}

Result<std::unique_ptr<PluginDetector>> PluginDetector::fromTable(
    const std::string& id, gw_detector_plugin_init_fn init, const std::string& path,
    const google::protobuf::RepeatedPtrField<gateway::v1::PluginParam>& config_params,
    std::shared_ptr<PluginLibrary> library, const HostContext& host) {
  std::unique_ptr<PluginDetector> detector(new PluginDetector());
  detector->id_ = id;
  detector->library_ = std::move(library);
  detector->host_ = host;
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
  OverrunLimits limits;
  if (Status status = hostParams(id, config_params, limits, params); !status.ok()) return status;
  detector->guard_ = OverrunGuard(limits);
  if (host.counters != nullptr) {
    // At 0 from the start: a series Prometheus has never seen makes `disabled_total -
    // enabled_total` empty rather than 1 for a detector disabled for the first time.
    for (const char* name :
         {"detector_overruns_total", "detector_disabled_total", "detector_enabled_total"}) {
      host.counters->get(counterKey(name, {{"detector", id}}));
    }
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
  if (disabled_ && host_.counters != nullptr) {
    host_.counters->add(counterKey("detector_enabled_total", {{"detector", id_}}));
  }
}

OverrunGuard::State PluginDetector::state() const {
  std::lock_guard lock(call_mutex_);
  return guard_.state(now());
}

std::optional<PluginDetector::Clock::time_point> PluginDetector::admit(OverrunGuard::Input input) {
  const Clock::time_point start = now();
  const OverrunGuard::Admission admission = guard_.admit(input, start);
  if (admission == OverrunGuard::Admission::kCall) return start;
  skipped_.fetch_add(1, std::memory_order_relaxed);
  if (host_.counters != nullptr) {
    const bool backoff = admission == OverrunGuard::Admission::kSkipBackoff;
    std::atomic<uint64_t>*& counter = backoff ? skipped_backoff_ : skipped_disabled_;
    if (counter == nullptr) {
      counter = &host_.counters->get(
          counterKey("detector_skipped_total",
                     {{"detector", id_}, {"reason", backoff ? "backoff" : "disabled"}}));
    }
    counter->fetch_add(1, std::memory_order_relaxed);
  }
  return std::nullopt;
}

void PluginDetector::finish(OverrunGuard::Input input, gw_status status, Clock::time_point start,
                            const std::vector<gateway::v1::Event>& emitted,
                            const std::string& source_id, pipeline::EventSink& events) {
  const Clock::time_point end = now();
  if (host_.latency != nullptr) host_.latency->observe(end - start);
  for (const auto& event : emitted) events.emit(event);
  if (status != GW_OK && host_.counters != nullptr) {
    host_.counters->add(
        counterKey("detector_errors_total", {{"detector", id_}, {"code", std::to_string(status)}}));
  }
  const OverrunGuard::Outcome outcome = guard_.record(input, start, end);
  if (outcome.overran) {
    overruns_.fetch_add(1, std::memory_order_relaxed);
    if (host_.counters != nullptr) {
      host_.counters->add(counterKey("detector_overruns_total", {{"detector", id_}}));
    }
  }
  disabled_ = guard_.disabled();
  if (outcome.transition != OverrunGuard::Transition::kNone) announce(outcome, source_id, events);
}

void PluginDetector::announce(const OverrunGuard::Outcome& outcome, const std::string& source_id,
                              pipeline::EventSink& events) {
  const int64_t took_ms = wholeMs(outcome.took);
  const int64_t budget_ms = guard_.limits().budget.count();
  const std::string who = "detector " + id_ + " (" + name_ + ")";
  gateway::v1::Event event;
  event.set_detector_id("health");
  event.set_source_id(source_id);
  event.set_value(static_cast<double>(took_ms));
  event.set_threshold(static_cast<double>(budget_ms));
  event.set_observed_unix_ms(nowUnixMs());
  switch (outcome.transition) {
    case OverrunGuard::Transition::kNone:
      return;
    case OverrunGuard::Transition::kOverran:
      // Not an event: a busy box makes these, and the counters and the log say enough.
      spdlog::warn(
          "Detector over its time budget detector={} plugin={} source={} took_ms={} budget_ms={} "
          "overruns_in_window={} action=\"{}\"",
          id_, name_, source_id, took_ms, budget_ms, outcome.overruns_in_window,
          outcome.wait.count() > 0 ? "frames skipped for " + durationText(outcome.wait)
                                   : std::string("readings are not skipped"));
      return;
    case OverrunGuard::Transition::kStillDisabled:
      spdlog::warn(
          "Detector still over its time budget detector={} plugin={} source={} took_ms={} "
          "budget_ms={} action=\"disabled for another {}\"",
          id_, name_, source_id, took_ms, budget_ms, durationText(outcome.wait));
      return;
    case OverrunGuard::Transition::kDisabled: {
      if (host_.counters != nullptr) {
        host_.counters->add(counterKey("detector_disabled_total", {{"detector", id_}}));
      }
      const std::string why = outcome.overruns_in_window > 1
                                  ? std::to_string(outcome.overruns_in_window) + " calls within " +
                                        durationText(guard_.limits().overrun_window) +
                                        " took longer than its " + std::to_string(budget_ms) +
                                        " ms budget, the last " + std::to_string(took_ms) + " ms"
                                  : "a call took " + std::to_string(took_ms) +
                                        " ms, its budget is " + std::to_string(budget_ms) + " ms";
      spdlog::error("Detector disabled detector={} plugin={} source={} for_s={} reason=\"{}\"", id_,
                    name_, source_id, wholeMs(outcome.wait) / 1000, why);
      event.set_kind("detector_disabled");
      event.set_severity(gateway::v1::SEVERITY_WARNING);
      event.set_summary(who + " disabled for " + durationText(outcome.wait) + ": " + why +
                        "; it is tried again after that");
      break;
    }
    case OverrunGuard::Transition::kEnabled:
      if (host_.counters != nullptr) {
        host_.counters->add(counterKey("detector_enabled_total", {{"detector", id_}}));
      }
      spdlog::info(
          "Detector enabled again detector={} plugin={} source={} took_ms={} budget_ms={} "
          "probation_s={}",
          id_, name_, source_id, took_ms, budget_ms, wholeMs(outcome.wait) / 1000);
      event.set_kind("detector_enabled");
      event.set_severity(gateway::v1::SEVERITY_INFO);
      event.set_summary(who + " enabled again: a call took " + std::to_string(took_ms) +
                        " ms, within its " + std::to_string(budget_ms) +
                        " ms budget; on probation for " + durationText(outcome.wait));
      break;
  }
  events.emit(event);
}

void PluginDetector::onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events) {
  if (api_->on_reading == nullptr) return;
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
  EmitContext context{&id_, &host_.fallback_location, {}};
  std::lock_guard lock(call_mutex_);
  const auto start = admit(OverrunGuard::Input::kReading);
  if (!start) return;
  const gw_status status = api_->on_reading(instance_, &view, &collectEvent, &context);
  finish(OverrunGuard::Input::kReading, status, *start, context.events, reading.source_id(),
         events);
}

void PluginDetector::onFrame(const pipeline::Frame& frame, pipeline::EventSink& events) {
  if (api_->on_frame == nullptr || frame.image.empty()) return;
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
  EmitContext context{&id_, &host_.fallback_location, {}};
  std::lock_guard lock(call_mutex_);
  // A skipped frame is dropped here: the frame worker has already taken it from its slot, so
  // after a backoff the detector gets the newest frame, never one from before it.
  const auto start = admit(OverrunGuard::Input::kFrame);
  if (!start) return;
  const gw_status status = api_->on_frame(instance_, &view, &collectEvent, &context);
  finish(OverrunGuard::Input::kFrame, status, *start, context.events, frame.camera_id, events);
}

}  // namespace gw::detectors
