#include "gateway/outbox/record_codec.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace gw::outbox {
namespace {

constexpr std::array<uint32_t, 256> makeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // Castagnoli
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kTable = makeTable();

void putU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>(v >> 8));
}
void putU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t getLe(std::string_view data, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(data[at + i])} << (8 * i);
  return v;
}

// The header's length and CRC go in once the body is in place: one buffer, no copies.
void beginRecord(std::string& out, RecordType type, size_t body_size) {
  out.reserve(out.size() + kRecordHeaderBytes + body_size);
  out.append(8, '\0');
  out.push_back(static_cast<char>(type));
}
void endRecord(std::string& out, size_t start) {
  const size_t body_size = out.size() - start - kRecordHeaderBytes;
  const uint32_t crc = crc32c(std::string_view(out).substr(start + 8));
  for (int i = 0; i < 4; ++i) {
    out[start + i] = static_cast<char>((body_size >> (8 * i)) & 0xff);
    out[start + 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  }
}

uint32_t crc32cTable(const char* data, size_t size, uint32_t crc) {
  for (size_t i = 0; i < size; ++i) {
    crc = kTable[(crc ^ static_cast<uint8_t>(data[i])) & 0xff] ^ (crc >> 8);
  }
  return crc;
}

#if defined(__x86_64__)
// SSE 4.2's crc32 instruction computes exactly CRC32C (same reflected polynomial), 8 bytes at a
// time: recovery checks every byte of the outbox, and the table loop was a fifth of its time.
__attribute__((target("sse4.2"))) uint32_t crc32cSse42(const char* data, size_t size,
                                                       uint32_t crc) {
  uint64_t c = crc;
  for (; size >= 8; size -= 8, data += 8) {
    uint64_t word = 0;
    std::memcpy(&word, data, 8);
    c = __builtin_ia32_crc32di(c, word);
  }
  auto c32 = static_cast<uint32_t>(c);
  for (; size > 0; --size, ++data) c32 = __builtin_ia32_crc32qi(c32, static_cast<uint8_t>(*data));
  return c32;
}
// Static initialisation may run before libgcc has probed the CPU: probe first.
const bool kHaveSse42 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") != 0;
}();
#endif

std::string messageRecord(RecordType type, uint64_t id, const pipeline::OutboundMessage& m) {
  std::string out;
  beginRecord(out, type, 8 + 1 + 8 + 4 + m.actor_id.size() + m.topic.size() + m.payload.size());
  putU64(out, id);
  out.push_back(static_cast<char>(m.priority));
  if (type == RecordType::kMessageWithExpiry) putU64(out, static_cast<uint64_t>(m.expires_unix_ms));
  putU16(out, static_cast<uint16_t>(m.actor_id.size()));
  out += m.actor_id;
  putU16(out, static_cast<uint16_t>(m.topic.size()));
  out += m.topic;
  out += m.payload;
  endRecord(out, 0);
  return out;
}

}  // namespace

uint32_t crc32c(std::string_view data, uint32_t crc) {
#if defined(__x86_64__)
  if (kHaveSse42) return ~crc32cSse42(data.data(), data.size(), ~crc);
#endif
  return ~crc32cTable(data.data(), data.size(), ~crc);
}

uint32_t crc32cPortable(std::string_view data, uint32_t crc) {
  return ~crc32cTable(data.data(), data.size(), ~crc);
}

std::string encodeMessageRecord(uint64_t id, const pipeline::OutboundMessage& m) {
  return messageRecord(RecordType::kMessageWithExpiry, id, m);
}

std::string encodeMessageRecordV1(uint64_t id, const pipeline::OutboundMessage& m) {
  return messageRecord(RecordType::kMessage, id, m);
}

std::string encodeReleaseRecord(uint64_t id, ReleaseReason reason) {
  std::string out;
  appendReleaseRecord(out, id, reason);
  return out;
}

void appendReleaseRecord(std::string& out, uint64_t id, ReleaseReason reason) {
  const size_t start = out.size();
  beginRecord(out, RecordType::kRelease, 9);
  putU64(out, id);
  out.push_back(static_cast<char>(reason));
  endRecord(out, start);
}

