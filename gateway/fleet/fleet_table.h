#pragma once
// What the operator sees of a fleet (`gatewayctl fleet status`, `fleet serve`; docs/FLEET.md,
// "Fleet status"): the latest of each gateway's retained messages under lantaarn/v1/+/_gateway/+
// turned into one row per site. Pure: no broker, no clock of its own (rows() takes "now"), no
// locking; FleetWatcher feeds it from the broker and guards it.
//
// Trust: a policy or health report counts only once checkFleetReport() accepts its signature,
// and only for the site whose topic it came on. A report that fails is never shown as the
// site's state: the row keeps the last authentic report of that kind (if any) and carries the
// error ("forged report: ..."), until an authentic one arrives on the same topic.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/crypto/key_file.h"
#include "gateway/fleet/fleet_report.h"

namespace gw::fleet {

struct FleetTableOptions {
  // Gateway identity public keys, each pinned to its owner (the site): a site with a pinned key
  // must sign with it; the others' reports are shown as unpinned.
  std::vector<crypto::IdentityPublicKey> gateway_keys;
  // The key ids of the operator keys that may sign this fleet's bundles; a policy report about
  // a bundle signed by any other key is flagged "foreign signer".
  std::vector<std::string> operator_key_ids;
  // A health summary older than this is stale (gateways send one every minute by default).
  std::chrono::seconds stale_after{180};
};

// One site as the operator reads it. Fields without a report stay at their "unknown" values.
struct SiteRow {
  std::string site;
  // The one word the row is coloured by, the first that applies: error (a forged report or a
  // foreign signer), offline, unknown (no status message), unhealthy (or no health summary),
  // stale, ok.
  std::string state;
  bool ok = false;    // state == "ok": what `fleet status` exits 0 on
  std::string link;   // online | offline | unknown (the retained status, or its Last Will)
  std::string group;  // gateway.fleet.group, as the reports say
  std::string gateway_version;
  std::string gateway_key_id;  // the key that signed the reports shown
  std::string trust;           // pinned | unpinned | none (no authentic report)

  std::optional<uint64_t> running_version;  // the newer report's: 0 is the local policy only
  std::string policy_outcome;  // applied | confirmed | refused | rolled_back | local_only | unknown
  uint64_t policy_bundle_version = 0;  // the bundle the outcome is about
  std::string policy_reason;           // why refused or rolled back
  std::string policy_operator;
  std::string policy_signer_key_id;
  bool foreign_signer = false;

  std::string health = "unknown";  // ok | unhealthy | unknown (no health summary)
  std::vector<std::string> problems;
  int sources_ok = 0, sources_total = 0;
  int detectors_ok = 0, detectors_total = 0;
  uint64_t outbox_messages = 0;
  double outbox_oldest_age_seconds = 0;
  std::optional<bool> broker_connected;
  std::string last_error;
  std::optional<double> summary_age_seconds;  // since the health summary was sent
  bool stale = false;

  std::vector<std::string> errors;  // "forged report: <reason>", never trusted
};

// Counts over the rows, for the summary line and the page's heading.
struct FleetSummary {
  int sites = 0, online = 0, offline = 0, link_unknown = 0, stale = 0, unhealthy = 0;
  int forged = 0, foreign_signer = 0;
  // Running policy version (nullopt: no report says) -> sites, in version order.
  std::map<std::optional<uint64_t>, int> policy_versions;
  bool all_ok = false;  // every site ok, and at least one site
};

class FleetTable {
 public:
  explicit FleetTable(FleetTableOptions options);

  // One message from the fleet filter (fleetReportsFilter()); other topics and leaves are
  // ignored. An empty payload clears what that topic held (a retained message deleted).
  void onMessage(std::string_view topic, const std::string& payload);

  // Every site that said anything, sorted by site; ages and staleness as of `now_unix_ms`.
  std::vector<SiteRow> rows(int64_t now_unix_ms) const;

 private:
  struct Slot {  // one signed report topic of one site
    std::optional<CheckedReport> report;
    std::string error;
  };
  struct Site {
    std::optional<std::string> link;
    Slot policy;
    Slot health;
  };
  void onReport(const std::string& site, Slot& slot, const std::string& payload,
                gateway::v1::FleetReport::BodyCase expected);
  SiteRow row(const std::string& name, const Site& site, int64_t now_unix_ms) const;

  FleetTableOptions options_;
  std::map<std::string, Site> sites_;  // sorted by site, so rows are
};

FleetSummary summarize(const std::vector<SiteRow>& rows);

}  // namespace gw::fleet
