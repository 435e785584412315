#pragma once
// What the publisher does with a PUBACK that refuses a message (MQTT 5 reason code >= 0x80,
// OASIS MQTT 5.0 section 3.4.2.1): retry later what may succeed later (the broker's quota, an
// unspecified or implementation-specific failure), dead-letter what will be refused every time
// (not authorised, an invalid topic, too large, a bad payload format). Either way only that
// message's stream waits; every other stream keeps flowing (decision 1300).
//
// MQTT 3.1.1 has no reason codes: Mosquitto acknowledges a refused 3.1.1 publish as if it had
// been delivered (it cannot be seen); brokers that disconnect instead are caught by the
// publisher's disconnect strikes (mqtt_publisher.h).
#include <optional>
#include <string>

namespace gw::publisher {

struct PublishRefusal {
  bool retry = false;  // false: dead-letter it
  std::string reason;  // the label of publish_refused_total and outbox_dead_lettered_total
  // The verdict is about the topic, not this message (not authorised, topic invalid): the
  // whole stream is dead-lettered and held. Too large or a bad payload is this message's alone.
  bool whole_stream = false;
};

// nullopt: not a refusal (success, 0x10 "no matching subscribers", or no reason code at all).
std::optional<PublishRefusal> classifyPubackReason(int reason_code);

}  // namespace gw::publisher
