#include "gateway/detectors/isolation/host_output.h"

#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace gw::detectors::host_output {
namespace {

int channel_fd = -1;
// The thread id holding the write lock, 0 when free. A spin lock, because a signal handler may
// take it (pthread mutexes are not async-signal-safe) and because it is held only for send().
std::atomic<long> writer{0};

long threadId() { return ::syscall(SYS_gettid); }

// Takes the lock; false when this very thread already holds it (a handler interrupted its own
// send): then the caller writes without it rather than wait for ever on itself.
bool lock() {
  const long self = threadId();
  long expected = 0;
  while (!writer.compare_exchange_weak(expected, self, std::memory_order_acquire)) {
    if (expected == self) return false;
    expected = 0;
    ::sched_yield();
  }
  return true;
}

void unlock() { writer.store(0, std::memory_order_release); }

bool writeAll(const char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    // MSG_NOSIGNAL: a parent that went away is an error here, not a SIGPIPE.
    const ssize_t w = ::send(channel_fd, data + done, size - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

bool sendLocked(const char* data, size_t size) {
  const bool locked = lock();
  const bool sent = writeAll(data, size);
  if (locked) unlock();
  return sent;
}

// Protobuf's base-128 varint.
size_t putVarint(uint8_t* out, uint64_t value) {
  size_t n = 0;
  while (value >= 0x80) {
    out[n++] = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  out[n++] = static_cast<uint8_t>(value);
  return n;
}

size_t varintSize(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

// A length-delimited field: tag (field number, wire type 2), length, bytes.
size_t putBytes(uint8_t* out, uint32_t field, const char* data, size_t size) {
  size_t n = putVarint(out, (field << 3) | 2);
  n += putVarint(out + n, size);
  std::memcpy(out + n, data, size);
  return n + size;
}

constexpr size_t kMaxFaultText = 1024;

}  // namespace

void init(int fd) { channel_fd = fd; }

bool send(const gateway::v1::FromHost& message) {
  // Serialised before the lock is taken: an allocation that fails here runs the new handler,
  // which sends a fault itself and must find the lock free.
  const size_t size = message.ByteSizeLong();
  std::string framed(4 + size, '\0');
  for (int i = 0; i < 4; ++i) framed[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  if (!message.SerializeToArray(framed.data() + 4, static_cast<int>(size))) return false;
  return sendLocked(framed.data(), framed.size());
}

void faultExit(const char* reason, const char* detail, int exit_code) {
  // FromHost{fault (4) = HostFault{reason (1), detail (2)}}, encoded by hand: protobuf's
  // serialiser allocates, and this runs in signal handlers and with the heap exhausted.
  const size_t reason_len = ::strnlen(reason, kMaxFaultText);
  const size_t detail_len = ::strnlen(detail, kMaxFaultText);
  const size_t fault_len =
      1 + varintSize(reason_len) + reason_len + 1 + varintSize(detail_len) + detail_len;
  uint8_t buffer[4 + 16 + 2 * (kMaxFaultText + 8)];
  size_t n = 4;
  n += putVarint(buffer + n, (4u << 3) | 2);
  n += putVarint(buffer + n, fault_len);
  n += putBytes(buffer + n, 1, reason, reason_len);
  n += putBytes(buffer + n, 2, detail, detail_len);
  const size_t body = n - 4;
  for (int i = 0; i < 4; ++i) buffer[i] = static_cast<uint8_t>((body >> (8 * i)) & 0xff);
  sendLocked(reinterpret_cast<const char*>(buffer), n);
  ::_exit(exit_code);
}

void appendText(char* buffer, size_t capacity, const char* text) {
  size_t at = ::strnlen(buffer, capacity);
  while (*text != '\0' && at + 1 < capacity) buffer[at++] = *text++;
  if (at < capacity) buffer[at] = '\0';
}

}  // namespace gw::detectors::host_output
