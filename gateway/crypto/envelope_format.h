#pragma once
// The byte-level rules of envelope format 2 (proto/gateway/v1/envelope.proto), in one place so
// the gateway's sealer and the actor's receiver cannot drift apart: the signed bytes, the DATA
// nonce, the key commitment and the hash chain.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/core/status.h"
#include "gateway/v1/envelope.pb.h"

namespace gw::crypto {

inline constexpr uint32_t kEnvelopeVersion = 2;
inline constexpr std::string_view kDataContentType =
    "application/x-protobuf; proto=gateway.v1.ActorMessage";
inline constexpr size_t kEpochKeyBytes = 32;
inline constexpr size_t kNoncePrefixBytes = 16;
inline constexpr size_t kDigestBytes = 32;
inline constexpr size_t kSignatureBytes = 64;
// An envelope bigger than this is refused before any parsing (the largest payload we seal is a
// snapshot; 16 MiB is far above it and far below what would hurt an actor's memory).
inline constexpr size_t kMaxEnvelopeBytes = 16u << 20;

// The receiver's anti-replay window: a sequence s is accepted only while highest_seen - s is
// below it (docs/ACTORS.md section 6).
inline constexpr uint64_t kReplayWindow = 65536;
// How many sequence numbers the gateway reserves ahead on disk. After a crash the stream resumes
// at most this far (plus one seal's envelopes) above the last number used, and the outbox re-sends
// what it still holds from before the crash with the old numbers. Half the window leaves 32,768
// numbers of margin: those re-sends stay inside the window of a receiver that already saw the new
// run's KEY and up to 32,768 envelopes after it (decision 1200).
inline constexpr uint64_t kSequenceReservation = kReplayWindow / 2;
static_assert(2 * kSequenceReservation <= kReplayWindow);

using Digest = std::array<uint8_t, kDigestBytes>;

// "lantaarn/v2/sign" || u32be(len(header)) || header || body
std::string signedBytes(std::string_view header, std::string_view body);

// nonce_prefix || u64be(sequence): unique per (epoch key, sequence), so never reused.
std::array<uint8_t, 24> dataNonce(std::string_view nonce_prefix, uint64_t sequence);

// BLAKE2b-256(message = "lantaarn/v2/key-commitment", key = epoch key).
Digest keyCommitment(const uint8_t* epoch_key);

Digest digestOf(std::string_view payload);
// H_n = BLAKE2b-256(H_(n-1) || digest_n)
Digest chainNext(const Digest& previous, const Digest& payload_digest);

std::string_view asView(const Digest& digest);
// False unless `bytes` is exactly kDigestBytes long.
bool toDigest(std::string_view bytes, Digest* out);

// An envelope split into its parts, the header already parsed. Checks sizes, the version, the
// kind and that the payload and the header bytes are the canonical encoding of their fields;
// authentication is the receiver's job.
struct ParsedEnvelope {
  gateway::v1::Envelope envelope;
  gateway::v1::EnvelopeHeader header;
};
Result<ParsedEnvelope> parseEnvelope(std::string_view payload);

}  // namespace gw::crypto
