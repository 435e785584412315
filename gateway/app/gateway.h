#pragma once
// Wires the pipeline of one site together and runs it:
//   sources -> detectors -> router -> privacy (minimise) -> crypto (seal) -> outbox -> publisher
// Everything except Paho's own threads runs on one Asio io_context thread (docs/ARCHITECTURE.md).
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "gateway/app/frame_worker.h"
#include "gateway/app/routing_state.h"
#include "gateway/config/policy_loader.h"
#include "gateway/core/counters.h"
#include "gateway/core/histograms.h"
#include "gateway/crypto/gateway_sealer.h"
#include "gateway/crypto/key_file.h"
#include "gateway/detectors/detector.h"
#include "gateway/ops/ops_server.h"
#include "gateway/ops/recent_events.h"
#include "gateway/ops/systemd_notify.h"
#include "gateway/outbox/memory_outbox.h"
#include "gateway/outbox/segment_outbox.h"
#include "gateway/pipeline/stage.h"
#include "gateway/privacy/aggregator.h"
#include "gateway/privacy/raw_snapshot_audit.h"
#include "gateway/publisher/mqtt_publisher.h"
#include "gateway/retention/retention_store.h"
#include "gateway/router/measurement_batcher.h"
#include "gateway/router/router.h"

namespace gw::app {

struct GatewayOptions {
  std::string policy_path;          // re-read on SIGHUP
  std::string broker_url_override;  // --broker; empty: the policy's gateway.broker.url
  std::chrono::milliseconds drain_timeout{10000};
  // Dry run (`gatewayctl replay`): no broker, no sealing; each minimised message goes to this
  // function instead, and the run ends when every file and video source has finished. Only file
  // sources run; `replay_speed` (>= 0) overrides their speed (0: as fast as possible).
  std::function<void(const std::string& actor, const std::string& kind,
                     const gateway::v1::ActorMessage&)>
      dry_run_sink;
  double replay_speed = -1;
  // --state-dir: the durable outbox lives in <state_dir>/outbox; empty keeps it in memory only.
  std::string state_dir;
  // --ops-listen: HOST:PORT for the ops endpoint, overriding the policy's gateway.ops.listen;
  // "off" disables it. Dry runs never start it.
  std::string ops_listen;
};

class Gateway : private pipeline::ReadingSink, private pipeline::EventSink {
 public:
  Gateway(config::LoadedPolicyPtr policy, GatewayOptions options);
  ~Gateway() override;

  // Builds every stage; fails on anything the policy names that cannot be set up.
  Status init();
  // Runs until requestStop(), then drains the outbox (up to drain_timeout) and returns.
  void run();
  // Thread- and signal-safe through io_context::post.
  void requestStop();

  const Counters& counters() const { return counters_; }
  // The ops endpoint's port once run() started it; 0 when it is off or could not listen.
  uint16_t opsPort() const { return ops_server_ ? ops_server_->port() : 0; }

 private:
  Status accept(const gateway::v1::Reading& reading) override;
  void emit(const gateway::v1::Event& event) override;
  void deliver(std::vector<router::RoutedMessage>& routed);
  // Hands measurements to the publisher once the pipeline thread has worked off what is already
  // queued (other sources' reads), so a burst of appends shares one group commit instead of an
  // fdatasync each; alarms and events pump at once (decision 1020).
  void pumpSoon();
  Status initSealer();
  // Appends an envelope to the outbox on the topic its kind belongs on.
  void enqueue(const std::string& actor, const std::string& data_kind, pipeline::Priority priority,
               crypto::SealedEnvelope envelope, int64_t expires_unix_ms = 0);
  // Every checkpoint interval: the signed checkpoints of busy streams (docs/SECURITY.md).
  void scheduleCheckpoints();
  // `flush`: every stream with anything unproven gets one now (shutdown).
  void emitCheckpoints(bool flush);
  void beginShutdown();
  // SIGHUP: re-read the policy; a valid one replaces the running one between two readings, an
  // invalid one is logged with all its errors and the running one stays.
  void reloadPolicy();
  // Gives every frame-consuming detector its own instance and thread on each camera it watches.
  Status startFrameDetectors();
  void drainThenFinish(std::chrono::steady_clock::time_point deadline);
  void stopWhenSourcesFinish();
  // Batched measurements: the timer releases a batch when its linger passes; flushBatches()
  // releases all of them (shutdown, and before a reload replaces the routes they point into).
  void armBatchTimer();
  void flushBatches();
  bool dryRun() const { return static_cast<bool>(options_.dry_run_sink); }
  // The ops endpoint (gateway/ops): started in run(); its report is taken on the pipeline thread.
  void startOps();
  ops::GatewayStatus opsStatus() const;
  std::vector<ops::Watch> opsWatches() const;
  Histogram& detectorLatency(const std::string& detector_id);

