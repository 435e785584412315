#include "gateway/sources/sequence_gaps.h"

namespace gw::sources {

SequenceGaps::SequenceGaps(SequenceLimits limits) : limits_(limits) {
  if (limits_.max_devices == 0) limits_.max_devices = 1;
}

SequenceGaps::Device& SequenceGaps::find(const MessageNumber& number, bool* is_new) {
  auto it = devices_.find(number.device);
  if (it != devices_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.age);
    *is_new = false;
    return it->second;
  }
  if (devices_.size() >= limits_.max_devices) {
    devices_.erase(lru_.back());
    lru_.pop_back();
    ++forgotten_;
  }
  lru_.push_front(number.device);
  Device& device = devices_[number.device];
  device.age = lru_.begin();
  *is_new = true;
  return device;
}

void SequenceGaps::restart(Device& device, const MessageNumber& number, uint64_t value) {
  device.last = value;
  device.time_ms = number.time_ms;
  device.fingerprint = number.fingerprint;
  device.seen.reset();
}

SequenceStep SequenceGaps::observe(const MessageNumber& number) {
  // Arithmetic modulo 2^bits, so that f_cnt 2^32 - 1 followed by 0 is one step ahead.
  const uint64_t mask = number.bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << number.bits) - 1;
  const uint64_t half = number.bits >= 64 ? uint64_t{1} << 63 : uint64_t{1} << (number.bits - 1);
  const uint64_t value = number.value & mask;
  bool is_new = false;
  Device& device = find(number, &is_new);
  if (is_new) {
    restart(device, number, value);
    return {SequenceVerdict::kFirst, 0};
  }
  const uint64_t ahead = (value - device.last) & mask;
  if (ahead == 0) {
    if (number.fingerprint == device.fingerprint) return {SequenceVerdict::kDuplicate, 0};
    if (number.time_ms > device.time_ms) {
      restart(device, number, value);  // a restarted counter that came back to the same number
      return {SequenceVerdict::kReset, 0};
    }
    device.fingerprint = number.fingerprint;
    return {SequenceVerdict::kRepeat, 0};
  }
  if (ahead < half) {
    if (ahead > limits_.max_gap) {
      restart(device, number, value);
      return {SequenceVerdict::kReset, 0};
    }
    // The old `last` is now `ahead` below the new one: shift the older marks along, mark it.
    if (ahead > kSequenceWindow) {
      device.seen.reset();
    } else {
      device.seen <<= ahead;
      device.seen.set(ahead - 1);
    }
    device.last = value;
    device.time_ms = number.time_ms;
    device.fingerprint = number.fingerprint;
    return {SequenceVerdict::kNext, ahead - 1};
  }
  // Behind the last number. A newer time says the device started counting again; an older (or
  // the same) time says this is an old message arriving now: redelivered, or late.
  if (number.time_ms > device.time_ms) {
    restart(device, number, value);
    return {SequenceVerdict::kReset, 0};
  }
  const uint64_t behind = (device.last - value) & mask;
  if (behind <= kSequenceWindow) {
    if (device.seen.test(behind - 1)) return {SequenceVerdict::kDuplicate, 0};
    device.seen.set(behind - 1);
  }
  // Too old to tell (beyond the window) is delivered: dropping a reading needs certainty.
  return {SequenceVerdict::kLate, 0};
}

}  // namespace gw::sources
