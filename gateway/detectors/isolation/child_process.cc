#include "gateway/detectors/isolation/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "gateway/detectors/isolation/detector_host_protocol.h"

namespace gw::detectors {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// What gatewayd accepts in one event from a child: generous for a real detector, small enough
// that a flood of them cannot swell the pipeline (each becomes a message to every actor).
constexpr size_t kMaxKindBytes = 64;
constexpr size_t kMaxSummaryBytes = 1024;
constexpr size_t kMaxFieldBytes = 128;

// A descriptor moved above the ones the child gets (3, 4), close-on-exec, so that the spawn's
// dup2 always makes a fresh descriptor without FD_CLOEXEC.
int above(int fd) {
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return moved;
}

std::string signalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// Waits up to `limit` for the child to end by itself; then kills its group and reaps it.
int reap(pid_t pid, Clock::duration limit) {
  int status = 0;
  const auto until = Clock::now() + limit;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return 0;
    if (Clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

std::string defaultDetectorHost() {
  if (const char* env = std::getenv("LANTAARN_DETECTOR_HOST"); env != nullptr && *env != 0) {
    return env;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // Beside gatewayd (the build tree's bin/), then where an install under any prefix puts it
    // relative to gatewayd (<prefix>/bin -> <prefix>/libexec/lantaarn).
    for (const fs::path& candidate :
         {self.parent_path() / "lantaarn-detector-host",
          self.parent_path().parent_path() / "libexec" / "lantaarn" / "lantaarn-detector-host"}) {
      if (fs::exists(candidate, ec)) return candidate.string();
    }
  }
  return GW_DETECTOR_HOST_INSTALL_PATH;
}

BackendFault classifyExit(int wait_status, const std::optional<gateway::v1::HostFault>& reported) {
  if (reported) return {reported->reason(), reported->detail()};
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    const std::string name = signalName(sig);
    switch (sig) {
      case SIGSEGV:
      case SIGBUS:
        return {"segfault", name};
      case SIGABRT:
        return {"abort", name};
      case SIGSYS:
        return {"forbidden_syscall", name};
      case SIGXCPU:
        return {"cpu_limit", name};
      case SIGKILL:
        // Not by gatewayd (its kills are reported as what made it kill): the kernel's OOM
        // killer, or an operator.
        return {"killed", name};
      default:
        return {"signal", name};
    }
  }
  if (WIFEXITED(wait_status)) {
    const int code = WEXITSTATUS(wait_status);
    switch (code) {
      case kExitForbiddenFile:
        return {"forbidden_file", "exit " + std::to_string(code)};
      case kExitForbiddenSyscall:
        return {"forbidden_syscall", "exit " + std::to_string(code)};
      case kExitMemoryLimit:
        return {"memory_limit", "exit " + std::to_string(code)};
      case kExitCpuLimit:
        return {"cpu_limit", "exit " + std::to_string(code)};
      case kExitStartFailed:
        return {"start_failed", "exit " + std::to_string(code)};
      case kExitProtocol:
        return {"protocol", "the host refused gatewayd's message"};
      default:
        return {"exited", "exit " + std::to_string(code)};
    }
  }
  return {"exited", "status " + std::to_string(wait_status)};
}

ChildProcess::ChildProcess(const ChildSettings& settings, FrameRing ring)
    : settings_(settings), ring_(std::move(ring)) {}

Result<std::unique_ptr<ChildProcess>> ChildProcess::start(const ChildSettings& settings,
                                                          std::optional<BackendFault>* fault) {
  auto ring = FrameRing::create("lantaarn-frames-" + settings.detector_id);
  if (!ring.ok()) return ring.status();
  std::unique_ptr<ChildProcess> child(new ChildProcess(settings, std::move(ring).value()));
  const std::string who = "detector '" + settings.detector_id + "'";

  // The one directory the plugin may write, private to this child and removed with it.
  std::error_code ec;
  std::string scratch =
      (fs::temp_directory_path(ec) / ("lantaarn-detector-" + settings.detector_id + "-XXXXXX"))
          .string();
  if (::mkdtemp(scratch.data()) == nullptr) {
    return internalError(who + ": cannot make its scratch directory " + scratch + ": " +
                         std::strerror(errno));
  }
  child->scratch_ = scratch;

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return internalError(who + ": socketpair: " + std::strerror(errno));
  }
  child->socket_ = above(pair[0]);
  const int child_end = above(pair[1]);
  const int frames = ::fcntl(child->ring_.fd(), F_DUPFD_CLOEXEC, 10);  // closed after the spawn

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // Nothing to read, and no writing into gatewayd's journal past the rate-limited log relay.
  for (int fd : {0, 1, 2}) {
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, child_end, kHostChannelFd);
  posix_spawn_file_actions_adddup2(&actions, frames, kHostFrameFd);
  posix_spawn_file_actions_addclosefrom_np(&actions, kHostFrameFd + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so that a kill reaches whatever it might have left behind; default
  // signal dispositions and an empty mask, whatever gatewayd has set for itself.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const std::string parent = std::to_string(::getpid());
  char* argv[] = {const_cast<char*>(settings.host_binary.c_str()),
                  const_cast<char*>(parent.c_str()), nullptr};
  char* envp[] = {nullptr};  // nothing of gatewayd's environment reaches the plugin
  const int spawned =
      ::posix_spawn(&child->pid_, settings.host_binary.c_str(), &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(child_end);
  ::close(frames);
  if (spawned != 0) {
    child->pid_ = -1;
    return failedPrecondition(who + ": cannot start " + settings.host_binary + ": " +
                              std::strerror(spawned));
  }
  child->channel_.emplace(child->socket_);

  gateway::v1::ToHost hello;
  auto* h = hello.mutable_hello();
  h->set_protocol_version(kDetectorHostProtocol);
  h->set_detector_id(settings.detector_id);
  h->set_plugin(settings.plugin);
  for (const auto& param : settings.params) *h->add_params() = param;
  *h->mutable_limits() = settings.limits;
  h->mutable_limits()->set_scratch_dir(scratch);

  auto failed = [&](std::optional<BackendFault> why) -> Status {
    BackendFault end = child->end(std::move(why));
    if (fault != nullptr) *fault = end;
    return failedPrecondition(who + " (" + settings.plugin + ") did not start in its process: " +
                              end.reason + (end.detail.empty() ? "" : " (" + end.detail + ")"));
  };
  if (!child->channel_->write(hello)) return failed(std::nullopt);
  const auto deadline = Clock::now() + settings.start_timeout;
  while (true) {
    auto read = child->channel_->read(child->in_, kMaxHostMessageBytes, deadline);
    if (read.error == HostChannel::ReadError::kTimeout) {
      return failed(BackendFault{
          "hang", "not ready within " + std::to_string(settings.start_timeout.count()) + " ms"});
    }
    if (read.error == HostChannel::ReadError::kClosed) return failed(std::nullopt);
    if (read.error != HostChannel::ReadError::kNone) {
      return failed(BackendFault{"protocol", read.detail});
    }
    if (child->in_.has_log()) {
      child->logFromChild(child->in_.log());
      continue;
    }
    if (child->in_.has_fault()) {
      child->reported_ = child->in_.fault();
      return failed(std::nullopt);
    }
    if (!child->in_.has_ready()) return failed(BackendFault{"protocol", "no ready message"});
    break;
  }
  child->ready_ = child->in_.ready();
  if (!child->ready_.error().empty()) {
    // The plugin itself refused (a bad param, an ABI mismatch): the same error as in process.
    const std::string error = child->ready_.error();
    child->end(BackendFault{"start_failed", error});
    if (fault != nullptr) *fault = BackendFault{"start_failed", error};
    return failedPrecondition(error);
  }
  spdlog::info(
      "Plugin started in its own process detector={} plugin={} version={} pid={} "
      "confinement=\"{}\"",
      settings.detector_id, child->ready_.name(), child->ready_.version(), child->pid_,
      child->ready_.confinement());
  return child;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) end(std::nullopt);
  if (socket_ >= 0) ::close(socket_);
  std::error_code ec;
  if (!scratch_.empty()) fs::remove_all(scratch_, ec);
}

BackendFault ChildProcess::end(std::optional<BackendFault> why) {
  if (pid_ <= 0) return why.value_or(BackendFault{"exited", ""});
  // Closing our end first lets a healthy child see the end of the stream, destroy its instance
  // and exit by itself; one that reported a fault or closed its end is exiting already: give it
  // a moment, so that its own exit status names the cause. A hung or misbehaving one is killed
  // at once.
  if (socket_ >= 0) {
    ::close(socket_);
    socket_ = -1;
    channel_.reset();
  }
  const int status = reap(pid_, why ? Clock::duration::zero() : std::chrono::milliseconds(500));
  pid_ = -1;
  if (why) return *why;
  return classifyExit(status, reported_);
}

void ChildProcess::logFromChild(const gateway::v1::HostLog& log) {
  std::string message = log.message().substr(0, kMaxSummaryBytes);
  spdlog::log(log.level() >= 3   ? spdlog::level::err
              : log.level() == 2 ? spdlog::level::warn
              : log.level() == 1 ? spdlog::level::info
                                 : spdlog::level::debug,
              "Plugin detector={} says: {}", settings_.detector_id, message);
}

std::optional<BackendFault> checkHostReply(const gateway::v1::HostReply& reply,
                                           uint32_t max_events) {
  if (static_cast<uint32_t>(reply.events_size()) > max_events) {
    return BackendFault{"protocol", std::to_string(reply.events_size()) +
                                        " or more events in one call, the limit is " +
                                        std::to_string(max_events)};
  }
  for (const auto& event : reply.events()) {
    if (event.kind().size() > kMaxKindBytes || event.summary().size() > kMaxSummaryBytes ||
        event.source_id().size() > kMaxFieldBytes || event.quantity().size() > kMaxFieldBytes ||
        event.unit().size() > kMaxFieldBytes || event.detector_id().size() > kMaxFieldBytes ||
        event.reason().size() > kMaxFieldBytes) {
      return BackendFault{"protocol", "an oversized event (kind " +
                                          std::to_string(event.kind().size()) + " bytes, summary " +
                                          std::to_string(event.summary().size()) + " bytes)"};
    }
  }
  return std::nullopt;
}

BackendCall ChildProcess::call(gateway::v1::HostCall& call) {
  BackendCall result;
  if (pid_ <= 0 || !channel_) {
    result.fault = BackendFault{"exited", "no process"};
    return result;
  }
  call.set_seq(++seq_);
  const auto start = Clock::now();
  if (!channel_->write(out_)) {
    result.fault = end(std::nullopt);
    return result;
  }
  const auto deadline = start + settings_.reply_timeout;
  const auto spin = rhythm_.parentSpin(start);  // spin_rhythm.h
  rhythm_.call(start);
  while (true) {
    auto read = channel_->read(in_, kMaxHostMessageBytes, deadline, spin);
    if (read.error == HostChannel::ReadError::kTimeout) {
      result.fault = end(BackendFault{
          "hang", "no reply within " + std::to_string(settings_.reply_timeout.count()) + " ms"});
      return result;
    }
    if (read.error == HostChannel::ReadError::kClosed) {
      result.fault = end(std::nullopt);
      return result;
    }
    if (read.error != HostChannel::ReadError::kNone) {
      result.fault = end(BackendFault{"protocol", read.detail});
      return result;
    }
    if (in_.has_log()) {
      logFromChild(in_.log());
      continue;
    }
    if (in_.has_fault()) {
      reported_ = in_.fault();
      result.fault = end(std::nullopt);
      return result;
    }
    if (!in_.has_reply() || in_.reply().seq() != call.seq()) {
      result.fault = end(
          BackendFault{"protocol", in_.has_reply() ? "a reply out of sequence" : "not a reply"});
      return result;
    }
    break;
  }
  const auto replied = Clock::now();
  rhythm_.reply(replied);
  if (settings_.roundtrip != nullptr) settings_.roundtrip->observe(replied - start);
  auto* reply = in_.mutable_reply();
  if (auto violation = checkHostReply(*reply, settings_.limits.max_events_per_call())) {
    result.fault = end(std::move(violation));
    return result;
  }
  const int32_t status = reply->status();
  result.status = status >= GW_OK && status <= GW_ERROR_INTERNAL ? static_cast<gw_status>(status)
                                                                 : GW_ERROR_INTERNAL;
  result.events.reserve(reply->events_size());
  for (auto& event : *reply->mutable_events()) {
    event.clear_detector_id();  // gatewayd names the detector, not the plugin
    event.clear_reason();
    result.events.push_back(std::move(event));
  }
  return result;
}

BackendCall ChildProcess::onReading(const gateway::v1::Reading& reading) {
  auto* call = out_.mutable_call();
  *call->mutable_reading() = reading;
  return this->call(*call);
}

BackendCall ChildProcess::onFrame(const pipeline::Frame& frame) {
  auto* call = out_.mutable_call();
  if (Status put = ring_.put(frame, *call->mutable_frame()); !put.ok()) {
    BackendCall result;
    result.status = GW_ERROR_INTERNAL;
    spdlog::error("Frame not handed to detector={}: {}", settings_.detector_id, put.message());
    return result;
  }
  return this->call(*call);
}

}  // namespace gw::detectors
