// lantaarn-detector-host, the confined child that runs one detector, spawned here as gatewayd
// spawns it (posix_spawn, the socket at fd 3, a memfd at fd 4, its own process group, an empty
// environment) and spoken to with the protocol's HostChannel. Good plugins answer readings and
// frames; each misbehaving plugin (tests/plugin_abi/plugins/misbehaving_plugins.c) must end the
// child the way the protocol says, and nothing it tried may have got through: no file written,
// no key read, no connection, no process started.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gateway/detectors/api/gw_detector_api.h"
#include "gateway/detectors/isolation/detector_host_protocol.h"
#include "gateway/detectors/isolation/host_channel.h"
#include "gateway/v1/detector_host.pb.h"

namespace gw::detectors {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using gateway::v1::FromHost;
using gateway::v1::HostLimits;
using gateway::v1::ToHost;
using Clock = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

std::string pluginPath(const std::string& name) {
  return std::string(GW_PLUGIN_DIR) + "/libgw_" + name + "_plugin.so";
}
std::string misbehaving(const std::string& kind) { return pluginPath("misbehave_" + kind); }

// How the child ended.
struct Ending {
  bool exited = false;
  int exit_code = -1;
  int signal = 0;
};

// One child host, as gatewayd would run it. The destructor kills its process group and reaps it.
class Child {
 public:
  explicit Child(bool without_landlock = false) {
    int pair[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    // Above 4, so that the dup2s to 3 and 4 never meet a descriptor that is already there.
    socket_ = ::fcntl(pair[0], F_DUPFD_CLOEXEC, 10);
    const int child_end = ::fcntl(pair[1], F_DUPFD_CLOEXEC, 10);
    ::close(pair[0]);
    ::close(pair[1]);
    const int memfd = ::memfd_create("frames", MFD_CLOEXEC);
    memfd_ = ::fcntl(memfd, F_DUPFD_CLOEXEC, 10);
    ::close(memfd);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, child_end, kHostChannelFd);
    posix_spawn_file_actions_adddup2(&actions, memfd_, kHostFrameFd);
    posix_spawn_file_actions_addclosefrom_np(&actions, kHostFrameFd + 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    const std::string parent = std::to_string(::getpid());
    std::string option = "--without-landlock";
    std::vector<char*> argv = {const_cast<char*>(GW_DETECTOR_HOST_BIN),
                               const_cast<char*>(parent.c_str())};
    if (without_landlock) argv.push_back(option.data());
    argv.push_back(nullptr);
    char* envp[] = {nullptr};
    EXPECT_EQ(::posix_spawn(&pid_, GW_DETECTOR_HOST_BIN, &actions, &attr, argv.data(), envp), 0);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(child_end);
    channel_ = std::make_unique<HostChannel>(socket_);
  }

  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::killpg(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(socket_);
    ::close(memfd_);
  }

  pid_t pid() const { return pid_; }
  int socket() const { return socket_; }
  int memfd() const { return memfd_; }
  HostChannel& channel() { return *channel_; }

  void send(const ToHost& message) { ASSERT_TRUE(channel_->write(message)); }

  // Hello with `plugin`, `params` and `limits`; returns the child's HostReady.
  gateway::v1::HostReady start(const std::string& plugin,
                               const std::vector<std::pair<std::string, std::string>>& params,
                               const HostLimits& limits, uint32_t version = kDetectorHostProtocol) {
    ToHost hello;
    auto* h = hello.mutable_hello();
    h->set_protocol_version(version);
    h->set_detector_id("under-test");
    h->set_plugin(plugin);
    for (const auto& [key, value] : params) {
      auto* p = h->add_params();
      p->set_key(key);
      p->set_value(value);
    }
    *h->mutable_limits() = limits;
    EXPECT_TRUE(channel_->write(hello));
    const FromHost ready = next(10s);
    EXPECT_TRUE(ready.has_ready()) << ready.ShortDebugString();
    return ready.ready();
  }

  // The next message other than a log line (those are kept in logs()). An empty message when
  // nothing arrived within `timeout` or the child closed the socket; last_error() says which.
  FromHost next(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    FromHost in;
    for (;;) {
      in.Clear();
      const auto read = channel_->read(in, kMaxHostMessageBytes, deadline);
      last_error_ = read.error;
      if (read.error != HostChannel::ReadError::kNone) return {};
      if (!in.has_log()) return in;
      logs_.push_back(in.log().message());
    }
  }

  // One reading of `value`; the message that answers it (reply or fault, or empty).
  FromHost reading(double value, uint64_t seq = 1, std::chrono::milliseconds timeout = 10s) {
    ToHost call;
    call.mutable_call()->set_seq(seq);
    auto* r = call.mutable_call()->mutable_reading();
    r->set_source_id("sensor-1");
    r->set_quantity("pm10");
    r->set_unit("ug/m3");
    r->set_value(value);
    r->set_observed_unix_ms(1700000000000);
    EXPECT_TRUE(channel_->write(call));
    return next(timeout);
  }

  FromHost frame(const gateway::v1::FrameRef& ref, uint64_t seq = 1) {
    ToHost call;
    call.mutable_call()->set_seq(seq);
    *call.mutable_call()->mutable_frame() = ref;
    EXPECT_TRUE(channel_->write(call));
    return next();
  }

  // Waits (bounded) for the child to end.
  Ending wait(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    int status = 0;
    while (Clock::now() < deadline) {
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        reaped_ = true;
        Ending ending;
        ending.exited = WIFEXITED(status);
        ending.exit_code = ending.exited ? WEXITSTATUS(status) : -1;
        ending.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        return ending;
      }
      std::this_thread::sleep_for(5ms);
    }
    ADD_FAILURE() << "the child did not end within " << timeout.count() << " ms";
    return {};
  }