size_t decodeRecord(std::string_view data, Record& out) {
  if (data.size() < kRecordHeaderBytes) return 0;
  const uint64_t len = getLe(data, 0, 4);
  if (len > kMaxRecordBody || data.size() < kRecordHeaderBytes + len) return 0;
  const std::string_view typed = data.substr(8, len + 1);
  if (crc32c(typed) != static_cast<uint32_t>(getLe(data, 4, 4))) return 0;
  const std::string_view body = typed.substr(1);
  const auto type = static_cast<RecordType>(static_cast<uint8_t>(typed[0]));
  if (body.size() < 9) return 0;
  out.id = getLe(body, 0, 8);
  if (type == RecordType::kRelease) {
    if (body.size() != 9) return 0;
    out.type = type;
    out.reason = static_cast<ReleaseReason>(static_cast<uint8_t>(body[8]));
    return kRecordHeaderBytes + len;
  }
  if (!isMessageRecord(type)) return 0;
  const uint8_t prio = static_cast<uint8_t>(body[8]);
  if (prio > static_cast<uint8_t>(pipeline::Priority::kMeasurement)) return 0;
  size_t at = 9;
  out.message.expires_unix_ms = 0;
  if (type == RecordType::kMessageWithExpiry) {
    if (body.size() < at + 8) return 0;
    out.message.expires_unix_ms = static_cast<int64_t>(getLe(body, at, 8));
    at += 8;
  }
  if (body.size() < at + 2) return 0;
  const size_t actor_len = getLe(body, at, 2);
  at += 2;
  if (body.size() < at + actor_len + 2) return 0;
  out.message.actor_id.assign(body.substr(at, actor_len));
  at += actor_len;
  const size_t topic_len = getLe(body, at, 2);
  at += 2;
  if (body.size() < at + topic_len) return 0;
  out.message.topic.assign(body.substr(at, topic_len));
  at += topic_len;
  out.message.payload.assign(body.substr(at));
  out.message.priority = static_cast<pipeline::Priority>(prio);
  out.type = type;
  return kRecordHeaderBytes + len;
}

std::string encodeDeadLetterRecord(const DeadLetter& letter) {
  const std::string inner = encodeMessageRecord(letter.id, letter.message);
  std::string out;
  beginRecord(out, RecordType::kDeadLetter, 8 + 2 + letter.reason.size() + inner.size());
  putU64(out, static_cast<uint64_t>(letter.dead_unix_ms));
  putU16(out, static_cast<uint16_t>(std::min<size_t>(letter.reason.size(), 0xffff)));
  out.append(letter.reason, 0, 0xffff);
  out += inner;
  endRecord(out, 0);
  return out;
}

size_t decodeDeadLetterRecord(std::string_view data, DeadLetter& out) {
  if (data.size() < kRecordHeaderBytes) return 0;
  const uint64_t len = getLe(data, 0, 4);
  if (len > kMaxRecordBody || data.size() < kRecordHeaderBytes + len) return 0;
  const std::string_view typed = data.substr(8, len + 1);
  if (crc32c(typed) != static_cast<uint32_t>(getLe(data, 4, 4))) return 0;
  if (static_cast<RecordType>(static_cast<uint8_t>(typed[0])) != RecordType::kDeadLetter) return 0;
  const std::string_view body = typed.substr(1);
  if (body.size() < 10) return 0;
  out.dead_unix_ms = static_cast<int64_t>(getLe(body, 0, 8));
  const size_t reason_len = getLe(body, 8, 2);
  if (body.size() < 10 + reason_len) return 0;
  out.reason.assign(body.substr(10, reason_len));
  const std::string_view inner = body.substr(10 + reason_len);
  Record record;
  if (decodeRecord(inner, record) != inner.size() || !isMessageRecord(record.type)) return 0;
  out.id = record.id;
  out.message = std::move(record.message);
  return kRecordHeaderBytes + len;
}

}  // namespace gw::outbox
