#pragma once
// What an actor must know about its connection and streams, beyond single envelopes: that the
// broker lost its session (what it held for the actor is gone), that a stream fell silent for
// longer than the gateway's idle checkpoint promise allows, and that it came back. A missed
// alarm must never look like a quiet night (issue 19).
#include <cstdint>
#include <string>

namespace gw::actor {

struct Notice {
  enum class Type {
    kSessionLost,  // reconnected, but the broker had no session for us: re-subscribed
    kSilent,       // no authentic envelope of this stream for `silence_after`
    kResumed,      // an authentic envelope of a silent stream arrived again
  };
  Type type = Type::kSilent;
  // The stream: the pinned gateway's site and key id. kSessionLost concerns the connection, so
  // every stream: site_id is the subscribed site ("+" for many) and gateway_key_id is empty.
  std::string site_id;
  std::string gateway_key_id;
  int64_t at_unix_ms = 0;  // when it was noticed
  // kSessionLost: when the connection was lost. kSilent and kResumed: when the last authentic
  // envelope before the silence arrived (or the subscription started, if none had), so
  // at_unix_ms - since_unix_ms is how long nothing came.
  int64_t since_unix_ms = 0;
  // Why, as far as the subscriber can tell: for kSilent "gateway offline" (its retained status
  // says so: a clean stop or its Last Will), "no broker connection", "gateway online" (it says
  // it is up, yet sends nothing: look at the gateway and the broker's ACL) or "unknown" (no
  // status seen). For kSessionLost "broker restarted without the session".
  std::string reason;
};

// "session_lost", "silent", "resumed": the `report` of gatewayctl subscribe's stderr line.
const char* noticeName(Notice::Type type);

}  // namespace gw::actor
