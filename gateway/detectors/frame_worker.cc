#include "gateway/detectors/frame_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "gateway/detectors/factory.h"

namespace gw::detectors {
namespace {

class Collect : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event& event) override { events.push_back(event); }
  std::vector<gateway::v1::Event> events;
};

std::string framesKey(const std::string& detector, const std::string& camera) {
  return counterKey("detector_frames_total", {{"detector", detector}, {"camera", camera}});
}

}  // namespace

Result<std::unique_ptr<FrameWorker>> FrameWorker::create(const gateway::v1::Detector& config,
                                                         Camera camera,
                                                         boost::asio::any_io_executor pipeline,
                                                         EventHandler on_event, Counters& counters,
                                                         Histograms& histograms,
                                                         pipeline::MakeEvidence make_evidence) {
  HostContext host;
  host.counters = &counters;
  host.latency =
      &histograms.get(counterKey("detector_latency_seconds", {{"detector", config.id()}}));
  host.roundtrip =
      &histograms.get(counterKey("detector_roundtrip_seconds", {{"detector", config.id()}}));
  auto detector = createDetector(config, host);
  if (!detector.ok()) return detector.status();
  if (!(*detector)->wantsFrames()) {
    spdlog::warn("Detector takes no frames detector={} camera={}", config.id(), camera.id);
    return std::unique_ptr<FrameWorker>();
  }
  return std::make_unique<FrameWorker>(std::move(detector).value(), std::move(camera),
                                       std::move(pipeline), std::move(on_event), counters,
                                       std::move(make_evidence));
}

FrameWorker::FrameWorker(DetectorPtr detector, Camera camera, boost::asio::any_io_executor pipeline,
                         EventHandler on_event, Counters& counters,
                         pipeline::MakeEvidence make_evidence)
    : detector_(std::move(detector)),
      camera_(std::move(camera)),
      slot_(camera_.frames.addConsumer("detector:" + detector_->id())),
      pipeline_(std::move(pipeline)),
      on_event_(std::move(on_event)),
      frames_processed_(counters.get(framesKey(detector_->id(), camera_.id))),
      make_evidence_(std::move(make_evidence)) {}

FrameWorker::~FrameWorker() {
  slot_.close();
  if (thread_.joinable()) thread_.join();
}

void FrameWorker::start() {
  thread_ = std::thread([this] { run(); });
}

std::string FrameWorker::progressCounter() const {
  return "detector_frames_total{detector=\"" + detector_->id() + "\",camera=\"" + camera_.id + "\"";
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
    // Called or skipped by the host (backing off, disabled): either way this frame is done.
    detector_->onFrame(*frame, collected);
    frames_processed_.fetch_add(1, std::memory_order_relaxed);
    for (auto& event : collected.events) {
      // A frame carries no position: the camera's place goes on the event.
      if (!event.has_location()) *event.mutable_location() = camera_.frames.location();
      auto evidence = make_evidence_(frame, event);
      // The handler is copied: the worker may be gone by the time the pipeline runs this.
      boost::asio::post(pipeline_, [handler = on_event_, event = std::move(event),
                                    evidence = std::move(evidence)] { handler(event, evidence); });
    }
  }
}

Result<std::vector<std::unique_ptr<FrameWorker>>> createFrameWorkers(
    const google::protobuf::RepeatedPtrField<gateway::v1::Detector>& configs,
    const std::vector<pipeline::SourcePtr>& sources, const EvidenceFor& evidence_for,
    const boost::asio::any_io_executor& pipeline, const FrameWorker::EventHandler& on_event,
    Counters& counters, Histograms& histograms) {
  std::vector<std::unique_ptr<FrameWorker>> workers;
  for (const auto& config : configs) {
    for (const auto& source : sources) {
      const auto& watched = config.sources();
      if (source->frames() == nullptr ||
          std::find(watched.begin(), watched.end(), source->id()) == watched.end()) {
        continue;
      }
      auto evidence = evidence_for(config.id());
      if (!evidence.ok()) return evidence.status();
      auto worker =
          FrameWorker::create(config, {source->id(), *source->frames()}, pipeline, on_event,
                              counters, histograms, std::move(evidence).value());
      if (!worker.ok()) return worker.status();
      if (*worker) workers.push_back(std::move(worker).value());
    }
  }
  return workers;
}

}  // namespace gw::detectors
