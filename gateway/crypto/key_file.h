#pragma once
// Actor key pairs (X25519) and their small text file format (docs/KEYS.md):
//
//   format: lantaarn-key-v1
//   type: x25519-public            (or x25519-secret)
//   actor: municipality
//   key_id: 3f9a0c21d4e5b687        (hex of the first 8 bytes of BLAKE2b-256(public key))
//   key: <base64 of the 32 key bytes>
//
// Secret key files are written 0600 and refused when group- or world-readable.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include "gateway/core/status.h"

namespace gw::crypto {

constexpr size_t kKeyBytes = 32;
using KeyBytes = std::array<uint8_t, kKeyBytes>;

struct PublicKey {
  std::string actor;
  std::string key_id;
  KeyBytes bytes{};
};

struct SecretKey {
  std::string actor;
  std::string key_id;  // of the matching public key
  KeyBytes secret{};
  KeyBytes public_key{};
};

// Initialises libsodium once; safe to call from anywhere, any number of times.
Status initSodium();

std::string keyIdOf(const KeyBytes& public_key);

SecretKey generateKeyPair(const std::string& actor);
PublicKey publicHalf(const SecretKey& key);

// Writes <dir>/<actor>.pub (0644) and <dir>/<actor>.key (0600).
Status writeKeyPair(const SecretKey& key, const std::filesystem::path& dir);

Result<PublicKey> readPublicKeyFile(const std::filesystem::path& path);
Result<SecretKey> readSecretKeyFile(const std::filesystem::path& path);

// Parsers behind the readers, exposed for tests and fuzzing; `origin` names the input in errors.
Result<PublicKey> parsePublicKey(const std::string& text, const std::string& origin);
Result<SecretKey> parseSecretKey(const std::string& text, const std::string& origin);

}  // namespace gw::crypto
