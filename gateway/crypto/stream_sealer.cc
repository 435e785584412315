#include "gateway/crypto/stream_sealer.h"

#include <sodium.h>

namespace gw::crypto {
namespace {

using gateway::v1::EnvelopeKind;

void appendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Envelope field tags: header = 1, body = 2, signature = 3, all length-delimited (wire type 2).
constexpr char kHeaderTag = 0x0a;
constexpr char kBodyTag = 0x12;
constexpr char kSignatureTag = 0x1a;

// Writes the Envelope exactly as protobuf would serialize it, so the body can be encrypted in
// place into the payload instead of being copied into a message and serialized again.
void appendField(char tag, std::string_view bytes, std::string* out) {
  out->push_back(tag);
  appendVarint(bytes.size(), out);
  out->append(bytes);
}

}  // namespace

ActorStreamSealer::ActorStreamSealer(const IdentityKey& identity, std::string site_id,
                                     PublicKey actor_key, StreamStart start, EpochLimits limits,
                                     RandomFill random)
    : identity_(identity),
      site_id_(std::move(site_id)),
      actor_key_(std::move(actor_key)),
      limits_(limits),
      random_(random ? std::move(random)
                     : RandomFill([](uint8_t* p, size_t n) { randombytes_buf(p, n); })),
      next_sequence_(start.next_sequence),
      next_epoch_(start.next_epoch),
      start_reason_(start.reason),
      previous_sequence_(start.previous_sequence) {}

ActorStreamSealer::~ActorStreamSealer() { sodium_memzero(key_, sizeof key_); }

void ActorStreamSealer::rekey(PublicKey key) {
  if (!in_epoch_) {
    // Nothing was sealed yet: the first epoch goes to the new key, for the reason the stream
    // started (an unclean start must still say so).
    actor_key_ = std::move(key);
    return;
  }
  if (key.bytes == actor_key_.bytes) {
    pending_key_.reset();  // changed and changed back before anything was sealed to the other
  } else {
    pending_key_ = std::move(key);
  }
}

Status ActorStreamSealer::beginPendingEpoch(int64_t now_ms, std::vector<SealedEnvelope>* out) {
  if (!pending_key_) return okStatus();
  return beginEpoch(now_ms, out);
}

void ActorStreamSealer::stampHeader(EnvelopeKind kind, int64_t now_ms) {
  header_.Clear();
  header_.set_version(kEnvelopeVersion);
  header_.set_kind(kind);
  header_.set_gateway_key_id(identity_.key_id);
  header_.set_site_id(site_id_);
  header_.set_actor_id(actor_key_.actor);
  header_.set_recipient_key_id(actor_key_.key_id);
  header_.set_epoch(epoch_);
  header_.set_sequence(next_sequence_++);
  header_.set_sent_unix_ms(now_ms);
}

void ActorStreamSealer::link(const SealedEnvelope& sealed) {
  chain_ = chainNext(chain_, digestOf(sealed.payload));
  ++epoch_envelopes_;
}

void ActorStreamSealer::emitSigned(const std::string& body, std::vector<SealedEnvelope>* out) {
  header_.SerializeToString(&header_bytes_);
  const std::string to_sign = signedBytes(header_bytes_, body);
  uint8_t signature[kSignatureBytes];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const uint8_t*>(to_sign.data()),
                       to_sign.size(), identity_.secret.data());
  SealedEnvelope sealed{header_.kind(), header_.sequence(), {}};
  sealed.payload.reserve(header_bytes_.size() + body.size() + kSignatureBytes + 12);
  appendField(kHeaderTag, header_bytes_, &sealed.payload);
  appendField(kBodyTag, body, &sealed.payload);
  appendField(kSignatureTag,
              std::string_view(reinterpret_cast<const char*>(signature), sizeof signature),
              &sealed.payload);
  link(sealed);
  out->push_back(std::move(sealed));
}

void ActorStreamSealer::emitCheckpoint(int64_t now_ms, bool final,
                                       std::vector<SealedEnvelope>* out) {
  gateway::v1::Checkpoint cp;
  cp.set_epoch(epoch_);
  cp.set_from_sequence(checkpoint_from_);
  cp.set_last_sequence(next_sequence_ - 1);
  cp.set_from_head(std::string(asView(checkpoint_from_head_)));
  cp.set_chain_head(std::string(asView(chain_)));
  cp.set_final(final);
  stampHeader(gateway::v1::ENVELOPE_KIND_CHECKPOINT, now_ms);
  checkpoint_from_head_ = chain_;
  checkpoint_from_ = header_.sequence();  // the checkpoint itself opens the next range
  emitSigned(cp.SerializeAsString(), out);
  dirty_ = false;
  last_checkpoint_ms_ = now_ms;
}

