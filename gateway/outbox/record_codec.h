#pragma once
// The outbox's on-disk record: [u32 body length][u32 CRC32C of type+body][u8 type][body],
// little-endian. See gateway/outbox/DESIGN.md.
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/pipeline/stage.h"

namespace gw::outbox {

// kMessage is the first message layout (no expiry); still read, no longer written.
// kMessageWithExpiry adds the message's expiry time (the route's ttl) after the priority.
// kDeadLetter lives only in the dead-letter log (dead_letter_store.h), never in a segment.
enum class RecordType : uint8_t {
  kMessage = 1,
  kRelease = 2,
  kMessageWithExpiry = 3,
  kDeadLetter = 4
};
enum class ReleaseReason : uint8_t {
  kAcked = 0,
  kEvictedTotal = 1,
  kEvictedActor = 2,
  kDeadLettered = 3
};

inline constexpr size_t kRecordHeaderBytes = 9;
inline constexpr uint32_t kMaxRecordBody = 64u << 20;

struct Record {
  RecordType type = RecordType::kMessageWithExpiry;
  uint64_t id = 0;
  ReleaseReason reason = ReleaseReason::kAcked;
  pipeline::OutboundMessage message;  // message records only
};

// CRC32C (Castagnoli); with SSE 4.2 where the CPU has it, else table driven.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);
// Always the table-driven one: tests check the fast path against it.
uint32_t crc32cPortable(std::string_view data, uint32_t crc = 0);

// Always the newest layout (kMessageWithExpiry).
std::string encodeMessageRecord(uint64_t id, const pipeline::OutboundMessage& message);
// The first layout, kept so tests can prove old segments stay readable.
std::string encodeMessageRecordV1(uint64_t id, const pipeline::OutboundMessage& message);
inline bool isMessageRecord(RecordType type) {
  return type == RecordType::kMessage || type == RecordType::kMessageWithExpiry;
}
std::string encodeReleaseRecord(uint64_t id, ReleaseReason reason);
// The same, appended to `out` (a batch of pending releases) without a temporary.
void appendReleaseRecord(std::string& out, uint64_t id, ReleaseReason reason);
// A message the broker refused for good (or whose actor was removed), kept for the operator.
struct DeadLetter {
  uint64_t id = 0;  // its outbox id when it was dead-lettered
  int64_t dead_unix_ms = 0;
  std::string reason;  // not_authorized, topic_invalid, ..., actor_removed
  pipeline::OutboundMessage message;
};
// [header type 4][i64 dead_unix_ms][u16 reason_len][reason][a whole message record]
std::string encodeDeadLetterRecord(const DeadLetter& letter);
// Bytes used by one whole dead-letter record at the start of `data`; 0 when torn or corrupt.
size_t decodeDeadLetterRecord(std::string_view data, DeadLetter& out);

// Bytes used by one whole, checksum-valid record at the start of `data`; 0 when it is torn,
// corrupt or malformed.
size_t decodeRecord(std::string_view data, Record& out);

}  // namespace gw::outbox
