#include "gateway/detectors/isolation/landlock.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace gw::detectors {
namespace {

// Rights newer than Debian 12's kernel headers (ABI 1 and 2). The kernel handles those of its own
// ABI; the ruleset asks only for what it knows (handledRights).
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)  // ABI 3
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)  // ABI 5
#endif

constexpr uint64_t kReadFile = LANDLOCK_ACCESS_FS_READ_FILE;
constexpr uint64_t kRead = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
constexpr uint64_t kReadExecute = kRead | LANDLOCK_ACCESS_FS_EXECUTE;
// The rights that make sense on a file (the kernel refuses a rule on a file with any other).
constexpr uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
                                 LANDLOCK_ACCESS_FS_IOCTL_DEV;

uint64_t handledRights(int abi) {
  uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: EXECUTE .. MAKE_SYM
  if (abi >= 2) rights |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
  if (abi >= 5) rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
  return rights;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Allows `rights` beneath `path` (or on it, for a file). A missing optional path is skipped.
Status allow(int ruleset, const std::string& path, uint64_t rights, uint64_t handled,
             bool required) {
  Fd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
  if (fd.get() < 0) {
    if (!required && errno == ENOENT) return okStatus();
    return failedPrecondition("landlock: cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return failedPrecondition("landlock: cannot stat " + path + ": " + std::strerror(errno));
  }
  landlock_path_beneath_attr rule{};
  rule.allowed_access = rights & handled & (S_ISDIR(st.st_mode) ? ~uint64_t{0} : kFileRights);
  rule.parent_fd = fd.get();
  if (::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
    return failedPrecondition("landlock: rule for " + path + " refused: " + std::strerror(errno));
  }
  return okStatus();
}

}  // namespace

int landlockAbi() {
  const long abi =
      ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

Result<int> restrictFilesystem(const FilesystemAccess& access) {
  const int abi = landlockAbi();
  if (abi <= 0) return 0;
  const uint64_t handled = handledRights(abi);
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = handled;
  const long ruleset = ::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0) {
    return failedPrecondition(std::string("landlock: cannot create a ruleset: ") +
                              std::strerror(errno));
  }
  Fd ruleset_fd(static_cast<int>(ruleset));
  const int rs = ruleset_fd.get();

  // What the dynamic loader and common libraries (glibc, libstdc++, OpenCV, TBB) read on their
  // own: without these a plugin would die on a refusal it did not ask for.
  struct SystemPath {
    const char* path;
    uint64_t rights;
  };
  const SystemPath system_paths[] = {
      {"/usr", kReadExecute},
      {"/lib", kReadExecute},
      {"/lib64", kReadExecute},
      {"/etc/ld.so.cache", kReadFile},
      {"/etc/localtime", kReadFile},
      {"/sys/devices/system/cpu", kRead},  // CPU count and topology
      {"/sys/fs/cgroup", kRead},           // the CPU quota (OpenCV, TBB)
      // Writing to /dev/null discards; libraries open it for that.
      {"/dev/null", kReadFile | LANDLOCK_ACCESS_FS_WRITE_FILE},
      {"/dev/zero", kReadFile},
      {"/dev/urandom", kReadFile},
  };
  for (const auto& p : system_paths) {
    GW_RETURN_IF_ERROR(allow(rs, p.path, p.rights, handled, /*required=*/false));
  }
  // This process's own /proc entry: /proc/self resolves to /proc/<pid> when opened, which is
  // what the rule must name (a rule on the symlink would not follow it).
  GW_RETURN_IF_ERROR(allow(rs, "/proc/self", kRead, handled, /*required=*/true));
  if (!access.plugin_file.empty()) {
    GW_RETURN_IF_ERROR(allow(rs, access.plugin_file, kReadFile | LANDLOCK_ACCESS_FS_EXECUTE,
                             handled, /*required=*/true));
  }
  for (const auto& path : access.read_paths) {
    GW_RETURN_IF_ERROR(allow(rs, path, kRead, handled, /*required=*/true));
  }
  if (!access.scratch_dir.empty()) {
    GW_RETURN_IF_ERROR(allow(rs, access.scratch_dir, handled, handled, /*required=*/true));
  }
  if (::syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
    return failedPrecondition(std::string("landlock: restrict_self refused: ") +
                              std::strerror(errno));
  }
  return abi;
}

}  // namespace gw::detectors
