#pragma once
// The data path of one site, wired from a resolved policy:
//   Reading -> detectors -> router -> privacy -> batching -> sealing (or a dry run's recording)
//                             ^-- Event (detectors, frame workers, camera health)
// Each stage owns its logic (docs/ARCHITECTURE.md); this only connects them, and swaps the
// policy-dependent parts (detectors, router, actors) whole on a reload. Pipeline thread only.
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <string_view>

#include "gateway/config/resolved_policy.h"
#include "gateway/core/histograms.h"
#include "gateway/crypto/sealing_sink.h"
#include "gateway/detectors/detector_set.h"
#include "gateway/ops/recent_events.h"
#include "gateway/privacy/privacy_stage.h"
#include "gateway/retention/retention_store.h"
#include "gateway/router/batching_stage.h"
#include "gateway/router/router.h"

namespace gw::app {

// A dry run's end of the path, in place of sealing: each message as it would be sealed.
using DryRunSink = std::function<void(const std::string& actor, std::string_view kind,
                                      const gateway::v1::ActorMessage& message)>;

struct DataPathOptions {
  // Retention, the raw-snapshot audit log, stream positions, the identity; empty: none of them.
  std::string state_dir;
  DryRunSink dry_run;  // set: nothing is sealed, nothing is kept, no checkpoints
};

class DataPath : public pipeline::ReadingSink, public pipeline::EventSink {
 public:
  static Result<std::unique_ptr<DataPath>> create(config::ResolvedPolicyPtr policy,
                                                  boost::asio::any_io_executor executor,
                                                  pipeline::Outbox& outbox,
                                                  pipeline::OutboxDrain& drain, Counters& counters,
                                                  Histograms& histograms,
                                                  const DataPathOptions& options);

  // ResourceExhausted while the outbox lacks room for the reading's whole fan-out (the source
  // keeps it and offers it again); Unavailable once stopping.
  Status accept(const gateway::v1::Reading& reading) override;
  void emit(const gateway::v1::Event& event) override;
  // A frame worker's event, with the frame and snapshot it takes along.
  void emitCameraEvent(const gateway::v1::Event& event,
                       const pipeline::CameraEvidencePtr& evidence);

  // Takes over `policy`'s routes, actors and detectors between two readings; on an error the
  // running ones stay. What was queued for an actor it removes is dropped.
  Status reload(config::ResolvedPolicyPtr policy);
  void start();
  // Shutdown: refuses readings, releases batches and aggregates, seals final checkpoints.
  void stop();
  // Records the streams' positions (after the outbox drained).
  Status close() { return sealing_ ? sealing_->close() : okStatus(); }

  const config::ResolvedPolicy& policy() const { return *policy_; }
  size_t detectors() const { return detectors_->size(); }
  size_t fanOut() const { return fan_out_; }
  bool stopping() const { return stopping_; }
  const ops::RecentEvents& recentEvents() const { return recent_events_; }

 private:
  DataPath(boost::asio::any_io_executor executor, pipeline::Outbox& outbox, Counters& counters,
           Histograms& histograms);
  Status initEnd(const config::ResolvedPolicy& policy, pipeline::OutboxDrain& drain,
                 const DataPathOptions& options);
  void route(const gateway::v1::Event& event, const pipeline::CameraEvidencePtr& evidence);

  boost::asio::any_io_executor executor_;
  pipeline::Outbox& outbox_;
  Counters& counters_;
  Histograms& histograms_;
  config::ResolvedPolicyPtr policy_;
  std::unique_ptr<detectors::DetectorSet> detectors_;
  std::unique_ptr<router::Router> router_;
  size_t fan_out_ = 0;
  // The routed path, last stage first (each holds a reference to the next).
  std::unique_ptr<crypto::SealingSink> sealing_;  // null in a dry run
  std::unique_ptr<pipeline::RoutedSink> dry_run_;
  std::unique_ptr<router::BatchingStage> batching_;
  std::unique_ptr<retention::RetentionStore> retention_;  // null without a state dir
  std::unique_ptr<privacy::PrivacyStage> privacy_;
  std::vector<pipeline::RoutedMessage> scratch_;
  ops::RecentEvents recent_events_;
  bool stopping_ = false;
};

}  // namespace gw::app
