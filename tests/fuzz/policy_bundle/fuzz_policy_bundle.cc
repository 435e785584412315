// Fuzzes the gateway's reading of a policy bundle, untrusted bytes from a retained message:
// readBundle with a fixed operator key. The seeds are hand-built bundles (a zero signature, an
// unknown signer, garbage): mutation cannot find a valid signature, so this covers the size,
// parse and signature steps; the checks after the signature are the unit tests' (fleet_test).
// TODO(issue 23): seeds signed with a key derived from a fixed seed, to fuzz those checks too.
#include <cstdint>
#include <string>

#include "gateway/fleet/bundle_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<gw::crypto::IdentityPublicKey> operators = [] {
    gw::crypto::IdentityPublicKey key;
    key.owner = "fuzz-ops";
    key.key_id = "0000000000000000";
    for (size_t i = 0; i < key.bytes.size(); ++i) key.bytes[i] = static_cast<uint8_t>(i);
    return std::vector<gw::crypto::IdentityPublicKey>{key};
  }();
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto manifest = gw::fleet::readBundle(bytes, operators, 1 << 20);
  // Whatever is accepted must meet the reader's own rules.
  if (manifest.ok() && manifest->files_size() == 0) __builtin_trap();
  return 0;
}
