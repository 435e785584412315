#include "gateway/core/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gw {

Result<std::string> readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    if (err == ENOENT) return notFound(path.string() + ": no such file");
    return unavailable(path.string() + ": " + std::strerror(err));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Result<std::string> readSecretFile(const std::filesystem::path& path) {
  auto secret = readFile(path);
  if (!secret.ok()) return secret;
  while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) {
    secret->pop_back();
  }
  return secret;
}

Result<std::string> readPasswordFile(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return notFound(path.string() + ": password file: no such file");
    return unavailable(path.string() + ": password file: " + std::strerror(err));
  }
  if ((st.st_mode & S_IRWXO) != 0) {
    return permissionDenied(path.string() +
                            ": password file is readable by others; chmod 600 (or 640) it");
  }
  auto password = readSecretFile(path);
  if (!password.ok()) return password;
  if (password->empty()) return invalidArgument(path.string() + ": password file is empty");
  return password;
}

Status checkTlsFileReadable(const std::string& path, const char* what) {
  if (path.empty()) return okStatus();
  std::ifstream in(path);
  if (!in) {
    return invalidArgument(path + ": cannot read the TLS " + what + ": " + std::strerror(errno));
  }
  return okStatus();
}

Status writeFileAtomic(const std::filesystem::path& path, const std::string& data,
                       std::filesystem::perms perms) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  // Create with the final mode so a private key is never briefly readable by others.
  int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(perms));
  if (fd < 0) return unavailable(tmp.string() + ": " + std::strerror(errno));
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return unavailable(tmp.string() + ": " + std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fchmod(fd, static_cast<mode_t>(perms)) != 0 || ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return unavailable(tmp.string() + ": " + std::strerror(err));
  }
  ::close(fd);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return unavailable(path.string() + ": " + ec.message());
  return okStatus();
}

}  // namespace gw
