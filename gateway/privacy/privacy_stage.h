#pragma once
// The privacy stage of the routed path (docs/PRIVACY.md): for each message the router made, in
// this order,
//   1. minimise: only the route's `fields` stay;
//   2. coarsen locations to the route's `coordinate_precision_m`;
//   3. aggregate: an `aggregate` route's data is counted into its interval and goes no further;
//      finished intervals go on as `aggregate` (or, for `open_data`, `open-data`) messages;
//   4. snapshot: an event of a `snapshot` route gets its image from the evidence the frame worker
//      made (anonymised), or the raw frame, written to the audit log first;
// then hands the messages to `next` (the batcher) and, after that (so that an alarm is on its
// way before an fsync runs on this thread, decision 1020), keeps every sent event for its route's
// retention.
//
// Thread: the pipeline executor, including its 1 s timer (quiet aggregate intervals; expired
// retention periods every minute). Backpressure: none of its own; the source edge reserves room
// for the whole fan-out. Metrics: snapshots_sent_total{route,form},
// snapshots_missing_total{route,reason}, aggregates_total{route},
// aggregate_late_dropped_total{route}, retention_kept_total{route},
// retention_write_failed_total{route}, retention_periods_destroyed_total,
// retention_purge_failed_total.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>

#include "gateway/core/counters.h"
#include "gateway/pipeline/routed_message.h"
#include "gateway/privacy/aggregator.h"
#include "gateway/privacy/raw_snapshot_audit.h"

namespace gw::privacy {

struct PrivacyStageOptions {
  // Every raw snapshot is recorded here before it leaves; null: raw snapshots are withheld
  // (counted as snapshots_missing_total{reason="no_audit_log"}).
  std::unique_ptr<RawSnapshotAudit> raw_audit;
  // Sent events are kept here for their route's retention; null: not kept (no state dir).
  pipeline::RetentionSink* retention = nullptr;
};

// FailedPrecondition when a route sends raw snapshots and there is no audit log to record them.
Status requireAuditLogForRawSnapshots(const pipeline::RouteTable& routes, bool has_audit_log);

class PrivacyStage : public pipeline::RoutedSink {
 public:
  PrivacyStage(const boost::asio::any_io_executor& executor, pipeline::RoutedSink& next,
               Counters& counters, PrivacyStageOptions options);

  void deliver(std::vector<pipeline::RoutedMessage>& messages) override;
  // Destroys what expired while the gateway was down, then starts the timer.
  void start();
  // Finishes every open aggregate interval and sends it (shutdown; a reload, before the routes
  // its intervals point into go away).
  void flushAll();
  void stop();

 private:
  // False when the message does not go out by itself (its route aggregates it).
  bool apply(pipeline::RoutedMessage& item);
  void attachSnapshot(pipeline::RoutedMessage& item);
  void keepForRetention(const pipeline::Route& route, const std::string& plaintext);
  // Sends finished intervals on to `next`.
  void sendAggregates(std::vector<gateway::v1::ActorMessage>& finished);
  void flushIdle();
  void purgeRetention(const char* when);
  void scheduleTick();

  struct OpenAggregate {
    const pipeline::Route* route;
    Aggregator aggregator;
  };

  pipeline::RoutedSink& next_;
  Counters& counters_;
  PrivacyStageOptions options_;
  std::map<std::string, OpenAggregate> aggregates_;  // by route id
  boost::asio::steady_timer timer_;
  int64_t next_purge_ms_ = 0;
  bool stopped_ = false;
};

}  // namespace gw::privacy
