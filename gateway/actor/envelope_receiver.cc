#include "gateway/actor/envelope_receiver.h"

#include <sodium.h>

#include <cstring>

namespace gw::actor {
namespace {

using gateway::v1::EnvelopeHeader;

// A signed checkpoint may cover at most this many sequences: a bound on the work one envelope
// can cause (a second's worth at any rate the gateway reaches is far below it).
constexpr uint64_t kMaxCheckpointRange = 16u << 20;
// Reported gaps remembered for matching late arrivals.
constexpr size_t kMaxOpenGaps = 4096;

}  // namespace

const char* reportName(Report::Type type) {
  switch (type) {
    case Report::Type::kGap:
      return "gap";
    case Report::Type::kLate:
      return "late";
    case Report::Type::kUnaccounted:
      return "unaccounted";
    case Report::Type::kCheckpointVerified:
      return "checkpoint_verified";
    case Report::Type::kCheckpointIncomplete:
      return "checkpoint_incomplete";
    case Report::Type::kCheckpointMismatch:
      return "checkpoint_mismatch";
    case Report::Type::kStreamRestart:
      return "stream_restart";
  }
  return "unknown";
}

EnvelopeReceiver::EnvelopeReceiver(ReceiverIdentity identity, ReceiverOptions options)
    : identity_(std::move(identity)), options_(options), dedup_(options.dedup_window) {
  for (const auto& gateway : identity_.gateways) streams_[gateway.key_id].gateway = &gateway;
}

EnvelopeReceiver::~EnvelopeReceiver() {
  for (auto& [id, st] : streams_) {
    for (auto& [number, epoch] : st.epochs) sodium_memzero(epoch.key, sizeof epoch.key);
  }
}

Received EnvelopeReceiver::reject(Received r, const std::string& code, const std::string& detail) {
  r.verdict = Verdict::kRejected;
  r.reason = code + ": " + detail;
  ++stats_.rejected;
  ++stats_.rejected_by_code[code];
  return r;
}

bool EnvelopeReceiver::verifySignature(const Stream& st, const crypto::ParsedEnvelope& parsed) {
  const std::string bytes = crypto::signedBytes(parsed.envelope.header(), parsed.envelope.body());
  return crypto_sign_verify_detached(
             reinterpret_cast<const uint8_t*>(parsed.envelope.signature().data()),
             reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
             st.gateway->bytes.data()) == 0;
}

const crypto::SecretKey* EnvelopeReceiver::recipientKey(const std::string& key_id) const {
  if (identity_.key.key_id == key_id) return &identity_.key;
  for (const auto& key : identity_.previous_keys) {
    if (key.key_id == key_id) return &key;
  }
  return nullptr;
}

std::string EnvelopeReceiver::heldKeyIds() const {
  std::string ids = identity_.key.key_id;
  for (const auto& key : identity_.previous_keys) ids += ", " + key.key_id;
  return ids;
}

bool EnvelopeReceiver::openKey(Stream& st, const crypto::ParsedEnvelope& parsed,
                               const crypto::SecretKey& recipient, Received* r) {
  const EnvelopeHeader& h = parsed.header;
  if (!verifySignature(st, parsed)) {
    *r = reject(std::move(*r), "bad_signature", "KEY envelope not signed by the pinned gateway");
    return false;
  }
  const std::string& box = parsed.envelope.body();
  if (box.size() < crypto_box_SEALBYTES) {
    *r = reject(std::move(*r), "bad_key", "sealed epoch key too short");
    return false;
  }
  std::string plain(box.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<uint8_t*>(plain.data()),
                           reinterpret_cast<const uint8_t*>(box.data()), box.size(),
                           recipient.public_key.data(), recipient.secret.data()) != 0) {
    *r = reject(std::move(*r), "bad_key", "epoch key box does not open with this actor's key");
    return false;
  }
  gateway::v1::EpochKey key;
  const bool parsed_ok = key.ParseFromString(plain);
  sodium_memzero(plain.data(), plain.size());
  if (!parsed_ok || key.key().size() != crypto::kEpochKeyBytes ||
      key.nonce_prefix().size() != crypto::kNoncePrefixBytes) {
    *r = reject(std::move(*r), "bad_key", "epoch key box does not hold a valid EpochKey");
    return false;
  }
  if (key.epoch() != h.epoch() || key.actor_id() != h.actor_id() ||
      key.recipient_key_id() != h.recipient_key_id()) {
    *r = reject(std::move(*r), "bad_key", "EpochKey does not match its signed header");
    return false;
  }
  const crypto::Digest commitment =
      crypto::keyCommitment(reinterpret_cast<const uint8_t*>(key.key().data()));
  if (h.key_commitment() != crypto::asView(commitment)) {
    *r = reject(std::move(*r), "bad_key", "epoch key does not match the signed commitment");
    return false;
  }
  if (st.epochs.count(h.epoch()) == 0) {
    Epoch& epoch = st.epochs[h.epoch()];
    std::memcpy(epoch.key, key.key().data(), sizeof epoch.key);
    epoch.nonce_prefix = key.nonce_prefix();
    epoch.first_sequence = h.sequence();
    forgetOldEpochs(st);
  }
  return true;
}

