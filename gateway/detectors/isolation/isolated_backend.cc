#include "gateway/detectors/isolation/isolated_backend.h"

namespace gw::detectors {

Result<std::unique_ptr<IsolatedBackend>> IsolatedBackend::start(ChildSettings settings) {
  std::unique_ptr<IsolatedBackend> backend(new IsolatedBackend(std::move(settings)));
  auto child = ChildProcess::start(backend->settings_);
  if (!child.ok()) return child.status();
  backend->child_ = std::move(child).value();
  const auto& ready = backend->child_->ready();
  backend->name_ = ready.name();
  backend->confinement_ = ready.confinement();
  backend->wants_readings_ = ready.wants_readings();
  backend->wants_frames_ = ready.wants_frames();
  return backend;
}

std::optional<BackendFault> IsolatedBackend::restart() {
  child_.reset();
  std::optional<BackendFault> fault;
  auto child = ChildProcess::start(settings_, &fault);
  if (!child.ok()) return fault.value_or(BackendFault{"start_failed", child.status().message()});
  child_ = std::move(child).value();
  return std::nullopt;
}

BackendCall IsolatedBackend::lost(BackendCall call) {
  if (call.fault) child_.reset();
  return call;
}

BackendCall IsolatedBackend::onReading(const gateway::v1::Reading& reading) {
  if (!child_) return BackendCall{GW_OK, {}, BackendFault{"exited", "no process"}};
  return lost(child_->onReading(reading));
}

BackendCall IsolatedBackend::onFrame(const pipeline::Frame& frame) {
  if (!child_) return BackendCall{GW_OK, {}, BackendFault{"exited", "no process"}};
  return lost(child_->onFrame(frame));
}

}  // namespace gw::detectors
