#pragma once
// The fixed TEST-ONLY keys behind tests/vectors/envelope_v2.json, derived from public seeds so
// the generator, the vector test and the envelope fuzzer agree. Never use them for anything real.
#include <sodium.h>

#include <string>

#include "gateway/crypto/key_file.h"

namespace gw::vectors {

inline constexpr const char* kSite = "vector-site";
inline constexpr int64_t kSealedAtMs = 1'780'000'000'000;  // 2026-05-28T20:26:40Z

// Seed bytes first, first+1, ..., first+31.
inline crypto::KeyBytes seedFrom(uint8_t first) {
  crypto::KeyBytes seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(first + i);
  return seed;
}

inline crypto::IdentityKey gatewayKey() {
  (void)crypto::initSodium();
  crypto::IdentityKey key;
  key.owner = kSite;
  const auto seed = seedFrom(0x01);
  crypto_sign_seed_keypair(key.public_key.data(), key.secret.data(), seed.data());
  key.key_id = crypto::keyIdOf(key.public_key);
  return key;
}

inline crypto::SecretKey actorKey(const std::string& actor, uint8_t first) {
  (void)crypto::initSodium();
  crypto::SecretKey key;
  key.actor = actor;
  key.secret = seedFrom(first);
  crypto_scalarmult_base(key.public_key.data(), key.secret.data());
  key.key_id = crypto::keyIdOf(key.public_key);
  return key;
}

inline crypto::SecretKey policeKey() { return actorKey("police", 0x21); }
inline crypto::SecretKey ambulanceKey() { return actorKey("ambulance", 0x41); }
// Another key pair of the police (a rotated key): envelopes sealed to it are wrong_recipient.
inline crypto::SecretKey policeOtherKey() { return actorKey("police", 0x31); }

}  // namespace gw::vectors
