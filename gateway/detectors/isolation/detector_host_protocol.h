#pragma once
// The numbers both ends of the detector host protocol agree on (proto/gateway/v1/
// detector_host.proto): the version, the descriptors the child inherits, how large a message may
// be, and the exit codes by which the child says why it ended itself. gatewayd includes this
// header too, so the two sides cannot drift apart.
#include <cstddef>
#include <cstdint>

namespace gw::detectors {

// HostHello.protocol_version; the child refuses any other.
constexpr uint32_t kDetectorHostProtocol = 1;

// The child's descriptors, set up by the parent's posix_spawn: the socketpair end (SOCK_STREAM)
// and the memfd that frames are written into. Everything else is closed.
constexpr int kHostChannelFd = 3;
constexpr int kHostFrameFd = 4;

// Child -> parent: a reply may carry max_events_per_call + 1 events, and the parent must not
// buffer without bound what a hostile child sends.
constexpr size_t kMaxHostMessageBytes = 4u << 20;
// Parent -> child: a hello (params, paths) or a call (one reading, or a frame's coordinates).
constexpr size_t kMaxToHostMessageBytes = 1u << 20;

// HostLimits.max_events_per_call when the parent leaves it 0.
constexpr uint32_t kDefaultMaxEventsPerCall = 1000;
// The plugin's log lines the child relays per second; the rest are dropped and counted in the
// next line relayed. A line is cut at kMaxHostLogLineBytes.
constexpr int kHostLogLinesPerSecond = 50;
constexpr size_t kMaxHostLogLineBytes = 4096;

// Exit codes of the child. 0: the parent closed the socket. A plugin crash ends it by its signal
// instead (WIFSIGNALED). For 96..99 a HostFault naming the reason precedes the exit on the socket.
// Bad hello, or the sandbox or the plugin did not start (HostReady.error says why).
constexpr int kExitStartFailed = 94;
constexpr int kExitProtocol = 95;          // the parent sent something that is not the protocol
constexpr int kExitForbiddenFile = 96;     // the plugin opened a file outside what it may
constexpr int kExitForbiddenSyscall = 97;  // the plugin made a system call it may not
constexpr int kExitMemoryLimit = 98;       // out of address space (RLIMIT_AS)
constexpr int kExitCpuLimit = 99;          // CPU time limit reached (RLIMIT_CPU)

// HostFault.reason values.
inline constexpr const char* kFaultForbiddenFile = "forbidden_file";
inline constexpr const char* kFaultForbiddenSyscall = "forbidden_syscall";
inline constexpr const char* kFaultMemoryLimit = "memory_limit";
inline constexpr const char* kFaultCpuLimit = "cpu_limit";

}  // namespace gw::detectors
