#include "gateway/privacy/privacy_stage.h"

#include <spdlog/spdlog.h>

#include "gateway/core/clock.h"
#include "gateway/privacy/coordinates.h"
#include "gateway/privacy/minimiser.h"
#include "gateway/privacy/snapshot.h"

namespace gw::privacy {
namespace {

constexpr auto kTick = std::chrono::seconds(1);
constexpr int64_t kPurgeEveryMs = 60'000;

}  // namespace

Status requireAuditLogForRawSnapshots(const pipeline::RouteTable& routes, bool has_audit_log) {
  if (has_audit_log) return okStatus();
  for (const auto& route : routes.routes) {
    if (route.spec->snapshot() == gateway::v1::SNAPSHOT_MODE_RAW) {
      return failedPrecondition(
          "the policy has a raw snapshot route, and every raw snapshot must be written to the "
          "audit log in the state directory: start gatewayd with --state-dir");
    }
  }
  return okStatus();
}

PrivacyStage::PrivacyStage(const boost::asio::any_io_executor& executor, pipeline::RoutedSink& next,
                           Counters& counters, PrivacyStageOptions options)
    : next_(next), counters_(counters), options_(std::move(options)), timer_(executor) {}

void PrivacyStage::deliver(std::vector<pipeline::RoutedMessage>& messages) {
  std::vector<pipeline::RoutedMessage> out;
  out.reserve(messages.size());
  for (auto& item : messages) {
    if (apply(item)) out.push_back(std::move(item));
  }
  if (out.empty()) return;
  // Events are kept as they are sent; the stages after this one may move the messages.
  std::vector<std::pair<const pipeline::Route*, std::string>> to_keep;
  if (options_.retention) {
    for (const auto& item : out) {
      if (item.kind == pipeline::DataKind::kEvent) {
        to_keep.emplace_back(item.route, item.message.SerializeAsString());
      }
    }
  }
  next_.deliver(out);
  for (const auto& [route, plaintext] : to_keep) keepForRetention(*route, plaintext);
}

bool PrivacyStage::apply(pipeline::RoutedMessage& item) {
  const auto& route = *item.route;
  minimise(&item.message, {route.spec->fields().begin(), route.spec->fields().end()});
  coarsenLocations(&item.message, route.spec->coordinate_precision_m());
  if (route.aggregate_interval) {
    auto [it, inserted] = aggregates_.try_emplace(
        route.id(), OpenAggregate{&route, Aggregator(route.aggregate_interval->count())});
    std::vector<gateway::v1::ActorMessage> finished;
    if (!it->second.aggregator.add(item.message, nowUnixMs(), &finished)) {
      counters_.add(counterKey("aggregate_late_dropped_total", {{"route", route.id()}}));
    }
    sendAggregates(finished);
    return false;
  }
  if (item.kind == pipeline::DataKind::kEvent && route.wantsSnapshot()) attachSnapshot(item);
  return true;
}

void PrivacyStage::attachSnapshot(pipeline::RoutedMessage& item) {
  const auto& route = *item.route;
  auto missing = [&](const std::string& reason) {
    counters_.add(
        counterKey("snapshots_missing_total", {{"route", route.id()}, {"reason", reason}}));
  };
  // Only camera events carry evidence; a sensor event on a snapshot route goes without an image.
  const auto& evidence = item.evidence;
  if (!evidence) return missing("not_a_camera_event");
  if (route.spec->snapshot() == gateway::v1::SNAPSHOT_MODE_ANONYMISED) {
    if (!evidence->anonymised && evidence->anonymise_error.empty()) {
      // The frame worker had no anonymiser: the route was added by a reload, and frame workers
      // (with their anonymisers) change only at the next restart.
      return missing("needs_restart");
    }
    if (!evidence->anonymised) {
      spdlog::warn("No anonymised snapshot route={} error=\"{}\"", route.id(),
                   evidence->anonymise_error);
      return missing("anonymisation_failed");
    }
    *item.message.mutable_snapshot() = *evidence->anonymised;
    counters_.add(
        counterKey("snapshots_sent_total", {{"route", route.id()}, {"form", "anonymised"}}));
    return;
  }
  // Raw: the rules guaranteed a legal basis, the wiring an audit log outside dry runs.
  if (!options_.raw_audit) return missing("no_audit_log");
  auto raw = rawSnapshot(*evidence->frame);
  if (!raw.ok()) return missing("encoding_failed");
  if (Status s = options_.raw_audit->record(*route.spec, item.message, *raw, nowUnixMs());
      !s.ok()) {
    // Not audited, not sent.
    spdlog::error("Raw snapshot withheld: audit failed route={} error=\"{}\"", route.id(),
                  s.message());
    return missing("audit_failed");
  }
  *item.message.mutable_snapshot() = std::move(raw).value();
  counters_.add(counterKey("snapshots_sent_total", {{"route", route.id()}, {"form", "raw"}}));
}

void PrivacyStage::keepForRetention(const pipeline::Route& route, const std::string& plaintext) {
  const auto& route_id = route.id();
  if (Status s = options_.retention->put(route_id, route.retention.count(), plaintext); !s.ok()) {
    spdlog::error("Retention store failed route={} error=\"{}\"", route_id, s.message());
    counters_.add(counterKey("retention_write_failed_total", {{"route", route_id}}));
    return;
  }
  counters_.add(counterKey("retention_kept_total", {{"route", route_id}}));
}

void PrivacyStage::sendAggregates(std::vector<gateway::v1::ActorMessage>& finished) {
  std::vector<pipeline::RoutedMessage> out;
  for (auto& message : finished) {
    auto open = aggregates_.find(message.route_id());
    if (open == aggregates_.end()) continue;  // cannot happen: each came from its aggregator
    const pipeline::Route& route = *open->second.route;
    counters_.add(counterKey("aggregates_total", {{"route", route.id()}}));
    // Open data is plain JSON for anyone (the sealing sink's business); the rules allow only
    // aggregates there.
    const auto kind =
        route.spec->open_data() ? pipeline::DataKind::kOpenData : pipeline::DataKind::kAggregate;
    out.push_back({&route, kind, pipeline::Priority::kMeasurement, std::move(message), nullptr});
  }
  if (!out.empty()) next_.deliver(out);
}

void PrivacyStage::flushIdle() {
  std::vector<gateway::v1::ActorMessage> finished;
  const int64_t now = nowUnixMs();
  for (auto& [route, open] : aggregates_) open.aggregator.flushIdle(now, &finished);
  sendAggregates(finished);
}

void PrivacyStage::flushAll() {
  std::vector<gateway::v1::ActorMessage> finished;
  const int64_t now = nowUnixMs();
  for (auto& [route, open] : aggregates_) open.aggregator.flushAll(now, &finished);
  sendAggregates(finished);
  // The intervals end with the routes they belong to: a reload starts afresh.
  aggregates_.clear();
}

void PrivacyStage::start() {
  purgeRetention(" at start");
  next_purge_ms_ = nowUnixMs() + kPurgeEveryMs;
  scheduleTick();
}

void PrivacyStage::stop() {
  stopped_ = true;
  timer_.cancel();
}

void PrivacyStage::purgeRetention(const char* when) {
  if (!options_.retention) return;
  auto purged = options_.retention->purgeExpired();
  if (!purged.ok()) {
    spdlog::error("Retention purge failed error=\"{}\"", purged.status().message());
    counters_.add("retention_purge_failed_total");
  } else if (*purged > 0) {
    counters_.add("retention_periods_destroyed_total", *purged);
    spdlog::info("Retention destroyed expired periods{} periods={}", when, *purged);
  }
}

void PrivacyStage::scheduleTick() {
  timer_.expires_after(kTick);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    flushIdle();
    if (const int64_t now = nowUnixMs(); now >= next_purge_ms_) {
      next_purge_ms_ = now + kPurgeEveryMs;
      purgeRetention("");
    }
    scheduleTick();
  });
}

}  // namespace gw::privacy
