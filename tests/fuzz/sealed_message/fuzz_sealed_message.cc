// Fuzzes opening a sealed message, as every actor does with bytes from an untrusted broker.
#include <cstdint>
#include <string>

#include "gateway/crypto/sealer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A fixed key: random inputs must never open, whatever key id they claim.
  static const gw::crypto::SecretKey key = [] {
    gw::crypto::SecretKey k;
    k.actor = "fuzz";
    for (size_t i = 0; i < k.secret.size(); ++i) k.secret[i] = static_cast<uint8_t>(i + 1);
    auto parsed = gw::crypto::parseSecretKey(
        "format: lantaarn-key-v1\ntype: x25519-secret\nkey: "
        "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n",
        "fuzz");
    return parsed.ok() ? *parsed : k;
  }();
  auto opened = gw::crypto::open(std::string(reinterpret_cast<const char*>(data), size), key);
  (void)opened;
  return 0;
}
