#pragma once
// Runs a detector behind the pipeline's Detector interface, whatever runs its calls: a
// gw_detector_api table inside gatewayd (InProcessBackend: a built-in, or a plugin with
// `isolation: none`) or in a confined child process (isolation/isolated_backend.h, the default
// for plugins). Every detector goes through this class, so the rules below are the same for all.
//
// A plugin call that returns an error is counted. A call over its time budget is not fatal: the
// instance backs off (frames are skipped for 1 s, doubling to 30 s; readings never are), and only
// repeated overruns (5 within 60 s) disable it, with a `detector_disabled` health event; after a
// cool-down (30 s, doubling to 300 s while it keeps failing) the next call is a trial, and one
// within budget enables it again, on probation, with a `detector_enabled` event. The state
// machine, its reasons and its parameters are in overrun_guard.h.
//
// A call that loses a child process (a crash, a hang past the reply timeout, a memory or CPU
// limit, a forbidden system call or file, a protocol violation) is a fault: a
// `detector_crashed` event with the reason, and a new child after a backoff (1 s doubling to
// 30 s); too many faults in a window disable it (`detector_disabled`), and after a cool-down it
// is tried again (restart_guard.h). Other detectors and the sources carry on throughout.
//
// Host parameters, taken from the params and not passed to the plugin (defaults in brackets):
// budget_ms [200], overrun_limit [5], overrun_window_s [60], cooldown_s [30].
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/counters.h"
#include "gateway/detectors/api/gw_detector_api.h"
#include "gateway/detectors/detector.h"
#include "gateway/detectors/host/detector_backend.h"
#include "gateway/detectors/host/host_context.h"
#include "gateway/detectors/host/overrun_guard.h"
#include "gateway/detectors/host/restart_guard.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

using PluginParams = google::protobuf::RepeatedPtrField<gateway::v1::PluginParam>;

class PluginDetector : public Detector {
 public:
  // Loads `config.plugin().path` into gatewayd and creates an instance with its params, less the
  // host's.
  static Result<std::unique_ptr<PluginDetector>> load(const gateway::v1::Detector& config,
                                                      const HostContext& host = {});
  // A detector linked into the binary (builtin/builtin_tables.h), in process: the same checks and
  // the same calls as a loaded plugin, without dlopen.
  static Result<std::unique_ptr<PluginDetector>> builtin(const std::string& id,
                                                         gw_detector_plugin_init_fn init,
                                                         const PluginParams& params,
                                                         const HostContext& host = {});
  // Any backend; `limits` from splitHostParams, `restart` from the policy's sandbox.
  static std::unique_ptr<PluginDetector> create(const std::string& id,
                                                std::unique_ptr<DetectorBackend> backend,
                                                const OverrunLimits& limits,
                                                const RestartLimits& restart,
                                                const HostContext& host);
  // Takes the host's parameters out of `params` into `limits`; the rest is the plugin's.
  static Status splitHostParams(const std::string& id, const PluginParams& params,
                                OverrunLimits& limits, std::vector<gateway::v1::PluginParam>& rest);
  // An instance that goes while disabled (a reload replaces it with a fresh one) counts as
  // enabled again, so that disabled_total - enabled_total stays the number out of service.
  ~PluginDetector() override;

  const std::string& id() const override { return id_; }
  void onReading(const gateway::v1::Reading& reading, pipeline::EventSink& events) override;
  bool wantsFrames() const override { return backend_->wantsFrames(); }
  bool wantsReadings() const override { return backend_->wantsReadings(); }
  void onFrame(const pipeline::Frame& frame, pipeline::EventSink& events) override;
  // Whether the host is skipping every call now (over its budget, or after too many faults),
  // from any thread.
  bool disabled() const { return disabled_; }
  // Calls over budget, and calls skipped (backing off, restarting or disabled), since the
  // instance started: a tool that must see every frame (an offline evaluation) checks that both
  // stay 0.
  uint64_t overruns() const { return overruns_; }
  uint64_t skipped() const { return skipped_; }
  uint64_t faults() const { return faults_; }
  OverrunGuard::State state() const;
  RestartGuard::State restartState() const;
  const OverrunLimits& limits() const { return guard_.limits(); }
  const std::string& pluginName() const { return backend_->name(); }
  DetectorBackend& backend() { return *backend_; }

 private:
  PluginDetector() = default;
  using Clock = std::chrono::steady_clock;
  Clock::time_point now() const { return host_.clock ? host_.clock() : Clock::now(); }
  // Under call_mutex_: whether a child is there to call (starting one when its wait is over);
  // counts a skip.
  bool ensureRunning(OverrunGuard::Input input, const std::string& source_id,
                     pipeline::EventSink& events);
  // Under call_mutex_: the call's start time, or nothing when the guard skips it (counted).
  std::optional<Clock::time_point> admit(OverrunGuard::Input input);
  void countSkip(OverrunGuard::Input input, const char* reason);
  // Under call_mutex_: one call through the backend, and what the host makes of it.
  void run(OverrunGuard::Input input, const std::string& source_id, pipeline::EventSink& events,
           const std::function<BackendCall()>& call);
  // Under call_mutex_, after a call that was made: latency, the call's events, errors, and what
  // the guard makes of its duration (counters, log, health events).
  void finish(OverrunGuard::Input input, gw_status status, Clock::time_point start,
              std::vector<gateway::v1::Event>& emitted, const std::string& source_id,
              pipeline::EventSink& events);
  void announce(const OverrunGuard::Outcome& outcome, const std::string& source_id,
                pipeline::EventSink& events);
  // Under call_mutex_: a lost child (counters, log, detector_crashed or detector_disabled).
  // A frame call that lost its child also counts a dropped frame.
  void onFault(OverrunGuard::Input input, const BackendFault& fault, const std::string& source_id,
               pipeline::EventSink& events);
  gateway::v1::Event healthEvent(const std::string& kind, const std::string& source_id) const;

  std::string id_;
  std::unique_ptr<DetectorBackend> backend_;
  HostContext host_;
  OverrunGuard guard_;                                 // under call_mutex_
  RestartGuard restart_;                               // under call_mutex_
  std::atomic<uint64_t>* skipped_backoff_ = nullptr;   // looked up at the first skip
  std::atomic<uint64_t>* skipped_disabled_ = nullptr;  // looked up at the first skip
  // Copies of the guards' state for readers on other threads.
  std::atomic<bool> disabled_{false};
  std::atomic<uint64_t> overruns_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> faults_{0};
  mutable std::mutex call_mutex_;  // the ABI promises that calls for one instance never overlap
};

}  // namespace gw::detectors
