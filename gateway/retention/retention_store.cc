#include "gateway/retention/retention_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "gateway/core/clock.h"
#include "gateway/core/files.h"

namespace gw::retention {
namespace {

namespace fs = std::filesystem;

constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr uint32_t kMaxRecordBytes = 64u << 20;

std::string periodName(int64_t start_ms, int64_t expires_ms) {
  return std::to_string(start_ms) + "-" + std::to_string(expires_ms);
}

bool parsePeriodName(const std::string& stem, int64_t* start, int64_t* expires) {
  const auto dash = stem.find('-', 1);
  if (dash == std::string::npos) return false;
  try {
    size_t used = 0;
    *start = std::stoll(stem.substr(0, dash), &used);
    if (used != dash) return false;
    *expires = std::stoll(stem.substr(dash + 1), &used);
    return used == stem.size() - dash - 1;
  } catch (const std::exception&) {
    return false;
  }
}

std::string additionalData(const std::string& route, int64_t start, int64_t expires) {
  return "lantaarn-retention-v1|" + route + "|" + periodName(start, expires);
}

Status appendDurably(const fs::path& file, const std::string& bytes) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable("cannot open " + file.string() + ": " + std::strerror(errno));
  const ssize_t n = ::write(fd, bytes.data(), bytes.size());
  const int err = errno;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (n != static_cast<ssize_t>(bytes.size()) || !synced) {
    return unavailable("cannot write " + file.string() + ": " + std::strerror(err));
  }
  return okStatus();
}

// Overwrites the key with zeros and syncs before unlinking, so the key bytes do not stay behind in
// the freed blocks of an ordinary file system (flash translation layers may still keep copies:
// docs/PRIVACY.md says what that means for the guarantee).
Status destroyKey(const fs::path& key) {
  const int fd = ::open(key.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    const std::string zeros(kKeyBytes, '\0');
    const bool ok = ::write(fd, zeros.data(), zeros.size()) == static_cast<ssize_t>(zeros.size()) &&
                    ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return unavailable("cannot overwrite key " + key.string());
  }
  std::error_code ec;
  fs::remove(key, ec);
  if (ec) return unavailable("cannot remove key " + key.string() + ": " + ec.message());
  return okStatus();
}

// Record lengths only: how many records and bytes, without decrypting.
void countRecords(const fs::path& data, PeriodInfo* info) {
  std::ifstream in(data, std::ios::binary);
  unsigned char len[4];
  while (in.read(reinterpret_cast<char*>(len), 4)) {
    const uint32_t n = (uint32_t{len[0]} << 24) | (uint32_t{len[1]} << 16) |
                       (uint32_t{len[2]} << 8) | uint32_t{len[3]};
    if (n > kMaxRecordBytes) break;
    in.seekg(n, std::ios::cur);
    if (!in) break;
    ++info->records;
    info->bytes += n;
  }
}

}  // namespace

std::string fileSafe(const std::string& id) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : id) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out.empty() ? "%" : out;
}

Result<std::unique_ptr<RetentionStore>> RetentionStore::open(RetentionOptions options) {
  if (sodium_init() < 0) return internalError("libsodium failed to initialise");
  if (!options.now_ms) options.now_ms = [] { return nowUnixMs(); };
  if (options.max_period_ms <= 0) return invalidArgument("retention period must be positive");
  std::error_code ec;
  for (const char* sub : {"data", "keys"}) {
    fs::create_directories(options.dir / sub, ec);
    if (ec) {
      return unavailable("cannot create retention directory " + (options.dir / sub).string() +
                         ": " + ec.message());
    }
  }
  fs::permissions(options.dir / "keys", fs::perms::owner_all, ec);
  return std::unique_ptr<RetentionStore>(new RetentionStore(std::move(options)));
}

RetentionStore::PeriodFiles RetentionStore::filesFor(const std::string& route, int64_t start_ms,
                                                     int64_t expires_ms) const {
  const std::string name = periodName(start_ms, expires_ms);
  return {options_.dir / "data" / fileSafe(route) / (name + ".rec"),
          options_.dir / "keys" / fileSafe(route) / (name + ".key")};
}

