#pragma once
// gatewayd's process: builds the site's pipeline from the policy and runs it on one Asio
// io_context thread (docs/ARCHITECTURE.md):
//   sources -> DataPath (detectors, router, privacy, batching, sealing) -> outbox -> publisher
// plus the frame workers, the ops endpoint and the systemd watchdog. It owns construction,
// signals (SIGINT/SIGTERM: drain and stop; SIGHUP: reload) and shutdown; every stage owns its
// logic.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "gateway/app/data_path.h"
#include "gateway/core/counters.h"
#include "gateway/core/histograms.h"
#include "gateway/detectors/frame_worker.h"
#include "gateway/fleet/fleet_agent.h"
#include "gateway/ops/ops_server.h"
#include "gateway/ops/systemd_notify.h"
#include "gateway/publisher/mqtt_publisher.h"

namespace gw::app {

struct GatewayOptions {
  std::string policy_path;          // re-read on SIGHUP
  std::string broker_url_override;  // --broker; empty: the policy's gateway.broker.url
  std::chrono::milliseconds drain_timeout{10000};
  // Dry run (`gatewayctl replay`): no broker, no sealing; each message goes to this sink, only
  // recorded sources run (at `replay_speed` when >= 0, sources::prepareForReplay), and the run
  // ends when they have finished.
  DryRunSink dry_run_sink;
  double replay_speed = -1;
  // --state-dir: the durable outbox lives in <state_dir>/outbox; empty keeps it in memory only.
  std::string state_dir;
  // --quarantine-foreign-outbox: an outbox written by another site or gateway identity is moved
  // aside instead of refusing to start (outbox/outbox_owner.h).
  bool quarantine_foreign_outbox = false;
  // --ops-listen: HOST:PORT for the ops endpoint, overriding the policy's gateway.ops.listen;
  // "off" disables it. Dry runs never start it.
  std::string ops_listen;
};

class Gateway {
 public:
  Gateway(config::ResolvedPolicyPtr policy, GatewayOptions options);
  ~Gateway();

  // Builds every stage; fails on anything the policy names that cannot be set up.
  Status init();
  // Runs until requestStop(), then drains the outbox (up to drain_timeout) and returns; fails
  // at once when the publisher cannot start.
  Status run();
  // Thread- and signal-safe through io_context::post.
  void requestStop();

  const Counters& counters() const { return counters_; }
  // The ops endpoint's port once run() started it; 0 when it is off or could not listen.
  uint16_t opsPort() const { return ops_server_ ? ops_server_->port() : 0; }

 private:
  bool dryRun() const { return static_cast<bool>(options_.dry_run_sink); }
  Status initOutbox();
  Status initSources();
  Status initFrameWorkers();
  void startOps();
  // The site's state for the ops endpoint and the fleet; on the pipeline thread.
  ops::GatewayStatus collectStatus();
  void reloadPolicy();
  // The fleet (gateway_fleet.cc): the policy a fleet site starts with, its agent, and the paths
  // a reload reads (the local policy, then the bundle running).
  Status initFleetPolicy();
  void startFleet();
  std::vector<std::filesystem::path> policyPaths() const;
  Status applyFleetPolicy(const config::ResolvedPolicyPtr& policy);
  ops::OpsInputs inspectForFleet();
  // Applies a loaded policy on the pipeline thread (SIGHUP and the fleet's bundles).
  Status swapPolicy(const config::ResolvedPolicyPtr& policy);
  void beginShutdown();
  void drainThenFinish(std::chrono::steady_clock::time_point deadline);
  void stopWhenSourcesFinish();

  config::ResolvedPolicyPtr initial_policy_;
  GatewayOptions options_;
  Counters counters_;
  Histograms histograms_;
  boost::asio::io_context io_;  // declared first: destroyed after everything that posts to it
  uint64_t policy_version_ = 1;
  std::unique_ptr<pipeline::Outbox> outbox_;
  std::unique_ptr<publisher::MqttPublisher> publisher_;
  std::unique_ptr<DataPath> data_path_;
  std::vector<pipeline::SourcePtr> sources_;
  // After sources_: destroyed first, while the cameras whose slots they read still exist.
  std::vector<std::unique_ptr<detectors::FrameWorker>> frame_workers_;
  boost::asio::steady_timer drain_timer_;
  std::unique_ptr<ops::SystemdWatchdog> watchdog_;
  // Last: stopped and destroyed first, while everything its collect function reads still exists.
  std::unique_ptr<ops::OpsServer> ops_server_;
  // After the ops server: stopped before it, since it asks the ops server for the site's health.
  std::optional<fleet::StartupPolicy> fleet_start_;
  std::unique_ptr<fleet::FleetAgent> fleet_agent_;
  std::atomic<bool> pipeline_ended_{false};  // the fleet agent stops waiting for the pipeline
};

}  // namespace gw::app
