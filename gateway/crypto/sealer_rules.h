#pragma once
// The crypto stage's rule for the policy's `gateway.epochs`: an epoch must have room for its KEY,
// its checkpoints and some data. config/ runs it on the options it resolved.
#include "gateway/core/problem_sink.h"
#include "gateway/crypto/gateway_sealer.h"

namespace gw::crypto {

inline constexpr uint64_t kMinEpochMessages = 16;

inline void checkSealerOptions(const SealerOptions& options, ProblemSink& check) {
  if (options.epoch.max_messages < kMinEpochMessages) {
    check.fail("gateway.epochs.max_messages", "an epoch needs room for at least 16 envelopes");
  }
}

}  // namespace gw::crypto
