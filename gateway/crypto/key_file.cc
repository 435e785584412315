#include "gateway/crypto/key_file.h"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "gateway/core/files.h"

namespace gw::crypto {
namespace {

constexpr const char* kFormat = "lantaarn-key-v1";

std::string toBase64(const uint8_t* data, size_t len) {
  std::string out(sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, len, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // drop the terminating NUL libsodium writes
  return out;
}

bool fromBase64(const std::string& text, KeyBytes* out) {
  size_t len = 0;
  if (sodium_base642bin(out->data(), out->size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return false;
  }
  return len == kKeyBytes;
}

bool isSecretType(const std::string& type) { return type.find("-secret") != std::string::npos; }

// Ed25519 files name the gateway (site) that owns them, X25519 files the actor.
const char* ownerField(const std::string& type) {
  return type.rfind("ed25519", 0) == 0 ? "gateway" : "actor";
}

const char* roleField(KeyRole role) { return role == KeyRole::kOperator ? "operator" : "gateway"; }

std::string render(const std::string& type, const std::string& owner, const std::string& key_id,
                   const KeyBytes& key, const char* owner_field = nullptr) {
  std::ostringstream out;
  out << "# Lantaarn " << (isSecretType(type) ? "SECRET" : "public")
      << " key. Format: docs/KEYS.md\n"
      << "format: " << kFormat << "\n"
      << "type: " << type << "\n"
      << (owner_field != nullptr ? owner_field : ownerField(type)) << ": " << owner << "\n"
      << "key_id: " << key_id << "\n"
      << "key: " << toBase64(key.data(), key.size()) << "\n";
  return out.str();
}

struct ParsedFile {
  std::string actor, key_id;
  KeyBytes key{};
};

Result<ParsedFile> parseKeyText(const std::string& text, const std::string& origin,
                                const std::string& want_type, const char* owner_field = nullptr) {
  std::map<std::string, std::string> fields;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      return invalidArgument(origin + ":" + std::to_string(line_no) + ": expected 'name: value'");
    }
    std::string name = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    fields[name] = value;
  }
  if (fields["format"] != kFormat) {
    return invalidArgument(
        origin + ": not a Lantaarn key file (expected 'format: " + std::string(kFormat) + "')");
  }
  if (fields["type"] != want_type) {
    return invalidArgument(origin + ": key type is '" + fields["type"] + "', expected '" +
                           want_type + "'");
  }
  // An Ed25519 key is a gateway's or an operator's, and one is never taken for the other: an
  // operator's file must say so, and a file that says so is no gateway's.
  const std::string field = owner_field != nullptr ? owner_field : ownerField(want_type);
  const bool wrong_role = field == "operator" ? fields.count("operator") == 0
                                              : field == "gateway" && fields.count("operator") > 0;
  if (wrong_role) {
    return invalidArgument(origin + ": its owner line is not '" + field + ":', so it is not the " +
                           field + " key asked for");
  }
  ParsedFile parsed;
  parsed.actor = fields[field];
  parsed.key_id = fields["key_id"];
  if (!fromBase64(fields["key"], &parsed.key)) {
    return invalidArgument(origin + ": key is not 32 bytes of base64");
  }
  return parsed;
}

// A secret key file must be private to its owner; anything else may already have leaked it.
Result<std::string> readPrivateFile(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return notFound(path.string() + ": no such file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return permissionDenied(path.string() +
                            ": secret key is readable by group or others; chmod 600 it");
  }
  return readFile(path);
}

Status writePair(const std::filesystem::path& dir, const std::string& basename,
                 const std::string& secret_text, const std::string& public_text) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return unavailable(dir.string() + ": " + ec.message());
  using std::filesystem::perms;
  GW_RETURN_IF_ERROR(writeFileAtomic(dir / (basename + ".key"), secret_text,
                                     perms::owner_read | perms::owner_write));
  return writeFileAtomic(
      dir / (basename + ".pub"), public_text,
      perms::owner_read | perms::owner_write | perms::group_read | perms::others_read);
}

}  // namespace

Status initSodium() {
  // sodium_init returns 1 when already initialised; only -1 is a failure.
  if (sodium_init() < 0) return internalError("libsodium failed to initialise");
  return okStatus();
}

std::string keyIdOf(const KeyBytes& public_key) {
  uint8_t hash[32];
  crypto_generichash(hash, sizeof hash, public_key.data(), public_key.size(), nullptr, 0);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, hash, 8);
  return hex;
}

SecretKey generateKeyPair(const std::string& actor) {
  (void)initSodium();
  SecretKey key;
  key.actor = actor;
  crypto_box_keypair(key.public_key.data(), key.secret.data());
  key.key_id = keyIdOf(key.public_key);
  return key;
}

PublicKey publicHalf(const SecretKey& key) { return {key.actor, key.key_id, key.public_key}; }

Status writeKeyPair(const SecretKey& key, const std::filesystem::path& dir) {
  return writePair(dir, key.actor, render("x25519-secret", key.actor, key.key_id, key.secret),
                   render("x25519-public", key.actor, key.key_id, key.public_key));
}

