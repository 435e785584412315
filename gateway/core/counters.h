#pragma once
// Named event counters (received, dropped{reason}, sent, ...) that every stage increments.
// Thread-safe; the ops stage (issue 9) exposes them as Prometheus metrics. A counter is keyed by
// its full name with labels, e.g. `readings_dropped_total{source="x",reason="malformed"}`.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace gw {

class Counters {
 public:
  // Returns a stable reference; callers on a hot path keep it instead of looking it up again.
  std::atomic<uint64_t>& get(const std::string& key);
  void add(const std::string& key, uint64_t n = 1) {
    get(key).fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t value(const std::string& key) const;
  std::map<std::string, uint64_t> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>> counters_;
};

// Builds `name{k1="v1",k2="v2"}`.
std::string counterKey(const std::string& name,
                       std::initializer_list<std::pair<const char*, std::string>> labels);

}  // namespace gw
