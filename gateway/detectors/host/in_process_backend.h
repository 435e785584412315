#pragma once
// `isolation: none`: the plugin's table is called inside gatewayd, on the caller's thread. The
// fastest path (no copy, no context switch) and the one for built-ins by default; a plugin that
// crashes takes gatewayd with it, so plugins run in a child process unless the policy says none.
#include <memory>

#include "gateway/detectors/host/detector_backend.h"
#include "gateway/detectors/host/plugin_instance.h"

namespace gw::detectors {

class InProcessBackend : public DetectorBackend {
 public:
  explicit InProcessBackend(std::unique_ptr<PluginInstance> instance)
      : instance_(std::move(instance)) {}

  bool wantsReadings() const override { return instance_->wantsReadings(); }
  bool wantsFrames() const override { return instance_->wantsFrames(); }
  const std::string& name() const override { return instance_->name(); }
  BackendCall onReading(const gateway::v1::Reading& reading) override;
  BackendCall onFrame(const pipeline::Frame& frame) override;

 private:
  std::unique_ptr<PluginInstance> instance_;
};

// The ABI's view of a pipeline frame (lent for the call, like the frame).
gw_frame_view frameView(const pipeline::Frame& frame);

}  // namespace gw::detectors
