// Durable outbox throughput per fsync policy (append, hand out, release) and recovery time.
//   build/release/tests/bench/outbox_bench
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include "gateway/outbox/segment_outbox.h"
#include "tests/support/temp_dir.h"

namespace gw::outbox {
namespace {

std::unique_ptr<SegmentOutbox> openOrDie(SegmentOutboxOptions o, Counters& counters) {
  auto box = SegmentOutbox::open(std::move(o), counters);
  if (!box.ok()) std::abort();
  return std::move(box).value();
}

// Appends `group` messages, then hands them all out and releases them (one PUBACK each).
void BM_AppendRelease(benchmark::State& state) {
  const auto policy = static_cast<FsyncPolicy>(state.range(0));
  const auto payload_bytes = static_cast<size_t>(state.range(1));
  const int group = static_cast<int>(state.range(2));
  testing::TempDir dir("outbox-bench");
  Counters counters;
  SegmentOutboxOptions o;
  o.dir = dir.path();
  o.fsync = policy;
  auto box = openOrDie(o, counters);
  const pipeline::OutboundMessage msg{"municipality", "lantaarn/v1/site/municipality/measurement",
                                      std::string(payload_bytes, 'x'),
                                      pipeline::Priority::kMeasurement};
  for (auto _ : state) {
    for (int i = 0; i < group; ++i) {
      if (!box->append(msg).ok()) std::abort();
    }
    while (const auto* e = box->takeNext()) box->ack(e->id);
  }
  state.SetItemsProcessed(state.iterations() * group);
  state.SetBytesProcessed(state.iterations() * group * static_cast<int64_t>(payload_bytes));
}
// policy (0 every record, 1 group commit, 2 interval), payload bytes, messages per group
BENCHMARK(BM_AppendRelease)
    ->Args({0, 256, 1})
    ->Args({1, 256, 1})
    ->Args({1, 256, 20})
    ->Args({1, 256, 100})
    ->Args({2, 256, 100})
    ->Args({1, 4096, 100})
    ->Unit(benchmark::kMicrosecond);

// Opening a directory holding `n` unreleased 256-byte messages.
void BM_Recover(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  testing::TempDir dir("outbox-bench");
  Counters counters;
  SegmentOutboxOptions o;
  o.dir = dir.path();
  o.fsync = FsyncPolicy::kGroupCommit;
  o.max_total_bytes = o.max_actor_bytes = uint64_t{1} << 40;
  o.max_messages = static_cast<size_t>(n) + 1;
  {
    auto box = openOrDie(o, counters);
    const pipeline::OutboundMessage msg{"municipality", "lantaarn/v1/site/municipality/m",
                                        std::string(256, 'x'), pipeline::Priority::kMeasurement};
    for (int i = 0; i < n; ++i) {
      if (!box->append(msg).ok()) std::abort();
    }
    if (!box->sync().ok()) std::abort();
  }
  for (auto _ : state) {
    auto box = openOrDie(o, counters);
    if (box->size() != static_cast<size_t>(n)) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
// 10,000 is for the CI smoke (label bench); 1,000,000 is the target of issue 10 (<= 2 s).
BENCHMARK(BM_Recover)
    ->Arg(10'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

}  // namespace
}  // namespace gw::outbox

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
