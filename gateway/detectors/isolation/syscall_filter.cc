#include "gateway/detectors/isolation/syscall_filter.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "gateway/detectors/isolation/detector_host_protocol.h"
#include "gateway/detectors/isolation/host_output.h"

namespace gw::detectors {
namespace {

// Names of the trapped calls by number, resolved before the filter is in force: the handler
// may not allocate. Numbers beyond the table are reported as "unknown".
constexpr int kMaxSyscall = 1024;
std::array<const char*, kMaxSyscall> syscall_names{};
bool traps_writing_opens = false;

#if defined(__x86_64__)
uint64_t syscallArgument(const ucontext_t* uc, int index) {
  static constexpr int kRegs[] = {REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9};
  return static_cast<uint64_t>(uc->uc_mcontext.gregs[kRegs[index]]);
}
#elif defined(__aarch64__)
uint64_t syscallArgument(const ucontext_t* uc, int index) { return uc->uc_mcontext.regs[index]; }
#elif defined(__arm__)
uint64_t syscallArgument(const ucontext_t* uc, int index) {
  return (&uc->uc_mcontext.arm_r0)[index];  // r0..r5, consecutive in sigcontext
}
#else
#error "syscallArgument: add this architecture's registers"
#endif

// The path argument of an open-family call, or -1 when `nr` is not one.
int pathArgumentIndex(int nr) {
#ifdef SYS_open
  if (nr == SYS_open || nr == SYS_creat) return 0;
#endif
  if (nr == SYS_openat || nr == SYS_openat2) return 1;
  return -1;
}

void onSigsys(int, siginfo_t* info, void* context) {
  const int nr = info->si_syscall;
  const int path_index = traps_writing_opens ? pathArgumentIndex(nr) : -1;
  if (path_index >= 0) {
    // The trapped call's own argument: a pointer into this process, as the call received it.
    const auto* path = reinterpret_cast<const char*>(  // NOLINT(performance-no-int-to-ptr)
        syscallArgument(static_cast<const ucontext_t*>(context), path_index));
    char detail[1024] = {0};
    host_output::appendText(detail, sizeof detail, path != nullptr ? path : "(null)");
    host_output::appendText(detail, sizeof detail, " for writing");
    host_output::faultExit(kFaultForbiddenFile, detail, kExitForbiddenFile);
  }
  const char* name =
      nr >= 0 && nr < kMaxSyscall && syscall_names[nr] != nullptr ? syscall_names[nr] : "unknown";
  host_output::faultExit(kFaultForbiddenSyscall, name, kExitForbiddenSyscall);
}

// An argument comparison; libseccomp's SCMP_A<n> macros are C compound literals. For an int
// argument (pid, flags) pass 32-bit values: the comparison is then of the whole register.
scmp_arg_cmp argument(unsigned index, scmp_compare op, uint64_t a, uint64_t b = 0) {
  return scmp_arg_cmp{index, op, a, b};
}

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

class Filter {
 public:
  Filter() : ctx_(seccomp_init(SCMP_ACT_ALLOW)) {}
  bool valid() const { return ctx_ != nullptr; }
  scmp_filter_ctx get() const { return ctx_.get(); }

  // One rule; the arguments' comparisons are ANDed, separate rules for one call are ORed. A
  // call this architecture does not have (libseccomp's negative pseudo numbers, e.g. fork on
  // arm64) is skipped: there is nothing to trap.
  template <typename... Cmp>
  Status add(uint32_t action, int nr, Cmp... cmp) {
    if (nr < 0) return okStatus();
    const int rc = seccomp_rule_add(ctx_.get(), action, nr, sizeof...(Cmp), cmp...);
    if (rc != 0) {
      return failedPrecondition(std::string("seccomp: rule for syscall ") + std::to_string(nr) +
                                " refused: " + std::strerror(-rc));
    }
    if (action == SCMP_ACT_TRAP && nr < kMaxSyscall && syscall_names[nr] == nullptr) {
      // Kept for the life of the process (the handler reads it).
      syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    }
    return okStatus();
  }

  // Traps `nr` when its first argument (32 bits) is within [low, high], by one masked rule per
  // aligned power-of-two block of the range (at most 64 rules).
  Status trapArgument0Range(int nr, uint32_t low, uint32_t high) {
    uint64_t at = low;
    while (at <= high) {
      uint64_t size = at == 0 ? uint64_t{1} << 32 : at & (~at + 1);  // at's alignment
      while (at + size - 1 > high) size >>= 1;
      const auto mask = static_cast<uint32_t>(~(size - 1));
      GW_RETURN_IF_ERROR(add(SCMP_ACT_TRAP, nr, argument(0, SCMP_CMP_MASKED_EQ, mask, at)));
      at += size;
    }
    return okStatus();
  }

