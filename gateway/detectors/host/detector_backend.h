#pragma once
// Where a detector's calls run: inside gatewayd (InProcessBackend, `isolation: none`) or in a
// confined child process (isolation/isolated_backend.h, `isolation: process`). PluginDetector
// keeps the time budget, the restarts and the health events; a backend only makes the call and
// says when it lost the instance (a fault), so both kinds behave the same to the pipeline.
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/detectors/api/gw_detector_api.h"
#include "gateway/pipeline/frame.h"
#include "gateway/v1/data.pb.h"

namespace gw::detectors {

// Why a backend lost its instance. `reason` is one word (the `reason` of a detector_crashed
// event and the label of detector_crashes_total): segfault, abort, hang, memory_limit,
// cpu_limit, protocol, forbidden_syscall, forbidden_file, killed, exited, start_failed.
struct BackendFault {
  std::string reason;
  std::string detail;  // for people: "SIGSEGV", "no reply within 1000 ms", "socket"
};

struct BackendCall {
  gw_status status = GW_OK;
  std::vector<gateway::v1::Event> events;  // as emitted; detector_id and location not yet set
  std::optional<BackendFault> fault;       // set: the call ended the instance, events are empty
};

class DetectorBackend {
 public:
  virtual ~DetectorBackend() = default;
  virtual bool wantsReadings() const = 0;
  virtual bool wantsFrames() const = 0;
  // The plugin's own name (its function table), for logs and events.
  virtual const std::string& name() const = 0;
  virtual BackendCall onReading(const gateway::v1::Reading& reading) = 0;
  virtual BackendCall onFrame(const pipeline::Frame& frame) = 0;
  // Whether an instance is there to call. Only a process backend loses it (after a fault).
  virtual bool running() const { return true; }
  // Starts a fresh instance after a fault; a failure is a fault too (reason start_failed, or
  // how the new child ended).
  virtual std::optional<BackendFault> restart() { return std::nullopt; }
  // The confinement in force, for the log and the status page ("in process" when none).
  virtual std::string confinement() const { return "in process"; }
};

}  // namespace gw::detectors
