#pragma once
// One CAP 1.2 <alert> (OASIS Common Alerting Protocol; schema tests/data/cap-1.2.xsd) per event,
// the mapping in docs/ACTORS.md section 7:
//   identifier  lantaarn-<gateway key id>-<actor>-<sequence>: stable across re-deliveries
//   sent        the gateway's production time, with a +00:00 offset (CAP forbids "Z")
//   status Actual, scope Restricted with <restriction> naming the actor
//   msgType     Alert for a new incident; Update for a change of a running one; Cancel for its
//               all-clear, both with <references> to the incident's first alert
//   info        category, event, urgency, severity, certainty mapped from the event; the
//               summary as description; parameters for detector, kind, value, threshold
//   area        areaDesc from site and source, <circle> of 0.05 km round the location
// No image ever goes into a <resource> (purpose limitation).
#include <cstdint>
#include <string>

#include "gateway/v1/actor_state.pb.h"

namespace gw::actor_service {

enum class CapMessageType { kAlert, kUpdate, kCancel };

// What an Update or Cancel refers to: the incident's first alert.
struct CapReference {
  std::string sender;
  std::string identifier;
  std::string sent;
};

struct CapAlert {
  std::string identifier;
  std::string sender;
  std::string sent;
  std::string xml;
};

// An all-clear kind: *_cleared, *_all_clear.
bool isAllClear(const std::string& kind);
// Site, detector and source: alerts of one incident share it.
std::string incidentKey(const gateway::v1::SpooledMessage& message);
// Unix ms as CAP's dateTime, "2026-12-02T15:04:05+00:00".
std::string capTime(int64_t unix_ms);
// Escapes & < > " ' for XML text and attributes.
std::string xmlEscape(const std::string& text);

// The alert for an event message; `reference` for kUpdate and kCancel.
CapAlert renderCapAlert(const gateway::v1::SpooledMessage& message, const std::string& sender,
                        CapMessageType type, const CapReference* reference);

}  // namespace gw::actor_service