void EnvelopeReceiver::forgetOldEpochs(Stream& st) {
  while (st.epochs.size() > options_.keep_epochs) {
    sodium_memzero(st.epochs.begin()->second.key, sizeof st.epochs.begin()->second.key);
    st.epochs.erase(st.epochs.begin());
  }
}

bool EnvelopeReceiver::openData(Stream& st, const crypto::ParsedEnvelope& parsed, int64_t now_ms,
                                Received* r) {
  const EnvelopeHeader& h = parsed.header;
  auto it = st.epochs.find(h.epoch());
  if (it == st.epochs.end()) {
    *r = reject(std::move(*r), "unknown_epoch",
                "no key for epoch " + std::to_string(h.epoch()) + " (its KEY envelope never came)");
    return false;
  }
  const std::string& body = parsed.envelope.body();
  const std::string& ad = parsed.envelope.header();
  std::string plain(body.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  const auto nonce = crypto::dataNonce(it->second.nonce_prefix, h.sequence());
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<uint8_t*>(plain.data()), &plain_len, nullptr,
          reinterpret_cast<const uint8_t*>(body.data()), body.size(),
          reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nonce.data(),
          it->second.key) != 0) {
    *r = reject(std::move(*r), "authentication_failed",
                "DATA envelope does not authenticate under its epoch key (tampered or forged)");
    return false;
  }
  if (!r->message.ParseFromString(plain) || r->message.actor_id() != h.actor_id() ||
      r->message.site_id() != h.site_id()) {
    *r = reject(std::move(*r), "bad_plaintext", "decrypted payload is not this actor's message");
    return false;
  }
  if (options_.max_age_ms > 0 && now_ms - h.sent_unix_ms() > options_.max_age_ms) {
    *r = reject(std::move(*r), "stale",
                "sealed " + std::to_string(now_ms - h.sent_unix_ms()) + " ms ago");
    return false;
  }
  if (h.sent_unix_ms() - now_ms > options_.max_future_ms) {
    *r = reject(std::move(*r), "future",
                "stamped " + std::to_string(h.sent_unix_ms() - now_ms) + " ms ahead of our clock");
    return false;
  }
  return true;
}

bool EnvelopeReceiver::openCheckpoint(const Stream& st, const crypto::ParsedEnvelope& parsed,
                                      gateway::v1::Checkpoint* cp, Received* r) {
  if (!verifySignature(st, parsed)) {
    *r = reject(std::move(*r), "bad_signature", "CHECKPOINT not signed by the pinned gateway");
    return false;
  }
  crypto::Digest head{};
  if (!cp->ParseFromString(parsed.envelope.body()) || cp->epoch() != parsed.header.epoch() ||
      !crypto::toDigest(cp->from_head(), &head) || !crypto::toDigest(cp->chain_head(), &head) ||
      cp->from_sequence() == 0 || cp->last_sequence() < cp->from_sequence() ||
      cp->last_sequence() - cp->from_sequence() >= kMaxCheckpointRange ||
      cp->last_sequence() >= parsed.header.sequence()) {
    *r = reject(std::move(*r), "malformed", "signed checkpoint with an impossible range");
    return false;
  }
  return true;
}