Result<std::string> RetentionStore::keyFor(const std::string& route, int64_t start_ms,
                                           int64_t expires_ms, bool create) {
  const fs::path file = filesFor(route, start_ms, expires_ms).key;
  if (auto cached = key_cache_.find(file); cached != key_cache_.end()) return cached->second;
  auto existing = readFile(file);
  if (existing.ok() && existing->size() == kKeyBytes) {
    key_cache_[file] = *existing;
    return *existing;
  }
  if (!create) return notFound("the key of " + file.stem().string() + " is destroyed");
  std::string key(kKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  fs::permissions(file.parent_path(), fs::perms::owner_all, ec);
  GW_RETURN_IF_ERROR(writeFileAtomic(file, key, fs::perms::owner_read | fs::perms::owner_write));
  key_cache_[file] = key;
  return key;
}

Status RetentionStore::put(const std::string& route, int64_t retention_ms,
                           const std::string& plaintext) {
  if (retention_ms <= 0) return invalidArgument("retention must be positive");
  if (plaintext.size() + kNonceBytes + kTagBytes > kMaxRecordBytes) {
    return invalidArgument("record too large to keep");
  }
  const int64_t now = options_.now_ms();
  const int64_t period = std::min(options_.max_period_ms, retention_ms);
  const int64_t start = now - (((now % period) + period) % period);
  const int64_t expires = start + retention_ms;
  auto key = keyFor(route, start, expires, /*create=*/true);
  if (!key.ok()) return key.status();

  std::string record(4 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  const uint32_t n = static_cast<uint32_t>(record.size() - 4);
  record[0] = static_cast<char>(n >> 24);
  record[1] = static_cast<char>(n >> 16);
  record[2] = static_cast<char>(n >> 8);
  record[3] = static_cast<char>(n);
  auto* nonce = reinterpret_cast<unsigned char*>(record.data() + 4);
  randombytes_buf(nonce, kNonceBytes);
  const std::string ad = additionalData(route, start, expires);
  unsigned long long sealed = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &sealed, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      nonce, reinterpret_cast<const unsigned char*>(key->data()));
  const fs::path data = filesFor(route, start, expires).data;
  std::error_code ec;
  fs::create_directories(data.parent_path(), ec);
  return appendDurably(data, record);
}

std::vector<PeriodInfo> RetentionStore::periods() const {
  std::map<std::tuple<int64_t, std::string, int64_t>, PeriodInfo> found;
  std::error_code ec;
  for (const char* sub : {"data", "keys"}) {
    const fs::path root = options_.dir / sub;
    if (!fs::is_directory(root, ec)) continue;
    for (const auto& route_dir : fs::directory_iterator(root, ec)) {
      if (!route_dir.is_directory()) continue;
      for (const auto& file : fs::directory_iterator(route_dir.path(), ec)) {
        int64_t start = 0, expires = 0;
        if (!parsePeriodName(file.path().stem().string(), &start, &expires)) continue;
        const std::string route = route_dir.path().filename().string();
        PeriodInfo& info = found[{start, route, expires}];
        info.route = route;
        info.start_ms = start;
        info.expires_ms = expires;
        if (std::string(sub) == "keys") info.key_present = true;
        if (std::string(sub) == "data") countRecords(file.path(), &info);
      }
    }
  }
  std::vector<PeriodInfo> out;
  out.reserve(found.size());
  for (auto& [key, info] : found) out.push_back(std::move(info));
  return out;
}

Result<size_t> RetentionStore::purgeExpired() {
  const int64_t now = options_.now_ms();
  size_t destroyed = 0;
  for (const auto& info : periods()) {
    if (info.expires_ms > now) continue;
    const std::string name = periodName(info.start_ms, info.expires_ms);
    const fs::path key = options_.dir / "keys" / info.route / (name + ".key");
    const fs::path data = options_.dir / "data" / info.route / (name + ".rec");
    key_cache_.erase(key);
    // The key first: once it is gone the data is unreadable even if removing it fails.
    GW_RETURN_IF_ERROR(destroyKey(key));
    std::error_code ec;
    fs::remove(data, ec);
    if (ec) return unavailable("cannot remove " + data.string() + ": " + ec.message());
    ++destroyed;
  }
  return destroyed;
}

Result<std::vector<std::string>> RetentionStore::read(const std::string& route) const {
  std::vector<std::string> out;
  const std::string safe = fileSafe(route);
  for (const auto& info : periods()) {
    if (info.route != safe) continue;
    const auto files = filesFor(route, info.start_ms, info.expires_ms);
    auto key = readFile(files.key);
    if (!key.ok() || key->size() != kKeyBytes) continue;  // shredded: nothing readable
    auto data = readFile(files.data);
    if (!data.ok()) continue;
    const std::string ad = additionalData(route, info.start_ms, info.expires_ms);
    size_t at = 0;
    while (at + 4 <= data->size()) {
      const auto* p = reinterpret_cast<const unsigned char*>(data->data() + at);
      const size_t n = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
      if (n < kNonceBytes + kTagBytes || at + 4 + n > data->size()) {
        return dataLoss("truncated record in " + files.data.string());
      }
      std::string plain(n - kNonceBytes - kTagBytes, '\0');
      unsigned long long plain_len = 0;
      if (crypto_aead_xchacha20poly1305_ietf_decrypt(
              reinterpret_cast<unsigned char*>(plain.data()), &plain_len, nullptr,
              p + 4 + kNonceBytes, n - kNonceBytes,
              reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), p + 4,
              reinterpret_cast<const unsigned char*>(key->data())) != 0) {
        return dataLoss("a record in " + files.data.string() + " does not authenticate");
      }
      out.push_back(std::move(plain));
      at += 4 + n;
    }
  }
  return out;
}

}  // namespace gw::retention
