#pragma once
// `isolation: process`: the detector runs in a confined child process of its own
// (child_process.h), so a plugin that crashes, hangs, grows without bound or misbehaves ends
// only that child. The host (PluginDetector) restarts it through restart() with backoff, and
// disables it after too many faults (host/restart_guard.h).
#include <memory>

#include "gateway/detectors/host/detector_backend.h"
#include "gateway/detectors/isolation/child_process.h"

namespace gw::detectors {

class IsolatedBackend : public DetectorBackend {
 public:
  // Starts the first child; an error (the plugin does not load, or its child dies on the way)
  // refuses the detector as an in-process load would.
  static Result<std::unique_ptr<IsolatedBackend>> start(ChildSettings settings);

  bool wantsReadings() const override { return wants_readings_; }
  bool wantsFrames() const override { return wants_frames_; }
  const std::string& name() const override { return name_; }
  BackendCall onReading(const gateway::v1::Reading& reading) override;
  BackendCall onFrame(const pipeline::Frame& frame) override;
  bool running() const override { return child_ != nullptr; }
  std::optional<BackendFault> restart() override;
  std::string confinement() const override { return confinement_; }
  // The running child's pid, or -1 (tests look at it).
  pid_t pid() const { return child_ ? child_->pid() : -1; }

 private:
  explicit IsolatedBackend(ChildSettings settings) : settings_(std::move(settings)) {}
  BackendCall lost(BackendCall call);

  ChildSettings settings_;
  std::unique_ptr<ChildProcess> child_;
  std::string name_, confinement_;
  bool wants_readings_ = false, wants_frames_ = false;
};

}  // namespace gw::detectors
