#pragma once
// At-least-once delivery (durable outbox re-sends after a crash, QoS 1 re-sends after a lost
// PUBACK) becomes exactly-once for the actor here: each message is identified by the gateway that
// sent it, the stream (issue 4's per-actor stream, e.g. its epoch) and its sequence number in it.
//
// Per (gateway, stream) it keeps the highest sequence seen and a sliding window of the `window`
// sequences below it (an anti-replay window as in IPsec/DTLS): O(1) per message, bounded memory.
// Anything older than the window cannot be told apart from a replay and is refused as kTooOld.
// In memory; an actor that must survive restarts saves and restores it (save()/restore(),
// receiver_state.cc), as the actor service does.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/crypto/envelope_format.h"
#include "gateway/v1/actor_state.pb.h"

namespace gw::actor {

enum class DedupVerdict { kNew, kDuplicate, kTooOld };

class Deduplicator {
 public:
  explicit Deduplicator(uint64_t window = crypto::kReplayWindow);

  // Records the message and says whether it is new. Never fails.
  DedupVerdict check(std::string_view gateway_id, std::string_view stream, uint64_t sequence);

  size_t streams() const { return streams_.size(); }

  // The windows as a proto, and back (receiver_state.cc). restore() refuses a state saved with
  // another window size, naming both.
  void save(google::protobuf::RepeatedPtrField<gateway::v1::DedupStreamState>* out) const;
  Status restore(const google::protobuf::RepeatedPtrField<gateway::v1::DedupStreamState>& in);

 private:
  struct StreamState {
    uint64_t highest = 0;
    bool any = false;
    std::vector<uint64_t> seen;  // bitmap over sequence % window
  };
  bool testAndSet(StreamState& s, uint64_t sequence);
  void clear(StreamState& s, uint64_t sequence);

  uint64_t window_;
  std::map<std::pair<std::string, std::string>, StreamState, std::less<>> streams_;
};

}  // namespace gw::actor
