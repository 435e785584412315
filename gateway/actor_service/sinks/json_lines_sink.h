#pragma once
// Each message as one line of JSON: {"gateway","epoch","sequence","sent_unix_ms",
// "received_unix_ms","idempotency_key","message":<ActorMessage as proto3 JSON>}, appended to a
// file (flushed per line; reopened when logrotate moved it) or written to stdout.
#include <cstdio>
#include <string>

#include "gateway/actor_service/sinks/sink.h"

namespace gw::actor_service {

// The line for one message, without the newline (shared with the MQTT republish sink).
std::string messageJson(const gateway::v1::SpooledMessage& message);

class JsonLinesSink : public Sink {
 public:
  explicit JsonLinesSink(std::string path) : path_(std::move(path)) {}
  ~JsonLinesSink() override;
  DeliveryOutcome deliver(const gateway::v1::SpooledMessage& message) override;

 private:
  bool ensureOpen(std::string* error);

  std::string path_;
  std::FILE* file_ = nullptr;
  unsigned long inode_ = 0;
};

}  // namespace gw::actor_service
