// gatewayd as part of a fleet (docs/FLEET.md): which policy it starts with, and its fleet agent,
// wired to the pipeline's reload and to the ops endpoint's view of the site's health. The fleet's
// logic is in gateway/fleet/.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <future>

#include "gateway/app/gateway.h"
#include "gateway/app/version.h"
#include "gateway/crypto/gateway_identity.h"
#include "gateway/fleet/bundle_intake.h"

namespace gw::app {
namespace {

constexpr auto kPipelineWaitSlice = std::chrono::milliseconds(100);
constexpr auto kInspectTimeout = std::chrono::seconds(2);

std::filesystem::path fleetDir(const std::string& state_dir) {
  return std::filesystem::path(state_dir) / "fleet";
}

}  // namespace

Status Gateway::initFleetPolicy() {
  if (!initial_policy_->fleet || dryRun()) return okStatus();
  if (options_.state_dir.empty()) {
    return invalidArgument(
        "gateway.fleet needs --state-dir: the bundle versions a site ran are kept there");
  }
  auto start = fleet::chooseStartupPolicy(options_.policy_path, initial_policy_,
                                          fleetDir(options_.state_dir));
  if (!start.ok()) return start.status();
  initial_policy_ = start->policy;
  if (start->versions.running > 0) {
    spdlog::info("Fleet site starts with bundle version={}{}", start->versions.running,
                 start->versions.onProbation() ? " (on probation)" : "");
  }
  fleet_start_ = std::move(start).value();
  return okStatus();
}

std::vector<std::filesystem::path> Gateway::policyPaths() const {
  if (!fleet_agent_) return {options_.policy_path};
  return fleet::policyPaths(options_.policy_path, fleet::BundleStore(fleetDir(options_.state_dir)),
                            fleet_agent_->runningVersion());
}

void Gateway::startFleet() {
  if (!fleet_start_) return;
  const auto& policy = *initial_policy_;
  auto identity = crypto::loadGatewayIdentity(policy.policy.gateway().identity_key_file(),
                                              policy.policy.site().id(), options_.state_dir);
  if (!identity.ok()) {
    spdlog::error("Fleet agent not started: no gateway identity to sign with: {}",
                  identity.status().message());
    return;
  }
  fleet::FleetAgentOptions agent{policy.policy.site().id(),
                                 *policy.fleet,
                                 policy.publisher,
                                 options_.policy_path,
                                 fleetDir(options_.state_dir),
                                 std::move(identity).value(),
                                 GW_VERSION};
  if (!options_.broker_url_override.empty()) agent.broker.broker_url = options_.broker_url_override;
  fleet::FleetHooks hooks{
      [this](const config::ResolvedPolicyPtr& p) { return applyFleetPolicy(p); },
      [this] { return inspectForFleet(); }};
  fleet_agent_ = std::make_unique<fleet::FleetAgent>(std::move(agent), std::move(hooks), counters_);
  if (Status s = fleet_agent_->start(*fleet_start_); !s.ok()) {
    spdlog::error("Fleet agent not started: {}", s.message());
    fleet_agent_.reset();
  }
}

// From the fleet agent's thread: the reload runs on the pipeline thread, and we wait for it,
// unless the pipeline ends meanwhile (shutdown), which must not wait for us in turn.
Status Gateway::applyFleetPolicy(const config::ResolvedPolicyPtr& policy) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto future = promise->get_future();
  boost::asio::post(io_, [this, promise, policy] {
    if (data_path_->stopping()) {
      promise->set_value(unavailable("the gateway is shutting down"));
      return;
    }
    ops::notifySystemd("RELOADING=1");
    Status s = swapPolicy(policy);
    if (!s.ok()) counters_.add("policy_reload_failures_total");
    ops::notifySystemd("READY=1");
    promise->set_value(s);
  });
  while (future.wait_for(kPipelineWaitSlice) != std::future_status::ready) {
    if (pipeline_ended_) return unavailable("the gateway is shutting down");
  }
  return future.get();
}

ops::OpsInputs Gateway::inspectForFleet() {
  if (ops_server_) return ops_server_->snapshot();
  // No ops endpoint (--ops-listen off): the pipeline's own report, without the stall watch.
  ops::OpsInputs in;
  auto promise = std::make_shared<std::promise<ops::GatewayStatus>>();
  auto future = promise->get_future();
  boost::asio::post(io_, [this, promise] { promise->set_value(collectStatus()); });
  if (future.wait_for(kInspectTimeout) == std::future_status::ready) in.status = future.get();
  in.counters = counters_.snapshot();
  in.version = GW_VERSION;
  return in;
}

}  // namespace gw::app
