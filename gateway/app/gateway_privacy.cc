// The privacy stage after routing, wired into the gateway: coordinates, snapshots, aggregates and
// open data, retention (docs/PRIVACY.md). Kept apart from gateway.cc, which only calls in.
#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "gateway/app/gateway.h"
#include "gateway/app/snapshot_routes.h"
#include "gateway/core/clock.h"
#include "gateway/core/durations.h"
#include "gateway/pipeline/topics.h"
#include "gateway/privacy/coordinates.h"
#include "gateway/privacy/snapshot.h"

namespace gw::app {
namespace {

constexpr auto kPrivacyTick = std::chrono::seconds(1);
constexpr int64_t kPurgeEveryMs = 60'000;

bool wantsSnapshot(const gateway::v1::Route& route) {
  return route.snapshot() == gateway::v1::SNAPSHOT_MODE_ANONYMISED ||
         route.snapshot() == gateway::v1::SNAPSHOT_MODE_RAW;
}

int64_t durationMs(const std::string& text, double fallback_s) {
  return static_cast<int64_t>(parseDurationSeconds(text).value_or(fallback_s) * 1000);
}

const gateway::v1::Route* findRoute(const gateway::v1::Policy& policy, const std::string& id) {
  for (const auto& route : policy.routes()) {
    if (route.id() == id) return &route;
  }
  return nullptr;
}

}  // namespace

bool routesWantSnapshots(const gateway::v1::Policy& policy, const std::string& detector_id) {
  for (const auto& route : policy.routes()) {
    const auto& detectors = route.from().detectors();
    if (wantsSnapshot(route) &&
        std::find(detectors.begin(), detectors.end(), detector_id) != detectors.end()) {
      return true;
    }
  }
  return false;
}

Result<std::unique_ptr<privacy::Anonymiser>> snapshotAnonymiser(const gateway::v1::Policy& policy,
                                                                const std::string& detector_id) {
  if (!routesWantSnapshots(policy, detector_id)) return std::unique_ptr<privacy::Anonymiser>();
  return privacy::Anonymiser::create();
}

Status Gateway::initPrivacy() {
  const auto& policy = initial_policy_->policy;
  bool raw = false;
  for (const auto& route : policy.routes()) {
    raw = raw || route.snapshot() == gateway::v1::SNAPSHOT_MODE_RAW;
  }
  if (options_.state_dir.empty()) {
    if (raw && !dryRun()) {
      return failedPrecondition(
          "the policy has a raw snapshot route, and every raw snapshot must be written to the "
          "audit log in the state directory: start gatewayd with --state-dir");
    }
    if (!dryRun()) {
      spdlog::warn("Gateway has no --state-dir: events and snapshots are not kept on the box");
    }
    return okStatus();
  }
  const auto dir = std::filesystem::path(options_.state_dir);
  raw_audit_ = std::make_unique<privacy::RawSnapshotAudit>(dir / "audit" / "raw_snapshots.jsonl");
  retention::RetentionOptions options;
  options.dir = dir / "retention";
  auto store = retention::RetentionStore::open(std::move(options));
  if (!store.ok()) return store.status();
  retention_ = std::move(store).value();
  if (auto purged = retention_->purgeExpired(); purged.ok() && *purged > 0) {
    spdlog::info("Retention destroyed expired periods at start periods={}", *purged);
  }
  return okStatus();
}

void Gateway::emitCameraEvent(const gateway::v1::Event& event, CameraEvidencePtr evidence) {
  camera_evidence_ = std::move(evidence);
  emit(event);
  camera_evidence_.reset();
}

bool Gateway::applyPrivacy(router::RoutedMessage& item) {
  const auto& route = *item.route;
  privacy::coarsenLocations(&item.message, route.coordinate_precision_m());
  if (route.has_aggregate()) {
    auto [it, inserted] =
        aggregators_.try_emplace(route.id(), durationMs(route.aggregate().interval(), 15 * 60));
    std::vector<gateway::v1::ActorMessage> finished;
    if (!it->second.add(item.message, nowUnixMs(), &finished)) {
      counters_.add(counterKey("aggregate_late_dropped_total", {{"route", route.id()}}));
    }
    sendAggregates(finished);
    return false;
  }
  if (item.kind == "event" && wantsSnapshot(route)) attachSnapshot(item);
  return true;
}

void Gateway::attachSnapshot(router::RoutedMessage& item) {
  const auto& route = *item.route;
  auto missing = [&](const std::string& reason) {
    counters_.add(
        counterKey("snapshots_missing_total", {{"route", route.id()}, {"reason", reason}}));
  };
  // Only camera events carry evidence; a sensor event on a snapshot route goes without an image.
  if (!camera_evidence_) return missing("not_a_camera_event");
  if (route.snapshot() == gateway::v1::SNAPSHOT_MODE_ANONYMISED) {
    if (!camera_evidence_->anonymised) {
      spdlog::warn("No anonymised snapshot route={} error=\"{}\"", route.id(),
                   camera_evidence_->anonymise_error);
      return missing("anonymisation_failed");
    }
    *item.message.mutable_snapshot() = *camera_evidence_->anonymised;
    counters_.add(
        counterKey("snapshots_sent_total", {{"route", route.id()}, {"form", "anonymised"}}));
    return;
  }
  // Raw: the validator guaranteed a legal basis; initPrivacy() an audit log outside dry runs.
  if (!raw_audit_) return missing("no_audit_log");
  auto raw = privacy::rawSnapshot(*camera_evidence_->frame);
  if (!raw.ok()) return missing("encoding_failed");
  if (Status s = raw_audit_->record(route, item.message, *raw, nowUnixMs()); !s.ok()) {
    // Not audited, not sent.
    spdlog::error("Raw snapshot withheld: audit failed route={} error=\"{}\"", route.id(),
                  s.message());
    return missing("audit_failed");
  }
  *item.message.mutable_snapshot() = std::move(raw).value();
  counters_.add(counterKey("snapshots_sent_total", {{"route", route.id()}, {"form", "raw"}}));
}

void Gateway::keepForRetention(const router::RoutedMessage& item) {
  if (!retention_ || item.kind != "event") return;
  const int64_t retention_ms = durationMs(item.route->retention(), 72 * 3600);
  if (Status s = retention_->put(item.route->id(), retention_ms, item.message.SerializeAsString());
      !s.ok()) {
    spdlog::error("Retention store failed route={} error=\"{}\"", item.route->id(), s.message());
    counters_.add(counterKey("retention_write_failed_total", {{"route", item.route->id()}}));
    return;
  }
  counters_.add(counterKey("retention_kept_total", {{"route", item.route->id()}}));
}

void Gateway::sealAndEnqueue(const std::string& actor, const std::string& kind,
                             pipeline::Priority priority,
                             const gateway::v1::ActorMessage& message) {
  sealed_scratch_.clear();
  if (Status s = sealer_->seal(actor, message, nowUnixMs(), &sealed_scratch_); !s.ok()) {
    spdlog::error("Seal failed actor={} error=\"{}\"", actor, s.message());
    counters_.add(counterKey("seal_failed_total", {{"actor", actor}}));
    return;
  }
  for (auto& envelope : sealed_scratch_) enqueue(actor, kind, priority, std::move(envelope));
}

void Gateway::sendAggregates(std::vector<gateway::v1::ActorMessage>& finished) {
  const auto& policy = routing_->policy->policy;
  for (auto& message : finished) {
    const auto* route = findRoute(policy, message.route_id());
    if (route == nullptr) continue;  // removed by a reload: its actor gets nothing more
    counters_.add(counterKey("aggregates_total", {{"route", route->id()}}));
    if (!route->open_data()) {
      if (dryRun()) {
        options_.dry_run_sink(route->to(), "aggregate", message);
      } else {
        sealAndEnqueue(route->to(), "aggregate", pipeline::Priority::kMeasurement, message);
      }
      continue;
    }
    // Open data: plain JSON for anyone. The validator allows only aggregates here.
    if (dryRun()) {
      options_.dry_run_sink(route->to(), pipeline::kOpenDataKind, message);
      continue;
    }
    std::string json;
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    if (!google::protobuf::util::MessageToJsonString(message, &json, print).ok()) continue;
    pipeline::OutboundMessage out{route->to(), pipeline::openDataTopic(policy.site().id()),
                                  std::move(json), pipeline::Priority::kMeasurement};
    counters_.add(counterKey("open_data_published_total", {{"route", route->id()}}));
    if (Status s = outbox_->append(std::move(out)); !s.ok()) {
      spdlog::error("Outbox rejected open data route={} error=\"{}\"", route->id(), s.message());
    }
  }
  if (!finished.empty() && !dryRun() && publisher_) publisher_->pump();
}

void Gateway::flushAggregates(bool all) {
  std::vector<gateway::v1::ActorMessage> finished;
  const int64_t now = nowUnixMs();
  for (auto& [route, aggregator] : aggregators_) {
    if (all) {
      aggregator.flushAll(now, &finished);
    } else {
      aggregator.flushIdle(now, &finished);
    }
  }
  sendAggregates(finished);
  if (all) aggregators_.clear();
}

void Gateway::schedulePrivacyTimer() {
  privacy_timer_.expires_after(kPrivacyTick);
  privacy_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    flushAggregates(/*all=*/false);
    const int64_t now = nowUnixMs();
    if (retention_ && now >= next_purge_ms_) {
      next_purge_ms_ = now + kPurgeEveryMs;
      auto purged = retention_->purgeExpired();
      if (!purged.ok()) {
        spdlog::error("Retention purge failed error=\"{}\"", purged.status().message());
        counters_.add("retention_purge_failed_total");
      } else if (*purged > 0) {
        counters_.add("retention_periods_destroyed_total", *purged);
        spdlog::info("Retention destroyed expired periods={}", *purged);
      }
    }
    schedulePrivacyTimer();
  });
}

}  // namespace gw::app