Status ActorStreamSealer::beginEpoch(int64_t now_ms, std::vector<SealedEnvelope>* out) {
  if (in_epoch_) {
    // Close the old epoch with a final checkpoint, so the actor can prove it complete. It goes
    // to the old epoch's recipient: a changed key is taken only after it.
    emitCheckpoint(now_ms, /*final=*/true, out);
    next_epoch_ = epoch_ + 1;
    previous_sequence_ = next_sequence_ - 1;
    start_reason_ = pending_key_.has_value() ? gateway::v1::EPOCH_START_KEY_CHANGED
                                             : gateway::v1::EPOCH_START_ROLLOVER;
  }
  if (pending_key_) {
    actor_key_ = std::move(*pending_key_);
    pending_key_.reset();
  }
  epoch_ = next_epoch_;
  epoch_envelopes_ = 0;
  epoch_not_after_ms_ = now_ms + limits_.max_age.count();
  random_(key_, sizeof key_);
  nonce_prefix_.assign(kNoncePrefixBytes, '\0');
  random_(reinterpret_cast<uint8_t*>(nonce_prefix_.data()), nonce_prefix_.size());

  gateway::v1::EpochKey epoch_key;
  epoch_key.set_epoch(epoch_);
  epoch_key.set_actor_id(actor_key_.actor);
  epoch_key.set_recipient_key_id(actor_key_.key_id);
  epoch_key.set_key(std::string(reinterpret_cast<const char*>(key_), sizeof key_));
  epoch_key.set_nonce_prefix(nonce_prefix_);
  std::string plain = epoch_key.SerializeAsString();
  std::string box(plain.size() + crypto_box_SEALBYTES, '\0');
  const int rc = crypto_box_seal(reinterpret_cast<uint8_t*>(box.data()),
                                 reinterpret_cast<const uint8_t*>(plain.data()), plain.size(),
                                 actor_key_.bytes.data());
  sodium_memzero(plain.data(), plain.size());
  if (rc != 0) return internalError("crypto_box_seal of the epoch key failed");

  stampHeader(gateway::v1::ENVELOPE_KIND_KEY, now_ms);
  const Digest commitment = keyCommitment(key_);
  header_.set_key_commitment(std::string(asView(commitment)));
  header_.set_epoch_start(start_reason_);
  header_.set_previous_sequence(previous_sequence_);
  header_.set_epoch_not_after_unix_ms(epoch_not_after_ms_);
  chain_ = Digest{};
  checkpoint_from_ = header_.sequence();
  checkpoint_from_head_ = Digest{};
  in_epoch_ = true;
  emitSigned(box, out);
  dirty_ = true;
  last_checkpoint_ms_ = now_ms;
  return okStatus();
}

Status ActorStreamSealer::seal(const gateway::v1::ActorMessage& message, int64_t now_ms,
                               std::vector<SealedEnvelope>* out) {
  // +1: the envelope about to be sealed; +1 more: room for the epoch's final checkpoint.
  const bool over =
      in_epoch_ && (pending_key_.has_value() || epoch_envelopes_ + 2 > limits_.max_messages ||
                    now_ms >= epoch_not_after_ms_);
  if (!in_epoch_ || over) GW_RETURN_IF_ERROR(beginEpoch(now_ms, out));

  if (!message.SerializeToString(&plain_)) return internalError("cannot serialize ActorMessage");
  stampHeader(gateway::v1::ENVELOPE_KIND_DATA, now_ms);
  header_.set_content_type(std::string(kDataContentType));
  header_.SerializeToString(&header_bytes_);

  const size_t body_len = plain_.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  SealedEnvelope sealed{gateway::v1::ENVELOPE_KIND_DATA, header_.sequence(), {}};
  std::string& payload = sealed.payload;
  payload.reserve(header_bytes_.size() + body_len + 12);
  appendField(kHeaderTag, header_bytes_, &payload);
  payload.push_back(kBodyTag);
  appendVarint(body_len, &payload);
  const size_t body_at = payload.size();
  payload.resize(body_at + body_len);
  const auto nonce = dataNonce(nonce_prefix_, header_.sequence());
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<uint8_t*>(payload.data() + body_at), &written,
      reinterpret_cast<const uint8_t*>(plain_.data()), plain_.size(),
      reinterpret_cast<const uint8_t*>(header_bytes_.data()), header_bytes_.size(), nullptr,
      nonce.data(), key_);
  link(sealed);
  dirty_ = true;
  out->push_back(std::move(sealed));
  return okStatus();
}

Status ActorStreamSealer::checkpoint(int64_t now_ms, bool even_if_idle,
                                     std::vector<SealedEnvelope>* out) {
  if (!in_epoch_) {
    if (!even_if_idle) return okStatus();  // nothing sent yet: nothing to prove
    // An actor nothing was routed to yet still hears from the gateway every idle interval (a
    // KEY, then checkpoints), so its silence watch can tell "nothing happened" from "nothing
    // arrives" (issue 19).
    GW_RETURN_IF_ERROR(beginEpoch(now_ms, out));
  }
  if (!dirty_ && !even_if_idle) return okStatus();
  emitCheckpoint(now_ms, /*final=*/false, out);
  return okStatus();
}

}  // namespace gw::crypto
