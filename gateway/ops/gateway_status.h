#pragma once
// What the pipeline thread reports to the ops endpoint: a copy, taken on the pipeline thread
// (everything in it lives there), then rendered on the ops thread. Metadata only: never a
// reading's payload beyond an event's summary line, never an image, never a key.
#include <cstdint>
#include <string>
#include <vector>

namespace gw::ops {

struct SourceStatus {
  std::string id;
  std::string kind;  // "sensor" or "camera"
  bool finished = false;
};

struct DetectorStatus {
  std::string id;
  std::vector<std::string> sources;
  std::string isolation = "none";  // "process": in a confined child process of its own
};

struct ActorBacklog {
  std::string actor;
  uint64_t messages = 0;  // held in the outbox: unsent and in flight
  uint64_t bytes = 0;
  double oldest_age_seconds = 0;  // of the oldest undelivered message; 0 when none
};

struct EventSummary {
  int64_t time_unix_ms = 0;
  std::string detector;
  std::string kind;
  std::string severity;
  std::string source;
  std::string summary;
};

struct GatewayStatus {
  std::string site_id;
  uint64_t policy_version = 0;
  bool policy_loaded = false;
  int routes = 0;
  std::vector<std::string> actors;
  bool broker_connected = false;
  bool outbox_accepting = false;
  bool stopping = false;
  uint64_t outbox_messages = 0;
  uint64_t outbox_in_flight = 0;
  uint64_t outbox_dead_letters = 0;  // held in the dead-letter area
  std::vector<SourceStatus> sources;
  std::vector<DetectorStatus> detectors;
  std::vector<ActorBacklog> backlog;
  std::vector<EventSummary> recent_events;  // newest first
};

}  // namespace gw::ops