  bool alive() {
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == 0;
  }

  void kill() { ::killpg(pid_, SIGKILL); }
  const std::vector<std::string>& logs() const { return logs_; }
  HostChannel::ReadError lastError() const { return last_error_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int socket_ = -1;
  int memfd_ = -1;
  std::unique_ptr<HostChannel> channel_;
  std::vector<std::string> logs_;
  HostChannel::ReadError last_error_ = HostChannel::ReadError::kNone;
};

// A gateway's directories as the tests lay them out: state (a key file, the outbox) that the
// plugin must not touch, a directory the policy lets it read, and its scratch directory.
class DetectorHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/gw-detector-host-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    for (const char* dir : {"state", "readable", "scratch"}) fs::create_directory(root_ / dir);
    std::ofstream(root_ / "state" / "gateway.key") << "SECRET-KEY-MATERIAL";
    std::ofstream(root_ / "readable" / "model.bin") << "model bytes";
    fs::remove(kEtcFile);
  }
  void TearDown() override {
    fs::remove_all(root_);
    fs::remove(kEtcFile);
  }

  HostLimits limits() const {
    HostLimits l;
    l.set_address_space_bytes(kSanitizerBuild ? 0 : uint64_t{1} << 30);
    l.set_cpu_seconds(60);
    l.add_read_paths((root_ / "readable").string());
    l.set_scratch_dir((root_ / "scratch").string());
    l.set_max_events_per_call(100);
    return l;
  }

  // Starts `kind` of misbehaving plugin, checks it loaded, and makes the call that misbehaves.
  FromHost misbehave(Child& child, const std::string& kind,
                     const std::vector<std::pair<std::string, std::string>>& params = {},
                     std::chrono::milliseconds timeout = 10s) {
    const auto ready = child.start(misbehaving(kind), params, limits());
    EXPECT_EQ(ready.error(), "");
    EXPECT_EQ(ready.name(), "misbehave-" + kind);
    return child.reading(42, 1, timeout);
  }

  static void expectFault(const FromHost& message, const std::string& reason,
                          const std::string& detail) {
    ASSERT_TRUE(message.has_fault()) << message.ShortDebugString();
    EXPECT_EQ(message.fault().reason(), reason);
    EXPECT_EQ(message.fault().detail(), detail);
  }

