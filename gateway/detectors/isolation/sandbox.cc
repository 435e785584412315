#include "gateway/detectors/isolation/sandbox.h"

#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <vector>

#include "gateway/detectors/isolation/detector_host_protocol.h"
#include "gateway/detectors/isolation/host_output.h"
#include "gateway/detectors/isolation/landlock.h"
#include "gateway/detectors/isolation/open_guard.h"
#include "gateway/detectors/isolation/syscall_filter.h"

namespace gw::detectors {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// ASan and TSan reserve terabytes of address space for their shadow memory: an RLIMIT_AS of
// any useful size would stop the child before main().
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

// Details of the limit faults, formatted before they can happen: the handlers may not allocate.
char memory_fault_detail[128] = "address space limit reached";
char cpu_fault_detail[128] = "CPU time limit reached";

void onOutOfMemory() {
  host_output::faultExit(kFaultMemoryLimit, memory_fault_detail, kExitMemoryLimit);
}

void onCpuLimit(int) { host_output::faultExit(kFaultCpuLimit, cpu_fault_detail, kExitCpuLimit); }

Status setLimit(int resource, rlim_t soft, rlim_t hard, const char* name) {
  const rlimit limit{soft, hard};
  if (::setrlimit(resource, &limit) != 0) {
    return failedPrecondition(std::string("setrlimit ") + name + ": " + std::strerror(errno));
  }
  return okStatus();
}

Status applyLimits(const gateway::v1::HostLimits& limits, std::string& confinement) {
  constexpr uint64_t kMiB = 1u << 20;
  GW_RETURN_IF_ERROR(setLimit(RLIMIT_CORE, 0, 0, "core"));
  GW_RETURN_IF_ERROR(setLimit(RLIMIT_NOFILE, 256, 256, "nofile"));
  GW_RETURN_IF_ERROR(setLimit(RLIMIT_FSIZE, 256 * kMiB, 256 * kMiB, "fsize"));
  std::string text = "rlimit";
  if (limits.address_space_bytes() == 0) text += " as none";
  if (limits.address_space_bytes() != 0) {
    if (kSanitizerBuild) {
      text += " as none (sanitizer build)";
    } else {
      GW_RETURN_IF_ERROR(
          setLimit(RLIMIT_AS, limits.address_space_bytes(), limits.address_space_bytes(), "as"));
      text += " as " + std::to_string(limits.address_space_bytes() / kMiB) + " MiB";
      std::snprintf(memory_fault_detail, sizeof memory_fault_detail,
                    "address space limit of %llu MiB reached",
                    static_cast<unsigned long long>(limits.address_space_bytes() / kMiB));
    }
  }
  if (limits.cpu_seconds() != 0) {
    // SIGXCPU at the soft limit (the handler reports it); SIGKILL at the hard one, should the
    // handler not get to run.
    GW_RETURN_IF_ERROR(setLimit(RLIMIT_CPU, limits.cpu_seconds(), limits.cpu_seconds() + 2, "cpu"));
    text += " cpu " + std::to_string(limits.cpu_seconds()) + " s";
    std::snprintf(cpu_fault_detail, sizeof cpu_fault_detail, "CPU time limit of %u s reached",
                  limits.cpu_seconds());
  }
  if (limits.cpu_seconds() == 0) text += " cpu none";
  confinement += text;
  return okStatus();
}

// Empties every capability set. gatewayd should hold none, but one started as root (a test, a
// misconfigured unit) would otherwise pass all of root's to the plugin.
Status dropCapabilities() {
  // EINVAL: a kernel without ambient capabilities, so there are none to clear.
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return failedPrecondition(std::string("cannot clear ambient capabilities: ") +
                              std::strerror(errno));
  }
  // The bounding set, up to the last capability this kernel knows (EINVAL beyond it). EPERM:
  // we lack CAP_SETPCAP, so we hold no capability to pass on anyway.
  for (int cap = 0; cap < 64; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL) break;
      if (errno != EPERM) {
        return failedPrecondition("cannot drop capability " + std::to_string(cap) +
                                  " from the bounding set: " + std::strerror(errno));
      }
    }
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capset, &header, data) != 0) {
    // A service manager's system call filter may refuse capset itself (systemd's ~@privileged):
    // fine when there is nothing to drop.
    __user_cap_data_struct held[_LINUX_CAPABILITY_U32S_3] = {};
    const int capset_errno = errno;
    const bool none = ::syscall(SYS_capget, &header, held) == 0 && held[0].effective == 0 &&
                      held[0].permitted == 0 && held[0].inheritable == 0 &&
                      held[1].effective == 0 && held[1].permitted == 0 && held[1].inheritable == 0;
    if (!none) return failedPrecondition(std::string("capset: ") + std::strerror(capset_errno));
  }
  return okStatus();
}

// Landlock confines the calling thread and the threads it starts later, not those already running
// (a sanitizer's background thread, a library's pool started at load time).
size_t threadCount() {
  namespace fs = std::filesystem;
  std::error_code error;
  size_t count = 0;
  for (fs::directory_iterator it("/proc/self/task", error);
       !error && it != fs::directory_iterator(); it.increment(error)) {
    ++count;
  }
  return count;
}

Status installLimitHandlers() {
  std::set_new_handler(&onOutOfMemory);
  struct sigaction action {};
  action.sa_handler = &onCpuLimit;
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGXCPU, &action, nullptr) != 0) {
    return failedPrecondition(std::string("cannot install the SIGXCPU handler: ") +
                              std::strerror(errno));
  }
  return okStatus();
}

}  // namespace

Result<std::string> applySandbox(const SandboxOptions& options) {
  std::string confinement;
  GW_RETURN_IF_ERROR(installLimitHandlers());
  GW_RETURN_IF_ERROR(dropCapabilities());
  // Required by Landlock and seccomp without CAP_SYS_ADMIN, and it keeps an exec (trapped
  // anyway) from gaining privileges through setuid or file capabilities.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return failedPrecondition(std::string("PR_SET_NO_NEW_PRIVS: ") + std::strerror(errno));
  }

  int abi = 0;
  const size_t threads = threadCount();
  if (!options.without_landlock) {
    FilesystemAccess access;
    access.plugin_file = options.plugin_file;
    access.read_paths.assign(options.limits.read_paths().begin(),
                             options.limits.read_paths().end());
    access.scratch_dir = options.limits.scratch_dir();
    auto restricted = restrictFilesystem(access);
    if (!restricted.ok()) return restricted.status();
    abi = *restricted;
  }
  if (abi > 0) {
    confinement = "landlock abi " + std::to_string(abi);
    if (threads > 1) {
      confinement += " (not on " + std::to_string(threads - 1) + " earlier threads)";
    }
    confinement += ", seccomp";
  } else {
    confinement = "no landlock: seccomp refuses opening files for writing, reads are not confined";
  }

  GW_RETURN_IF_ERROR(installSyscallFilter({.trap_writing_opens = abi == 0}));
  confinement += ", no capabilities, ";
  // Limits last: RLIMIT_AS must not stop the set-up above, and the open guard is armed only now
  // that a refusal means the sandbox said no.
  GW_RETURN_IF_ERROR(applyLimits(options.limits, confinement));
  open_guard::arm();
  return confinement;
}

}  // namespace gw::detectors
