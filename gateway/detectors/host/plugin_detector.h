#pragma once
// Runs a gw_detector_api table behind the pipeline's Detector interface: a plugin's, loaded with
// dlopen, or a built-in's, linked in (builtin()). Every detector goes through this class.
//
// The loader refuses, with a reason naming the file: a library that does not load, a missing
// gw_detector_plugin_init_v1, a NULL table (the plugin does not speak our ABI), a table whose
// struct_size is shorter than version 1's, a different ABI major, or missing calls. A plugin
// call that returns an error is counted. A call over its time budget is not fatal: the instance
// backs off (frames are skipped for 1 s, doubling to 30 s; readings never are), and only
// repeated overruns (5 within 60 s) disable it, with a `detector_disabled` health event; after a
// cool-down (30 s, doubling to 300 s while it keeps failing) the next call is a trial, and one
// within budget enables it again, on probation, with a `detector_enabled` event. The state
// machine, its reasons and its parameters are in overrun_guard.h; other detectors and the sources
// carry on throughout.
//
// Host parameters, taken from the params and not passed to the plugin (defaults in brackets):
// budget_ms [200], overrun_limit [5], overrun_window_s [60], cooldown_s [30].
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/counters.h"
#include "gateway/detectors/api/gw_detector_api.h"
#include "gateway/detectors/detector.h"
#include "gateway/detectors/host/host_context.h"
#include "gateway/detectors/host/overrun_guard.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

class PluginLibrary;  // the dlopen handle, closed last

class PluginDetector : public Detector {
 public:
  // Loads `config.plugin().path` and creates an instance with its params, less the host's.
  static Result<std::unique_ptr<PluginDetector>> load(const gateway::v1::Detector& config,
                                                      const HostContext& host = {});
  // A detector linked into the binary (builtin/builtin_tables.h): the same checks and the same
  // calls as a loaded plugin, without dlopen.
  static Result<std::unique_ptr<PluginDetector>> builtin(
      const std::string& id, gw_detector_plugin_init_fn init,
      const google::protobuf::RepeatedPtrField<gateway::v1::PluginParam>& params,
      const HostContext& host = {});
  // An instance that goes while disabled (a reload replaces it with a fresh one) counts as
  // enabled again, so that disabled_total - enabled_total stays the number out of service.
  ~PluginDetector() override;

  const std::string& id() const override { return id_; }
  void onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events) override;
  bool wantsFrames() const override { return api_ != nullptr && api_->on_frame != nullptr; }
  bool wantsReadings() const override { return api_ != nullptr && api_->on_reading != nullptr; }
  void onFrame(const pipeline::Frame& frame, pipeline::EventSink& events) override;
  // Whether the host is skipping every call now (DISABLED in overrun_guard.h), from any thread.
  bool disabled() const { return disabled_; }
  // Calls over budget, and calls skipped (backing off or disabled), since the instance started:
  // a tool that must see every frame (an offline evaluation) checks that both stay 0.
  uint64_t overruns() const { return overruns_; }
  uint64_t skipped() const { return skipped_; }
  OverrunGuard::State state() const;
  const OverrunLimits& limits() const { return guard_.limits(); }
  const std::string& pluginName() const { return name_; }

 private:
  PluginDetector() = default;
  using Clock = std::chrono::steady_clock;
  static Result<std::unique_ptr<PluginDetector>> fromTable(
      const std::string& id, gw_detector_plugin_init_fn init, const std::string& path,
      const google::protobuf::RepeatedPtrField<gateway::v1::PluginParam>& params,
      std::shared_ptr<PluginLibrary> library, const HostContext& host);
  Clock::time_point now() const { return host_.clock ? host_.clock() : Clock::now(); }
  // Under call_mutex_: the call's start time, or nothing when the guard skips it (counted).
  std::optional<Clock::time_point> admit(OverrunGuard::Input input);
  // Under call_mutex_, after a call that was made: latency, the call's events, errors, and what
  // the guard makes of its duration (counters, log, health events).
  void finish(OverrunGuard::Input input, gw_status status, Clock::time_point start,
              const std::vector<gateway::v1::Event>& emitted, const std::string& source_id,
              pipeline::EventSink& events);
  void announce(const OverrunGuard::Outcome& outcome, const std::string& source_id,
                pipeline::EventSink& events);

  std::string id_, name_;
  std::shared_ptr<PluginLibrary> library_;
  gw_host_api host_api_{};
  const gw_detector_api* api_ = nullptr;
  gw_detector* instance_ = nullptr;
  HostContext host_;
  OverrunGuard guard_;                                 // under call_mutex_
  std::atomic<uint64_t>* skipped_backoff_ = nullptr;   // looked up at the first skip
  std::atomic<uint64_t>* skipped_disabled_ = nullptr;  // looked up at the first skip
  // Copies of the guard's state for readers on other threads.
  std::atomic<bool> disabled_{false};
  std::atomic<uint64_t> overruns_{0};
  std::atomic<uint64_t> skipped_{0};
  mutable std::mutex call_mutex_;  // the ABI promises that calls for one instance never overlap
};

}  // namespace gw::detectors
