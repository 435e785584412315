#pragma once
// Loss before the gateway made visible: where a sender numbers its messages (ParseOutcome::number:
// a TTN uplink's f_cnt, a JSON reading's seq), this keeps the last number per device and says what
// each new one means. A jump ahead by n means n - 1 messages never arrived; the same message again
// (a QoS 1 redelivery: byte-identical) is a duplicate, to drop; a number that went back with a
// newer time is a device that restarted its counter (a LoRaWAN rejoin), which is no loss.
//
// State lives in memory for one run of gatewayd (what went missing while it was down is not seen
// here; source_sessions_lost_total covers the broker side). The number of devices is bounded: the
// least recently heard one is forgotten first, so a flood of made-up device ids costs only memory
// up to the bound, and a forgotten device starts again as new (no gap counted).
// Not thread-safe: the owning Intake runs on the pipeline executor.
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

#include "gateway/sources/sensor/formats/parse_outcome.h"

namespace gw::sources {

enum class SequenceVerdict {
  kFirst,      // a device not heard before (or forgotten): nothing to compare with
  kNext,       // the next number, or a jump ahead: `missing` says how many never arrived
  kDuplicate,  // this very message was seen already: drop it
  kLate,       // an older number not seen yet: a late message, delivered; it was counted missing
  kReset,      // the counter started again (back with a newer time, or far ahead): no loss
  kRepeat,     // the same number on a different message of the same time: delivered, not counted
};

struct SequenceStep {
  SequenceVerdict verdict = SequenceVerdict::kFirst;
  uint64_t missing = 0;  // kNext: numbers skipped
};

// How far back a number is remembered as seen, so that an older message arriving again is told
// from a late one that was counted missing. (The MQTT source recognises a byte-identical
// redelivery before this, over its last 65536 messages: recent_messages.h.)
inline constexpr uint64_t kSequenceWindow = 256;

struct SequenceLimits {
  size_t max_devices = 100'000;
  // A jump ahead by more than this is taken for a counter that started elsewhere, not for a
  // million lost messages (at one uplink a minute, 2^20 is two years).
  uint64_t max_gap = uint64_t{1} << 20;
};

class SequenceGaps {
 public:
  explicit SequenceGaps(SequenceLimits limits = {});

  SequenceStep observe(const MessageNumber& number);

  size_t devices() const { return devices_.size(); }
  // Devices forgotten to stay within max_devices, since construction.
  uint64_t forgotten() const { return forgotten_; }

 private:
  struct Device {
    uint64_t last = 0;
    int64_t time_ms = 0;
    uint64_t fingerprint = 0;
    std::bitset<kSequenceWindow> seen;     // bit i: number last - 1 - i arrived
    std::list<std::string>::iterator age;  // position in lru_
  };

  Device& find(const MessageNumber& number, bool* is_new);
  static void restart(Device& device, const MessageNumber& number, uint64_t value);

  SequenceLimits limits_;
  std::unordered_map<std::string, Device> devices_;
  std::list<std::string> lru_;  // most recently heard first
  uint64_t forgotten_ = 0;
};

}  // namespace gw::sources
