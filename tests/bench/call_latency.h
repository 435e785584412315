#pragma once
// Each call of a benchmark timed on its own, for the tail that Google Benchmark's mean hides:
// `p50_us` and `p99_us` counters (a context switch or a wake-up shows there, not in the mean).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace gw::bench {

class CallLatency {
 public:
  explicit CallLatency(size_t capacity) { ns_.reserve(capacity); }

  template <typename Call>
  void time(Call&& call) {
    const auto start = std::chrono::steady_clock::now();
    call();
    if (ns_.size() < ns_.capacity()) {
      ns_.push_back((std::chrono::steady_clock::now() - start).count());
    }
  }

  void report(benchmark::State& state) {
    if (ns_.empty()) return;
    std::sort(ns_.begin(), ns_.end());
    state.counters["p50_us"] = static_cast<double>(ns_[ns_.size() / 2]) / 1000;
    state.counters["p99_us"] = static_cast<double>(ns_[ns_.size() * 99 / 100]) / 1000;
  }

 private:
  std::vector<int64_t> ns_;
};

}  // namespace gw::bench
