#pragma once
// One actor's stream of envelopes (format: proto/gateway/v1/envelope.proto): epochs with their
// own random key, delivered in a signed KEY envelope sealed to the actor; one AEAD per message;
// a hash chain over everything sent and signed checkpoints of it.
//
// The asymmetric work (crypto_box_seal ≈ 60 µs, Ed25519 ≈ 17 µs) happens once per epoch and once
// per checkpoint; a message costs one XChaCha20-Poly1305 pass and one BLAKE2b pass over its bytes.
// Not thread-safe: one stream is sealed on one thread (the pipeline's).
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/crypto/envelope_format.h"
#include "gateway/crypto/key_file.h"
#include "gateway/v1/data.pb.h"

namespace gw::crypto {

struct EpochLimits {
  std::chrono::milliseconds max_age{std::chrono::hours(1)};
  uint64_t max_messages = 1'000'000;  // envelopes of every kind in one epoch
};

struct SealedEnvelope {
  gateway::v1::EnvelopeKind kind = gateway::v1::ENVELOPE_KIND_UNSPECIFIED;
  uint64_t sequence = 0;
  std::string payload;  // the serialized Envelope: the MQTT payload
};

// Fills a buffer with secret random bytes (epoch keys, nonce prefixes). Defaults to libsodium's
// randombytes_buf; the test-vector generator injects a deterministic one.
using RandomFill = std::function<void(uint8_t*, size_t)>;

// Where a stream (re)starts: the numbers it may use next and why a new epoch begins.
struct StreamStart {
  uint64_t next_sequence = 1;
  uint64_t next_epoch = 1;
  gateway::v1::EpochStart reason = gateway::v1::EPOCH_START_FIRST_START;  // sequence 1, epoch 1
  uint64_t previous_sequence = 0;  // see EnvelopeHeader.previous_sequence
};

class ActorStreamSealer {
 public:
  ActorStreamSealer(const IdentityKey& identity, std::string site_id, PublicKey actor_key,
                    StreamStart start, EpochLimits limits, RandomFill random = {});
  ~ActorStreamSealer();
  ActorStreamSealer(const ActorStreamSealer&) = delete;
  ActorStreamSealer& operator=(const ActorStreamSealer&) = delete;

  // Seals one message. Before it, when no epoch runs yet or the current one is over, appends
  // the old epoch's final CHECKPOINT and the new epoch's KEY envelope.
  Status seal(const gateway::v1::ActorMessage& message, int64_t now_ms,
              std::vector<SealedEnvelope>* out);

  // Appends a CHECKPOINT covering what was sent since the previous one, if anything was (or if
  // `even_if_idle`, so that an idle stream still tells the actor its last sequence).
  Status checkpoint(int64_t now_ms, bool even_if_idle, std::vector<SealedEnvelope>* out);

  // The actor's key changed (a policy reload, docs/KEYS.md "Rotating an actor's key"). A stream
  // that has not begun an epoch just takes the new key. A running one begins a new epoch sealed
  // to it (EPOCH_START_KEY_CHANGED) with beginPendingEpoch() or the next seal(), whichever comes
  // first, after the current epoch's final CHECKPOINT: that one is still addressed to the old
  // key, so an actor holding only the old key can prove everything sealed to it complete.
  // Envelopes already sealed stay as they are. A change back to the current key before the new
  // epoch began cancels it.
  void rekey(PublicKey key);
  bool rekeyPending() const { return pending_key_.has_value(); }
  // Begins the epoch rekey() asked for, now: appends the old epoch's final CHECKPOINT and the new
  // epoch's KEY. Nothing when no rekey is pending.
  Status beginPendingEpoch(int64_t now_ms, std::vector<SealedEnvelope>* out);

  uint64_t nextSequence() const { return next_sequence_; }
  // The epoch number the next KEY envelope would carry.
  uint64_t nextEpoch() const { return in_epoch_ ? epoch_ + 1 : next_epoch_; }
  // True when KEY or DATA envelopes were sent since the last checkpoint.
  bool uncheckpointed() const { return dirty_; }
  int64_t lastCheckpointMs() const { return last_checkpoint_ms_; }
  // Starts the idle-checkpoint clock of a stream that has sent nothing yet (0 until then).
  void startIdleClock(int64_t now_ms) { last_checkpoint_ms_ = now_ms; }
  // The key the stream's next epoch is sealed to.
  const PublicKey& actorKey() const { return pending_key_ ? *pending_key_ : actor_key_; }

 private:
  Status beginEpoch(int64_t now_ms, std::vector<SealedEnvelope>* out);
  // Header fields common to every kind, with the next sequence.
  void stampHeader(gateway::v1::EnvelopeKind kind, int64_t now_ms);
  // Signs header || body and appends the envelope; links it into the chain.
  void emitSigned(const std::string& body, std::vector<SealedEnvelope>* out);
  void link(const SealedEnvelope& sealed);
  // Signs the chain of what was sent since the previous checkpoint.
  void emitCheckpoint(int64_t now_ms, bool final, std::vector<SealedEnvelope>* out);

  const IdentityKey& identity_;
  std::string site_id_;
  PublicKey actor_key_;                   // the current epoch's recipient
  std::optional<PublicKey> pending_key_;  // the next epoch's, after rekey()
  EpochLimits limits_;
  RandomFill random_;

  uint64_t next_sequence_;
  uint64_t next_epoch_;
  gateway::v1::EpochStart start_reason_;
  uint64_t previous_sequence_;

  bool in_epoch_ = false;
  uint64_t epoch_ = 0;
  uint64_t epoch_envelopes_ = 0;
  int64_t epoch_not_after_ms_ = 0;
  uint8_t key_[kEpochKeyBytes] = {};
  std::string nonce_prefix_;

  Digest chain_{};                 // H of the last envelope sent in this epoch
  uint64_t checkpoint_from_ = 0;   // first sequence the next checkpoint covers
  Digest checkpoint_from_head_{};  // H before it
  int64_t last_checkpoint_ms_ = 0;
  bool dirty_ = false;

  // Reused per message so the hot path does not allocate for them.
  gateway::v1::EnvelopeHeader header_;
  std::string header_bytes_;
  std::string plain_;
};

}  // namespace gw::crypto
