#pragma once
// CPU time and peak memory of a running process, read from /proc (Linux), so the load tool can
// report what gatewayd cost without being its parent through wait4.
#include <sys/types.h>

#include <optional>

namespace gw::load {

struct ProcessUsage {
  double cpu_seconds = 0;  // user + system
  double user_seconds = 0;
  double system_seconds = 0;
  long peak_rss_kib = 0;  // VmHWM
  long rss_kib = 0;       // VmRSS now
};

// nullopt when the process is gone or /proc cannot be read.
std::optional<ProcessUsage> readProcessUsage(pid_t pid);
// The same for this process (the subscribers and the feeders), from getrusage.
ProcessUsage selfUsage();

}  // namespace gw::load
