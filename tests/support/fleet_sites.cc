#include "tests/support/fleet_sites.h"

#include <signal.h>

#include <fstream>
#include <stdexcept>

#include "gateway/fleet/bundle_builder.h"
#include "gateway/fleet/fleet_report.h"
#include "gateway/fleet/fleet_topics.h"
#include "tests/support/temp_dir.h"

namespace gw::testing {
namespace {

using gateway::v1::PolicyStatus;

void check(const Status& s, const std::string& what) {
  if (!s.ok()) throw std::runtime_error(what + ": " + s.message());
}

std::filesystem::path pmFile() {
  return testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv");
}

}  // namespace

int64_t unixMsNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

FleetSites::FleetSites(FleetSitesOptions options) : options_(std::move(options)) {
  check(crypto::initSodium(), "libsodium");
  operator_key_ = crypto::generateIdentityKey("city-ops");
  check(crypto::writeOperatorKeyPair(operator_key_, options_.dir / "ops"), "operator key");
  for (const char* actor : {"municipality", "police"}) {
    check(crypto::writeKeyPair(crypto::generateKeyPair(actor), options_.dir / "keys"), actor);
  }
  observer_ = std::make_unique<mqtt::async_client>(options_.broker_url,
                                                   "fleet-observer-" + std::to_string(getpid()));
  observer_->set_message_callback([this](mqtt::const_message_ptr m) { observe(m); });
  observer_->connect()->wait();
  observer_->subscribe(fleet::fleetReportsFilter(), 1)->wait();
  observer_->subscribe("lantaarn/v1/+/police/#", 1)->wait();
}

FleetSites::~FleetSites() {
  for (auto& gateway : gateways_) {
    if (gateway) gateway->signal(SIGTERM);
  }
  for (auto& gateway : gateways_) {
    if (gateway) gateway->wait(std::chrono::seconds(20));
  }
  try {
    observer_->disconnect()->wait();
  } catch (const mqtt::exception&) {
    // The broker went first: nothing to say goodbye to.
  }
}

std::filesystem::path FleetSites::operatorPublicKey() const {
  return options_.dir / "ops" / "city-ops.pub";
}

std::filesystem::path FleetSites::stateDir(size_t i) const {
  return options_.dir / "state" / siteId(i);
}

void FleetSites::startSite(size_t i) {
  const std::string site = siteId(i);
  const auto local = options_.dir / "sites" / site;
  std::filesystem::create_directories(local);
  std::ofstream(local / "site.yaml")
      << "site: {id: " << site << "}\n"
      << "gateway:\n"
      << "  broker: {url: " << options_.broker_url << "}\n"
      << "  ops: {listen: 'off'}\n"
      << "  outbox: {fsync: " << options_.outbox_fsync << "}\n"
      << "  fleet: {operator_keys: [" << operatorPublicKey().string()
      << "], group: north, probation: " << options_.probation
      << ", status_interval: " << options_.status_interval << "}\n"
      << "actors:\n  - {id: municipality, public_key_file: "
      << (options_.dir / "keys" / "municipality.pub").string()
      << ", purposes: [air_quality_monitoring]}\n"
      << "sources:\n  - id: pm\n    sensor:\n      format: sensor_community_csv\n"
      << "      replay: {path: " << pmFile().string() << ", speed: 600, loop: true}\n"
      << "routes:\n  - {to: municipality, purpose: air_quality_monitoring, "
         "from: {measurements: [pm10]}}\n";
  if (gateways_.size() <= i) gateways_.resize(i + 1);
  gateways_[i] = std::make_unique<ChildProcess>(
      ChildProcess::Options{{appBinary("gatewayd"), "--policy", (local / "site.yaml").string(),
                             "--state-dir", stateDir(i).string(), "--log-level", "info"},
                            {},
                            options_.dir / (site + ".out"),
                            options_.dir / (site + ".err")});
}

bool FleetSites::stopSite(size_t i) {
  gateways_[i]->signal(SIGTERM);
  return gateways_[i]->wait(std::chrono::seconds(20)).has_value();
}

std::filesystem::path FleetSites::sharedPolicy(const std::string& name, const std::string& plugin,
                                               const std::string& extra,
                                               const std::filesystem::path& police_key) {
  const auto folder = options_.dir / "shared" / name;
  std::filesystem::create_directories(folder);
  std::ofstream out(folder / "police.yaml");
  out << "actors:\n  - {id: police, public_key_file: "
      << (police_key.empty() ? options_.dir / "keys" / "police.pub" : police_key).string()
      << ", purposes: [public_order]}\n";
  if (!plugin.empty()) {
    out << "detectors:\n  - {id: probe, sources: [pm], plugin: {path: " << plugin << "}}\n";
  }
  out << "routes:\n  - {to: police, purpose: public_order, from: {measurements: [pm10]}}\n";
  if (!plugin.empty()) {
    out << "  - {to: police, purpose: public_order, from: {detectors: [probe]}}\n";
  }
  out << extra;
  return folder;
}

std::filesystem::path FleetSites::bundle(const std::filesystem::path& policy, uint64_t version,
                                         const std::string& name, std::vector<std::string> sites,
                                         const crypto::IdentityKey* key) {
  fleet::BundleRequest request{policy, version, std::move(sites), "", unixMsNow()};
  if (request.sites.empty()) request.group = "north";
  auto built = fleet::buildBundle(request, key ? *key : operator_key_);
  check(built.status(), "bundle " + name);
  const auto file = options_.dir / (name + ".bundle");
  std::ofstream(file, std::ios::binary) << built->SerializeAsString();
  return file;
}

int FleetSites::publish(const std::filesystem::path& bundle_file, std::string* out) {
  ChildProcess run({{appBinary("gatewayctl"), "policy", "publish", bundle_file.string(), "--broker",
                     options_.broker_url, "--operator-key", operatorPublicKey().string()},
                    {},
                    options_.dir / "ctl.out",
                    options_.dir / "ctl.err"});
  auto status = run.wait(std::chrono::seconds(30));
  if (out) *out = run.readStdout() + run.readStderr();
  return status ? ChildProcess::exitCode(*status) : -1;
}

void FleetSites::publishRaw(const std::string& topic, const std::string& bytes) {
  observer_->publish(mqtt::make_message(topic, bytes, 1, true))->wait();
}

SiteView FleetSites::view(size_t i) {
  std::lock_guard lock(mutex_);
  return sites_[siteId(i)];
}

std::optional<PolicyStatus> FleetSites::latest(size_t i) {
  std::lock_guard lock(mutex_);
  const auto& v = sites_[siteId(i)];
  if (v.statuses.empty()) return std::nullopt;
  return v.statuses.back();
}

bool FleetSites::latestIs(size_t i, PolicyStatus::Outcome outcome, uint64_t version) {
  auto s = latest(i);
  return s && s->outcome() == outcome && s->bundle_version() == version;
}

std::string FleetSites::describe(size_t i) {
  auto s = latest(i);
  return siteId(i) + ": " + (s ? s->ShortDebugString() : "no status") + "\n" +
         gateways_[i]->readStderr().substr(0, 20000);
}

void FleetSites::observe(const mqtt::const_message_ptr& m) {
  const std::string& topic = m->get_topic();
  std::lock_guard lock(mutex_);
  if (topic.find("/police/") != std::string::npos) {
    constexpr size_t kSiteAt = sizeof("lantaarn/v1/") - 1;
    ++sites_[topic.substr(kSiteAt, topic.find('/', kSiteAt) - kSiteAt)].police_messages;
    return;
  }
  auto checked = fleet::checkFleetReport(m->get_payload_str(), {});
  if (!checked.ok()) return;
  auto& site = sites_[checked->report.site()];
  if (checked->report.has_policy()) {
    site.statuses.push_back(checked->report.policy());
    site.status_times.push_back(std::chrono::steady_clock::now());
    site.policy_report_bytes = m->get_payload().size();
  } else if (checked->report.has_health()) {
    ++site.health_reports;
    site.health_policy_version = checked->report.health().policy_version();
    site.health_report_bytes = m->get_payload().size();
  }
}

}  // namespace gw::testing
