#pragma once
// What the box keeps of events and snapshots, for each route's retention period and not a moment
// longer, encrypted at rest with one key per (route, period) that is destroyed when the period
// expires (crypto-shredding: a copy of the data files, in a backup or on a disk sold on, is
// unreadable once the key is gone).
//
// Layout under `dir` (docs/PRIVACY.md):
//   data/<route>/<start_ms>-<expires_ms>.rec   records: [u32 length][24-byte nonce][ciphertext]
//   keys/<route>/<start_ms>-<expires_ms>.key   32 random bytes, mode 0600
// A period is [start, start + length), length = min(max_period, retention); it expires at
// start + retention, so no record outlives its route's retention (the first of a period is
// deleted exactly on time, the last at most one period early). The expiry is in the file names,
// so purging and `gatewayctl retention status` need neither the keys nor the policy, and a reload
// that changes a route's retention never extends what was already kept.
//
// Records are sealed with XChaCha20-Poly1305; the additional data binds each to its route and
// period, so records cannot be moved between files unnoticed. Single-threaded.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/pipeline/stage.h"

namespace gw::retention {

struct RetentionOptions {
  std::filesystem::path dir;
  std::function<int64_t()> now_ms;  // the clock; tests fake it. Empty: the wall clock
  int64_t max_period_ms = 3'600'000;
};

struct PeriodInfo {
  std::string route;
  int64_t start_ms = 0, expires_ms = 0;
  uint64_t records = 0, bytes = 0;
  bool key_present = false;
};

class RetentionStore : public pipeline::RetentionSink {
 public:
  static Result<std::unique_ptr<RetentionStore>> open(RetentionOptions options);

  // Keeps `plaintext` for `retention_ms` from now (in the current period of the route).
  Status put(const std::string& route, int64_t retention_ms, const std::string& plaintext) override;
  // Destroys every expired period: its key first (overwritten, then removed), then its data.
  // Returns how many periods were destroyed.
  Result<size_t> purgeExpired() override;
  // Every period on disk, oldest first (reads only file names and record lengths).
  std::vector<PeriodInfo> periods() const;
  // Decrypts the records of a route still kept (an authorised request, a test).
  Result<std::vector<std::string>> read(const std::string& route) const;

  int64_t now() const { return options_.now_ms(); }

 private:
  explicit RetentionStore(RetentionOptions options) : options_(std::move(options)) {}
  struct PeriodFiles {
    std::filesystem::path data, key;
  };
  PeriodFiles filesFor(const std::string& route, int64_t start_ms, int64_t expires_ms) const;
  Result<std::string> keyFor(const std::string& route, int64_t start_ms, int64_t expires_ms,
                             bool create);

  RetentionOptions options_;
  std::map<std::filesystem::path, std::string> key_cache_;  // key file -> key
};

// A route id as a file name: [a-z0-9_-] kept, anything else %XX, so no id escapes its folder.
std::string fileSafe(const std::string& id);

}  // namespace gw::retention
