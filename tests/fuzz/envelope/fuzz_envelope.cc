// Fuzzes the actor's receiver with what an untrusted broker could deliver: a sequence of
// payloads, each prefixed by a 2-byte big-endian length. The receiver holds the vector keys, so
// inputs built from tests/vectors envelopes reach the KEY, DATA and CHECKPOINT paths, the
// de-duplication window and the gap and chain bookkeeping, not only the parser.
#include <cstdint>
#include <string_view>

#include "gateway/actor/envelope_receiver.h"
#include "tests/vectors/vector_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const gw::actor::ReceiverIdentity identity = [] {
    const auto gateway = gw::vectors::gatewayKey();
    return gw::actor::ReceiverIdentity{gw::vectors::kSite,
                                       "police",
                                       gw::vectors::policeKey(),
                                       {gw::crypto::identityPublicHalf(gateway)}};
  }();
  gw::actor::EnvelopeReceiver receiver(identity);
  size_t at = 0;
  while (at + 2 <= size) {
    const size_t len = (static_cast<size_t>(data[at]) << 8) | data[at + 1];
    at += 2;
    const size_t take = len < size - at ? len : size - at;
    auto r = receiver.receive(std::string_view(reinterpret_cast<const char*>(data) + at, take),
                              1'780'000'002'000);
    // Only what authenticated may carry a message.
    if (r.verdict == gw::actor::Verdict::kMessage && r.header.sequence() == 0) __builtin_trap();
    at += take;
  }
  return 0;
}
