#include "gateway/actor/deduplicator.h"

namespace gw::actor {

Deduplicator::Deduplicator(uint64_t window) : window_(window < 64 ? 64 : (window + 63) / 64 * 64) {}

bool Deduplicator::testAndSet(StreamState& s, uint64_t sequence) {
  const uint64_t bit = sequence % window_;
  uint64_t& word = s.seen[bit / 64];
  const uint64_t mask = uint64_t{1} << (bit % 64);
  const bool was = (word & mask) != 0;
  word |= mask;
  return was;
}

void Deduplicator::clear(StreamState& s, uint64_t sequence) {
  const uint64_t bit = sequence % window_;
  s.seen[bit / 64] &= ~(uint64_t{1} << (bit % 64));
}

DedupVerdict Deduplicator::check(std::string_view gateway_id, std::string_view stream,
                                 uint64_t sequence) {
  auto key = std::make_pair(std::string(gateway_id), std::string(stream));
  auto [it, inserted] = streams_.try_emplace(std::move(key));
  StreamState& s = it->second;
  if (inserted) s.seen.assign(window_ / 64, 0);
  if (!s.any) {
    s.any = true;
    s.highest = sequence;
    testAndSet(s, sequence);
    return DedupVerdict::kNew;
  }
  if (sequence > s.highest) {
    // Slide the window: forget the bits the new high-water mark pushes out.
    const uint64_t advance = sequence - s.highest;
    if (advance >= window_) {
      s.seen.assign(window_ / 64, 0);
    } else {
      for (uint64_t q = s.highest + 1; q <= sequence; ++q) clear(s, q);
    }
    s.highest = sequence;
    testAndSet(s, sequence);
    return DedupVerdict::kNew;
  }
  if (s.highest - sequence >= window_) return DedupVerdict::kTooOld;
  return testAndSet(s, sequence) ? DedupVerdict::kDuplicate : DedupVerdict::kNew;
}

}  // namespace gw::actor
