#include "gateway/core/histograms.h"

namespace gw {

void Histogram::observe(std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(elapsed.count() < 0 ? 0 : elapsed.count()),
                    std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot out;
  for (size_t i = 0; i < buckets_.size(); ++i)
    out.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  // Count from the buckets so a scrape racing an observe() stays self-consistent.
  for (auto b : out.buckets) out.count += b;
  out.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return out;
}

Histogram& Histograms::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& slot = histograms_[key];
  if (!slot) slot = std::make_unique<Histogram>();
  return *slot;
}

std::map<std::string, Histogram::Snapshot> Histograms::snapshot() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, Histogram::Snapshot> out;
  for (const auto& [key, histogram] : histograms_) out[key] = histogram->snapshot();
  return out;
}

}  // namespace gw
