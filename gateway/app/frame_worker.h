#pragma once
// Runs one frame-consuming detector on one camera's latest-frame-wins slot, on its own thread, so
// that image processing never blocks the pipeline thread. Events are posted to the pipeline.
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <thread>

#include "gateway/core/histograms.h"
#include "gateway/detectors/detector.h"
#include "gateway/sources/camera/latest_frame_slot.h"

namespace gw::app {

class FrameWorker {
 public:
  using EventHandler = std::function<void(const gateway::v1::Event&)>;  // called on the pipeline

  // `latency` times each onFrame call; `frames_processed` counts them (the ops endpoint's stall
  // check compares it with the camera's decoded frames).
  FrameWorker(detectors::DetectorPtr detector, sources::LatestFrameSlot& slot,
              boost::asio::any_io_executor pipeline, EventHandler on_event, Histogram& latency,
              std::atomic<uint64_t>& frames_processed);
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
  std::thread thread_;
};

}  // namespace gw::app
