#pragma once
// A fleet site's side of the rollout (docs/FLEET.md): subscribes to the bundle topics of its site
// and group, takes each bundle through bundle_intake.h, applies it with the gateway's own atomic
// reload, watches it through its probation (probation.h) and rolls back to the last good bundle
// when it fails; publishes a signed, retained policy status after each of these, and a signed,
// retained health summary every status_interval and at once when it changes.
//
// Threads: one of its own (an io_context) holds all of its state; Paho's callbacks only post to
// it. `apply` and `inspect` are called from that thread and must do their work on the pipeline
// thread and wait for it (the gateway's wiring does). Its broker connection is its own, beside
// the publisher's, so that a bundle never waits behind a backlog of data.
#include <mqtt/async_client.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "gateway/config/resolved_policy.h"
#include "gateway/core/counters.h"
#include "gateway/crypto/key_file.h"
#include "gateway/fleet/bundle_store.h"
#include "gateway/fleet/fleet_versions.h"
#include "gateway/fleet/health_sample.h"
#include "gateway/fleet/probation.h"
#include "gateway/fleet/startup_policy.h"
#include "gateway/ops/ops_inputs.h"
#include "gateway/publisher/mqtt_publisher.h"
#include "gateway/v1/fleet.pb.h"

namespace gw::fleet {

struct FleetAgentOptions {
  std::string site;
  config::FleetOptions settings;
  publisher::PublisherConfig broker;  // the site's broker login; the client id gets "-fleet"
  std::filesystem::path local_policy;
  std::filesystem::path fleet_dir;  // <state-dir>/fleet
  crypto::IdentityKey identity;     // signs the reports
  std::string gateway_version;
};

struct FleetHooks {
  // Swaps the running policy for `policy` on the pipeline thread; an error leaves it running.
  std::function<Status(const config::ResolvedPolicyPtr&)> apply;
  // What the ops endpoint would judge health by, now.
  std::function<ops::OpsInputs()> inspect;
};

class FleetAgent {
 public:
  FleetAgent(FleetAgentOptions options, FleetHooks hooks, Counters& counters);
  ~FleetAgent();
  FleetAgent(const FleetAgent&) = delete;
  FleetAgent& operator=(const FleetAgent&) = delete;

  // Connects and subscribes; reports how the site started (`start`: chooseStartupPolicy()).
  Status start(const StartupPolicy& start);
  // Idempotent; disconnects and joins its thread.
  void stop();
  // The bundle version running (0: the local policy alone); any thread.
  uint64_t runningVersion() const { return running_.load(); }

 private:
  void onConnected();
  void onBundle(const std::string& topic, const std::string& payload);
  void refuse(uint64_t version, const std::string& reason);
  void tickLater();
  void tick();
  void rollBack(const std::string& why);
  void confirm();
  Status persist();
  gateway::v1::PolicyStatus statusAbout(gateway::v1::PolicyStatus::Outcome outcome,
                                        uint64_t version, const std::string& reason) const;
  void reportPolicy(gateway::v1::PolicyStatus status);
  void reportHealth(const HealthSample& sample);
  void publishRetained(const std::string& topic, const std::string& payload);

  FleetAgentOptions options_;
  FleetHooks hooks_;
  Counters& counters_;
  BundleStore store_;
  FleetVersions versions_;
  std::atomic<uint64_t> running_{0};
  std::string running_operator_, running_signer_;
  std::optional<Probation> probation_;
  std::chrono::steady_clock::time_point probation_ends_;
  int64_t probation_ends_unix_ms_ = 0;
  std::set<std::string> refusals_reported_;  // "<version> <reason>": once per run
  std::optional<gateway::v1::PolicyStatus> last_policy_status_;
  std::string last_error_;
  std::string last_health_fingerprint_;
  std::chrono::steady_clock::time_point last_health_sent_{};
  int64_t started_unix_ms_ = 0;

  std::unique_ptr<mqtt::async_client> client_;
  boost::asio::io_context io_;
  boost::asio::steady_timer tick_timer_;
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace gw::fleet
