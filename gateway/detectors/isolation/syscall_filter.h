#pragma once
// The child's seccomp filter: every system call is allowed except those a detector has no use
// for and that would reach outside the sandbox (network, new processes, other processes, the
// kernel's administration). Those trap: a SIGSYS handler sends a forbidden_syscall fault naming
// the call and ends the child with kExitForbiddenSyscall.
#include "gateway/core/status.h"

namespace gw::detectors {

struct SyscallFilterOptions {
  // Without Landlock: also trap opening a file for writing (open, openat, creat with a write
  // flag; openat2 always, its flags are out of the filter's reach). The fault is then
  // forbidden_file with the path, as the open guard would send it, and kExitForbiddenFile.
  bool trap_writing_opens = false;
};

// Installs the SIGSYS handler and loads the filter for every thread of the process. Needs
// PR_SET_NO_NEW_PRIVS (libseccomp sets it).
Status installSyscallFilter(const SyscallFilterOptions& options);

}  // namespace gw::detectors
