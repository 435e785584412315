#pragma once
// A fleet on one real Mosquitto, for the fleet's end-to-end test and its rollout load tool
// (issue 23): N sites, each a real gatewayd with its own local policy (the site, the broker, the
// municipality's PM10 route, `gateway.fleet` in group "north") and state dir; an operator key;
// and an observer that reads every site's signed, retained policy status and health summary and
// counts what reaches the police per site. Bundles are built from a shared policy folder with the
// real builder and rolled out with the built `gatewayctl policy publish`. Throws
// std::runtime_error when something it sets up fails.
#include <mqtt/async_client.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/crypto/key_file.h"
#include "gateway/v1/fleet.pb.h"
#include "tests/support/child_process.h"

namespace gw::testing {

int64_t unixMsNow();

// What the observer saw of one site.
struct SiteView {
  std::vector<gateway::v1::PolicyStatus> statuses;  // in arrival order, retained ones first
  std::vector<std::chrono::steady_clock::time_point> status_times;  // when each arrived
  uint64_t police_messages = 0;
  uint64_t health_reports = 0;
  uint64_t health_policy_version = 0;
  size_t policy_report_bytes = 0;  // of the latest signed report of each kind
  size_t health_report_bytes = 0;
};

struct FleetSitesOptions {
  std::string broker_url;
  std::filesystem::path dir;  // everything goes under it
  std::string probation = "3s";
  std::string status_interval = "5s";
  std::string outbox_fsync = "group_commit";  // or interval
};

class FleetSites {
 public:
  explicit FleetSites(FleetSitesOptions options);
  ~FleetSites();  // SIGTERMs every gatewayd still running

  static std::string siteId(size_t i) { return "lamp-" + std::to_string(i + 1); }

  // Writes site i's local policy and state dir (once) and starts its gatewayd.
  void startSite(size_t i);
  // SIGTERM, and waits; false when it did not end in time.
  bool stopSite(size_t i);
  size_t sites() const { return gateways_.size(); }
  ChildProcess& gateway(size_t i) { return *gateways_[i]; }

  // The shared policy in folder `name`: the police get PM10 and, with `plugin`, the events of a
  // detector "probe" that runs it; `extra` is appended to the file as is; `police_key` replaces
  // the police's public key file (<dir>/keys/police.pub).
  std::filesystem::path sharedPolicy(const std::string& name, const std::string& plugin = "",
                                     const std::string& extra = "",
                                     const std::filesystem::path& police_key = {});
  std::filesystem::path dir() const { return options_.dir; }
  // A bundle of `policy` for the group "north" (or `sites`), signed with `key` (default: the
  // operator's), written to <dir>/<name>.bundle.
  std::filesystem::path bundle(const std::filesystem::path& policy, uint64_t version,
                               const std::string& name, std::vector<std::string> sites = {},
                               const crypto::IdentityKey* key = nullptr);
  // `gatewayctl policy publish` with the operator's public key: its exit code; output in *out.
  int publish(const std::filesystem::path& bundle_file, std::string* out);
  // Publishes raw bytes, retained, as anyone with write access to the topic could.
  void publishRaw(const std::string& topic, const std::string& bytes);

  SiteView view(size_t i);
  std::optional<gateway::v1::PolicyStatus> latest(size_t i);
  bool latestIs(size_t i, gateway::v1::PolicyStatus::Outcome outcome, uint64_t version);
  // The latest status and the start of the site's log, for a failure message.
  std::string describe(size_t i);

  const crypto::IdentityKey& operatorKey() const { return operator_key_; }
  std::filesystem::path operatorPublicKey() const;
  std::filesystem::path stateDir(size_t i) const;

 private:
  void observe(const mqtt::const_message_ptr& m);

  FleetSitesOptions options_;
  crypto::IdentityKey operator_key_;
  std::vector<std::unique_ptr<ChildProcess>> gateways_;
  std::unique_ptr<mqtt::async_client> observer_;
  std::mutex mutex_;
  std::map<std::string, SiteView> sites_;
};

}  // namespace gw::testing
