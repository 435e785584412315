// lantaarn-detector-host: runs one detector instance out of gatewayd's process, confined, and
// answers gatewayd's calls over the socketpair (proto/gateway/v1/detector_host.proto,
// docs/PLUGINS.md "Isolation"). A plugin that crashes, hangs or misbehaves takes only this process
// with it, and cannot read the gateway's keys.
//
//   lantaarn-detector-host <parent_pid> [--without-landlock]
//
// fd 3: the socket to gatewayd; fd 4: the memfd holding frames (detector_host_protocol.h). The
// environment is empty and the process has its own group, both set up by the parent.
// --without-landlock: act as on a kernel without Landlock, for the tests of that fallback.
//
// The process always ends with _exit: atexit handlers and static destructors would run the
// plugin's code after a fault, and LeakSanitizer would fork (a trapped system call).
#include <sys/prctl.h>
#include <unistd.h>
#include <cerrno>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gateway/detectors/host/plugin_instance.h"
#include "gateway/detectors/isolation/detector_host_protocol.h"
#include "gateway/detectors/isolation/frame_memory.h"
#include "gateway/detectors/isolation/host_channel.h"
#include "gateway/detectors/isolation/host_output.h"
#include "gateway/detectors/isolation/log_relay.h"
#include "gateway/detectors/isolation/open_guard.h"
#include "gateway/detectors/isolation/sandbox.h"
#include "gateway/detectors/isolation/spin_rhythm.h"

