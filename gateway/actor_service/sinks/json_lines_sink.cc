#include "gateway/actor_service/sinks/json_lines_sink.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "gateway/actor/actor_subscriber.h"

namespace gw::actor_service {

std::string messageJson(const gateway::v1::SpooledMessage& m) {
  // 64-bit numbers as JSON numbers here (they stay below 2^53 for decades); the message itself
  // follows proto3 JSON, where they are strings.
  nlohmann::ordered_json line{{"gateway", m.gateway_key_id()},
                              {"epoch", m.epoch()},
                              {"sequence", m.sequence()},
                              {"sent_unix_ms", m.sent_unix_ms()},
                              {"received_unix_ms", m.received_unix_ms()},
                              {"idempotency_key", idempotencyKey(m)}};
  std::string out = line.dump();
  out.pop_back();  // splice the message's own JSON in as it is
  out += ",\"message\":" + actor::toJson(m.message()) + "}";
  return out;
}

JsonLinesSink::~JsonLinesSink() {
  if (file_ != nullptr && file_ != stdout) std::fclose(file_);
}

bool JsonLinesSink::ensureOpen(std::string* error) {
  if (path_ == "-") {
    file_ = stdout;
    return true;
  }
  struct stat st {};
  const bool exists = ::stat(path_.c_str(), &st) == 0;
  if (file_ != nullptr && (!exists || st.st_ino != inode_)) {
    std::fclose(file_);  // rotated away: start the new file
    file_ = nullptr;
  }
  if (file_ == nullptr) {
    file_ = std::fopen(path_.c_str(), "a");
    if (file_ == nullptr) {
      *error = "cannot open " + path_ + ": " + std::strerror(errno);
      return false;
    }
    if (::fstat(fileno(file_), &st) == 0) inode_ = st.st_ino;
  }
  return true;
}

DeliveryOutcome JsonLinesSink::deliver(const gateway::v1::SpooledMessage& message) {
  std::string error;
  if (!ensureOpen(&error)) return {DeliveryOutcome::Result::kRetry, error};
  const std::string line = messageJson(message) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    const std::string why = std::string("cannot write ") + path_ + ": " + std::strerror(errno);
    if (file_ != stdout) std::fclose(file_);
    file_ = nullptr;
    return {DeliveryOutcome::Result::kRetry, why};
  }
  return {};
}

}  // namespace gw::actor_service