  static void expectExit(Child& child, int code) {
    const Ending ending = child.wait();
    EXPECT_TRUE(ending.exited) << "signal " << ending.signal;
    EXPECT_EQ(ending.exit_code, code);
  }

  static constexpr const char* kEtcFile = "/etc/lantaarn-plugin-was-here";
  fs::path root_;
};

// --- the protocol, with good plugins -------------------------------------------------------

TEST_F(DetectorHostTest, GoodPluginAnswersReadingsInsideTheSandbox) {
  Child child;
  const auto ready = child.start(pluginPath("example"), {{"above", "10"}}, limits());
  ASSERT_EQ(ready.error(), "");
  EXPECT_EQ(ready.protocol_version(), kDetectorHostProtocol);
  EXPECT_EQ(ready.name(), "example-value-above");
  EXPECT_EQ(ready.version(), "1.0.0");
  EXPECT_TRUE(ready.wants_readings());
  EXPECT_NE(ready.confinement().find("landlock abi "), std::string::npos) << ready.confinement();
  EXPECT_NE(ready.confinement().find("seccomp"), std::string::npos);
  EXPECT_NE(ready.confinement().find("cpu 60 s"), std::string::npos);
  if (!kSanitizerBuild) {
    EXPECT_NE(ready.confinement().find("as 1024 MiB"), std::string::npos);
  }

  const FromHost above = child.reading(20, 7);
  ASSERT_TRUE(above.has_reply()) << above.ShortDebugString();
  EXPECT_EQ(above.reply().seq(), 7u);
  EXPECT_EQ(above.reply().status(), GW_OK);
  ASSERT_EQ(above.reply().events_size(), 1);
  EXPECT_EQ(above.reply().events(0).kind(), "value_above");
  EXPECT_EQ(above.reply().events(0).value(), 20);
  EXPECT_EQ(above.reply().events(0).source_id(), "sensor-1");

  const FromHost below = child.reading(5, 8);
  ASSERT_TRUE(below.has_reply());
  EXPECT_EQ(below.reply().seq(), 8u);
  EXPECT_EQ(below.reply().events_size(), 0);

  // The parent closing the socket ends the child normally.
  ::shutdown(child.socket(), SHUT_RDWR);
  expectExit(child, 0);
}

