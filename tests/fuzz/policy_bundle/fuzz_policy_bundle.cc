// Fuzzes the gateway's reading of a policy bundle, untrusted bytes from a retained message, in
// two modes chosen by the first byte:
//   'M' + a BundleManifest: the manifest is signed here with a fixed operator key (derived from a
//       fixed seed) and the signed bundle is read, so mutation reaches every check after the
//       signature (format, target, paths and names, hashes, duplicates);
//   anything else: the bytes are read as a bundle as they are, which covers the size, parse and
//       signature steps (mutation cannot forge a signature).
// Seeds (corpus/): hand-built bundles (a zero signature, an unknown signer, garbage) and 'M'
// manifests written with protoc --encode (tests/fuzz/policy_bundle/README.md).
#include <sodium.h>

#include <cstdint>
#include <string>

#include "gateway/fleet/bundle_reader.h"
#include "gateway/fleet/bundle_signature.h"

namespace {

const gw::crypto::IdentityKey& fuzzOperator() {
  static const gw::crypto::IdentityKey key = [] {
    if (sodium_init() < 0) __builtin_trap();
    gw::crypto::IdentityKey k;
    k.owner = "fuzz-ops";
    unsigned char seed[crypto_sign_SEEDBYTES];
    for (size_t i = 0; i < sizeof seed; ++i) seed[i] = static_cast<unsigned char>(i);
    crypto_sign_seed_keypair(k.public_key.data(), k.secret.data(), seed);
    k.key_id = gw::crypto::keyIdOf(k.public_key);
    return k;
  }();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<gw::crypto::IdentityPublicKey> operators{
      gw::crypto::identityPublicHalf(fuzzOperator())};
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (!bytes.empty() && bytes[0] == 'M') {
    gateway::v1::BundleManifest manifest;
    if (!manifest.ParseFromString(bytes.substr(1))) return 0;
    bytes = gw::fleet::signBundle(manifest, fuzzOperator()).SerializeAsString();
  }
  auto read = gw::fleet::readBundle(bytes, operators, 1 << 20);
  // Whatever is accepted must meet the reader's own rules.
  if (read.ok()) {
    if (read->files_size() == 0) __builtin_trap();
    for (const auto& file : read->files()) {
      if (gw::fleet::sha256Digest(file.content()) != file.sha256()) __builtin_trap();
      if (file.path().find("..") != std::string::npos) __builtin_trap();
    }
  }
  return 0;
}
