#pragma once
// One detector instance in a confined child process (`lantaarn-detector-host`, spawned with
// posix_spawn): the handshake, one call at a time with a deadline, and the end, whichever way it
// comes. Everything the child sends is checked (size, count, sequence), since the child runs a
// plugin that may be broken or hostile. A call that does not get a valid reply ends the child
// and reports why (a BackendFault); gatewayd itself never waits longer than the reply timeout and
// never reads more than kMaxHostMessageBytes.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gateway/core/histograms.h"
#include "gateway/detectors/host/detector_backend.h"
#include "gateway/detectors/isolation/frame_ring.h"
#include "gateway/detectors/isolation/host_channel.h"
#include "gateway/detectors/isolation/spin_rhythm.h"
#include "gateway/v1/detector_host.pb.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

struct ChildSettings {
  std::string host_binary;  // lantaarn-detector-host
  std::string detector_id;
  std::string plugin;                            // the .so, or "builtin:<name>"
  std::vector<gateway::v1::PluginParam> params;  // the plugin's own
  gateway::v1::HostLimits limits;                // scratch_dir is made per child
  std::chrono::milliseconds reply_timeout{1000};
  std::chrono::milliseconds start_timeout{10000};
  Histogram* roundtrip = nullptr;  // detector_roundtrip_seconds{detector}
};

class ChildProcess {
 public:
  // Spawns the host and waits for it to load the plugin. A plugin that refuses to start (or a
  // child that dies on the way) is an error with the reason; `fault` gets the classified end.
  static Result<std::unique_ptr<ChildProcess>> start(const ChildSettings& settings,
                                                     std::optional<BackendFault>* fault = nullptr);
  // Kills the process group and reaps it; removes the scratch directory.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  const gateway::v1::HostReady& ready() const { return ready_; }
  pid_t pid() const { return pid_; }

  // One call. A fault means the child is gone (killed and reaped here) and must not be called
  // again.
  BackendCall onReading(const gateway::v1::Reading& reading);
  BackendCall onFrame(const pipeline::Frame& frame);

 private:
  ChildProcess(const ChildSettings& settings, FrameRing ring);
  BackendCall call(gateway::v1::HostCall& call);
  // Ends the child (when still running), reaps it and says why it ended: the fault it reported,
  // else `why` when given (a hang, a protocol violation), else how it exited.
  BackendFault end(std::optional<BackendFault> why);
  void logFromChild(const gateway::v1::HostLog& log);

  const ChildSettings settings_;
  FrameRing ring_;
  pid_t pid_ = -1;
  int socket_ = -1;
  std::optional<HostChannel> channel_;
  std::filesystem::path scratch_;
  gateway::v1::HostReady ready_;
  std::optional<gateway::v1::HostFault> reported_;  // what the child said before it ended
  uint64_t seq_ = 0;
  SpinRhythm rhythm_;
  gateway::v1::ToHost out_;
  gateway::v1::FromHost in_;
};

// A protocol fault when a reply carries more than `max_events` events or an event with a field
// longer than gatewayd accepts (kind 64 bytes, summary 1,024, any other string 128).
std::optional<BackendFault> checkHostReply(const gateway::v1::HostReply& reply,
                                           uint32_t max_events);

// How a child ended, from waitpid's status and the fault it reported before (if any).
BackendFault classifyExit(int wait_status, const std::optional<gateway::v1::HostFault>& reported);

// The host binary: $LANTAARN_DETECTOR_HOST, else lantaarn-detector-host beside the running
// executable (the build tree's bin/), else in ../libexec/lantaarn from it (an install under any
// prefix), else where this build installs it.
std::string defaultDetectorHost();

}  // namespace gw::detectors
