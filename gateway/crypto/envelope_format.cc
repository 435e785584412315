#include "gateway/crypto/envelope_format.h"

#include <sodium.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cstring>

namespace gw::crypto {
namespace {

constexpr std::string_view kSignContext = "lantaarn/v2/sign";
constexpr std::string_view kCommitContext = "lantaarn/v2/key-commitment";

void putBigEndian(uint64_t value, int bytes, uint8_t* out) {
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value & 0xff);
    value >>= 8;
  }
}

// True when `bytes` is exactly what serialising `message`'s known fields gives. The gateway writes
// known fields only, in field-number order, each once, with minimal varints and proto3 defaults
// omitted, which is protobuf's own serialisation; any other encoding of the same fields (unknown
// fields appended, a field repeated, reordered or padded) is a copy someone else made. Parsing
// keeps unknown fields, so they are dropped before re-serialising.
bool isCanonical(google::protobuf::Message* message, std::string_view bytes) {
  message->DiscardUnknownFields();
  if (message->ByteSizeLong() != bytes.size()) return false;
  std::string again;
  {
    google::protobuf::io::StringOutputStream stream(&again);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!message->SerializeToCodedStream(&coded)) return false;
  }
  return again == bytes;
}

}  // namespace

std::string signedBytes(std::string_view header, std::string_view body) {
  std::string out;
  out.reserve(kSignContext.size() + 4 + header.size() + body.size());
  out.append(kSignContext);
  uint8_t len[4];
  putBigEndian(header.size(), 4, len);
  out.append(reinterpret_cast<const char*>(len), sizeof len);
  out.append(header);
  out.append(body);
  return out;
}

std::array<uint8_t, 24> dataNonce(std::string_view nonce_prefix, uint64_t sequence) {
  std::array<uint8_t, 24> nonce{};
  std::memcpy(nonce.data(), nonce_prefix.data(), std::min(nonce_prefix.size(), kNoncePrefixBytes));
  putBigEndian(sequence, 8, nonce.data() + kNoncePrefixBytes);
  return nonce;
}

Digest keyCommitment(const uint8_t* epoch_key) {
  Digest out{};
  crypto_generichash(out.data(), out.size(),
                     reinterpret_cast<const unsigned char*>(kCommitContext.data()),
                     kCommitContext.size(), epoch_key, kEpochKeyBytes);
  return out;
}

Digest digestOf(std::string_view payload) {
  Digest out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(payload.data()),
                     payload.size(), nullptr, 0);
  return out;
}

Digest chainNext(const Digest& previous, const Digest& payload_digest) {
  uint8_t both[2 * kDigestBytes];
  std::memcpy(both, previous.data(), kDigestBytes);
  std::memcpy(both + kDigestBytes, payload_digest.data(), kDigestBytes);
  Digest out{};
  crypto_generichash(out.data(), out.size(), both, sizeof both, nullptr, 0);
  return out;
}

std::string_view asView(const Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

bool toDigest(std::string_view bytes, Digest* out) {
  if (bytes.size() != kDigestBytes) return false;
  std::memcpy(out->data(), bytes.data(), kDigestBytes);
  return true;
}

Result<ParsedEnvelope> parseEnvelope(std::string_view payload) {
  if (payload.size() > kMaxEnvelopeBytes) {
    return invalidArgument("envelope of " + std::to_string(payload.size()) +
                           " bytes exceeds the limit of " + std::to_string(kMaxEnvelopeBytes));
  }
  ParsedEnvelope parsed;
  if (!parsed.envelope.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return invalidArgument("not an Envelope (protobuf parse failed)");
  }
  if (parsed.envelope.header().empty()) return invalidArgument("envelope has no header");
  if (!parsed.header.ParseFromString(parsed.envelope.header())) {
    return invalidArgument("envelope header is not an EnvelopeHeader");
  }
  // Before anything else looks at the fields (the de-duplication above all): a broker that
  // re-encodes a genuine envelope must not get its copy accepted and the original dropped as a
  // duplicate of it. docs/ACTORS.md section 6, step 1.
  if (!isCanonical(&parsed.envelope, payload)) {
    return invalidArgument("envelope is not the canonical encoding of its fields");
  }
  if (!isCanonical(&parsed.header, parsed.envelope.header())) {
    return invalidArgument("envelope header is not the canonical encoding of its fields");
  }
  if (parsed.header.version() != kEnvelopeVersion) {
    return invalidArgument("unsupported envelope version " +
                           std::to_string(parsed.header.version()) + " (this reader speaks 2)");
  }
  const auto kind = parsed.header.kind();
  const size_t sig = parsed.envelope.signature().size();
  if (kind == gateway::v1::ENVELOPE_KIND_DATA) {
    if (sig != 0) return invalidArgument("DATA envelope carries a signature");
    if (parsed.envelope.body().size() < crypto_aead_xchacha20poly1305_ietf_ABYTES) {
      return invalidArgument("DATA body shorter than its authentication tag");
    }
  } else if (kind == gateway::v1::ENVELOPE_KIND_KEY ||
             kind == gateway::v1::ENVELOPE_KIND_CHECKPOINT) {
    if (sig != kSignatureBytes) return invalidArgument("signature is not 64 bytes");
  } else {
    return invalidArgument("unknown envelope kind " + std::to_string(kind));
  }
  if (parsed.header.sequence() == 0) return invalidArgument("sequence 0 is never used");
  return parsed;
}

}  // namespace gw::crypto
