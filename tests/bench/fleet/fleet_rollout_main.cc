// lantaarn_fleet_rollout: how long a fleet takes to run a new policy (issue 23, "Scale"). Starts
// N real gatewayd sites (small policies: one replayed PM sensor, two actors) on one Mosquitto with
// Debian's defaults, then times, from the moment `gatewayctl policy publish` is started:
//   1. a good bundle (the police get PM10): until every site reports it applied, then confirmed
//      after its probation, and the police hear from every site;
//   2. a forged bundle (signed by a key the sites do not hold): until every site reports it
//      refused, with nothing changed;
//   3. a bundle whose plugin crashes: until every site reports it rolled back.
// Prints the figures and the bytes of each kind of fleet message; exits 1 when a site does not
// get there within --timeout (a correctness failure, never a time limit).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "gateway/core/files.h"
#include "gateway/fleet/fleet_topics.h"
#include "tests/support/fleet_sites.h"
#include "tests/support/mosquitto_broker.h"

namespace {

using gateway::v1::PolicyStatus;
using gw::testing::FleetSites;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start, Clock::time_point t) {
  return std::chrono::duration<double>(t - start).count();
}

// When each site first reported `outcome` for `version` after `start`; false on a timeout.
bool awaitEverySite(FleetSites& fleet, PolicyStatus::Outcome outcome, uint64_t version,
                    Clock::time_point start, std::chrono::seconds timeout,
                    std::vector<double>* seconds) {
  seconds->assign(fleet.sites(), -1);
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    size_t done = 0;
    for (size_t i = 0; i < fleet.sites(); ++i) {
      if ((*seconds)[i] >= 0) {
        ++done;
        continue;
      }
      const auto view = fleet.view(i);
      for (size_t k = 0; k < view.statuses.size(); ++k) {
        const auto& s = view.statuses[k];
        if (s.outcome() == outcome && s.bundle_version() == version &&
            view.status_times[k] >= start) {
          (*seconds)[i] = secondsSince(start, view.status_times[k]);
          ++done;
          break;
        }
      }
    }
    if (done == fleet.sites()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (size_t i = 0; i < fleet.sites(); ++i) {
    if ((*seconds)[i] < 0)
      std::fprintf(stderr, "site %s: %s\n", FleetSites::siteId(i).c_str(),
                   fleet.describe(i).substr(0, 3000).c_str());
  }
  return false;
}

void printTimes(const char* what, std::vector<double> seconds) {
  std::sort(seconds.begin(), seconds.end());
  std::printf("%-34s p50 %.2f s  max %.2f s  (%zu sites)\n", what, seconds[seconds.size() / 2],
              seconds.back(), seconds.size());
}

long rssKiB(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"lantaarn_fleet_rollout: time a policy bundle's rollout to N gatewayd sites"};
  size_t sites = 30;
  int timeout_s = 120;
  std::string probation = "5s";
  std::string plugin_dir;
  cli.add_option("--sites", sites, "gatewayd processes, one per site")->capture_default_str();
  cli.add_option("--probation", probation, "gateway.fleet.probation")->capture_default_str();
  cli.add_option("--timeout", timeout_s, "Seconds a step may take before it counts as failed")
      ->capture_default_str();
  cli.add_option("--plugin-dir", plugin_dir, "Where libgw_misbehave_segfault_plugin.so is")
      ->required();
  CLI11_PARSE(cli, argc, argv);
  // The shared policy names the plugin from a folder of its own: the path must be absolute.
  plugin_dir = std::filesystem::absolute(plugin_dir).string();
  const auto timeout = std::chrono::seconds(timeout_s);

  gw::testing::TempDir dir;
  gw::testing::BrokerOptions broker_options;
  broker_options.debian_defaults = true;
  gw::testing::MosquittoBroker broker(broker_options);
  FleetSites fleet({broker.url(), dir.path(), probation, "60s", "interval"});
  std::printf(
      "fleet rollout: %zu gatewayd sites on one Mosquitto (Debian defaults), probation %s\n", sites,
      probation.c_str());

  auto start = Clock::now();
  for (size_t i = 0; i < sites; ++i) fleet.startSite(i);
  std::vector<double> t;
  if (!awaitEverySite(fleet, PolicyStatus::OUTCOME_LOCAL_ONLY, 0, start, timeout, &t)) return 1;
  printTimes("started, local policy reported", t);

  std::string out;
  const auto v2 = fleet.bundle(fleet.sharedPolicy("v2"), 2, "v2");
  start = Clock::now();
  if (fleet.publish(v2, &out) != 0) {
    std::fprintf(stderr, "publish failed: %s\n", out.c_str());
    return 1;
  }
  if (!awaitEverySite(fleet, PolicyStatus::OUTCOME_APPLIED, 2, start, timeout, &t)) return 1;
  printTimes("v2 applied (from publish)", t);
  if (!awaitEverySite(fleet, PolicyStatus::OUTCOME_CONFIRMED, 2, start, timeout, &t)) return 1;
  printTimes("v2 confirmed after probation", t);
  size_t heard = 0;
  const auto heard_deadline = Clock::now() + timeout;
  while (heard < sites && Clock::now() < heard_deadline) {
    heard = 0;
    for (size_t i = 0; i < sites; ++i) heard += fleet.view(i).police_messages > 0 ? 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::printf("%-34s %zu of %zu sites\n", "police receive under v2 from", heard, sites);

  auto intruder = gw::crypto::generateIdentityKey("intruder");
  const auto forged = fleet.bundle(fleet.sharedPolicy("v2"), 9, "forged", {}, &intruder);
  start = Clock::now();
  fleet.publishRaw(gw::fleet::groupBundleTopic("north"), *gw::readFile(forged));
  if (!awaitEverySite(fleet, PolicyStatus::OUTCOME_REFUSED, 0, start, timeout, &t)) return 1;
  printTimes("forged bundle refused", t);

  const auto v3 = fleet.bundle(
      fleet.sharedPolicy("v3", plugin_dir + "/libgw_misbehave_segfault_plugin.so"), 3, "v3");
  start = Clock::now();
  if (fleet.publish(v3, &out) != 0) {
    std::fprintf(stderr, "publish failed: %s\n", out.c_str());
    return 1;
  }
  if (!awaitEverySite(fleet, PolicyStatus::OUTCOME_ROLLED_BACK, 3, start, timeout, &t)) return 1;
  printTimes("v3 (crashing plugin) rolled back", t);
  size_t on_v2 = 0;
  for (size_t i = 0; i < sites; ++i) {
    auto s = fleet.latest(i);
    on_v2 += s && s->running_version() == 2 ? 1 : 0;
  }
  std::printf("%-34s %zu of %zu sites\n", "running v2 again", on_v2, sites);

  long rss_total = 0;
  for (size_t i = 0; i < sites; ++i) rss_total += rssKiB(fleet.gateway(i).pid());
  const auto view = fleet.view(0);
  std::printf(
      "bytes: bundle v2 %zu, v3 %zu (retained once per group topic); signed policy status "
      "%zu; signed health summary %zu\n",
      gw::readFile(v2)->size(), gw::readFile(v3)->size(), view.policy_report_bytes,
      view.health_report_bytes);
  std::printf("gatewayd RSS: mean %.1f MiB over %zu sites\n",
              static_cast<double>(rss_total) / 1024.0 / static_cast<double>(sites), sites);
  return on_v2 == sites && heard == sites ? 0 : 1;
}
