#pragma once
// Key pairs and their small text file format (docs/KEYS.md): actors have X25519 keys (they
// receive sealed epoch keys), the gateway has an Ed25519 identity key (it signs).
//
//   format: lantaarn-key-v1
//   type: x25519-public            (x25519-secret, ed25519-public, ed25519-secret)
//   actor: municipality            (gateway: <site id> for ed25519 files)
//   key_id: 3f9a0c21d4e5b687        (hex of the first 8 bytes of BLAKE2b-256(public key))
//   key: <base64 of the 32 key bytes: the public key, the X25519 secret or the Ed25519 seed>
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

// The gateway's Ed25519 identity: signs KEY and CHECKPOINT envelopes.
struct IdentityKey {
  std::string owner;  // the site id
  std::string key_id;
  std::array<uint8_t, 64> secret{};  // libsodium's expanded secret key (seed || public key)
  KeyBytes public_key{};
};

struct IdentityPublicKey {
  std::string owner;
  std::string key_id;
  KeyBytes bytes{};
};

// Initialises libsodium once; safe to call from anywhere, any number of times.
Status initSodium();

std::string keyIdOf(const KeyBytes& public_key);

SecretKey generateKeyPair(const std::string& actor);
PublicKey publicHalf(const SecretKey& key);

// Writes <dir>/<actor>.pub (0644) and <dir>/<actor>.key (0600).
Status writeKeyPair(const SecretKey& key, const std::filesystem::path& dir);

IdentityKey generateIdentityKey(const std::string& owner);
IdentityPublicKey identityPublicHalf(const IdentityKey& key);
// Writes <dir>/<basename>.pub (0644) and <dir>/<basename>.key (0600).
Status writeIdentityKeyPair(const IdentityKey& key, const std::filesystem::path& dir,
                            const std::string& basename);
// An Ed25519 key file is a gateway's (`gateway: <site>`) or a fleet operator's (`operator:
// <name>`, it signs policy bundles: docs/FLEET.md); reading one as the other is refused.
enum class KeyRole { kGateway, kOperator };
Result<IdentityPublicKey> readIdentityPublicKeyFile(const std::filesystem::path& path,
                                                    KeyRole role = KeyRole::kGateway);
Result<IdentityKey> readIdentityKeyFile(const std::filesystem::path& path,
                                        KeyRole role = KeyRole::kGateway);
// <dir>/<owner>.{key,pub}, marked as an operator's.
Status writeOperatorKeyPair(const IdentityKey& key, const std::filesystem::path& dir);

Result<PublicKey> readPublicKeyFile(const std::filesystem::path& path);
Result<SecretKey> readSecretKeyFile(const std::filesystem::path& path);

// Parsers behind the readers, exposed for tests and fuzzing; `origin` names the input in errors.
Result<PublicKey> parsePublicKey(const std::string& text, const std::string& origin);
Result<SecretKey> parseSecretKey(const std::string& text, const std::string& origin);
Result<IdentityPublicKey> parseIdentityPublicKey(const std::string& text, const std::string& origin,
                                                 KeyRole role = KeyRole::kGateway);
Result<IdentityKey> parseIdentityKey(const std::string& text, const std::string& origin,
                                     KeyRole role = KeyRole::kGateway);

}  // namespace gw::crypto
