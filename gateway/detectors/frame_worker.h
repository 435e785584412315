#pragma once
// Runs one frame-consuming detector on one camera, on its own thread, so that image processing
// never blocks the pipeline thread. The camera -> detector edge is the camera's latest-frame-wins
// slot (pipeline/latest_frame_slot.h): a slow detector always works on the newest frame and
// memory never grows. For each event it makes the evidence (the frame; an anonymised snapshot
// when a route wants one) with the privacy stage's MakeEvidence, on this thread, then posts
// event and evidence to the pipeline.
//
// A detector that overran its time budget skips frames for a while (host/overrun_guard.h); the
// worker still takes each frame from the slot and hands it over, so a skipped frame is gone and
// after the backoff the detector gets the newest frame, never one from before it.
//
// Metrics: detector_frames_total{detector,camera}, each frame taken from the slot, called or
// skipped (the ops stall check compares it with the camera's decoded frames: a detector that
// backs off or is disabled is not stuck, and /healthz reports a disabled one by itself); the host
// observes detector_latency_seconds{detector} per call it makes.
#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "gateway/core/counters.h"
#include "gateway/core/histograms.h"
#include "gateway/detectors/detector.h"
#include "gateway/pipeline/camera_evidence.h"
#include "gateway/pipeline/frame_source.h"
#include "gateway/pipeline/stage.h"
#include "gateway/v1/policy.pb.h"

namespace gw::detectors {

class FrameWorker {
 public:
  // Called on the pipeline.
  using EventHandler = std::function<void(const gateway::v1::Event&, pipeline::CameraEvidencePtr)>;

  struct Camera {
    std::string id;
    pipeline::FrameSource& frames;
  };

  // A worker for `config` on `camera`: the detector gets its own instance (frames arrive on the
  // worker thread, readings on the pipeline thread). Null, with a warning, when the detector
  // takes no frames.
  static Result<std::unique_ptr<FrameWorker>> create(const gateway::v1::Detector& config,
                                                     Camera camera,
                                                     boost::asio::any_io_executor pipeline,
                                                     EventHandler on_event, Counters& counters,
                                                     Histograms& histograms,
                                                     pipeline::MakeEvidence make_evidence);

  FrameWorker(DetectorPtr detector, Camera camera, boost::asio::any_io_executor pipeline,
              EventHandler on_event, Counters& counters, pipeline::MakeEvidence make_evidence);
  ~FrameWorker();  // joins; the camera closing the slot ends the loop

  void start();
  const std::string& detectorId() const { return detector_->id(); }
  // Counter-key prefixes for the ops stall check: this worker's progress, and its input.
  std::string progressCounter() const;
  std::string inputCounter() const { return camera_.frames.framesCounter(); }

 private:
  void run();

  DetectorPtr detector_;
  Camera camera_;
  pipeline::LatestFrameSlot& slot_;
  boost::asio::any_io_executor pipeline_;
  EventHandler on_event_;
  std::atomic<uint64_t>& frames_processed_;
  pipeline::MakeEvidence make_evidence_;
  std::thread thread_;
};

// The privacy stage's evidence maker for a detector's events (privacy/snapshot_evidence.h).
using EvidenceFor = std::function<Result<pipeline::MakeEvidence>(const std::string& detector_id)>;

// One worker per frame-consuming detector of `configs` on each camera among `sources` it
// watches, in policy order. Readings-only detectors get none.
Result<std::vector<std::unique_ptr<FrameWorker>>> createFrameWorkers(
    const google::protobuf::RepeatedPtrField<gateway::v1::Detector>& configs,
    const std::vector<pipeline::SourcePtr>& sources, const EvidenceFor& evidence_for,
    const boost::asio::any_io_executor& pipeline, const FrameWorker::EventHandler& on_event,
    Counters& counters, Histograms& histograms);

}  // namespace gw::detectors
