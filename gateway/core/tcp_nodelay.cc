#include "gateway/core/tcp_nodelay.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <charconv>
#include <filesystem>

namespace gw {

std::optional<uint16_t> brokerPort(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  const std::string scheme = url.substr(0, scheme_end);
  std::string rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('/'));
  // [IPv6]:port, or host:port; the port is after the last colon outside the brackets.
  const auto bracket = rest.rfind(']');
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) {
    if (scheme == "tcp" || scheme == "mqtt") return 1883;
    if (scheme == "ssl" || scheme == "mqtts") return 8883;
    return std::nullopt;
  }
  uint16_t port = 0;
  const char* first = rest.data() + colon + 1;
  const char* last = rest.data() + rest.size();
  const auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc() || end != last || port == 0) return std::nullopt;
  return port;
}

namespace {

// The peer port of `fd` when it is a connected TCP socket; nullopt otherwise.
std::optional<uint16_t> tcpPeerPort(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return std::nullopt;
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
    return std::nullopt;
  }
  sockaddr_storage peer{};
  socklen_t peer_len = sizeof peer;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) return std::nullopt;
  if (peer.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&peer)->sin_port);
  }
  if (peer.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_port);
  }
  return std::nullopt;  // a Unix socket
}

}  // namespace

int setTcpNoDelayForPeerPort(uint16_t port) {
  int set = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    const std::string name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
    if (tcpPeerPort(fd) != port) continue;
    const int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0) ++set;
  }
  return set;
}

int disableNagleTowardsBroker(const std::string& broker_url) {
  const auto port = brokerPort(broker_url);
  return port ? setTcpNoDelayForPeerPort(*port) : 0;
}

}  // namespace gw
