// Sealing and opening envelopes by payload size, one core. The bar: at least 200,000
// envelopes of 256 B sealed per second. Run: build/release/tests/bench/envelope_bench
//   BM_Seal/N          ActorStreamSealer::seal: AEAD + header + BLAKE2b chain link
//   BM_GatewaySeal/N   the same through GatewaySealer, as gatewayd calls it (durable positions)
//   BM_Open/N          EnvelopeReceiver::receive of DATA: parse, AEAD open, dedup, gap tracking
//   BM_EpochKey        the once-per-epoch KEY envelope (crypto_box_seal + Ed25519 sign)
//   BM_Checkpoint      one signed checkpoint
#include <benchmark/benchmark.h>

#include "gateway/actor/envelope_receiver.h"
#include "gateway/crypto/gateway_sealer.h"
#include "tests/support/temp_dir.h"

namespace gw {
namespace {

// An ActorMessage whose serialized size is about `bytes`.
gateway::v1::ActorMessage messageOf(size_t bytes) {
  gateway::v1::ActorMessage m;
  m.set_site_id("site");
  m.set_actor_id("police");
  m.mutable_event()->set_summary(std::string(bytes > 16 ? bytes - 16 : 1, 'x'));
  return m;
}

crypto::EpochLimits noRollover() { return {std::chrono::hours(24 * 365), uint64_t{1} << 62}; }

void BM_Seal(benchmark::State& state) {
  const auto identity = crypto::generateIdentityKey("site");
  const auto actor = crypto::generateKeyPair("police");
  crypto::ActorStreamSealer sealer(identity, "site", crypto::publicHalf(actor), {}, noRollover());
  const auto message = messageOf(static_cast<size_t>(state.range(0)));
  std::vector<crypto::SealedEnvelope> out;
  (void)sealer.seal(message, 1, &out);  // the KEY, outside the measurement
  for (auto _ : state) {
    out.clear();
    if (!sealer.seal(message, 1, &out).ok()) state.SkipWithError("seal failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Seal)->RangeMultiplier(4)->Range(64, 256 << 10);

void BM_GatewaySeal(benchmark::State& state) {
  gw::testing::TempDir dir;
  crypto::SealerOptions options;
  options.epoch = noRollover();
  options.positions_file = dir / "streams";
  auto sealer = crypto::GatewaySealer::open(crypto::generateIdentityKey("site"), "site", options);
  const auto actor = crypto::generateKeyPair("police");
  (*sealer)->setActors({{"police", crypto::publicHalf(actor)}});
  const auto message = messageOf(static_cast<size_t>(state.range(0)));
  std::vector<crypto::SealedEnvelope> out;
  for (auto _ : state) {
    out.clear();
    if (!(*sealer)->seal("police", message, 1, &out).ok()) state.SkipWithError("seal failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GatewaySeal)->Arg(256);

void BM_Open(benchmark::State& state) {
  const auto identity = crypto::generateIdentityKey("site");
  const auto actor = crypto::generateKeyPair("police");
  const size_t size = static_cast<size_t>(state.range(0));
  crypto::ActorStreamSealer sealer(identity, "site", crypto::publicHalf(actor), {}, noRollover());
  actor::EnvelopeReceiver receiver(
      {"site", "police", actor, {crypto::identityPublicHalf(identity)}});
  const auto message = messageOf(size);
  // Envelopes are made in batches outside the timing; each is opened once, as on the wire.
  const size_t batch = std::max<size_t>(16, (4u << 20) / size);
  std::vector<crypto::SealedEnvelope> ready;
  size_t next = 0;
  auto refill = [&] {
    ready.clear();
    next = 0;
    for (size_t i = 0; i < batch; ++i) (void)sealer.seal(message, 1, &ready);
  };
  refill();
  (void)receiver.receive(ready[0].payload, 1);  // the KEY
  next = 1;
  for (auto _ : state) {
    if (next == ready.size()) {
      state.PauseTiming();
      refill();
      state.ResumeTiming();
    }
    auto r = receiver.receive(ready[next++].payload, 1);
    if (r.verdict != actor::Verdict::kMessage) state.SkipWithError(r.reason.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Open)->RangeMultiplier(4)->Range(64, 256 << 10);

void BM_EpochKey(benchmark::State& state) {
  const auto identity = crypto::generateIdentityKey("site");
  const auto actor = crypto::generateKeyPair("police");
  const auto message = messageOf(64);
  std::vector<crypto::SealedEnvelope> out;
  for (auto _ : state) {
    // A fresh stream each time: its first seal is the epoch's KEY and one DATA, nothing else.
    crypto::ActorStreamSealer sealer(identity, "site", crypto::publicHalf(actor), {}, noRollover());
    out.clear();
    (void)sealer.seal(message, 1, &out);  // KEY + one DATA
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EpochKey);

void BM_Checkpoint(benchmark::State& state) {
  const auto identity = crypto::generateIdentityKey("site");
  const auto actor = crypto::generateKeyPair("police");
  crypto::ActorStreamSealer sealer(identity, "site", crypto::publicHalf(actor), {}, noRollover());
  std::vector<crypto::SealedEnvelope> out;
  (void)sealer.seal(messageOf(64), 1, &out);
  for (auto _ : state) {
    out.clear();
    (void)sealer.checkpoint(1, true, &out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Checkpoint);

}  // namespace
}  // namespace gw

BENCHMARK_MAIN();