void EnvelopeReceiver::verifyChain(Stream& st, const gateway::v1::Checkpoint& cp, Received* r) {
  crypto::Digest from_head{}, chain_head{};
  (void)crypto::toDigest(cp.from_head(), &from_head);  // sizes checked in openCheckpoint()
  (void)crypto::toDigest(cp.chain_head(), &chain_head);
  auto it = st.epochs.find(cp.epoch());
  if (it == st.epochs.end() || cp.from_sequence() < st.first_seen) {
    return;  // a range from before we listened: nothing of ours to check
  }
  auto& digests = it->second.digests;
  crypto::Digest head = from_head;
  uint64_t missing = 0;
  for (uint64_t s = cp.from_sequence(); s <= cp.last_sequence(); ++s) {
    auto d = digests.find(s);
    if (d == digests.end()) {
      ++missing;
    } else {
      head = crypto::chainNext(head, d->second);
    }
  }
  digests.erase(digests.begin(), digests.upper_bound(cp.last_sequence()));
  Report report{Report::Type::kCheckpointVerified, cp.epoch(), cp.from_sequence(),
                cp.last_sequence(), missing};
  if (missing > 0) {
    report.type = Report::Type::kCheckpointIncomplete;
    ++stats_.checkpoints_incomplete;
  } else if (head != chain_head) {
    report.type = Report::Type::kCheckpointMismatch;
    ++stats_.checkpoints_mismatched;
  } else {
    ++stats_.checkpoints_verified;
  }
  r->reports.push_back(report);
}

void EnvelopeReceiver::track(Stream& st, const EnvelopeHeader& h, Received* r) {
  const uint64_t s = h.sequence();
  if (!st.any) {
    st.any = true;
    st.first_seen = s;
    st.highest = s;
    return;
  }
  if (s > st.highest && h.kind() == gateway::v1::ENVELOPE_KIND_KEY &&
      h.epoch_start() == gateway::v1::EPOCH_START_NO_STATE) {
    // A stateless gateway restarted at a number from its clock: the jump says nothing about loss.
    ++stats_.stream_restarts;
    r->reports.push_back({Report::Type::kStreamRestart, h.epoch(), s, s, 0});
  } else if (s > st.highest + 1) {
    const bool across_crash = h.kind() == gateway::v1::ENVELOPE_KIND_KEY &&
                              h.epoch_start() == gateway::v1::EPOCH_START_UNCLEAN_START;
    Report report{across_crash ? Report::Type::kUnaccounted : Report::Type::kGap, h.epoch(),
                  st.highest + 1, s - 1, s - 1 - st.highest};
    if (across_crash) {
      stats_.unaccounted += report.missing;
    } else {
      ++stats_.gaps;
      stats_.missing += report.missing;
      st.missing[report.from] = report.to;
      if (st.missing.size() > kMaxOpenGaps) st.missing.erase(st.missing.begin());
    }
    r->reports.push_back(report);
  } else if (s < st.highest) {
    auto it = st.missing.upper_bound(s);
    if (it != st.missing.begin() && (--it)->second >= s) {
      // Split the open gap around the late arrival.
      const uint64_t from = it->first, to = it->second;
      st.missing.erase(it);
      if (from < s) st.missing[from] = s - 1;
      if (s < to) st.missing[s + 1] = to;
      ++stats_.late;
      if (stats_.missing > 0) --stats_.missing;
      r->reports.push_back({Report::Type::kLate, h.epoch(), s, s, 0});
    }
    if (s < st.first_seen) st.first_seen = s;
  }
  if (s > st.highest) st.highest = s;
}

