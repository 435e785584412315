#include "gateway/privacy/raw_snapshot_audit.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace gw::privacy {

std::string sha256Hex(const std::string& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

Status RawSnapshotAudit::record(const gateway::v1::Route& route,
                                const gateway::v1::ActorMessage& message,
                                const gateway::v1::Snapshot& snapshot, int64_t now_ms) {
  nlohmann::json line = {
      {"time_unix_ms", now_ms},
      {"site", message.site_id()},
      {"actor", message.actor_id()},
      {"route", route.id()},
      {"purpose", route.purpose()},
      {"legal_basis", route.legal_basis()},
      {"camera", snapshot.camera_id()},
      {"captured_unix_ms", snapshot.captured_unix_ms()},
      {"detector", message.event().detector_id()},
      {"event_kind", message.event().kind()},
      {"jpeg_bytes", snapshot.image().size()},
      {"jpeg_sha256", sha256Hex(snapshot.image())},
  };
  const std::string text = line.dump() + "\n";
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return unavailable("cannot open the raw snapshot audit log " + file_.string() + ": " +
                       std::strerror(errno));
  }
  const ssize_t written = ::write(fd, text.data(), text.size());
  const int write_errno = errno;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size()) || !synced) {
    return unavailable("cannot write the raw snapshot audit log " + file_.string() + ": " +
                       std::strerror(write_errno));
  }
  return okStatus();
}

}  // namespace gw::privacy
