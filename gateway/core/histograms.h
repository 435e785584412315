#pragma once
// Latency histograms next to the Counters registry: fixed buckets (seconds, Prometheus style),
// lock-free to observe, keyed like counters by `name{labels}`. The ops stage exports them.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace gw {

class Histogram {
 public:
  // Upper bounds in seconds: from 50 us (a threshold check) to 2.5 s (a slow frame detector).
  static constexpr std::array<double, 15> kBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                     0.0025,  0.005,  0.01,    0.025,  0.05,
                                                     0.1,     0.25,   0.5,     1.0,    2.5};
  struct Snapshot {
    std::array<uint64_t, kBounds.size() + 1> buckets{};  // per bucket, not cumulative; last: +Inf
    uint64_t count = 0;
    double sum_seconds = 0;
  };

  void observe(std::chrono::nanoseconds elapsed);
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_ns_{0};
};

class Histograms {
 public:
  // A stable reference, as Counters::get.
  Histogram& get(const std::string& key);
  std::map<std::string, Histogram::Snapshot> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Histogram>> histograms_;
};

// Observes the time from construction to destruction: `ScopedTimer t(histogram);`.
class ScopedTimer {
 public:
  explicit ScopedTimer(Histogram& histogram)
      : histogram_(histogram), start_(std::chrono::steady_clock::now()) {}
  ~ScopedTimer() { histogram_.observe(std::chrono::steady_clock::now() - start_); }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  Histogram& histogram_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace gw
