// Fuzzes what gatewayd reads from a detector's child process, which runs an untrusted plugin and
// may write anything on its socket: the bytes go through a real socketpair into HostChannel (the
// length prefix, the size limit, the protobuf parse), and every reply that parses through the
// check gatewayd makes before it takes any event (checkHostReply).
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>

#include "gateway/detectors/isolation/child_process.h"
#include "gateway/detectors/isolation/detector_host_protocol.h"
#include "gateway/detectors/isolation/host_channel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 60000) return 0;  // within one socket buffer, so the write never blocks
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) return 0;
  if (::write(pair[1], data, size) != static_cast<ssize_t>(size)) __builtin_trap();
  ::close(pair[1]);  // the child "exits": every read ends, with a message or kClosed
  gw::detectors::HostChannel channel(pair[0]);
  gateway::v1::FromHost message;
  for (int i = 0; i < 1000; ++i) {
    auto read = channel.read(message, 4096, std::chrono::steady_clock::now());
    if (read.error != gw::detectors::HostChannel::ReadError::kNone) break;
    if (message.has_reply()) {
      auto fault = gw::detectors::checkHostReply(message.reply(), 100);
      // Accepted means within every limit.
      if (!fault && message.reply().events_size() > 100) __builtin_trap();
    }
  }
  ::close(pair[0]);
  return 0;
}
