#pragma once
// One created instance of a gw_detector_api table: a plugin's .so (dlopen) or a built-in linked
// into the binary ("builtin:<name>"), with the ABI checks, the call with pipeline types and the
// copy of what it emits. gatewayd uses it for a detector with `isolation: none`; the child host
// (isolation/detector_host_main.cc) uses the same class for one with `isolation: process`, so
// both run a plugin the same way.
//
// The loader refuses, with a reason naming the file: a library that does not load, a missing
// gw_detector_plugin_init_v1, a NULL table (the plugin does not speak our ABI), a table whose
// struct_size is shorter than version 1's, a different ABI major, or missing calls.
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/detectors/api/gw_detector_api.h"
#include "gateway/v1/data.pb.h"

namespace gw::detectors {

class PluginInstance {
 public:
  // The prefix of a built-in's name where a plugin path would be: "builtin:threshold".
  static constexpr const char* kBuiltinPrefix = "builtin:";

  // Loads `plugin` and creates an instance with `params`. `detector_id` names it in errors and
  // in the plugin's log lines, which go to spdlog unless `log` is given.
  static Result<std::unique_ptr<PluginInstance>> open(const std::string& plugin,
                                                      const std::string& detector_id,
                                                      const std::vector<gw_param>& params,
                                                      gw_log_fn log = nullptr,
                                                      void* log_ctx = nullptr);
  // A built-in's table, by the init function linked into the binary.
  static Result<std::unique_ptr<PluginInstance>> openTable(
      gw_detector_plugin_init_fn init, const std::string& path, const std::string& detector_id,
      const std::vector<gw_param>& params, gw_log_fn log = nullptr, void* log_ctx = nullptr);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  bool wantsReadings() const { return api_->on_reading != nullptr; }
  bool wantsFrames() const { return api_->on_frame != nullptr; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }

  // One call. The events it emits are appended to `events` (detector_id and location are left
  // for the caller), at most `max_events`; `emitted` is how many it emitted in all.
  struct CallResult {
    gw_status status = GW_OK;
    size_t emitted = 0;
  };
  CallResult onReading(const gateway::v1::Reading& reading, std::vector<gateway::v1::Event>& events,
                       size_t max_events = SIZE_MAX);
  CallResult onFrame(const gw_frame_view& frame, std::vector<gateway::v1::Event>& events,
                     size_t max_events = SIZE_MAX);

 private:
  PluginInstance() = default;

  void* library_ = nullptr;  // the dlopen handle, closed after the instance is destroyed
  std::string detector_id_, name_, version_;
  gw_host_api host_api_{};
  const gw_detector_api* api_ = nullptr;
  gw_detector* instance_ = nullptr;
};

// The built-in linked into this binary called `name` (threshold, air_quality, water_nuisance,
// fall), or nullptr.
gw_detector_plugin_init_fn builtinInit(const std::string& name);

// An event as the plugin emitted it, read only as far as its struct_size goes; false when it is
// too short to be an event at all. detector_id and a fallback location are the caller's.
bool eventFromPlugin(const gw_event_out* e, gateway::v1::Event& event);

}  // namespace gw::detectors
