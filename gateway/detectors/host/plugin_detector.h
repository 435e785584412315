#pragma once
// Runs a gw_detector_api table behind the pipeline's Detector interface: a plugin's, loaded with
// dlopen, or a built-in's, linked in (builtin()). Every detector goes through this class.
//
// The loader refuses, with a reason naming the file: a library that does not load, a missing
// gw_detector_plugin_init_v1, a NULL table (the plugin does not speak our ABI), a table whose
// struct_size is shorter than version 1's, a different ABI major, or missing calls. A plugin
// call that returns an error is counted; one that overruns its time budget disables the
// detector, with a `detector_disabled` health event for the operator. Other detectors and the
// sources carry on.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/core/counters.h"
#include "gateway/detectors/api/gw_detector_api.h"
#include "gateway/detectors/detector.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

class PluginLibrary;  // the dlopen handle, closed last

class PluginDetector : public Detector {
 public:
  // Loads `config.plugin().path` and creates an instance with its params. The time budget per call
  // comes from the reserved param `budget_ms` (default 200).
  static Result<std::unique_ptr<PluginDetector>> load(const gateway::v1::Detector& config,
                                                      Counters* counters);
  // A detector linked into the binary (builtin/builtin_tables.h): the same checks and the same
  // calls as a loaded plugin, without dlopen.
  static Result<std::unique_ptr<PluginDetector>> builtin(
      const std::string& id, gw_detector_plugin_init_fn init,
      const google::protobuf::RepeatedPtrField<gateway::v1::PluginParam>& params,
      Counters* counters);
  ~PluginDetector() override;

  const std::string& id() const override { return id_; }
  void onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events) override;
  bool wantsFrames() const override { return api_ != nullptr && api_->on_frame != nullptr; }
  void onFrame(const pipeline::Frame& frame, pipeline::EventSink& events) override;
  bool disabled() const { return disabled_; }
  const std::string& pluginName() const { return name_; }

 private:
  PluginDetector() = default;
  static Result<std::unique_ptr<PluginDetector>> fromTable(
      const std::string& id, gw_detector_plugin_init_fn init, const std::string& path,
      const google::protobuf::RepeatedPtrField<gateway::v1::PluginParam>& params,
      std::shared_ptr<PluginLibrary> library, Counters* counters);
  void afterCall(gw_status status, std::chrono::steady_clock::duration took,
                 const std::string& source_id, pipeline::EventSink& events);

  std::string id_, name_;
  std::shared_ptr<PluginLibrary> library_;
  gw_host_api host_api_{};
  const gw_detector_api* api_ = nullptr;
  gw_detector* instance_ = nullptr;
  std::chrono::milliseconds budget_{200};
  Counters* counters_ = nullptr;
  std::atomic<bool> disabled_{false};
  std::mutex call_mutex_;  // the ABI promises that calls for one instance never overlap
};

}  // namespace gw::detectors
