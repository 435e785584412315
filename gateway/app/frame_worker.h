#pragma once
// Runs one frame-consuming detector on one camera's latest-frame-wins slot, on its own thread, so
// that image processing never blocks the pipeline thread. Events are posted to the pipeline.
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "gateway/core/histograms.h"
#include "gateway/detectors/detector.h"
#include "gateway/privacy/anonymiser.h"
#include "gateway/sources/camera/latest_frame_slot.h"

namespace gw::app {

// What a camera event takes along to the pipeline for the snapshot stage: the frame it was
// detected on (masks applied, immutable, shared) and, when the worker has an anonymiser, its
// anonymised snapshot, made here so that face and person detection never runs on the pipeline.
struct CameraEvidence {
  pipeline::FramePtr frame;
  std::optional<gateway::v1::Snapshot> anonymised;
  std::string anonymise_error;  // why there is none, if anonymisation was asked for and failed
};
using CameraEvidencePtr = std::shared_ptr<const CameraEvidence>;

class FrameWorker {
 public:
  // Called on the pipeline.
  using EventHandler = std::function<void(const gateway::v1::Event&, CameraEvidencePtr)>;

  // `latency` times each onFrame call; `frames_processed` counts them (the ops endpoint's stall
  // check compares it with the camera's decoded frames). `anonymiser`: non-null when a route
  // wants snapshots of this detector's events.
  FrameWorker(detectors::DetectorPtr detector, sources::LatestFrameSlot& slot,
              boost::asio::any_io_executor pipeline, EventHandler on_event, Histogram& latency,
              std::atomic<uint64_t>& frames_processed,
              std::unique_ptr<privacy::Anonymiser> anonymiser = nullptr);
  ~FrameWorker();  // joins; the camera closing the slot ends the loop

  void start();

 private:
  void run();

  detectors::DetectorPtr detector_;
  sources::LatestFrameSlot& slot_;
  boost::asio::any_io_executor pipeline_;
  EventHandler on_event_;
  Histogram& latency_;
  std::atomic<uint64_t>& frames_processed_;
  std::unique_ptr<privacy::Anonymiser> anonymiser_;
  std::thread thread_;
};

}  // namespace gw::app
