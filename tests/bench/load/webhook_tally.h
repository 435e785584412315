#pragma once
// The receiving system behind a real lantaarn-actor (--actor-service): an HTTP server in the load
// tool that its webhook sink POSTs to. The receiver's thread only stamps each request's arrival
// and keeps its body and Idempotency-Key, then answers 200, so it does not slow the sink's one
// request at a time; the bodies (the ActorMessage as proto3 JSON) are parsed and tallied
// like the in-process actors' messages on the thread that polls for progress (drain()).
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "tests/bench/load/actor_tally.h"
#include "tests/support/http_receiver.h"

namespace gw::load {

class WebhookTally {
 public:
  explicit WebhookTally(int sources);

  std::string url() const { return receiver_.url("/lantaarn"); }
  // Parses and tallies what arrived since the last call. Call from one thread.
  void drain();

  // After drain().
  int64_t readingsSeen() const { return readings_seen_; }
  int64_t eventsSeen() const { return events_seen_; }
  int64_t firstDataUs() const { return first_data_us_; }
  int64_t lastDataUs() const { return last_data_us_; }
  int64_t requests() const { return requests_; }
  // Requests whose Idempotency-Key came before (the sink delivered a message again).
  int64_t duplicateRequests() const { return duplicate_requests_; }
  int64_t unparsable() const { return unparsable_; }
  const MessageTally& tally() const { return tally_; }

 private:
  struct Arrival {
    int64_t at_us;
    std::string key;
    std::string body;
  };

  gw::testing::HttpReceiver receiver_;
  std::mutex mutex_;
  std::vector<Arrival> pending_;  // filled on the receiver's thread
  std::vector<Arrival> draining_;
  std::unordered_set<std::string> keys_;
  MessageTally tally_;
  int64_t readings_seen_ = 0, events_seen_ = 0, first_data_us_ = 0, last_data_us_ = 0;
  int64_t requests_ = 0, duplicate_requests_ = 0, unparsable_ = 0;
};

}  // namespace gw::load
