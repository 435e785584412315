#include "gateway/detectors/isolation/open_guard.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>

#include "gateway/detectors/isolation/detector_host_protocol.h"
#include "gateway/detectors/isolation/host_output.h"

namespace gw::detectors::open_guard {
namespace {

using FopenFn = FILE* (*)(const char*, const char*);

std::atomic<bool> armed{false};
std::atomic<FopenFn> real_fopen{nullptr};
std::atomic<FopenFn> real_fopen64{nullptr};

FopenFn resolve(std::atomic<FopenFn>& slot, const char* name) {
  FopenFn fn = slot.load();
  if (fn == nullptr) {
    fn = reinterpret_cast<FopenFn>(::dlsym(RTLD_NEXT, name));
    slot.store(fn);
  }
  return fn;
}

constexpr int kWriteFlags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;

bool needsMode(int flags) { return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE; }

bool modeWrites(const char* mode) {
  for (const char* c = mode; c != nullptr && *c != '\0'; ++c) {
    if (*c == 'w' || *c == 'a' || *c == '+') return true;
  }
  return false;
}

// Ends the child when the sandbox refused `path`; otherwise restores errno for the caller.
void checkRefusal(int error, const char* path, bool writing) {
  if (armed.load(std::memory_order_relaxed) && (error == EACCES || error == EPERM)) {
    char detail[1024] = {0};
    host_output::appendText(detail, sizeof detail, path != nullptr ? path : "(null)");
    host_output::appendText(detail, sizeof detail, writing ? " for writing" : " for reading");
    host_output::faultExit(kFaultForbiddenFile, detail, kExitForbiddenFile);
  }
  errno = error;
}

// libc's own open functions go through the same system call; calling it directly keeps this
// wrapper from depending on which libc symbol the next library in the search order exports.
int openAt(int dirfd, const char* path, int flags, mode_t mode) {
  const long fd = ::syscall(SYS_openat, dirfd, path, flags, mode);
  if (fd < 0) checkRefusal(errno, path, (flags & kWriteFlags) != 0);
  return static_cast<int>(fd);
}

mode_t modeArgument(int flags, va_list args) {
  return needsMode(flags) ? static_cast<mode_t>(va_arg(args, int)) : 0;
}

}  // namespace

void init() {
  resolve(real_fopen, "fopen");
  resolve(real_fopen64, "fopen64");
}

void arm() { armed.store(true); }

}  // namespace gw::detectors::open_guard

// The exported wrappers. Their names and signatures are libc's, so the style's naming rules do
// not apply (NOLINT below).
using gw::detectors::open_guard::modeArgument;
using gw::detectors::open_guard::openAt;

extern "C" {

int open(const char* path, int flags, ...) {  // NOLINT
  va_list args;
  va_start(args, flags);
  const mode_t mode = modeArgument(flags, args);
  va_end(args);
  return openAt(AT_FDCWD, path, flags, mode);
}

int open64(const char* path, int flags, ...) {  // NOLINT
  va_list args;
  va_start(args, flags);
  const mode_t mode = modeArgument(flags, args);
  va_end(args);
  return openAt(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {  // NOLINT
  va_list args;
  va_start(args, flags);
  const mode_t mode = modeArgument(flags, args);
  va_end(args);
  return openAt(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char* path, int flags, ...) {  // NOLINT
  va_list args;
  va_start(args, flags);
  const mode_t mode = modeArgument(flags, args);
  va_end(args);
  return openAt(dirfd, path, flags, mode);
}

int creat(const char* path, mode_t mode) {  // NOLINT
  return openAt(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int creat64(const char* path, mode_t mode) {  // NOLINT
  return openAt(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

// What a plugin built with _FORTIFY_SOURCE calls instead of open/openat (no mode argument).
int __open_2(const char* path, int flags) {  // NOLINT
  return openAt(AT_FDCWD, path, flags, 0);
}
int __open64_2(const char* path, int flags) {  // NOLINT
  return openAt(AT_FDCWD, path, flags, 0);
}
int __openat_2(int dirfd, const char* path, int flags) {  // NOLINT
  return openAt(dirfd, path, flags, 0);
}
int __openat64_2(int dirfd, const char* path, int flags) {  // NOLINT
  return openAt(dirfd, path, flags, 0);
}

FILE* fopen(const char* path, const char* mode) {  // NOLINT
  using gw::detectors::open_guard::real_fopen;
  FILE* file = gw::detectors::open_guard::resolve(real_fopen, "fopen")(path, mode);
  if (file == nullptr) {
    gw::detectors::open_guard::checkRefusal(errno, path,
                                            gw::detectors::open_guard::modeWrites(mode));
  }
  return file;
}

FILE* fopen64(const char* path, const char* mode) {  // NOLINT
  using gw::detectors::open_guard::real_fopen64;
  FILE* file = gw::detectors::open_guard::resolve(real_fopen64, "fopen64")(path, mode);
  if (file == nullptr) {
    gw::detectors::open_guard::checkRefusal(errno, path,
                                            gw::detectors::open_guard::modeWrites(mode));
  }
  return file;
}

}  // extern "C"