  // The privacy stage after routing (gateway_privacy.cc, docs/PRIVACY.md).
  Status initPrivacy();
  // A camera detector's event with the frame it was detected on, for the snapshot stage.
  void emitCameraEvent(const gateway::v1::Event& event, CameraEvidencePtr evidence);
  // Per routed message, after field minimisation and before sealing: coarsens locations,
  // attaches the route's snapshot. False when the message does not go out by itself (the route
  // aggregates it).
  bool applyPrivacy(router::RoutedMessage& item);
  void attachSnapshot(router::RoutedMessage& item);
  // Keeps an event, as sent, for its route's retention. deliver() calls it after handing the
  // messages to the publisher: its fsync must not delay an alarm (decision 1020).
  void keepForRetention(const router::RoutedMessage& item);
  // Sends finished aggregates: sealed to the route's actor, or plain JSON for open data.
  void sendAggregates(std::vector<gateway::v1::ActorMessage>& finished);
  void sealAndEnqueue(const std::string& actor, const std::string& kind,
                      pipeline::Priority priority, const gateway::v1::ActorMessage& message);
  // `all`: shutdown and reload; otherwise only intervals that went quiet.
  void flushAggregates(bool all);
  // Every second: quiet aggregate intervals; every minute: expired retention periods.
  void schedulePrivacyTimer();

  config::LoadedPolicyPtr initial_policy_;
  GatewayOptions options_;
  Counters counters_;
  Histograms histograms_;
  boost::asio::io_context io_;  // declared first: destroyed after everything that posts to it
  std::unique_ptr<RoutingState> routing_;
  uint64_t policy_version_ = 1;
  std::vector<pipeline::SourcePtr> sources_;
  // After sources_: destroyed first, while the cameras whose slots they read still exist.
  std::vector<std::unique_ptr<FrameWorker>> frame_workers_;
  std::unique_ptr<crypto::GatewaySealer> sealer_;  // null in a dry run
  boost::asio::steady_timer checkpoint_timer_;
  std::chrono::milliseconds checkpoint_tick_{250};
  std::vector<crypto::SealedEnvelope> sealed_scratch_;
  std::unique_ptr<pipeline::Outbox> outbox_;
  std::unique_ptr<publisher::MqttPublisher> publisher_;
  boost::asio::steady_timer drain_timer_;
  router::MeasurementBatcher batcher_;
  boost::asio::steady_timer batch_timer_;
  std::optional<std::chrono::steady_clock::time_point> batch_timer_at_;  // when armed
  std::vector<router::RoutedMessage> scratch_;
  bool stopping_ = false;
  bool pump_posted_ = false;  // a pumpSoon() handler is queued
  // Privacy stage state (gateway_privacy.cc).
  std::unique_ptr<retention::RetentionStore> retention_;    // null without --state-dir
  std::unique_ptr<privacy::RawSnapshotAudit> raw_audit_;    // null without --state-dir
  std::map<std::string, privacy::Aggregator> aggregators_;  // by route id
  CameraEvidencePtr camera_evidence_;  // set only while emitCameraEvent() routes its event
  boost::asio::steady_timer privacy_timer_;
  int64_t next_purge_ms_ = 0;
  ops::RecentEvents recent_events_;
  std::map<std::string, Histogram*> detector_latency_;
  std::unique_ptr<ops::SystemdWatchdog> watchdog_;
  // Last: stopped and destroyed first, while everything its collect function reads still exists.
  std::unique_ptr<ops::OpsServer> ops_server_;
};

}  // namespace gw::app
