#include "gateway/app/frame_worker.h"

#include <boost/asio/post.hpp>

#include "gateway/privacy/snapshot.h"

namespace gw::app {
namespace {

class Collect : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event& event) override { events.push_back(event); }
  std::vector<gateway::v1::Event> events;
};

}  // namespace

FrameWorker::FrameWorker(detectors::DetectorPtr detector, sources::LatestFrameSlot& slot,
                         boost::asio::any_io_executor pipeline, EventHandler on_event,
                         Histogram& latency, std::atomic<uint64_t>& frames_processed,
                         std::unique_ptr<privacy::Anonymiser> anonymiser)
    : detector_(std::move(detector)),
      slot_(slot),
      pipeline_(std::move(pipeline)),
      on_event_(std::move(on_event)),
      latency_(latency),
      frames_processed_(frames_processed),
      anonymiser_(std::move(anonymiser)) {}

FrameWorker::~FrameWorker() {
  slot_.close();
  if (thread_.joinable()) thread_.join();
}

void FrameWorker::start() {
  thread_ = std::thread([this] { run(); });
}

void FrameWorker::run() {
  while (true) {
    pipeline::FramePtr frame = slot_.take(std::chrono::seconds(1));
    if (!frame) {
      // Null means a timeout or a closed slot; take() only blocks again while the slot is open.
      if (slot_.closed()) return;
      continue;
    }
    Collect collected;
    {
      ScopedTimer timer(latency_);
      detector_->onFrame(*frame, collected);
    }
    frames_processed_.fetch_add(1, std::memory_order_relaxed);
    for (auto& event : collected.events) {
      auto evidence = std::make_shared<CameraEvidence>();
      evidence->frame = frame;
      if (anonymiser_) {
        auto snapshot = privacy::anonymisedSnapshot(*frame, event, *anonymiser_);
        if (snapshot.ok()) {
          evidence->anonymised = std::move(snapshot).value();
        } else {
          evidence->anonymise_error = snapshot.status().message();
        }
      }
      // The handler is copied: the worker may be gone by the time the pipeline runs this.
      boost::asio::post(pipeline_, [handler = on_event_, event = std::move(event),
                                    evidence = CameraEvidencePtr(std::move(evidence))] {
        handler(event, evidence);
      });
    }
  }
}

}  // namespace gw::app
