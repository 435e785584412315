#include "gateway/detectors/host/plugin_detector.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <vector>

#include "gateway/core/clock.h"
#include "gateway/detectors/host/in_process_backend.h"
#include "gateway/detectors/host/plugin_instance.h"

namespace gw::detectors {
namespace {

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

int64_t wholeMs(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// "30 s", or "1500 ms" when not whole seconds.
std::string durationText(std::chrono::steady_clock::duration d) {
  const int64_t ms = wholeMs(d);
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace

Status PluginDetector::splitHostParams(const std::string& id, const PluginParams& params,
                                       OverrunLimits& limits,
                                       std::vector<gateway::v1::PluginParam>& rest) {
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
      rest.push_back(param);
    }
    if (!n.ok()) return n.status();
  }
  return okStatus();
}

namespace {

// In process: the table opened inside gatewayd.
Result<std::unique_ptr<PluginDetector>> inProcess(const std::string& id, const std::string& path,
                                                  gw_detector_plugin_init_fn init,
                                                  const PluginParams& params,
                                                  const HostContext& host) {
  OverrunLimits limits;
  std::vector<gateway::v1::PluginParam> rest;
  if (Status status = PluginDetector::splitHostParams(id, params, limits, rest); !status.ok()) {
    return status;
  }
  std::vector<gw_param> abi_params;
  abi_params.reserve(rest.size());
  for (const auto& param : rest) abi_params.push_back({param.key().c_str(), param.value().c_str()});
  auto instance = init != nullptr ? PluginInstance::openTable(init, path, id, abi_params)
                                  : PluginInstance::open(path, id, abi_params);
  if (!instance.ok()) return instance.status();
  spdlog::info("Plugin loaded detector={} plugin={} version={} path={}", id, (*instance)->name(),
               (*instance)->version(), path);
  return PluginDetector::create(id, std::make_unique<InProcessBackend>(std::move(instance).value()),
                                limits, RestartLimits{}, host);
}

}  // namespace

Result<std::unique_ptr<PluginDetector>> PluginDetector::load(const gateway::v1::Detector& config,
                                                             const HostContext& host) {
  return inProcess(config.id(), config.plugin().path(), nullptr, config.plugin().params(), host);
}

Result<std::unique_ptr<PluginDetector>> PluginDetector::builtin(const std::string& id,
                                                                gw_detector_plugin_init_fn init,
                                                                const PluginParams& params,
                                                                const HostContext& host) {
  return inProcess(id, "built-in", init, params, host);
}

std::unique_ptr<PluginDetector> PluginDetector::create(const std::string& id,
                                                       std::unique_ptr<DetectorBackend> backend,
                                                       const OverrunLimits& limits,
                                                       const RestartLimits& restart,
                                                       const HostContext& host) {
  std::unique_ptr<PluginDetector> detector(new PluginDetector());
  detector->id_ = id;
  detector->backend_ = std::move(backend);
  detector->host_ = host;
  detector->guard_ = OverrunGuard(limits);
  detector->restart_ = RestartGuard(restart);
  if (host.counters != nullptr) {
    // At 0 from the start: a series Prometheus has never seen makes `disabled_total -
    // enabled_total` empty rather than 1 for a detector disabled for the first time.
    for (const char* name : {"detector_overruns_total", "detector_disabled_total",
                             "detector_enabled_total", "detector_restarts_total"}) {
      host.counters->get(counterKey(name, {{"detector", id}}));
    }
  }
  return detector;
}

PluginDetector::~PluginDetector() {
  backend_.reset();  // the instance (or its child) goes before the counters are settled
  if (disabled_ && host_.counters != nullptr) {
    host_.counters->add(counterKey("detector_enabled_total", {{"detector", id_}}));
  }
}

OverrunGuard::State PluginDetector::state() const {
  std::lock_guard lock(call_mutex_);
  return guard_.state(now());
}

RestartGuard::State PluginDetector::restartState() const {
  std::lock_guard lock(call_mutex_);
  return restart_.state(now());
}

void PluginDetector::countSkip(OverrunGuard::Input input, const char* reason) {
  skipped_.fetch_add(1, std::memory_order_relaxed);
  if (host_.counters == nullptr) return;
  host_.counters->add(
      counterKey("detector_skipped_total", {{"detector", id_}, {"reason", reason}}));
  if (input == OverrunGuard::Input::kFrame) {
    host_.counters->add(
        counterKey("detector_frames_dropped_total", {{"detector", id_}, {"reason", reason}}));
  }
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

bool PluginDetector::ensureRunning(OverrunGuard::Input input, const std::string& source_id,
                                   pipeline::EventSink& events) {
  switch (restart_.admit(now())) {
    case RestartGuard::Admission::kCall:
      return true;
    case RestartGuard::Admission::kSkipRestarting:
      countSkip(input, "restarting");
      return false;
    case RestartGuard::Admission::kSkipDisabled:
      countSkip(input, "disabled");
      return false;
    case RestartGuard::Admission::kStart:
      break;
  }
  if (host_.counters != nullptr) {
    host_.counters->add(counterKey("detector_restarts_total", {{"detector", id_}}));
  }
  if (auto fault = backend_->restart()) {
    onFault(input, *fault, source_id, events);
    return false;
  }
  spdlog::info("Detector restarted detector={} plugin={} confinement=\"{}\"", id_, backend_->name(),
               backend_->confinement());
  return true;
}

void PluginDetector::run(OverrunGuard::Input input, const std::string& source_id,
                         pipeline::EventSink& events, const std::function<BackendCall()>& call) {
  if (!ensureRunning(input, source_id, events)) return;
  const auto start = admit(input);
  if (!start) return;
  BackendCall result = call();
  if (result.fault) {
    onFault(input, *result.fault, source_id, events);
    return;
  }
  if (restart_.succeeded(now())) {
    if (host_.counters != nullptr) {
      host_.counters->add(counterKey("detector_enabled_total", {{"detector", id_}}));
    }
    spdlog::info(
        "Detector enabled again after its faults detector={} plugin={} probation_s={}", id_,
        backend_->name(),
        std::chrono::duration_cast<std::chrono::seconds>(restart_.limits().fault_window).count());
    gateway::v1::Event event = healthEvent("detector_enabled", source_id);
    event.set_severity(gateway::v1::SEVERITY_INFO);
    event.set_summary("detector " + id_ + " (" + backend_->name() +
                      ") enabled again: its new process answered; on probation for " +
                      durationText(restart_.limits().fault_window));
    events.emit(event);
  }
  finish(input, result.status, *start, result.events, source_id, events);
}

gateway::v1::Event PluginDetector::healthEvent(const std::string& kind,
                                               const std::string& source_id) const {
  gateway::v1::Event event;
  event.set_detector_id("health");
  event.set_kind(kind);
  event.set_source_id(source_id);
  event.set_observed_unix_ms(nowUnixMs());
  return event;
}

void PluginDetector::onFault(OverrunGuard::Input input, const BackendFault& fault,
                             const std::string& source_id, pipeline::EventSink& events) {
  faults_.fetch_add(1, std::memory_order_relaxed);
  if (input == OverrunGuard::Input::kFrame && host_.counters != nullptr) {
    host_.counters->add(
        counterKey("detector_frames_dropped_total", {{"detector", id_}, {"reason", "fault"}}));
  }
  if (host_.counters != nullptr) {
    host_.counters->add(
        counterKey("detector_crashes_total", {{"detector", id_}, {"reason", fault.reason}}));
  }
  const RestartGuard::Outcome outcome = restart_.fault(now());
  const std::string who = "detector " + id_ + " (" + backend_->name() + ")";
  const std::string what = fault.reason + (fault.detail.empty() ? "" : " (" + fault.detail + ")");
  const std::string count = std::to_string(outcome.faults_in_window) + " of " +
                            std::to_string(restart_.limits().fault_limit) + " within " +
                            durationText(restart_.limits().fault_window);
  gateway::v1::Event event = healthEvent("detector_crashed", source_id);
  event.set_reason(fault.reason);
  event.set_value(outcome.faults_in_window);
  event.set_threshold(restart_.limits().fault_limit);
  switch (outcome.transition) {
    case RestartGuard::Transition::kRestart:
      spdlog::error(
          "Detector process ended detector={} plugin={} source={} reason={} detail=\"{}\" "
          "faults_in_window={} action=\"restart in {}\"",
          id_, backend_->name(), source_id, fault.reason, fault.detail, outcome.faults_in_window,
          durationText(outcome.wait));
      event.set_severity(gateway::v1::SEVERITY_WARNING);
      event.set_summary(who + " ended: " + what + "; restarted in " + durationText(outcome.wait) +
                        " (fault " + count + ")");
      break;
    case RestartGuard::Transition::kDisabled:
      if (host_.counters != nullptr) {
        host_.counters->add(counterKey("detector_disabled_total", {{"detector", id_}}));
      }
      spdlog::error(
          "Detector disabled detector={} plugin={} source={} for_s={} reason={} detail=\"{}\" "
          "faults_in_window={}",
          id_, backend_->name(), source_id, wholeMs(outcome.wait) / 1000, fault.reason,
          fault.detail, outcome.faults_in_window);
      event.set_kind("detector_disabled");
      event.set_severity(gateway::v1::SEVERITY_WARNING);
      event.set_summary(who + " disabled for " + durationText(outcome.wait) + ": its process " +
                        "ended " + std::to_string(outcome.faults_in_window) + " times within " +
                        durationText(restart_.limits().fault_window) + ", the last: " + what +
                        "; it is tried again after that");
      break;
    case RestartGuard::Transition::kStillDisabled:
      spdlog::warn(
          "Detector still failing detector={} plugin={} source={} reason={} detail=\"{}\" "
          "action=\"disabled for another {}\"",
          id_, backend_->name(), source_id, fault.reason, fault.detail, durationText(outcome.wait));
      disabled_ = true;
      return;
  }
  disabled_ = restart_.disabled() || guard_.disabled();
  events.emit(event);
}

void PluginDetector::finish(OverrunGuard::Input input, gw_status status, Clock::time_point start,
                            std::vector<gateway::v1::Event>& emitted, const std::string& source_id,
                            pipeline::EventSink& events) {
  const Clock::time_point end = now();
  if (host_.latency != nullptr) host_.latency->observe(end - start);
  for (auto& event : emitted) {
    event.set_detector_id(id_);
    if (!event.has_location() && host_.fallback_location.has_value()) {
      *event.mutable_location() = *host_.fallback_location;
    }
    events.emit(event);
  }
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
  disabled_ = guard_.disabled() || restart_.disabled();
  if (outcome.transition != OverrunGuard::Transition::kNone) announce(outcome, source_id, events);
}

void PluginDetector::announce(const OverrunGuard::Outcome& outcome, const std::string& source_id,
                              pipeline::EventSink& events) {
  const int64_t took_ms = wholeMs(outcome.took);
  const int64_t budget_ms = guard_.limits().budget.count();
  const std::string who = "detector " + id_ + " (" + backend_->name() + ")";
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
          id_, backend_->name(), source_id, took_ms, budget_ms, outcome.overruns_in_window,
          outcome.wait.count() > 0 ? "frames skipped for " + durationText(outcome.wait)
                                   : std::string("readings are not skipped"));
      return;
    case OverrunGuard::Transition::kStillDisabled:
      spdlog::warn(
          "Detector still over its time budget detector={} plugin={} source={} took_ms={} "
          "budget_ms={} action=\"disabled for another {}\"",
          id_, backend_->name(), source_id, took_ms, budget_ms, durationText(outcome.wait));
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
                    backend_->name(), source_id, wholeMs(outcome.wait) / 1000, why);
      event.set_kind("detector_disabled");
      event.set_reason("budget");
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
          id_, backend_->name(), source_id, took_ms, budget_ms, wholeMs(outcome.wait) / 1000);
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
  if (!backend_->wantsReadings()) return;
  std::lock_guard lock(call_mutex_);
  run(OverrunGuard::Input::kReading, reading.source_id(), events,
      [&] { return backend_->onReading(reading); });
}

void PluginDetector::onFrame(const pipeline::Frame& frame, pipeline::EventSink& events) {
  if (!backend_->wantsFrames() || frame.image.empty()) return;
  std::lock_guard lock(call_mutex_);
  // A skipped frame is dropped here: the frame worker has already taken it from its slot, so
  // after a backoff the detector gets the newest frame, never one from before it.
  run(OverrunGuard::Input::kFrame, frame.camera_id, events,
      [&] { return backend_->onFrame(frame); });
}

}  // namespace gw::detectors
