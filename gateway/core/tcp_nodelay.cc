#include "gateway/core/tcp_nodelay.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>

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

// More descriptor numbers than this are not looked at (a gatewayd has a few hundred open; the
// systemd units allow 65,536). Probing a closed number costs one failed getsockopt().
constexpr int kMaxScannedDescriptors = 65536;

// The peer port of `fd` when it is a connected TCP socket; nullopt otherwise (not open, not a
// socket, not a stream, a Unix socket). Only the socket calls: no fstat and no descriptor of our
// own (decision 1370), so a scan never opens or closes a number another thread may be using.
std::optional<uint16_t> tcpPeerPort(int fd) {
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
  return std::nullopt;
}

int descriptorsToScan() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return kMaxScannedDescriptors;
  }
  return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, kMaxScannedDescriptors));
}

}  // namespace

int setTcpNoDelayForPeerPort(uint16_t port) {
  // Another thread may close a descriptor, or open a new one under the same number, while this
  // runs: each call then fails, or asks a different socket. Either way the worst outcome is
  // TCP_NODELAY on some other TCP connection to the same port, which wants it as much.
  int set = 0;
  const int scanned = descriptorsToScan();
  for (int fd = 0; fd < scanned; ++fd) {
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
