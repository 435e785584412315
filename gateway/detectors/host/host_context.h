#pragma once
// What the detector host reports to and takes its time from. Every field is optional, so a tool
// that runs one detector by itself (gatewayctl fall-eval, a test) passes nothing.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "gateway/core/counters.h"
#include "gateway/core/histograms.h"
#include "gateway/v1/data.pb.h"

namespace gw::detectors {

struct HostContext {
  // The host's counters: detector_errors_total, _overruns_total, _skipped_total,
  // _disabled_total, _enabled_total (gateway/detectors/README.md).
  Counters* counters = nullptr;
  // detector_latency_seconds{detector}: each call made; a skipped call is no call, so it is not
  // observed (it would pull the figures towards zero while the detector backs off).
  Histogram* latency = nullptr;
  // The time calls are measured and backoffs and cool-downs are kept by; empty means
  // steady_clock::now. Tests pass a fake that a test detector advances inside its call, so a
  // "slow" call takes no real time.
  std::function<std::chrono::steady_clock::time_point()> clock;
  // The place of an event whose detector names none (a reading from a source without a
  // position): the site's `location` from the policy. Unset: such events have no location.
  std::optional<gateway::v1::Location> fallback_location;
  // detector_roundtrip_seconds{detector}: a call to a detector's child process, from the request
  // written to the reply read (isolation: process only).
  Histogram* roundtrip = nullptr;
  // The child host binary (lantaarn-detector-host); empty: defaultDetectorHost()
  // (isolation/child_process.h).
  std::string detector_host;
};

}  // namespace gw::detectors