Received EnvelopeReceiver::receive(std::string_view payload, int64_t now_ms, bool retained) {
  ++stats_.received;
  Received r;
  auto parsed = crypto::parseEnvelope(payload);
  if (!parsed.ok()) return reject(std::move(r), "malformed", parsed.status().message());
  r.header = parsed->header;
  const EnvelopeHeader& h = parsed->header;
  auto found = streams_.find(h.gateway_key_id());
  if (found == streams_.end()) {
    std::string pinned;
    for (const auto& [id, known] : streams_) pinned += (pinned.empty() ? "" : ", ") + id;
    return reject(std::move(r), "wrong_gateway",
                  "from gateway key " + h.gateway_key_id() + ", pinned: " + pinned);
  }
  Stream& st = found->second;
  // A gateway speaks for its own site only (the site its key file names).
  if (h.site_id() != st.gateway->owner ||
      (identity_.site_id != "+" && h.site_id() != identity_.site_id)) {
    return reject(std::move(r), "wrong_site", "for site '" + h.site_id() + "'");
  }
  if (h.actor_id() != identity_.actor_id) {
    return reject(std::move(r), "wrong_actor", "for actor '" + h.actor_id() + "'");
  }
  // Decided by the key id alone, before any decryption: an envelope addressed to a key this
  // actor does not hold (the new key, to an actor still holding only the old one) is refused
  // unopened.
  const crypto::SecretKey* recipient = recipientKey(h.recipient_key_id());
  if (recipient == nullptr) {
    return reject(std::move(r), "wrong_recipient",
                  "sealed for key " + h.recipient_key_id() + ", ours: " + heldKeyIds());
  }

  bool ok = false;
  gateway::v1::Checkpoint checkpoint;
  switch (h.kind()) {
    case gateway::v1::ENVELOPE_KIND_KEY:
      if (retained && st.epochs.count(h.epoch())) {
        ++stats_.duplicates;
        r.verdict = Verdict::kDuplicate;
        return r;
      }
      ok = openKey(st, *parsed, *recipient, &r);
      break;
    case gateway::v1::ENVELOPE_KIND_DATA:
      ok = openData(st, *parsed, now_ms, &r);
      break;
    case gateway::v1::ENVELOPE_KIND_CHECKPOINT:
      ok = openCheckpoint(st, *parsed, &checkpoint, &r);
      break;
    default:
      break;  // parseEnvelope admits no other kind
  }
  if (!ok) return r;

  if (!retained) {
    switch (dedup_.check(h.gateway_key_id(), h.actor_id(), h.sequence())) {
      case DedupVerdict::kDuplicate:
        ++stats_.duplicates;
        r.verdict = Verdict::kDuplicate;
        r.reports.clear();
        r.message.Clear();
        return r;
      case DedupVerdict::kTooOld:
        return reject(std::move(r), "replay_too_old",
                      "sequence " + std::to_string(h.sequence()) +
                          " is below the replay window; it cannot be told from a replay");
      case DedupVerdict::kNew:
        break;
    }
    track(st, h, &r);
    if (h.kind() == gateway::v1::ENVELOPE_KIND_CHECKPOINT) verifyChain(st, checkpoint, &r);
  }
  if (auto it = st.epochs.find(h.epoch()); it != st.epochs.end()) {
    it->second.digests[h.sequence()] = crypto::digestOf(payload);
  }
  switch (h.kind()) {
    case gateway::v1::ENVELOPE_KIND_KEY:
      ++stats_.keys;
      r.verdict = Verdict::kKey;
      break;
    case gateway::v1::ENVELOPE_KIND_DATA:
      ++stats_.messages;
      r.verdict = Verdict::kMessage;
      break;
    default:
      ++stats_.checkpoints;
      r.verdict = Verdict::kCheckpoint;
      break;
  }
  return r;
}

}  // namespace gw::actor
