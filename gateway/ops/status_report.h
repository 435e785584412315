#pragma once
// Assembles what the ops endpoint reports from the running pipeline: the status the pipeline
// thread hands over (a copy, taken on that thread), and the watches the stall check samples.
// The wiring (app/) says what runs; the counter names come from the stages that own them
// (Source::progressCounters(), the frame workers'), never rebuilt here.
#include <string>
#include <vector>

#include "gateway/ops/gateway_status.h"
#include "gateway/ops/progress_tracker.h"
#include "gateway/ops/recent_events.h"
#include "gateway/pipeline/stage.h"

namespace gw::ops {

// The pipeline as it is right now; read on the pipeline thread only.
struct PipelineView {
  std::string site_id;
  uint64_t policy_version = 0;
  int routes = 0;
  std::vector<std::string> actors;
  std::vector<DetectorStatus> detectors;
  bool broker_connected = false;
  bool stopping = false;
  size_t fan_out = 0;  // the room one reading needs in the outbox to be accepted
  const pipeline::Outbox* outbox = nullptr;
  const std::vector<pipeline::SourcePtr>* sources = nullptr;
  const RecentEvents* recent_events = nullptr;
};

GatewayStatus reportStatus(const PipelineView& view);

// A frame detector on one camera: the counter prefixes of its progress and of its input.
struct FrameFeed {
  std::string detector;
  std::string progress;
  std::string input;
};

// One watch per source, and one per frame detector over all the cameras it watches.
std::vector<Watch> watchesFor(const std::vector<pipeline::SourcePtr>& sources,
                              const std::vector<FrameFeed>& feeds);

}  // namespace gw::ops
