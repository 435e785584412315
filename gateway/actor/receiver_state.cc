// EnvelopeReceiver's and Deduplicator's state to and from gateway.v1.ReceiverState, so an actor
// that restarts neither re-accepts a replay (the windows) nor misreports gaps (the sequence
// tracking and open gaps) nor loses checkpoint verification (the epoch keys and digests).
#include <sodium.h>

#include <cstring>

#include "gateway/actor/deduplicator.h"
#include "gateway/actor/envelope_receiver.h"

namespace gw::actor {

void Deduplicator::save(
    google::protobuf::RepeatedPtrField<gateway::v1::DedupStreamState>* out) const {
  for (const auto& [key, s] : streams_) {
    auto* st = out->Add();
    st->set_gateway_key_id(key.first);
    st->set_stream(key.second);
    st->set_highest(s.highest);
    st->set_any(s.any);
    st->mutable_seen()->Assign(s.seen.begin(), s.seen.end());
  }
}

Status Deduplicator::restore(
    const google::protobuf::RepeatedPtrField<gateway::v1::DedupStreamState>& in) {
  std::map<std::pair<std::string, std::string>, StreamState, std::less<>> restored;
  for (const auto& st : in) {
    if (static_cast<uint64_t>(st.seen_size()) != window_ / 64) {
      return invalidArgument("replay window of " + std::to_string(st.seen_size() * 64) +
                             " sequences saved for gateway " + st.gateway_key_id() +
                             ", this receiver's is " + std::to_string(window_));
    }
    StreamState& s = restored[{st.gateway_key_id(), st.stream()}];
    s.highest = st.highest();
    s.any = st.any();
    s.seen.assign(st.seen().begin(), st.seen().end());
  }
  streams_ = std::move(restored);
  return okStatus();
}

gateway::v1::ReceiverState EnvelopeReceiver::saveState() const {
  gateway::v1::ReceiverState state;
  for (const auto& [key_id, st] : streams_) {
    auto* out = state.add_streams();
    out->set_gateway_key_id(key_id);
    out->set_any(st.any);
    out->set_first_seen(st.first_seen);
    out->set_highest(st.highest);
    for (const auto& [from, to] : st.missing) {
      auto* range = out->add_missing();
      range->set_from(from);
      range->set_to(to);
    }
    for (const auto& [number, epoch] : st.epochs) {
      auto* e = out->add_epochs();
      e->set_epoch(number);
      e->set_key(std::string(reinterpret_cast<const char*>(epoch.key), sizeof epoch.key));
      e->set_nonce_prefix(epoch.nonce_prefix);
      e->set_first_sequence(epoch.first_sequence);
      for (const auto& [sequence, digest] : epoch.digests) {
        (*e->mutable_digests())[sequence] = std::string(crypto::asView(digest));
      }
    }
  }
  dedup_.save(state.mutable_dedup());
  return state;
}

Status EnvelopeReceiver::restoreState(const gateway::v1::ReceiverState& state) {
  // Checked completely before anything changes, so a bad file leaves a fresh receiver.
  for (const auto& in : state.streams()) {
    for (const auto& e : in.epochs()) {
      if (e.key().size() != crypto::kEpochKeyBytes ||
          e.nonce_prefix().size() != crypto::kNoncePrefixBytes) {
        return invalidArgument("saved epoch " + std::to_string(e.epoch()) + " of gateway " +
                               in.gateway_key_id() + " has a key of the wrong size");
      }
      for (const auto& [sequence, digest] : e.digests()) {
        crypto::Digest d{};
        if (!crypto::toDigest(digest, &d)) {
          return invalidArgument("saved digest of sequence " + std::to_string(sequence) +
                                 " has the wrong size");
        }
      }
    }
  }
  if (Status s = dedup_.restore(state.dedup()); !s.ok()) return s;
  for (const auto& in : state.streams()) {
    auto found = streams_.find(in.gateway_key_id());
    if (found == streams_.end()) continue;  // no longer pinned: its state is not trusted
    Stream& st = found->second;
    st.any = in.any();
    st.first_seen = in.first_seen();
    st.highest = in.highest();
    st.missing.clear();
    for (const auto& range : in.missing()) st.missing[range.from()] = range.to();
    for (auto& [number, epoch] : st.epochs) sodium_memzero(epoch.key, sizeof epoch.key);
    st.epochs.clear();
    for (const auto& e : in.epochs()) {
      Epoch& epoch = st.epochs[e.epoch()];
      std::memcpy(epoch.key, e.key().data(), sizeof epoch.key);
      epoch.nonce_prefix = e.nonce_prefix();
      epoch.first_sequence = e.first_sequence();
      for (const auto& [sequence, digest] : e.digests()) {
        (void)crypto::toDigest(digest, &epoch.digests[sequence]);
      }
    }
  }
  return okStatus();
}

}  // namespace gw::actor
