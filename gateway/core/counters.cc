#include "gateway/core/counters.h"

namespace gw {

std::atomic<uint64_t>& Counters::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& slot = counters_[key];
  if (!slot) slot = std::make_unique<std::atomic<uint64_t>>(0);
  return *slot;
}

uint64_t Counters::value(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = counters_.find(key);
  return it == counters_.end() ? 0 : it->second->load(std::memory_order_relaxed);
}

std::map<std::string, uint64_t> Counters::snapshot() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, uint64_t> out;
  for (const auto& [key, value] : counters_) out[key] = value->load(std::memory_order_relaxed);
  return out;
}

std::string counterKey(const std::string& name,
                       std::initializer_list<std::pair<const char*, std::string>> labels) {
  std::string key = name;
  if (labels.size() == 0) return key;
  key += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) key += ',';
    first = false;
    key += k;
    key += "=\"";
    key += v;
    key += '"';
  }
  key += '}';
  return key;
}

}  // namespace gw