namespace gw::detectors {
namespace {

using gateway::v1::FromHost;
using gateway::v1::HostCall;
using gateway::v1::ToHost;

constexpr auto kForever = std::chrono::steady_clock::time_point::max();

[[noreturn]] void refuseStart(const std::string& error) {
  FromHost out;
  out.mutable_ready()->set_protocol_version(kDetectorHostProtocol);
  out.mutable_ready()->set_error(error);
  host_output::send(out);
  ::_exit(kExitStartFailed);
}

// Reads the parent's next message; EOF (the parent closed or died) ends the child normally,
// anything that is not a protocol message ends it with kExitProtocol.
void readOrExit(HostChannel& channel, ToHost& in, std::unique_ptr<PluginInstance>* instance,
                std::chrono::microseconds spin = std::chrono::microseconds(0)) {
  const auto result = channel.read(in, kMaxToHostMessageBytes, kForever, spin);
  if (result.error == HostChannel::ReadError::kNone) return;
  if (result.error == HostChannel::ReadError::kClosed) {
    if (instance != nullptr) instance->reset();  // the plugin's destroy()
    ::_exit(0);
  }
  ::_exit(kExitProtocol);
}

HostCall::InputCase checkCall(const ToHost& in) {
  if (!in.has_call() || in.call().input_case() == HostCall::INPUT_NOT_SET) ::_exit(kExitProtocol);
  return in.call().input_case();
}

// A frame's view over the shared memory, or the status to answer with.
gw_status frameView(const gateway::v1::FrameRef& ref, FrameMemory& memory, gw_frame_view& view) {
  const int channels = ref.pixel_format() == GW_PIXEL_GRAY8  ? 1
                       : ref.pixel_format() == GW_PIXEL_BGR8 ? 3
                                                             : 0;
  if (channels == 0 || ref.width() <= 0 || ref.height() <= 0 ||
      ref.stride() < static_cast<int64_t>(ref.width()) * channels) {
    return GW_ERROR_INVALID_ARGUMENT;
  }
  const auto size = static_cast<uint64_t>(ref.stride()) * static_cast<uint64_t>(ref.height());
  auto bytes = memory.bytes(ref.offset(), size);
  if (!bytes.ok()) return GW_ERROR_INVALID_ARGUMENT;
  view = {};
  view.struct_size = sizeof(gw_frame_view);
  view.data = *bytes;
  view.width = ref.width();
  view.height = ref.height();
  view.stride = ref.stride();
  view.pixel_format = ref.pixel_format();
  view.captured_unix_ms = ref.captured_unix_ms();
  view.source_id = ref.source_id().c_str();
  view.stream_position_ms = ref.stream_position_ms();
  return GW_OK;
}

[[noreturn]] void serve(HostChannel& channel, std::unique_ptr<PluginInstance> instance,
                        size_t max_events) {
  FrameMemory memory(kHostFrameFd);
  std::vector<gateway::v1::Event> events;
  ToHost in;
  SpinRhythm rhythm;  // when to poll for the next call rather than sleep (spin_rhythm.h)
  for (;;) {
    in.Clear();
    readOrExit(channel, in, &instance, rhythm.childSpin());
    rhythm.call(std::chrono::steady_clock::now());
    const HostCall::InputCase input = checkCall(in);
    events.clear();
    // One event over the limit, so the parent sees that the plugin went over it without the
    // child shipping all of them.
    gw_status status = GW_ERROR_INVALID_ARGUMENT;
    if (input == HostCall::kReading && instance->wantsReadings()) {
      status = instance->onReading(in.call().reading(), events, max_events + 1).status;
    } else if (input == HostCall::kFrame && instance->wantsFrames()) {
      gw_frame_view view{};
      status = frameView(in.call().frame(), memory, view);
      if (status == GW_OK) status = instance->onFrame(view, events, max_events + 1).status;
    }
    FromHost out;
    auto* reply = out.mutable_reply();
    reply->set_seq(in.call().seq());
    reply->set_status(status);
    for (auto& event : events) *reply->add_events() = std::move(event);
    if (!host_output::send(out)) {
      instance.reset();
      ::_exit(0);  // the parent is gone
    }
    rhythm.reply(std::chrono::steady_clock::now());
  }
}

[[noreturn]] void run(pid_t parent, bool without_landlock) {
  // Die with gatewayd; and if it died before this line, the process is already orphaned.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(kExitStartFailed);
  host_output::init(kHostChannelFd);
  open_guard::init();
  HostChannel channel(kHostChannelFd);

  ToHost in;
  readOrExit(channel, in, nullptr);
  if (!in.has_hello()) ::_exit(kExitProtocol);
  const auto& hello = in.hello();
  if (hello.protocol_version() != kDetectorHostProtocol) {
    refuseStart("protocol version " + std::to_string(hello.protocol_version()) +
                " is not this host's " + std::to_string(kDetectorHostProtocol));
  }

  const bool builtin = hello.plugin().rfind(PluginInstance::kBuiltinPrefix, 0) == 0;
  // The same refusal as in process (PluginInstance), before the sandbox would refuse to grant a
  // file that is not there.
  if (!builtin && ::access(hello.plugin().c_str(), R_OK) != 0) {
    refuseStart("plugin " + hello.plugin() + " refused: cannot load: " + std::strerror(errno));
  }
  SandboxOptions sandbox{builtin ? std::string() : hello.plugin(), hello.limits(),
                         without_landlock};
  auto confinement = applySandbox(sandbox);
  if (!confinement.ok()) refuseStart("sandbox: " + confinement.status().message());
  // The one place the plugin may write: its working directory and TMPDIR, so relative paths
  // and mkstemp() land there without the plugin knowing where that is.
  if (!hello.limits().scratch_dir().empty()) {
    if (::chdir(hello.limits().scratch_dir().c_str()) != 0) {
      refuseStart("scratch dir " + hello.limits().scratch_dir() + ": " + std::strerror(errno));
    }
    ::setenv("TMPDIR", hello.limits().scratch_dir().c_str(), 1);
  }

  std::vector<gw_param> params;
  params.reserve(hello.params_size());
  for (const auto& p : hello.params()) params.push_back({p.key().c_str(), p.value().c_str()});
  static LogRelay relay;  // plugins may keep the log pointer: it lives as long as the process
  auto instance =
      PluginInstance::open(hello.plugin(), hello.detector_id(), params, &LogRelay::log, &relay);
  if (!instance.ok()) refuseStart(instance.status().message());

  FromHost out;
  auto* ready = out.mutable_ready();
  ready->set_protocol_version(kDetectorHostProtocol);
  ready->set_name((*instance)->name());
  ready->set_version((*instance)->version());
  ready->set_wants_readings((*instance)->wantsReadings());
  ready->set_wants_frames((*instance)->wantsFrames());
  ready->set_confinement(*confinement);
  if (!host_output::send(out)) ::_exit(0);

  const uint32_t max_events = hello.limits().max_events_per_call() != 0
                                  ? hello.limits().max_events_per_call()
                                  : kDefaultMaxEventsPerCall;
  serve(channel, std::move(*instance), max_events);
}

}  // namespace
}  // namespace gw::detectors

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::strcmp(argv[2], "--without-landlock") != 0)) {
    ::_exit(gw::detectors::kExitStartFailed);
  }
  char* end = nullptr;
  const long parent = std::strtol(argv[1], &end, 10);
  if (end == argv[1] || *end != '\0' || parent <= 1) ::_exit(gw::detectors::kExitStartFailed);
  try {
    gw::detectors::run(static_cast<pid_t>(parent), argc == 3);
  } catch (...) {
    // Allocation is all that throws here, and after the sandbox the new handler ends the child
    // first (memory_limit); plugins' exceptions never cross the C ABI.
    ::_exit(gw::detectors::kExitStartFailed);
  }
}