 private:
  std::unique_ptr<void, ContextDeleter> ctx_;
};

}  // namespace

Status installSyscallFilter(const SyscallFilterOptions& options) {
  traps_writing_opens = options.trap_writing_opens;
  struct sigaction action {};
  action.sa_sigaction = &onSigsys;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGSYS, &action, nullptr) != 0) {
    return failedPrecondition(std::string("cannot install the SIGSYS handler: ") +
                              std::strerror(errno));
  }

  Filter filter;
  if (!filter.valid()) return failedPrecondition("seccomp: cannot create a filter");
  // Every thread, the ones a library started already too.
  if (seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_TSYNC, 1) != 0) {
    return failedPrecondition("seccomp: thread synchronisation not supported");
  }
  const uint32_t trap = SCMP_ACT_TRAP;
  // Network, new programs and new processes.
  const int always_trapped[] = {
      SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(accept),
      SCMP_SYS(accept4), SCMP_SYS(connect), SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork),
      SCMP_SYS(vfork),
      // Other processes' memory, and leaving the parent's process group (which it kills).
      SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
      SCMP_SYS(pidfd_open), SCMP_SYS(pidfd_getfd), SCMP_SYS(pidfd_send_signal), SCMP_SYS(setsid),
      SCMP_SYS(setpgid),
      // Namespaces, mounts and the kernel's administration.
      SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot), SCMP_SYS(unshare),
      SCMP_SYS(setns), SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(keyctl),
      SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(init_module), SCMP_SYS(finit_module),
      SCMP_SYS(delete_module), SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(reboot),
      SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(syslog), SCMP_SYS(acct), SCMP_SYS(settimeofday),
      SCMP_SYS(clock_settime), SCMP_SYS(personality),
      // Ways around the filter or around Landlock: io_uring's operations are not system calls,
      // handles open files by inode, userfaultfd and memfd_secret serve exploits.
      SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
      SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at), SCMP_SYS(userfaultfd),
      SCMP_SYS(memfd_secret)};
  for (const int nr : always_trapped) GW_RETURN_IF_ERROR(filter.add(trap, nr));

  // A process (fork, posix_spawn, system) but not a thread: clone without CLONE_THREAD.
  GW_RETURN_IF_ERROR(
      filter.add(trap, SCMP_SYS(clone), argument(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)));
  // clone3's flags are in a struct the filter cannot read. ENOSYS makes glibc's pthread_create
  // fall back to clone, which the rule above checks.
  GW_RETURN_IF_ERROR(filter.add(SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3)));

  // Signals: to itself (abort() is tgkill(own pid, tid, SIGABRT)) and its own group, not others.
  const auto self = static_cast<uint32_t>(::getpid());
  // kill(pid) traps unless pid is 0 or our own. A rule may compare an argument only once, so
  // "neither 0 nor self" is spelt as the ranges around them.
  GW_RETURN_IF_ERROR(filter.trapArgument0Range(SCMP_SYS(kill), 1, self - 1));
  GW_RETURN_IF_ERROR(filter.add(trap, SCMP_SYS(kill), argument(0, SCMP_CMP_GT, self)));
  for (const int nr : {SCMP_SYS(tgkill), SCMP_SYS(tkill), SCMP_SYS(rt_sigqueueinfo),
                       SCMP_SYS(rt_tgsigqueueinfo)}) {
    GW_RETURN_IF_ERROR(filter.add(trap, nr, argument(0, SCMP_CMP_NE, self)));
  }
  // Keeping the child alive after gatewayd dies, or taking the fault report away.
  GW_RETURN_IF_ERROR(filter.add(trap, SCMP_SYS(prctl), argument(0, SCMP_CMP_EQ, PR_SET_PDEATHSIG)));
  GW_RETURN_IF_ERROR(filter.add(trap, SCMP_SYS(rt_sigaction), argument(0, SCMP_CMP_EQ, SIGSYS)));

  if (options.trap_writing_opens) {
    // Each write flag is its own rule (ORed). openat2 carries its flags in a struct.
    for (const uint32_t flag : {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND}) {
      GW_RETURN_IF_ERROR(
          filter.add(trap, SCMP_SYS(open), argument(1, SCMP_CMP_MASKED_EQ, flag, flag)));
      GW_RETURN_IF_ERROR(
          filter.add(trap, SCMP_SYS(openat), argument(2, SCMP_CMP_MASKED_EQ, flag, flag)));
    }
    GW_RETURN_IF_ERROR(filter.add(trap, SCMP_SYS(creat)));
    GW_RETURN_IF_ERROR(filter.add(trap, SCMP_SYS(openat2)));
  }

  const int rc = seccomp_load(filter.get());
  if (rc != 0)
    return failedPrecondition(std::string("seccomp: load failed: ") + std::strerror(-rc));
  return okStatus();
}

}  // namespace gw::detectors
