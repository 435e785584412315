#pragma once
// Runs one frame-consuming detector on one camera, on its own thread, so that image processing
// never blocks the pipeline thread. The camera -> detector edge is the camera's latest-frame-wins
// slot (pipeline/latest_frame_slot.h): a slow detector always works on the newest frame and
// memory never grows. For each event it makes the evidence (the frame; an anonymised snapshot
// when a route wants one) with the privacy stage's MakeEvidence, on this thread, then posts
// event and evidence to the pipeline.
//
// Metrics: detector_frames_total{detector,camera} (the ops stall check compares it with the
// camera's decoded frames), detector_latency_seconds{detector} per onFrame call.
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
              EventHandler on_event, Histogram& latency, Counters& counters,
              pipeline::MakeEvidence make_evidence);
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
  Histogram& latency_;
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
