#pragma once
// The actor's side of envelope format 2 (proto/gateway/v1/envelope.proto), without any network:
// give it each MQTT payload in arrival order and it verifies, decrypts, drops duplicates and
// replays, reports gaps and reordering, and checks the gateway's signed checkpoints against what
// arrived. ActorSubscriber (MQTT) and gatewayctl subscribe are thin layers around it; an actor
// that has its own MQTT client embeds this class directly.
//
// Nothing is returned before it is authenticated: a forged or tampered envelope cannot advance
// the sequence, fill the de-duplication window or install a key. Not thread-safe.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/actor/deduplicator.h"
#include "gateway/core/status.h"
#include "gateway/crypto/envelope_format.h"
#include "gateway/crypto/key_file.h"
#include "gateway/v1/actor_state.pb.h"
#include "gateway/v1/data.pb.h"
#include "gateway/v1/envelope.pb.h"

namespace gw::actor {

struct ReceiverIdentity {
  std::string site_id;  // "+": any site of a pinned gateway (an actor serving many sites)
  std::string actor_id;
  crypto::SecretKey key;  // the actor's X25519 secret key
  // The gateways' Ed25519 public keys, pinned: one per site (the key file names its site). Each
  // gateway is a stream of its own, with its own sequence, epochs and checkpoints.
  std::vector<crypto::IdentityPublicKey> gateways;
  // The actor's earlier X25519 secret keys, held while its key is rotated (docs/KEYS.md): every
  // envelope names the key it is addressed to (recipient_key_id), and one addressed to any key
  // held here or in `key` is read, so the stream reads on across the switch without a gap.
  // (`= {}`: brace initialisers written before it existed may leave it out.)
  std::vector<crypto::SecretKey> previous_keys = {};
};

struct ReceiverOptions {
  uint64_t dedup_window = crypto::kReplayWindow;  // anti-replay window: see kReplayWindow
  int64_t max_age_ms = 0;           // DATA sealed longer ago is refused as stale; 0: no limit
  int64_t max_future_ms = 300'000;  // DATA stamped further ahead of our clock is refused
  size_t keep_epochs = 8;           // epoch keys kept for late or re-sent envelopes
};

enum class Verdict {
  kMessage,     // an ActorMessage for the actor: `message` holds it
  kKey,         // a new epoch key was installed
  kCheckpoint,  // a checkpoint was checked: see `reports`
  kDuplicate,   // authentic, but seen before (a re-send or a replay): dropped
  kRejected,    // not accepted: `reason` says why
};

// What the actor should know about the stream beyond single envelopes.
struct Report {
  enum class Type {
    kGap,                   // sequences [from, to] skipped; they may still arrive
    kLate,                  // sequence `from` arrived after a higher one (reordered)
    kUnaccounted,           // [from, to] skipped across an unclean gateway restart
    kCheckpointVerified,    // [from, to] all received and matching the signed chain
    kCheckpointIncomplete,  // the gateway signed that it sent [from, to]; `missing` never came
    kCheckpointMismatch,    // what arrived does not hash to the signed chain
    // A gateway without a state directory restarted: its stream jumps to a clock-derived
    // sequence `from` (= `to`). Not a gap: nothing is known to be missing (missing = 0).
    kStreamRestart,
  };
  Type type;
  uint64_t epoch = 0;
  uint64_t from = 0;
  uint64_t to = 0;
  uint64_t missing = 0;
};
const char* reportName(Report::Type type);

struct Received {
  Verdict verdict = Verdict::kRejected;
  // kRejected: "<code>: <detail>", the code one of: malformed, wrong_gateway, wrong_site,
  // wrong_actor, wrong_recipient, bad_signature, bad_key, unknown_epoch, authentication_failed,
  // bad_plaintext, stale, future, replay_too_old.
  std::string reason;
  gateway::v1::EnvelopeHeader header;  // set once the envelope parsed
  gateway::v1::ActorMessage message;   // kMessage only
  std::vector<Report> reports;
};

struct ReceiverStats {
  uint64_t received = 0, messages = 0, keys = 0, checkpoints = 0, duplicates = 0, rejected = 0;
  uint64_t gaps = 0, missing = 0, late = 0, unaccounted = 0, stream_restarts = 0;
  uint64_t checkpoints_verified = 0, checkpoints_incomplete = 0, checkpoints_mismatched = 0;
  std::map<std::string, uint64_t> rejected_by_code;
};

class EnvelopeReceiver {
 public:
  EnvelopeReceiver(ReceiverIdentity identity, ReceiverOptions options = {});
  ~EnvelopeReceiver();
  EnvelopeReceiver(const EnvelopeReceiver&) = delete;
  EnvelopeReceiver& operator=(const EnvelopeReceiver&) = delete;

  // `retained`: the broker delivered a retained copy on subscribing (the current epoch's KEY),
  // which says nothing about the stream's order and is not counted as a sequence step.
  Received receive(std::string_view payload, int64_t now_ms, bool retained = false);

  const ReceiverStats& stats() const { return stats_; }
  void resetStats() { stats_ = {}; }

  // Everything receive() decides by, for an actor that must survive restarts: epoch keys, chain
  // digests, sequence tracking and open gaps, the replay windows (receiver_state.cc). Not the
  // stats. restore() replaces the state; the pinned gateways must be the same (a stream of an
  // unpinned gateway is skipped: its key is no longer trusted).
  gateway::v1::ReceiverState saveState() const;
  Status restoreState(const gateway::v1::ReceiverState& state);

 private:
  struct Epoch {
    uint8_t key[crypto::kEpochKeyBytes] = {};
    std::string nonce_prefix;
    uint64_t first_sequence = 0;
    std::map<uint64_t, crypto::Digest> digests;  // of envelopes not yet covered by a checkpoint
  };
  // One gateway's stream to this actor.
  struct Stream {
    const crypto::IdentityPublicKey* gateway = nullptr;
    std::map<uint64_t, Epoch> epochs;
    bool any = false;
    uint64_t first_seen = 0;  // the first sequence seen live: checkpoints before it are not ours
    uint64_t highest = 0;
    std::map<uint64_t, uint64_t> missing;  // reported gaps not filled yet: from -> to
  };

  Received reject(Received r, const std::string& code, const std::string& detail);
  // The held secret key with this key id; nullptr when none is.
  const crypto::SecretKey* recipientKey(const std::string& key_id) const;
  std::string heldKeyIds() const;  // for messages
  bool openKey(Stream& st, const crypto::ParsedEnvelope& parsed, const crypto::SecretKey& recipient,
               Received* r);
  bool openData(Stream& st, const crypto::ParsedEnvelope& parsed, int64_t now_ms, Received* r);
  bool openCheckpoint(const Stream& st, const crypto::ParsedEnvelope& parsed,
                      gateway::v1::Checkpoint* cp, Received* r);
  // Recomputes the chain over what arrived and compares it with the signed one.
  void verifyChain(Stream& st, const gateway::v1::Checkpoint& cp, Received* r);
  static bool verifySignature(const Stream& st, const crypto::ParsedEnvelope& parsed);
  void track(Stream& st, const gateway::v1::EnvelopeHeader& header, Received* r);
  void forgetOldEpochs(Stream& st);

  ReceiverIdentity identity_;
  ReceiverOptions options_;
  Deduplicator dedup_;
  std::map<std::string, Stream> streams_;  // by gateway key id, one per pinned gateway
  ReceiverStats stats_;
};

}  // namespace gw::actor
