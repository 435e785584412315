#include "gateway/app/data_path.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <set>

namespace gw::app {
namespace {

// The dry run's end of the routed path: each message goes to the sink, nothing is sealed.
class Recording : public pipeline::RoutedSink {
 public:
  explicit Recording(DryRunSink sink) : sink_(std::move(sink)) {}
  void deliver(std::vector<pipeline::RoutedMessage>& messages) override {
    for (const auto& m : messages) sink_(m.route->actor(), pipeline::topicKind(m.kind), m.message);
  }

 private:
  DryRunSink sink_;
};

// One reading matches at most every route, and each detector emits at most one event per reading
// that again matches at most every route; each routed message may become up to 3 envelopes (a
// final checkpoint, a KEY and the DATA): the room a reading needs in the outbox.
size_t worstFanOut(const config::ResolvedPolicy& policy, size_t detectors) {
  return policy.routes.routes.size() * (1 + detectors) * 3;
}

}  // namespace

DataPath::DataPath(boost::asio::any_io_executor executor, pipeline::Outbox& outbox,
                   Counters& counters, Histograms& histograms)
    : executor_(std::move(executor)),
      outbox_(outbox),
      counters_(counters),
      histograms_(histograms) {}

Result<std::unique_ptr<DataPath>> DataPath::create(config::ResolvedPolicyPtr policy,
                                                   boost::asio::any_io_executor executor,
                                                   pipeline::Outbox& outbox,
                                                   pipeline::OutboxDrain& drain, Counters& counters,
                                                   Histograms& histograms,
                                                   const DataPathOptions& options) {
  std::unique_ptr<DataPath> path(new DataPath(std::move(executor), outbox, counters, histograms));
  GW_RETURN_IF_ERROR(path->initEnd(*policy, drain, options));
  GW_RETURN_IF_ERROR(path->reload(std::move(policy)));
  return path;
}

Status DataPath::initEnd(const config::ResolvedPolicy& policy, pipeline::OutboxDrain& drain,
                         const DataPathOptions& options) {
  const std::string& site = policy.policy.site().id();
  pipeline::RoutedSink* end = nullptr;
  if (options.dry_run) {
    dry_run_ = std::make_unique<Recording>(options.dry_run);
    end = dry_run_.get();
  } else {
    auto sealing = crypto::SealingSink::open(policy.policy.gateway().identity_key_file(), site,
                                             options.state_dir, policy.sealer, outbox_, drain,
                                             counters_, executor_);
    if (!sealing.ok()) return sealing.status();
    sealing_ = std::move(sealing).value();
    end = sealing_.get();
  }
  // Batching under a backlog asks how many messages wait to be handed to the broker (a dry run
  // has no outbox worth asking).
  router::BatchingStage::WaitingProbe waiting;
  if (!options.dry_run) waiting = [this] { return outbox_.size() - outbox_.inFlight(); };
  batching_ = std::make_unique<router::BatchingStage>(executor_, *end, counters_, waiting);

  privacy::PrivacyStageOptions privacy;
  if (!options.state_dir.empty()) {
    const auto dir = std::filesystem::path(options.state_dir);
    privacy.raw_audit =
        std::make_unique<privacy::RawSnapshotAudit>(dir / "audit" / "raw_snapshots.jsonl");
    retention::RetentionOptions kept;
    kept.dir = dir / "retention";
    auto store = retention::RetentionStore::open(std::move(kept));
    if (!store.ok()) return store.status();
    retention_ = std::move(store).value();
    privacy.retention = retention_.get();
  } else if (!options.dry_run) {
    GW_RETURN_IF_ERROR(privacy::requireAuditLogForRawSnapshots(policy.routes, false));
    spdlog::warn("Gateway has no --state-dir: events and snapshots are not kept on the box");
  }
  privacy_ =
      std::make_unique<privacy::PrivacyStage>(executor_, *batching_, counters_, std::move(privacy));
  return okStatus();
}

Status DataPath::reload(config::ResolvedPolicyPtr policy) {
  const auto& site = policy->policy.site();
  auto detectors = detectors::DetectorSet::create(
      policy->policy.detectors(), counters_, histograms_,
      site.has_location() ? std::optional(site.location()) : std::nullopt);
  if (!detectors.ok()) return detectors.status();
  std::set<std::string> removed;
  if (policy_) {
    // Batches and open intervals point into the running routes: send them before they go.
    batching_->flushAll();
    privacy_->flushAll();
    for (const auto& [actor, key] : policy_->actor_keys) {
      if (!policy->actor_keys.count(actor)) removed.insert(actor);
    }
  }
  detectors_ = std::move(detectors).value();
  router_ = std::make_unique<router::Router>(config::routeTable(policy), counters_);
  fan_out_ = worstFanOut(*policy, detectors_->size());
  policy_ = std::move(policy);
  batching_->setBacklogBatching(policy_->backlog_batching);
  // A removed actor's stream ends; a changed key starts a new epoch sealed to the new key.
  if (sealing_) sealing_->setActors(policy_->actor_keys);
  // An actor the new policy removed receives nothing more, not even what was queued for it:
  // that goes to the dead-letter area, where the operator can still resend it (decision 1300).
  for (const auto& actor : removed) {
    const size_t set_aside = outbox_.deadLetterUnsent(actor);
    spdlog::info("Policy reload removed actor={} queued_messages_dead_lettered={}", actor,
                 set_aside);
  }
  return okStatus();
}

void DataPath::start() {
  if (sealing_) sealing_->start();
  privacy_->start();
}

void DataPath::stop() {
  stopping_ = true;
  batching_->flushAll();
  batching_->stop();
  privacy_->flushAll();
  privacy_->stop();
  if (sealing_) sealing_->flush();  // so actors can verify the tail too
}

Status DataPath::accept(const gateway::v1::Reading& reading) {
  if (stopping_) return unavailable("gateway is shutting down");
  if (!outbox_.hasRoom(fan_out_)) return resourceExhausted("outbox full");
  detectors_->onReading(reading, *this);
  scratch_.clear();
  router_->route(reading, &scratch_);
  privacy_->deliver(scratch_);
  return okStatus();
}

void DataPath::emit(const gateway::v1::Event& event) { route(event, nullptr); }

void DataPath::emitCameraEvent(const gateway::v1::Event& event,
                               const pipeline::CameraEvidencePtr& evidence) {
  route(event, evidence);
}

void DataPath::route(const gateway::v1::Event& event, const pipeline::CameraEvidencePtr& evidence) {
  recent_events_.record(event);
  std::vector<pipeline::RoutedMessage> routed;
  router_->route(event, &routed, evidence);
  privacy_->deliver(routed);
}

}  // namespace gw::app