IdentityKey generateIdentityKey(const std::string& owner) {
  (void)initSodium();
  IdentityKey key;
  key.owner = owner;
  crypto_sign_keypair(key.public_key.data(), key.secret.data());
  key.key_id = keyIdOf(key.public_key);
  return key;
}

IdentityPublicKey identityPublicHalf(const IdentityKey& key) {
  return {key.owner, key.key_id, key.public_key};
}

Status writeIdentityKeyPair(const IdentityKey& key, const std::filesystem::path& dir,
                            const std::string& basename) {
  // The file holds the 32-byte seed; libsodium's 64-byte form is seed || public key.
  KeyBytes seed{};
  std::copy_n(key.secret.begin(), seed.size(), seed.begin());
  Status s = writePair(dir, basename, render("ed25519-secret", key.owner, key.key_id, seed),
                       render("ed25519-public", key.owner, key.key_id, key.public_key));
  sodium_memzero(seed.data(), seed.size());
  return s;
}

Status writeOperatorKeyPair(const IdentityKey& key, const std::filesystem::path& dir) {
  KeyBytes seed{};
  std::copy_n(key.secret.begin(), seed.size(), seed.begin());
  Status s =
      writePair(dir, key.owner, render("ed25519-secret", key.owner, key.key_id, seed, "operator"),
                render("ed25519-public", key.owner, key.key_id, key.public_key, "operator"));
  sodium_memzero(seed.data(), seed.size());
  return s;
}

Result<PublicKey> parsePublicKey(const std::string& text, const std::string& origin) {
  auto parsed = parseKeyText(text, origin, "x25519-public");
  if (!parsed.ok()) return parsed.status();
  const std::string id = keyIdOf(parsed->key);
  if (!parsed->key_id.empty() && parsed->key_id != id) {
    return invalidArgument(origin + ": key_id " + parsed->key_id + " does not match the key (" +
                           id + ")");
  }
  return PublicKey{parsed->actor, id, parsed->key};
}

Result<SecretKey> parseSecretKey(const std::string& text, const std::string& origin) {
  GW_RETURN_IF_ERROR(initSodium());
  auto parsed = parseKeyText(text, origin, "x25519-secret");
  if (!parsed.ok()) return parsed.status();
  SecretKey key;
  key.actor = parsed->actor;
  key.secret = parsed->key;
  crypto_scalarmult_base(key.public_key.data(), key.secret.data());
  key.key_id = keyIdOf(key.public_key);
  if (!parsed->key_id.empty() && parsed->key_id != key.key_id) {
    return invalidArgument(origin + ": key_id " + parsed->key_id + " does not match the key");
  }
  return key;
}

Result<IdentityPublicKey> parseIdentityPublicKey(const std::string& text, const std::string& origin,
                                                 KeyRole role) {
  auto parsed = parseKeyText(text, origin, "ed25519-public", roleField(role));
  if (!parsed.ok()) return parsed.status();
  const std::string id = keyIdOf(parsed->key);
  if (!parsed->key_id.empty() && parsed->key_id != id) {
    return invalidArgument(origin + ": key_id " + parsed->key_id + " does not match the key (" +
                           id + ")");
  }
  return IdentityPublicKey{parsed->actor, id, parsed->key};
}

Result<IdentityKey> parseIdentityKey(const std::string& text, const std::string& origin,
                                     KeyRole role) {
  GW_RETURN_IF_ERROR(initSodium());
  auto parsed = parseKeyText(text, origin, "ed25519-secret", roleField(role));
  if (!parsed.ok()) return parsed.status();
  IdentityKey key;
  key.owner = parsed->actor;
  crypto_sign_seed_keypair(key.public_key.data(), key.secret.data(), parsed->key.data());
  sodium_memzero(parsed->key.data(), parsed->key.size());
  key.key_id = keyIdOf(key.public_key);
  if (!parsed->key_id.empty() && parsed->key_id != key.key_id) {
    return invalidArgument(origin + ": key_id " + parsed->key_id + " does not match the key");
  }
  return key;
}

Result<PublicKey> readPublicKeyFile(const std::filesystem::path& path) {
  auto text = readFile(path);
  if (!text.ok()) return text.status();
  return parsePublicKey(*text, path.string());
}

Result<SecretKey> readSecretKeyFile(const std::filesystem::path& path) {
  auto text = readPrivateFile(path);
  if (!text.ok()) return text.status();
  return parseSecretKey(*text, path.string());
}

Result<IdentityPublicKey> readIdentityPublicKeyFile(const std::filesystem::path& path,
                                                    KeyRole role) {
  auto text = readFile(path);
  if (!text.ok()) return text.status();
  return parseIdentityPublicKey(*text, path.string(), role);
}

Result<IdentityKey> readIdentityKeyFile(const std::filesystem::path& path, KeyRole role) {
  auto text = readPrivateFile(path);
  if (!text.ok()) return text.status();
  return parseIdentityKey(*text, path.string(), role);
}

}  // namespace gw::crypto