TEST_F(DetectorHostTest, FramesArriveThroughTheSharedMemoryFile) {
  Child child;
  const auto ready = child.start(pluginPath("frame"), {{"every", "1"}}, limits());
  ASSERT_EQ(ready.error(), "");
  EXPECT_TRUE(ready.wants_frames());

  // A 4x2 grey frame (stride 8) at offset 4096, every pixel 100.
  ASSERT_EQ(::ftruncate(child.memfd(), 65536), 0);
  std::vector<uint8_t> pixels(16, 100);
  ASSERT_EQ(::pwrite(child.memfd(), pixels.data(), pixels.size(), 4096), 16);
  gateway::v1::FrameRef ref;
  ref.set_offset(4096);
  ref.set_width(4);
  ref.set_height(2);
  ref.set_stride(8);
  ref.set_pixel_format(GW_PIXEL_GRAY8);
  ref.set_captured_unix_ms(1700000000123);
  ref.set_source_id("camera-1");
  FromHost reply = child.frame(ref, 1);
  ASSERT_TRUE(reply.has_reply()) << reply.ShortDebugString();
  EXPECT_EQ(reply.reply().status(), GW_OK);
  ASSERT_EQ(reply.reply().events_size(), 1);
  EXPECT_EQ(reply.reply().events(0).kind(), "frame_stats");
  EXPECT_EQ(reply.reply().events(0).value(), 100);
  EXPECT_EQ(reply.reply().events(0).summary(), "4x2");
  EXPECT_EQ(reply.reply().events(0).source_id(), "camera-1");
  EXPECT_EQ(reply.reply().events(0).observed_unix_ms(), 1700000000123);

  // The parent grows the file: a frame beyond the first mapping is mapped anew.
  ASSERT_EQ(::ftruncate(child.memfd(), 1 << 20), 0);
  std::vector<uint8_t> darker(16, 50);
  ASSERT_EQ(::pwrite(child.memfd(), darker.data(), darker.size(), 900000), 16);
  ref.set_offset(900000);
  reply = child.frame(ref, 2);
  ASSERT_TRUE(reply.has_reply());
  ASSERT_EQ(reply.reply().events_size(), 1);
  EXPECT_EQ(reply.reply().events(0).value(), 50);

  // Coordinates outside the file, or a stride shorter than a row, are refused; the child lives.
  ref.set_offset((1 << 20) - 8);
  reply = child.frame(ref, 3);
  ASSERT_TRUE(reply.has_reply());
  EXPECT_EQ(reply.reply().status(), GW_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(reply.reply().events_size(), 0);
  ref.set_offset(UINT64_MAX - 4);
  reply = child.frame(ref, 4);
  ASSERT_TRUE(reply.has_reply());
  EXPECT_EQ(reply.reply().status(), GW_ERROR_INVALID_ARGUMENT);
  ref.set_offset(4096);
  ref.set_stride(3);
  reply = child.frame(ref, 5);
  ASSERT_TRUE(reply.has_reply());
  EXPECT_EQ(reply.reply().status(), GW_ERROR_INVALID_ARGUMENT);
  ref.set_stride(8);
  reply = child.frame(ref, 6);
  ASSERT_TRUE(reply.has_reply());
  EXPECT_EQ(reply.reply().status(), GW_OK);
  EXPECT_EQ(reply.reply().events(0).value(), 100);
}

TEST_F(DetectorHostTest, FrameForAReadingOnlyDetectorIsRefused) {
  Child child;
  const auto ready = child.start(pluginPath("minor2"), {}, limits());
  ASSERT_EQ(ready.error(), "");
  EXPECT_TRUE(ready.wants_readings());
  EXPECT_FALSE(ready.wants_frames());
  ASSERT_EQ(::ftruncate(child.memfd(), 4096), 0);
  gateway::v1::FrameRef ref;
  ref.set_width(1);
  ref.set_height(1);
  ref.set_stride(1);
  ref.set_pixel_format(GW_PIXEL_GRAY8);
  // Refused by the host, not passed to the plugin's NULL on_frame.
  const FromHost refused = child.frame(ref);
  ASSERT_TRUE(refused.has_reply()) << refused.ShortDebugString();
  EXPECT_EQ(refused.reply().status(), GW_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(child.reading(1, 2).has_reply());
}

TEST_F(DetectorHostTest, BuiltinDetectorRunsInTheChild) {
  Child child;
  const auto ready =
      child.start("builtin:threshold", {{"quantity", "pm10"}, {"above", "50"}}, limits());
  ASSERT_EQ(ready.error(), "");
  const FromHost reply = child.reading(80);
  ASSERT_TRUE(reply.has_reply());
  ASSERT_EQ(reply.reply().events_size(), 1);
  EXPECT_EQ(reply.reply().events(0).kind(), "threshold_exceeded");
}

TEST_F(DetectorHostTest, RefusesAnotherProtocolVersion) {
  Child child;
  const auto ready = child.start(pluginPath("example"), {{"above", "10"}}, limits(), 2);
  EXPECT_NE(ready.error().find("protocol version 2"), std::string::npos) << ready.error();
  expectExit(child, kExitStartFailed);
}

TEST_F(DetectorHostTest, PluginThatDoesNotLoadIsReportedInReady) {
  Child child;
  const auto missing = (root_ / "readable" / "libnothing.so").string();
  const auto ready = child.start(missing, {}, limits());
  EXPECT_NE(ready.error().find(missing), std::string::npos) << ready.error();
  expectExit(child, kExitStartFailed);
}

TEST_F(DetectorHostTest, GarbageFromTheParentEndsTheChild) {
  Child child;
  ASSERT_EQ(child.start(pluginPath("example"), {{"above", "10"}}, limits()).error(), "");
  const unsigned char garbage[] = {5, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff};
  ASSERT_EQ(::write(child.socket(), garbage, sizeof garbage), static_cast<ssize_t>(sizeof garbage));
  expectExit(child, kExitProtocol);
}

TEST_F(DetectorHostTest, OversizedMessageFromTheParentEndsTheChild) {
  Child child;
  ASSERT_EQ(child.start(pluginPath("example"), {{"above", "10"}}, limits()).error(), "");
  const unsigned char header[] = {0xff, 0xff, 0xff, 0x7f};
  ASSERT_EQ(::write(child.socket(), header, sizeof header), static_cast<ssize_t>(sizeof header));
  expectExit(child, kExitProtocol);
}

// --- capabilities and threads ----------------------------------------------------------------

TEST_F(DetectorHostTest, ChildHasNoCapabilitiesNoNewPrivsAndAFilter) {
  Child child;
  const FromHost reply = misbehave(child, "report");
  ASSERT_TRUE(reply.has_reply()) << reply.ShortDebugString();
  ASSERT_EQ(reply.reply().events_size(), 1);
  const std::string status = reply.reply().events(0).summary();
  for (const char* line : {"CapInh:\t0000000000000000", "CapPrm:\t0000000000000000",
                           "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000",
                           "CapAmb:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2"}) {
    EXPECT_NE(status.find(line), std::string::npos) << line << " not in:\n" << status;
  }
}

TEST_F(DetectorHostTest, PluginThreadsStillWork) {
  Child child;
  const FromHost reply = misbehave(child, "thread");
  ASSERT_TRUE(reply.has_reply()) << reply.ShortDebugString();
  ASSERT_EQ(reply.reply().events_size(), 1);
  EXPECT_EQ(reply.reply().events(0).kind(), "thread");
  EXPECT_EQ(reply.reply().events(0).value(), 84);
  EXPECT_TRUE(child.alive());
}

// --- crashes and hangs ---------------------------------------------------------------------

TEST_F(DetectorHostTest, SegfaultEndsTheChildBySigsegv) {
  Child child;
  // One good call first: the plugin behaves until its `after`th call.
  const auto ready = child.start(misbehaving("segfault"), {{"after", "2"}}, limits());
  ASSERT_EQ(ready.error(), "");
  const FromHost good = child.reading(3);
  ASSERT_TRUE(good.has_reply());
  ASSERT_EQ(good.reply().events_size(), 1);
  EXPECT_EQ(good.reply().events(0).kind(), "seen");
  EXPECT_EQ(good.reply().events(0).value(), 3);

  EXPECT_FALSE(child.reading(4).has_reply());
  EXPECT_EQ(child.lastError(), HostChannel::ReadError::kClosed);
  const Ending ending = child.wait();
  EXPECT_FALSE(ending.exited);
  EXPECT_EQ(ending.signal, SIGSEGV);
}

TEST_F(DetectorHostTest, AbortEndsTheChildBySigabrt) {
  Child child;
  EXPECT_FALSE(misbehave(child, "abort").has_reply());
  const Ending ending = child.wait();
  EXPECT_EQ(ending.signal, SIGABRT);  // not SIGSYS: signalling itself is allowed
}

TEST_F(DetectorHostTest, HungPluginGivesNoReplyAndDiesWithItsGroup) {
  Child child;
  const FromHost nothing = misbehave(child, "loop", {}, 500ms);
  EXPECT_FALSE(nothing.has_reply());
  EXPECT_EQ(child.lastError(), HostChannel::ReadError::kTimeout);
  EXPECT_TRUE(child.alive());
  child.kill();
  EXPECT_EQ(child.wait().signal, SIGKILL);
}

TEST_F(DetectorHostTest, CpuLimitEndsAHungPlugin) {
  Child child;
  HostLimits l = limits();
  l.set_cpu_seconds(1);
  ASSERT_EQ(child.start(misbehaving("loop"), {}, l).error(), "");
  expectFault(child.reading(1, 1, 10s), kFaultCpuLimit, "CPU time limit of 1 s reached");
  expectExit(child, kExitCpuLimit);
}

TEST_F(DetectorHostTest, MallocBeyondTheAddressSpaceLimitEndsTheChild) {
  if (kSanitizerBuild) {
    GTEST_SKIP() << "ASan/TSan need terabytes of address space, so the host sets no RLIMIT_AS";
  }
  Child child;
  HostLimits l = limits();
  l.set_address_space_bytes(256u << 20);
  ASSERT_EQ(child.start(misbehaving("alloc"), {}, l).error(), "");
  // The C plugin abort()s when malloc returns NULL.
  EXPECT_FALSE(child.reading(1).has_reply());
  EXPECT_EQ(child.wait().signal, SIGABRT);
}

TEST_F(DetectorHostTest, OperatorNewBeyondTheAddressSpaceLimitIsAMemoryFault) {
  if (kSanitizerBuild) {
    GTEST_SKIP() << "ASan/TSan need terabytes of address space, so the host sets no RLIMIT_AS";
  }
  Child child;
  HostLimits l = limits();
  l.set_address_space_bytes(256u << 20);
  ASSERT_EQ(child.start(pluginPath("misbehave_alloc_new"), {}, l).error(), "");
  expectFault(child.reading(1), kFaultMemoryLimit, "address space limit of 256 MiB reached");
  expectExit(child, kExitMemoryLimit);
}

// --- forbidden system calls ----------------------------------------------------------------

TEST_F(DetectorHostTest, ForkIsAForbiddenSyscall) {
  Child child;
  const FromHost fault = misbehave(child, "forkbomb");
  ASSERT_TRUE(fault.has_fault()) << fault.ShortDebugString();
  EXPECT_EQ(fault.fault().reason(), kFaultForbiddenSyscall);
  // glibc's fork() is the clone system call without CLONE_THREAD.
  EXPECT_TRUE(fault.fault().detail() == "clone" || fault.fault().detail() == "fork")
      << fault.fault().detail();
  expectExit(child, kExitForbiddenSyscall);
}

TEST_F(DetectorHostTest, NetworkIsAForbiddenSyscall) {
  // A listener the plugin could reach if its socket() were allowed.
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  Child child;
  expectFault(misbehave(child, "connect", {{"port", std::to_string(ntohs(addr.sin_port))}}),
              kFaultForbiddenSyscall, "socket");
  expectExit(child, kExitForbiddenSyscall);
  ::close(listener);
}

TEST_F(DetectorHostTest, ExecIsAForbiddenSyscall) {
  Child child;
  expectFault(misbehave(child, "exec"), kFaultForbiddenSyscall, "execve");
  expectExit(child, kExitForbiddenSyscall);
}

TEST_F(DetectorHostTest, SignallingAnotherProcessIsAForbiddenSyscall) {
  Child child;
  expectFault(misbehave(child, "signal"), kFaultForbiddenSyscall, "kill");
  expectExit(child, kExitForbiddenSyscall);
}

// --- files ---------------------------------------------------------------------------------

TEST_F(DetectorHostTest, WritingToEtcIsAForbiddenFile) {
  Child child;
  expectFault(misbehave(child, "write_etc"), kFaultForbiddenFile,
              std::string(kEtcFile) + " for writing");
  expectExit(child, kExitForbiddenFile);
  EXPECT_FALSE(fs::exists(kEtcFile));
}

TEST_F(DetectorHostTest, FopenForWritingIsAForbiddenFile) {
  Child child;
  expectFault(misbehave(child, "fopen_etc"), kFaultForbiddenFile,
              std::string(kEtcFile) + " for writing");
  expectExit(child, kExitForbiddenFile);
  EXPECT_FALSE(fs::exists(kEtcFile));
}

TEST_F(DetectorHostTest, WritingTheGatewaysStateIsAForbiddenFile) {
  Child child;
  const auto target = root_ / "state" / "outbox.seg";
  expectFault(misbehave(child, "write_state", {{"path", target.string()}}), kFaultForbiddenFile,
              target.string() + " for writing");
  expectExit(child, kExitForbiddenFile);
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(DetectorHostTest, ReadingTheGatewaysKeyIsAForbiddenFile) {
  Child child;
  const auto key = root_ / "state" / "gateway.key";
  const FromHost fault = misbehave(child, "read_key", {{"path", key.string()}});
  expectFault(fault, kFaultForbiddenFile, key.string() + " for reading");
  expectExit(child, kExitForbiddenFile);
}

TEST_F(DetectorHostTest, ReadPathsAreReadableAndTheScratchDirWritable) {
  Child readable;
  const auto model = root_ / "readable" / "model.bin";
  const FromHost read = misbehave(readable, "read_key", {{"path", model.string()}});
  ASSERT_TRUE(read.has_reply()) << read.ShortDebugString();
  ASSERT_EQ(read.reply().events_size(), 1);
  EXPECT_EQ(read.reply().events(0).summary(), "model bytes");

  Child writable;
  const auto scratch = root_ / "scratch" / "work.tmp";
  const FromHost wrote = misbehave(writable, "write_state", {{"path", scratch.string()}});
  ASSERT_TRUE(wrote.has_reply()) << wrote.ShortDebugString();
  ASSERT_EQ(wrote.reply().events_size(), 1);
  EXPECT_TRUE(fs::exists(scratch));
}

TEST_F(DetectorHostTest, WithoutLandlockWritesAreStillRefused) {
  Child child(/*without_landlock=*/true);
  const auto ready = child.start(misbehaving("write_etc"), {}, limits());
  ASSERT_EQ(ready.error(), "");
  EXPECT_NE(ready.confinement().find("reads are not confined"), std::string::npos)
      << ready.confinement();
  expectFault(child.reading(1), kFaultForbiddenFile, std::string(kEtcFile) + " for writing");
  expectExit(child, kExitForbiddenFile);
  EXPECT_FALSE(fs::exists(kEtcFile));
}

// --- what the parent must judge: the child stays alive, the bytes arrive -------------------

TEST_F(DetectorHostTest, GarbageOnTheSocketArrivesAsIs) {
  Child child;
  const auto ready = child.start(misbehaving("garbage"), {}, limits());
  ASSERT_EQ(ready.error(), "");
  ToHost call;
  call.mutable_call()->set_seq(1);
  call.mutable_call()->mutable_reading()->set_value(1);
  ASSERT_TRUE(child.channel().write(call));
  unsigned char bytes[64] = {};
  pollfd p{child.socket(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  ASSERT_EQ(::recv(child.socket(), bytes, sizeof bytes, MSG_WAITALL), 64);
  for (const unsigned char b : bytes) ASSERT_EQ(b, 0xff);
  // Then the reply, framed as usual.
  const FromHost reply = child.next();
  ASSERT_TRUE(reply.has_reply()) << readErrorName(child.lastError());
  EXPECT_TRUE(child.alive());
}

TEST_F(DetectorHostTest, AFloodOfEventsIsCutAtOneOverTheLimit) {
  Child child;
  const FromHost reply = misbehave(child, "flood");
  ASSERT_TRUE(reply.has_reply()) << reply.ShortDebugString();
  EXPECT_EQ(reply.reply().events_size(), 101);  // max_events_per_call + 1
  EXPECT_TRUE(child.alive());
  EXPECT_TRUE(child.reading(5, 2).has_reply());
}

TEST_F(DetectorHostTest, LogLinesAreRateLimitedAndTheDropCounted) {
  Child child;
  const FromHost first = misbehave(child, "log");
  ASSERT_TRUE(first.has_reply());
  EXPECT_EQ(child.logs().size(), static_cast<size_t>(kHostLogLinesPerSecond));
  EXPECT_EQ(child.logs().front(), "a chatty plugin");
  // The next second's first line says how many of the 200 were dropped.
  std::this_thread::sleep_for(1100ms);
  ASSERT_TRUE(child.reading(1, 2).has_reply());
  ASSERT_GT(child.logs().size(), static_cast<size_t>(kHostLogLinesPerSecond));
  EXPECT_EQ(child.logs()[kHostLogLinesPerSecond], "(150 lines dropped) a chatty plugin");
}

}  // namespace
}  // namespace gw::detectors
