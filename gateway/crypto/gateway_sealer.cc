#include "gateway/crypto/gateway_sealer.h"

#include <sodium.h>

namespace gw::crypto {

// The most envelopes one seal() can produce: a final checkpoint, a KEY and the DATA.
constexpr uint64_t kMaxEnvelopesPerSeal = 3;

GatewaySealer::GatewaySealer(IdentityKey identity, std::string site_id, SealerOptions options,
                             RandomFill random, std::unique_ptr<StreamPositions> positions)
    : identity_(std::move(identity)),
      site_id_(std::move(site_id)),
      options_(std::move(options)),
      random_(std::move(random)),
      positions_(std::move(positions)) {}

Result<std::unique_ptr<GatewaySealer>> GatewaySealer::open(IdentityKey identity,
                                                           std::string site_id,
                                                           SealerOptions options,
                                                           RandomFill random) {
  GW_RETURN_IF_ERROR(initSodium());
  auto positions = StreamPositions::open(options.positions_file, options.reserve_ahead);
  if (!positions.ok()) return positions.status();
  return std::unique_ptr<GatewaySealer>(new GatewaySealer(std::move(identity), std::move(site_id),
                                                          std::move(options), std::move(random),
                                                          std::move(positions).value()));
}

void GatewaySealer::setActors(const std::map<std::string, PublicKey>& keys) {
  for (auto it = streams_.begin(); it != streams_.end();) {
    it = keys.count(it->first) ? std::next(it) : streams_.erase(it);
  }
  for (const auto& [actor, key] : keys) {
    auto it = streams_.find(actor);
    if (it == streams_.end()) {
      streams_.emplace(actor, std::make_unique<ActorStreamSealer>(
                                  identity_, site_id_, key, positions_->startOf(actor, started_),
                                  options_.epoch, random_));
    } else if (it->second->actorKey().bytes != key.bytes) {
      it->second->rekey(key);
    }
  }
  started_ = true;
}

Status GatewaySealer::beginRekeyedEpochs(int64_t now_ms,
                                         std::vector<std::pair<std::string, SealedEnvelope>>* out) {
  std::vector<SealedEnvelope> one;
  for (auto& [actor, stream] : streams_) {
    if (!stream->rekeyPending()) continue;
    // +2: the old epoch's final checkpoint and the new KEY.
    GW_RETURN_IF_ERROR(
        positions_->reserve(actor, stream->nextSequence() + 2, stream->nextEpoch() + 1));
    one.clear();
    GW_RETURN_IF_ERROR(stream->beginPendingEpoch(now_ms, &one));
    for (auto& envelope : one) out->emplace_back(actor, std::move(envelope));
  }
  return okStatus();
}

Status GatewaySealer::seal(const std::string& actor, const gateway::v1::ActorMessage& message,
                           int64_t now_ms, std::vector<SealedEnvelope>* out) {
  auto it = streams_.find(actor);
  if (it == streams_.end()) return notFound("no stream for actor '" + actor + "'");
  ActorStreamSealer& stream = *it->second;
  GW_RETURN_IF_ERROR(positions_->reserve(actor, stream.nextSequence() + kMaxEnvelopesPerSeal,
                                         stream.nextEpoch() + 1));
  return stream.seal(message, now_ms, out);
}

Status GatewaySealer::checkpoints(int64_t now_ms, bool flush,
                                  std::vector<std::pair<std::string, SealedEnvelope>>* out) {
  std::vector<SealedEnvelope> one;
  for (auto& [actor, stream] : streams_) {
    if (stream->lastCheckpointMs() == 0) {
      // A stream that has not sent anything: its idle interval starts now, so a new actor's
      // first KEY and checkpoint come one idle interval after start, not at once.
      stream->startIdleClock(now_ms);
      continue;
    }
    const int64_t since = now_ms - stream->lastCheckpointMs();
    const bool busy_due =
        stream->uncheckpointed() && (flush || since >= options_.checkpoint_interval.count());
    const bool idle_due = since >= options_.idle_checkpoint.count();
    if (!busy_due && !idle_due) continue;
    // +2: a stream that has not begun an epoch sends its KEY before the checkpoint.
    GW_RETURN_IF_ERROR(
        positions_->reserve(actor, stream->nextSequence() + 2, stream->nextEpoch() + 1));
    one.clear();
    GW_RETURN_IF_ERROR(stream->checkpoint(now_ms, idle_due, &one));
    for (auto& envelope : one) out->emplace_back(actor, std::move(envelope));
  }
  return okStatus();
}

Status GatewaySealer::close() {
  std::map<std::string, std::pair<uint64_t, uint64_t>> next;
  for (const auto& [actor, stream] : streams_) {
    next[actor] = {stream->nextSequence(), stream->nextEpoch()};
  }
  return positions_->closeClean(next);
}

}  // namespace gw::crypto
