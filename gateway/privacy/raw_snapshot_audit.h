#pragma once
// The audit log of raw snapshots: each raw image that leaves the box is first recorded here, one
// JSON line with when, to whom, on which route, for what purpose and legal basis, from which
// camera and event, and the SHA-256 of the exact JPEG bytes (so a copy can be matched to its entry
// without the log holding the image). Appended and fsync'ed before the snapshot is sealed: if the
// line cannot be written, the raw snapshot is not sent.
#include <cstdint>
#include <filesystem>
#include <string>

#include "gateway/core/status.h"
#include "gateway/v1/data.pb.h"
#include "gateway/v1/policy.pb.h"

namespace gw::privacy {

class RawSnapshotAudit {
 public:
  explicit RawSnapshotAudit(std::filesystem::path file) : file_(std::move(file)) {}

  Status record(const gateway::v1::Route& route, const gateway::v1::ActorMessage& message,
                const gateway::v1::Snapshot& snapshot, int64_t now_ms);
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

// Lower-case hex SHA-256 of `bytes`.
std::string sha256Hex(const std::string& bytes);

}  // namespace gw::privacy
