#pragma once
// Events as CAP 1.2 alerts (cap_alert.h), POSTed (application/cap+xml) or written one file per
// alert (<identifier>.xml, atomically) to a directory. It remembers each open incident's first
// alert (in its state file, so a restart keeps the chain) to make a later change an Update and
// the all-clear a Cancel that references it. Messages that are not events, and health events,
// are passed over (delivered, nothing to do).
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "gateway/actor_service/http_client.h"
#include "gateway/actor_service/sinks/cap_alert.h"
#include "gateway/actor_service/sinks/sink.h"

namespace gw::actor_service {

struct CapSinkOptions {
  std::optional<HttpUrl> url;  // POST here, or
  std::filesystem::path directory;
  std::string sender;  // empty: lantaarn@<site>
  std::chrono::milliseconds timeout{10'000};
  std::filesystem::path state_file;  // the open incidents
};

class CapSink : public Sink {
 public:
  explicit CapSink(CapSinkOptions options);
  DeliveryOutcome deliver(const gateway::v1::SpooledMessage& message) override;

  size_t openIncidents() const { return open_.size(); }

 private:
  DeliveryOutcome send(const CapAlert& alert);
  void loadIncidents();
  void saveIncidents() const;

  CapSinkOptions options_;
  std::unique_ptr<HttpClient> client_;
  std::map<std::string, CapReference> open_;  // incident key -> its first alert
};

}  // namespace gw::actor_service
