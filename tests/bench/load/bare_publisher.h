#pragma once
// The reference: a bare Paho async publisher, as a well-tuned application would write one (QoS 1,
// in-memory persistence, a window of outstanding PUBLISHes no larger than the broker's Receive
// Maximum, Paho's buffer above the window), sending pre-built messages round robin to the actors'
// topics. No sealing, no outbox: what the broker and Paho alone manage on this box. Runs in a
// process of its own (lantaarn_load bare-publish), like gatewayd, so it does not share Paho's
// threads with the subscribers.
//
// Flat out (rate 0), or paced at `rate` messages/s like the sensors (issue 20 compares
// sustainable rates: 0 lost and p99 <= 100 ms, for the raw broker as for gatewayd). Each payload
// begins with its send time (wall clock, microseconds, kBareStampDigits digits) so the
// subscribers measure its latency.
#include <cstdint>
#include <string>
#include <vector>

namespace gw::load {

inline constexpr size_t kBareStampDigits = 20;

// The send time a bare payload carries; -1 if it carries none.
int64_t bareSendTimeUs(const std::string& payload);

struct BarePlan {
  std::string broker_url;
  std::vector<std::string> topics;
  int64_t count = 0;
  size_t size = 200;
  double rate = 0;  // messages/s; 0: flat out
  int window = 20;
  bool mqtt5 = true;
};

struct BareResult {
  int64_t first_publish_us = 0;
  int64_t last_ack_us = 0;
  int64_t acked = 0;
  std::string error;
};

BareResult runBarePublisher(const BarePlan& plan);

}  // namespace gw::load
