#pragma once
// Confines the child before it loads the plugin (a plugin's static constructors run inside
// dlopen, and they are third-party code): resource limits, no capabilities, no new privileges,
// Landlock on the file system, a seccomp filter, and handlers that turn a limit or a trapped call
// into a HostFault on the socket and an exit code of detector_host_protocol.h.
#include <string>

#include "gateway/core/status.h"
#include "gateway/v1/detector_host.pb.h"

namespace gw::detectors {

struct SandboxOptions {
  std::string plugin_file;  // read and execute; empty for a built-in
  gateway::v1::HostLimits limits;
  // Behave as on a kernel without Landlock (the tests use it to check the fallback).
  bool without_landlock = false;
};

// Applies everything, or fails naming what could not be applied (the child then does not load
// the plugin). The result says what is in force, for HostReady.confinement, e.g.
// "landlock abi 7, seccomp, no capabilities, rlimit as 1024 MiB cpu 3600 s".
Result<std::string> applySandbox(const SandboxOptions& options);

}  // namespace gw::detectors
