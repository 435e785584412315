#pragma once
// The crypto stage of the gateway: one ActorStreamSealer per actor of the running policy, their
// durable positions, and the checkpoint schedule. The pipeline hands it minimised plaintext and
// gets back envelopes, ciphertext only, in the order they must be published.
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/crypto/stream_positions.h"
#include "gateway/crypto/stream_sealer.h"

namespace gw::crypto {

struct SealerOptions {
  EpochLimits epoch;
  // A busy stream gets a checkpoint at least this often; an idle one every `idle_checkpoint`.
  std::chrono::milliseconds checkpoint_interval{1000};
  std::chrono::milliseconds idle_checkpoint{std::chrono::seconds(30)};
  std::filesystem::path positions_file;  // empty: positions from the clock (docs/SECURITY.md)
  uint64_t reserve_ahead = kSequenceReservation;  // below the replay window
};

class GatewaySealer {
 public:
  static Result<std::unique_ptr<GatewaySealer>> open(IdentityKey identity, std::string site_id,
                                                     SealerOptions options, RandomFill random = {});

  // Applies the policy's actors: a new actor gets a stream, an actor whose key changed starts a
  // new epoch sealed to the new key (ActorStreamSealer::rekey: its current epoch is closed
  // first), and a removed actor's stream ends (it receives nothing more, and nothing it could
  // open: later epoch keys are never sealed to it).
  void setActors(const std::map<std::string, PublicKey>& keys);

  // Begins now the new epoch of every stream whose key setActors() changed, as (actor,
  // envelope): the old epoch's final CHECKPOINT, then the KEY sealed to the new key. Without
  // this call they come with the stream's next message.
  Status beginRekeyedEpochs(int64_t now_ms,
                            std::vector<std::pair<std::string, SealedEnvelope>>* out);

  // Seals `message` for `actor`; appends the envelopes to publish, in order.
  Status seal(const std::string& actor, const gateway::v1::ActorMessage& message, int64_t now_ms,
              std::vector<SealedEnvelope>* out);

  // The checkpoints due now, as (actor, envelope); with `flush`, one for every stream that sent
  // anything since its last checkpoint (a clean stop).
  Status checkpoints(int64_t now_ms, bool flush,
                     std::vector<std::pair<std::string, SealedEnvelope>>* out);

  // A clean stop: records the exact positions so the next start continues without a jump.
  Status close();

  const IdentityKey& identity() const { return identity_; }
  const SealerOptions& options() const { return options_; }
  bool hasActor(const std::string& actor) const { return streams_.count(actor) != 0; }

 private:
  GatewaySealer(IdentityKey identity, std::string site_id, SealerOptions options, RandomFill random,
                std::unique_ptr<StreamPositions> positions);

  IdentityKey identity_;
  std::string site_id_;
  SealerOptions options_;
  RandomFill random_;
  std::unique_ptr<StreamPositions> positions_;
  std::map<std::string, std::unique_ptr<ActorStreamSealer>> streams_;
  bool started_ = false;  // actors set after the first setActors() were added by a reload
};

}  // namespace gw::crypto
