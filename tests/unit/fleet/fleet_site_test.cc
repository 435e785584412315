// The gateway's side of a fleet (gateway/fleet/, issue 23), on real files in temp dirs: the
// versions file that keeps the anti-rollback floor, the bundle store, taking a real signed bundle
// (with the example plugin) into a site's local policy, the startup choice with its probation
// count and rollbacks, the probation's verdicts, health samples from the ops inputs, and signed
// fleet reports.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <variant>

#include "gateway/config/policy_loader.h"
#include "gateway/core/counters.h"
#include "gateway/core/files.h"
#include "gateway/fleet/bundle_builder.h"
#include "gateway/fleet/bundle_intake.h"
#include "gateway/fleet/bundle_reader.h"
#include "gateway/fleet/bundle_signature.h"
#include "gateway/fleet/bundle_store.h"
#include "gateway/fleet/fleet_report.h"
#include "gateway/fleet/fleet_versions.h"
#include "gateway/fleet/health_sample.h"
#include "gateway/fleet/probation.h"
#include "gateway/fleet/startup_policy.h"
#include "tests/support/temp_dir.h"

namespace gw::fleet {
namespace {

namespace fs = std::filesystem;

fs::perms modeOf(const fs::path& path) { return fs::status(path).permissions() & fs::perms::all; }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// FleetVersions

class FleetVersionsTest : public ::testing::Test {
 protected:
  fs::path file() const { return dir_ / "versions"; }
  std::string readError(const std::string& text) {
    std::ofstream(file()) << text;
    auto read = readFleetVersions(dir_.path());
    EXPECT_FALSE(read.ok()) << text;
    if (read.ok()) return "";
    EXPECT_EQ(read.status().code(), StatusCode::kDataLoss);
    return read.status().message();
  }
  testing::TempDir dir_;
};

TEST_F(FleetVersionsTest, AnAbsentFileIsAllZeros) {
  auto read = readFleetVersions(dir_ / "fleet");
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->floor, 0u);
  EXPECT_EQ(read->running, 0u);
  EXPECT_EQ(read->last_good, 0u);
  EXPECT_EQ(read->probation_starts, 0u);
  EXPECT_FALSE(read->onProbation());
}

TEST_F(FleetVersionsTest, WhatIsWrittenReadsBackAndIsTheOwnersAlone) {
  const fs::path fleet = dir_ / "state" / "fleet";  // created on the way
  ASSERT_TRUE(writeFleetVersions(fleet, FleetVersions{12, 12, 11, 2}).ok());
  auto read = readFleetVersions(fleet);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->floor, 12u);
  EXPECT_EQ(read->running, 12u);
  EXPECT_EQ(read->last_good, 11u);
  EXPECT_EQ(read->probation_starts, 2u);
  EXPECT_TRUE(read->onProbation());
  EXPECT_EQ(modeOf(fleet / "versions"), fs::perms::owner_read | fs::perms::owner_write);
  // Written again, it is replaced, not appended to.
  ASSERT_TRUE(writeFleetVersions(fleet, FleetVersions{13, 0, 11, 0}).ok());
  read = readFleetVersions(fleet);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->floor, 13u);
  EXPECT_EQ(read->running, 0u);
  EXPECT_FALSE(read->onProbation());
}

TEST_F(FleetVersionsTest, AMalformedFileIsAnErrorAtItsLine) {
  const std::string where = file().string();
  const std::string format = "format: lantaarn-fleet-versions-v1\n";
  EXPECT_EQ(readError(format + "floor 12\n"), where + ":2: not a 'name: value' line");
  EXPECT_EQ(readError(format + "floor: 12\nrunning: twelve\n"),
            where + ":3: 'twelve' is not a number");
  EXPECT_EQ(readError(format + "floor: 12x\n"), where + ":2: '12x' is not a number");
  EXPECT_EQ(readError(format + "floor: 1\n\nceiling: 3\n"), where + ":4: unknown field 'ceiling'");
  EXPECT_EQ(readError("format: lantaarn-fleet-versions-v2\nfloor: 1\n"),
            where + ":1: unknown format 'lantaarn-fleet-versions-v2'");
  EXPECT_EQ(readError("floor: 12\nrunning: 12\n"), where + ": no format line");
  EXPECT_EQ(readError(""), where + ": no format line");
}

// ---------------------------------------------------------------------------------------------
// A site and an operator, on real files: the site's local policy (site, gateway with a fleet, a
// sensor replaying a real Sensor.Community file, an actor and a route) and the operator's shared
// policy folder (the police, a plugin detector and its route).

constexpr char kSite[] = "lamp-12";
constexpr char kGroup[] = "north";

class FleetSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::initSodium().ok());
    ASSERT_TRUE(crypto::writeOperatorKeyPair(key_, site_ / "ops").ok());
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("municipality"), site_ / "keys").ok());
    std::ofstream(local())
        << "site: {id: " << kSite << "}\n"
        << "gateway:\n"
           "  fleet:\n"
           "    operator_keys: [ops/city-ops.pub]\n"
           "    group: "
        << kGroup
        << "\n"
           "actors:\n"
           "  - {id: municipality, public_key_file: keys/municipality.pub, purposes: "
           "[air_quality_monitoring]}\n"
           "sources:\n"
           "  - id: pm\n"
           "    sensor:\n"
           "      format: sensor_community_csv\n"
           "      replay: {path: "
        << testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv").string()
        << ", speed: 10}\n"
           "routes:\n"
           "  - {to: municipality, purpose: air_quality_monitoring, from: {measurements: "
           "[pm10]}}\n";
    fs::create_directories(op_ / "policy");
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("police"), op_ / "keys").ok());
    std::ofstream(op_ / "policy" / "police.yaml")
        << "actors:\n  - {id: police, public_key_file: ../keys/police.pub, purposes: "
           "[public_order]}\n"
           "detectors:\n  - id: crowding\n    sources: [pm]\n    plugin: {path: "
        << GW_PLUGIN
        << ", params: {above: '50'}}\nroutes:\n  - {to: police, purpose: public_order, from: "
           "{detectors: [crowding]}}\n";
    auto loaded = config::loadPolicy(local());
    ASSERT_TRUE(loaded.ok()) << config::formatErrors(loaded.errors);
    local_policy_ = loaded.policy;
  }

  fs::path local() const { return site_ / "policy.yaml"; }
  fs::path fleetDir() const { return site_ / "state" / "fleet"; }

  // The operator's folder as a signed bundle, for this site (or `group` when set).
  std::string bundle(uint64_t version, const std::vector<std::string>& sites = {kSite},
                     const std::string& group = "", const crypto::IdentityKey* signer = nullptr) {
    BundleRequest r;
    r.policy = op_ / "policy";
    r.version = version;
    r.group = group;
    if (group.empty()) r.sites = sites;
    r.created_unix_ms = 1780000000000;
    auto built = buildBundle(r, signer != nullptr ? *signer : key_);
    EXPECT_TRUE(built.ok()) << built.status().message();
    return built.ok() ? built->SerializeAsString() : std::string();
  }

  // A manifest of `files` (path -> content) for this site, signed by the operator by hand: the
  // builder would refuse some of these, a gateway must refuse them on its own.
  std::string handSigned(uint64_t version, const std::map<std::string, std::string>& files) {
    gateway::v1::BundleManifest m;
    m.set_format(kBundleFormat);
    m.set_version(version);
    m.add_sites(kSite);
    for (const auto& [path, content] : files) {
      auto* f = m.add_files();
      f->set_path(path);
      f->set_content(content);
      f->set_sha256(sha256Digest(content));
    }
    return signBundle(m, key_).SerializeAsString();
  }

  IntakeRules rules(uint64_t floor = 0) const {
    return IntakeRules{kSite, kGroup, {crypto::identityPublicHalf(key_)}, local(), floor};
  }

  gateway::v1::BundleManifest manifestOf(const std::string& bytes) {
    auto m = readBundle(bytes, {crypto::identityPublicHalf(key_)});
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? *m : gateway::v1::BundleManifest();
  }

  // The bundle `version` taken as a site takes it; fails the test when it is refused.
  void take(uint64_t version) {
    BundleStore store(fleetDir());
    auto taken = takeBundle(bundle(version), rules(), store);
    ASSERT_TRUE(std::holds_alternative<AcceptedBundle>(taken)) << std::get<Refusal>(taken).reason;
  }

  Refusal refusal(const std::string& bytes, uint64_t floor = 0) {
    BundleStore store(fleetDir());
    auto taken = takeBundle(bytes, rules(floor), store);
    EXPECT_TRUE(std::holds_alternative<Refusal>(taken));
    if (!std::holds_alternative<Refusal>(taken)) return Refusal{"(accepted)", 0};
    return std::get<Refusal>(taken);
  }

  std::vector<std::string> actorsOf(const config::ResolvedPolicy& p) {
    std::vector<std::string> ids;
    for (const auto& a : p.policy.actors()) ids.push_back(a.id());
    return ids;
  }

  // Whether the policy was loaded with the files of bundle `version`.
  bool runsBundle(const config::ResolvedPolicy& p, uint64_t version) {
    const std::string folder = BundleStore(fleetDir()).policyFolder(version).string();
    for (const auto& f : p.files) {
      if (f.rfind(folder + "/", 0) == 0) return true;
    }
    return false;
  }

  crypto::IdentityKey key_ = crypto::generateIdentityKey("city-ops");
  testing::TempDir site_{"lantaarn-site"};
  testing::TempDir op_{"lantaarn-operator"};
  config::ResolvedPolicyPtr local_policy_;
};

// ---------------------------------------------------------------------------------------------
// BundleStore

TEST_F(FleetSiteTest, AnUnpackedBundleHasItsFoldersModesAndTheOriginalBytes) {
  const auto manifest = manifestOf(bundle(7));
  BundleStore store(fleetDir());
  EXPECT_FALSE(store.has(7));
  auto folder = store.unpack(manifest);
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  EXPECT_EQ(*folder, fleetDir() / "bundles" / "7");
  EXPECT_EQ(store.folder(7), *folder);
  EXPECT_EQ(store.policyFolder(7), *folder / "policy");
  EXPECT_TRUE(store.has(7));

  auto plugin = readFile(GW_PLUGIN);
  ASSERT_TRUE(plugin.ok());
  const fs::path plugin_file = *folder / "plugins" / (sha256Hex(*plugin) + ".so");
  ASSERT_TRUE(fs::is_regular_file(plugin_file));
  EXPECT_EQ(*readFile(plugin_file), *plugin);
  EXPECT_EQ(modeOf(plugin_file), fs::perms::owner_read | fs::perms::owner_exec);

  const fs::path key_file = *folder / "keys" / "police.pub";
  ASSERT_TRUE(fs::is_regular_file(key_file));
  EXPECT_EQ(*readFile(key_file), *readFile(op_ / "keys" / "police.pub"));
  EXPECT_EQ(modeOf(key_file), fs::perms::owner_read);

  const fs::path policy_file = *folder / "policy" / "police.yaml";
  ASSERT_TRUE(fs::is_regular_file(policy_file));
  EXPECT_EQ(modeOf(policy_file), fs::perms::owner_read);
  std::map<std::string, std::string> in_manifest;
  for (const auto& f : manifest.files()) in_manifest[f.path()] = f.content();
  EXPECT_EQ(in_manifest.size(), 3u);
  EXPECT_EQ(*readFile(policy_file), in_manifest["policy/police.yaml"]);
  EXPECT_TRUE(contains(*readFile(policy_file), "../keys/police.pub"));
  // Every file of the folder is one of the manifest's.
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(*folder)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    EXPECT_EQ(in_manifest.count(fs::relative(entry.path(), *folder).string()), 1u) << entry.path();
  }
  EXPECT_EQ(files, 3u);
  EXPECT_FALSE(fs::exists(fleetDir() / "bundles" / ".staging-7"));
}

TEST_F(FleetSiteTest, UnpackingAgainReplacesTheFolder) {
  BundleStore store(fleetDir());
  ASSERT_TRUE(store.unpack(manifestOf(bundle(7))).ok());
  std::ofstream(store.policyFolder(7) / "stray.yaml") << "routes: []\n";
  fs::remove(store.folder(7) / "keys" / "police.pub");
  auto again = store.unpack(manifestOf(bundle(7)));
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_FALSE(fs::exists(store.policyFolder(7) / "stray.yaml"));
  EXPECT_TRUE(fs::is_regular_file(store.folder(7) / "keys" / "police.pub"));
  EXPECT_TRUE(fs::is_regular_file(store.policyFolder(7) / "police.yaml"));
}

TEST_F(FleetSiteTest, PruneKeepsOnlyTheListedVersions) {
  BundleStore store(fleetDir());
  for (uint64_t v : {5, 7, 9}) ASSERT_TRUE(store.unpack(manifestOf(bundle(v))).ok()) << v;
  fs::create_directories(fleetDir() / "bundles" / ".staging-11" / "policy");
  std::ofstream(fleetDir() / "bundles" / ".staging-11" / "policy" / "half.yaml") << "x";
  store.prune({7, 9});
  EXPECT_FALSE(store.has(5));
  EXPECT_FALSE(fs::exists(store.folder(5)));
  EXPECT_TRUE(store.has(7));
  EXPECT_TRUE(store.has(9));
  EXPECT_FALSE(fs::exists(fleetDir() / "bundles" / ".staging-11"));
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(fleetDir() / "bundles")) {
    left.push_back(e.path().filename().string());
  }
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"7", "9"}));
}

// ---------------------------------------------------------------------------------------------
// takeBundle

TEST_F(FleetSiteTest, ABundleForThisSiteIsTakenAndMergedAfterTheLocalPolicy) {
  BundleStore store(fleetDir());
  auto taken = takeBundle(bundle(7), rules(6), store);
  ASSERT_TRUE(std::holds_alternative<AcceptedBundle>(taken)) << std::get<Refusal>(taken).reason;
  const auto& accepted = std::get<AcceptedBundle>(taken);
  EXPECT_EQ(accepted.manifest.version(), 7u);
  EXPECT_EQ(accepted.signer_key_id, key_.key_id);
  ASSERT_NE(accepted.policy, nullptr);
  const auto& merged = *accepted.policy;
  EXPECT_EQ(merged.policy.site().id(), kSite);
  EXPECT_EQ(actorsOf(merged), (std::vector<std::string>{"municipality", "police"}));
  ASSERT_EQ(merged.policy.routes_size(), 2);
  EXPECT_EQ(merged.policy.routes(0).to(), "municipality");
  EXPECT_EQ(merged.policy.routes(1).to(), "police");
  ASSERT_EQ(merged.policy.detectors_size(), 1);
  EXPECT_EQ(merged.policy.detectors(0).plugin().path(),
            (store.folder(7) / "plugins" / (sha256Hex(*readFile(GW_PLUGIN)) + ".so")).string());
  EXPECT_TRUE(runsBundle(merged, 7));
  EXPECT_TRUE(store.has(7));
  // A bundle for the site's group is taken too.
  auto by_group = takeBundle(bundle(8, {}, kGroup), rules(7), store);
  EXPECT_TRUE(std::holds_alternative<AcceptedBundle>(by_group))
      << std::get<Refusal>(by_group).reason;
}

TEST_F(FleetSiteTest, PolicyPathsAreTheLocalPolicyThenTheBundlesFolder) {
  BundleStore store(fleetDir());
  EXPECT_EQ(policyPaths(local(), store, 0), std::vector<fs::path>{local()});
  EXPECT_EQ(policyPaths(local(), store, 7),
            (std::vector<fs::path>{local(), fleetDir() / "bundles" / "7" / "policy"}));
}

TEST_F(FleetSiteTest, AnotherOperatorsBundleIsRefusedWithoutItsVersion) {
  const auto other = crypto::generateIdentityKey("city-ops");  // same name, another key
  const Refusal r = refusal(bundle(7, {kSite}, "", &other));
  EXPECT_TRUE(contains(r.reason, "not an operator key of this gateway")) << r.reason;
  EXPECT_EQ(r.version, 0u);
  EXPECT_FALSE(BundleStore(fleetDir()).has(7));
}

TEST_F(FleetSiteTest, ABundleForAnotherSiteOrGroupIsRefused) {
  Refusal r = refusal(bundle(7, {"lamp-13"}));
  EXPECT_EQ(r.reason, "the bundle is not for site 'lamp-12'");
  EXPECT_EQ(r.version, 7u);
  r = refusal(bundle(8, {}, "south"));
  EXPECT_EQ(r.reason, "the bundle is for group 'south', this site (lamp-12) is in 'north'");
  EXPECT_EQ(r.version, 8u);
  EXPECT_FALSE(BundleStore(fleetDir()).has(7));
  EXPECT_FALSE(BundleStore(fleetDir()).has(8));
}

TEST_F(FleetSiteTest, AVersionNotAboveTheFloorIsRefused) {
  Refusal r = refusal(bundle(7), 7);
  EXPECT_EQ(r.reason, "version 7 is not above 7, the highest this site has applied");
  EXPECT_EQ(r.version, 7u);
  r = refusal(bundle(3), 7);
  EXPECT_EQ(r.reason, "version 3 is not above 7, the highest this site has applied");
  EXPECT_EQ(r.version, 3u);
  EXPECT_FALSE(BundleStore(fleetDir()).has(3));
}

TEST_F(FleetSiteTest, ABundleThatSetsTheSitesOwnSectionsIsRefused) {
  const std::string folder = BundleStore(fleetDir()).policyFolder(7).string();
  Refusal r = refusal(handSigned(7, {{"policy/a.yaml", "site: {id: lamp-12}\n"}}));
  EXPECT_EQ(r.version, 7u);
  EXPECT_TRUE(contains(r.reason, "the merged policy does not validate: ")) << r.reason;
  EXPECT_TRUE(contains(
      r.reason, folder + "/a.yaml:1:7: site: site is already defined in " + local().string()))
      << r.reason;
  r = refusal(handSigned(8, {{"policy/b.yaml", "gateway: {max_inflight: 10}\n"}}));
  EXPECT_EQ(r.version, 8u);
  EXPECT_TRUE(
      contains(r.reason, "b.yaml:1:10: gateway: gateway is already defined in " + local().string()))
      << r.reason;
}

TEST_F(FleetSiteTest, ABundleWhosePolicyDoesNotValidateIsRefused) {
  const Refusal r = refusal(handSigned(
      7, {{"policy/a.yaml",
           "routes:\n  - {to: ambulance, purpose: rescue, from: {measurements: [pm10]}}\n"}}));
  EXPECT_EQ(r.version, 7u);
  EXPECT_TRUE(contains(r.reason, "the merged policy does not validate: ")) << r.reason;
  EXPECT_TRUE(contains(r.reason, "a.yaml:2:10: routes[1].to: unknown actor 'ambulance'"))
      << r.reason;
}

TEST_F(FleetSiteTest, TruncatedOrEmptyBytesAreRefused) {
  const std::string bytes = bundle(7);
  for (const std::string& cut : {bytes.substr(0, bytes.size() / 2), bytes.substr(0, 10),
                                 std::string(), std::string("not a bundle")}) {
    const Refusal r = refusal(cut);
    EXPECT_FALSE(r.reason.empty());
    EXPECT_NE(r.reason, "(accepted)");
    EXPECT_EQ(r.version, 0u) << r.reason;
  }
  EXPECT_FALSE(BundleStore(fleetDir()).has(7));
}

// ---------------------------------------------------------------------------------------------
// chooseStartupPolicy

TEST_F(FleetSiteTest, WithoutAVersionsFileTheLocalPolicyRunsAndTheFileIsWritten) {
  auto start = chooseStartupPolicy(local(), local_policy_, fleetDir());
  ASSERT_TRUE(start.ok()) << start.status().message();
  EXPECT_EQ(start->policy, local_policy_);
  EXPECT_TRUE(start->rolled_back.empty());
  EXPECT_EQ(start->dropped_version, 0u);
  EXPECT_EQ(start->versions.running, 0u);
  ASSERT_TRUE(fs::is_regular_file(fleetDir() / "versions"));
  auto persisted = readFleetVersions(fleetDir());
  ASSERT_TRUE(persisted.ok());
  EXPECT_EQ(persisted->floor, 0u);
  EXPECT_EQ(persisted->running, 0u);
}

TEST_F(FleetSiteTest, ABundleThatRunsLoadsWithTheLocalPolicy) {
  take(7);
  ASSERT_TRUE(writeFleetVersions(fleetDir(), FleetVersions{7, 7, 7, 0}).ok());
  auto start = chooseStartupPolicy(local(), local_policy_, fleetDir());
  ASSERT_TRUE(start.ok()) << start.status().message();
  ASSERT_NE(start->policy, nullptr);
  EXPECT_TRUE(runsBundle(*start->policy, 7));
  EXPECT_EQ(actorsOf(*start->policy), (std::vector<std::string>{"municipality", "police"}));
  EXPECT_TRUE(start->rolled_back.empty());
  EXPECT_EQ(start->versions.probation_starts, 0u) << "not on probation: not counted";
}

TEST_F(FleetSiteTest, StartsOnProbationAreCountedAndTooManyRollBack) {
  take(5);
  take(7);
  ASSERT_TRUE(writeFleetVersions(fleetDir(), FleetVersions{7, 7, 5, 1}).ok());
  for (uint32_t expected = 2; expected <= kMaxProbationStarts; ++expected) {
    auto start = chooseStartupPolicy(local(), local_policy_, fleetDir());
    ASSERT_TRUE(start.ok()) << start.status().message();
    EXPECT_TRUE(start->rolled_back.empty()) << start->rolled_back;
    EXPECT_EQ(start->versions.running, 7u);
    EXPECT_EQ(start->versions.probation_starts, expected);
    EXPECT_TRUE(runsBundle(*start->policy, 7));
    auto persisted = readFleetVersions(fleetDir());
    ASSERT_TRUE(persisted.ok());
    EXPECT_EQ(persisted->probation_starts, expected);
  }
  auto start = chooseStartupPolicy(local(), local_policy_, fleetDir());
  ASSERT_TRUE(start.ok()) << start.status().message();
  EXPECT_EQ(start->rolled_back, "gatewayd started " + std::to_string(kMaxProbationStarts) +
                                    " times during the bundle's probation");
  EXPECT_EQ(start->dropped_version, 7u);
  EXPECT_EQ(start->versions.running, 5u);
  EXPECT_EQ(start->versions.last_good, 5u);
  EXPECT_EQ(start->versions.floor, 7u) << "the floor stays: 7 is not taken again";
  EXPECT_FALSE(start->versions.onProbation());
  EXPECT_TRUE(runsBundle(*start->policy, 5));
  EXPECT_FALSE(runsBundle(*start->policy, 7));
  auto persisted = readFleetVersions(fleetDir());
  ASSERT_TRUE(persisted.ok());
  EXPECT_EQ(persisted->running, 5u);
  EXPECT_EQ(persisted->probation_starts, 0u);
  // The next start runs the last good bundle without further ado.
  auto next = chooseStartupPolicy(local(), local_policy_, fleetDir());
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->rolled_back.empty());
  EXPECT_EQ(next->versions.running, 5u);
}

TEST_F(FleetSiteTest, ARunningBundleThatIsGoneFallsBackToLastGoodThenToLocal) {
  take(5);
  take(7);
  BundleStore store(fleetDir());
  ASSERT_TRUE(writeFleetVersions(fleetDir(), FleetVersions{7, 7, 5, 0}).ok());
  fs::remove_all(store.folder(7));
  auto start = chooseStartupPolicy(local(), local_policy_, fleetDir());
  ASSERT_TRUE(start.ok()) << start.status().message();
  EXPECT_TRUE(
      contains(start->rolled_back, "bundle version 7 no longer loads with the local policy: "))
      << start->rolled_back;
  EXPECT_TRUE(contains(start->rolled_back, "no such file or directory")) << start->rolled_back;
  EXPECT_EQ(start->dropped_version, 7u);
  EXPECT_EQ(start->versions.running, 5u);
  EXPECT_EQ(start->versions.last_good, 5u);
  EXPECT_TRUE(runsBundle(*start->policy, 5));

  // Both gone: the local policy alone, and the reason names each.
  ASSERT_TRUE(writeFleetVersions(fleetDir(), FleetVersions{7, 7, 5, 0}).ok());
  fs::remove_all(store.folder(5));
  start = chooseStartupPolicy(local(), local_policy_, fleetDir());
  ASSERT_TRUE(start.ok()) << start.status().message();
  EXPECT_EQ(start->policy, local_policy_);
  EXPECT_TRUE(contains(start->rolled_back, "bundle version 7 no longer loads"))
      << start->rolled_back;
  EXPECT_TRUE(contains(start->rolled_back, "; bundle version 5 no longer loads"))
      << start->rolled_back;
  EXPECT_EQ(start->dropped_version, 7u);
  EXPECT_EQ(start->versions.running, 0u);
  EXPECT_EQ(start->versions.last_good, 0u);
  EXPECT_EQ(start->versions.floor, 7u);
  auto persisted = readFleetVersions(fleetDir());
  ASSERT_TRUE(persisted.ok());
  EXPECT_EQ(persisted->running, 0u);
  EXPECT_EQ(persisted->last_good, 0u);
}

TEST_F(FleetSiteTest, AMalformedVersionsFileStopsTheStart) {
  fs::create_directories(fleetDir());
  std::ofstream(fleetDir() / "versions") << "floor: 7\n";
  auto start = chooseStartupPolicy(local(), local_policy_, fleetDir());
  ASSERT_FALSE(start.ok());
  EXPECT_TRUE(contains(start.status().message(), "no format line"));
}

// ---------------------------------------------------------------------------------------------
// Probation

gateway::v1::ComponentState* addState(
    google::protobuf::RepeatedPtrField<gateway::v1::ComponentState>* list, const std::string& id,
    const std::string& state) {
  auto* c = list->Add();
  c->set_id(id);
  c->set_state(state);
  return c;
}

// A site with a healthy source, a source that was stalled already, two detectors (one crashed
// twice before the bundle) and the broker connected.
HealthSample baseline() {
  HealthSample s;
  s.summary.set_broker_connected(true);
  addState(s.summary.mutable_sources(), "pm", "ok");
  addState(s.summary.mutable_sources(), "old", "stalled");
  addState(s.summary.mutable_detectors(), "crowding", "ok");
  addState(s.summary.mutable_detectors(), "limit", "ok");
  s.crashes = {{"crowding", 2}, {"limit", 0}};
  return s;
}

TEST(ProbationTest, HoldsWhileNothingChanges) {
  Probation p(baseline());
  for (int i = 0; i < 3 * kLinkDownSamples; ++i) EXPECT_EQ(p.judge(baseline()), std::nullopt) << i;
}

TEST(ProbationTest, ADetectorNewlyDisabledFails) {
  Probation p(baseline());
  HealthSample now = baseline();
  now.summary.mutable_detectors(1)->set_state("disabled");
  EXPECT_EQ(p.judge(now), "detector limit was disabled");
  // Disabled already at the baseline: not the bundle's doing.
  HealthSample before = baseline();
  before.summary.mutable_detectors(1)->set_state("disabled");
  Probation q(before);
  EXPECT_EQ(q.judge(now), std::nullopt);
}

TEST(ProbationTest, ARisingCrashCountFails) {
  Probation p(baseline());
  HealthSample now = baseline();
  EXPECT_EQ(p.judge(now), std::nullopt) << "two crashes before the bundle do not count";
  now.crashes["crowding"] = 3;
  EXPECT_EQ(p.judge(now), "detector crowding crashed 1 time(s)");
  HealthSample first = baseline();
  first.crashes.erase("limit");
  Probation q(first);
  now = baseline();
  now.crashes["limit"] = 2;
  EXPECT_EQ(q.judge(now), "detector limit crashed 2 time(s)");
}

TEST(ProbationTest, ASourceNewlyStalledFailsOneStalledBeforeDoesNot) {
  Probation p(baseline());
  HealthSample now = baseline();
  EXPECT_EQ(p.judge(now), std::nullopt) << "'old' was stalled at the baseline";
  now.summary.mutable_sources(0)->set_state("stalled");
  EXPECT_EQ(p.judge(now), "source pm stalled");
  // A source the bundle added that stalls counts too.
  HealthSample added = baseline();
  addState(added.summary.mutable_sources(), "new", "stalled");
  Probation q(baseline());
  EXPECT_EQ(q.judge(added), "source new stalled");
}

TEST(ProbationTest, TheBrokerLinkFailsOnlyAfterEnoughSamplesDownInARow) {
  Probation p(baseline());
  HealthSample down = baseline();
  down.summary.set_broker_connected(false);
  for (int i = 1; i < kLinkDownSamples; ++i) EXPECT_EQ(p.judge(down), std::nullopt) << i;
  EXPECT_EQ(p.judge(baseline()), std::nullopt) << "up again: the count starts over";
  for (int i = 1; i < kLinkDownSamples; ++i) EXPECT_EQ(p.judge(down), std::nullopt) << i;
  EXPECT_EQ(p.judge(down), "the broker link broke");
  // Down at the baseline: not the bundle's doing, however long it lasts.
  Probation q(down);
  for (int i = 0; i < 3 * kLinkDownSamples; ++i) EXPECT_EQ(q.judge(down), std::nullopt) << i;
}

TEST(ProbationTest, APipelineSilentForEnoughSamplesFails) {
  Probation p(baseline());
  HealthSample silent;  // what sampleHealth gives when the pipeline did not answer
  silent.pipeline_answered = false;
  for (int i = 1; i < kLinkDownSamples; ++i) EXPECT_EQ(p.judge(silent), std::nullopt) << i;
  EXPECT_EQ(p.judge(baseline()), std::nullopt) << "answered again: the count starts over";
  for (int i = 1; i < kLinkDownSamples; ++i) EXPECT_EQ(p.judge(silent), std::nullopt) << i;
  EXPECT_EQ(p.judge(silent), "the pipeline thread stopped answering");
}

// ---------------------------------------------------------------------------------------------
// sampleHealth

ops::OpsInputs opsInputs() {
  ops::OpsInputs in;
  in.version = "1.2.3";
  ops::GatewayStatus status;
  status.site_id = kSite;
  status.broker_connected = true;
  status.outbox_accepting = true;
  status.outbox_messages = 42;
  status.sources = {{"a", "sensor", false}, {"b", "sensor", true}, {"c", "camera", false}};
  status.detectors = {{"x", {"a"}, "none"}, {"x2", {"a"}, "none"}, {"y", {"c"}, "process"}};
  status.backlog = {{"police", 40, 4000, 12.5}, {"municipality", 2, 200, 30.25}};
  in.status = status;
  in.watches = {{ops::Watch::Kind::kSource, "a", {}, {}},
                {ops::Watch::Kind::kSource, "c", {}, {}},
                {ops::Watch::Kind::kDetector, "a", {}, {}}};
  in.progress.resize(3);
  in.progress[1].stalled = true;  // c
  in.progress[2].stalled = true;  // detector "a": its stall is not source a's
  in.stall_after = std::chrono::seconds(60);
  auto crashes = [&](const std::string& d, const std::string& reason, uint64_t n) {
    in.counters[counterKey("detector_crashes_total", {{"detector", d}, {"reason", reason}})] = n;
  };
  crashes("x", "segfault", 2);
  crashes("x", "hang", 1);
  crashes("x2", "segfault", 5);
  crashes("w", "abort", 7);  // not a detector of this status
  // y: disabled twice, enabled once: disabled now. x: disabled and enabled again.
  in.counters[counterKey("detector_disabled_total", {{"detector", "y"}})] = 2;
  in.counters[counterKey("detector_enabled_total", {{"detector", "y"}})] = 1;
  in.counters[counterKey("detector_disabled_total", {{"detector", "x"}})] = 1;
  in.counters[counterKey("detector_enabled_total", {{"detector", "x"}})] = 1;
  return in;
}

std::map<std::string, const gateway::v1::ComponentState*> byId(
    const google::protobuf::RepeatedPtrField<gateway::v1::ComponentState>& list) {
  std::map<std::string, const gateway::v1::ComponentState*> out;
  for (const auto& c : list) out[c.id()] = &c;
  return out;
}

TEST(HealthSampleTest, TheSummaryCarriesStatesCrashesAndTheOutbox) {
  const HealthSample s = sampleHealth(opsInputs(), 7, "refused 8: bad", 1780000000000);
  EXPECT_TRUE(s.pipeline_answered);
  EXPECT_EQ(s.summary.gateway_version(), "1.2.3");
  EXPECT_EQ(s.summary.policy_version(), 7u);
  EXPECT_EQ(s.summary.last_error(), "refused 8: bad");
  EXPECT_EQ(s.summary.started_unix_ms(), 1780000000000);
  EXPECT_TRUE(s.summary.broker_connected());
  EXPECT_EQ(s.summary.outbox_messages(), 42u);
  EXPECT_DOUBLE_EQ(s.summary.outbox_oldest_age_seconds(), 30.25);

  auto sources = byId(s.summary.sources());
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(sources["a"]->state(), "ok");
  EXPECT_EQ(sources["b"]->state(), "finished");
  EXPECT_EQ(sources["c"]->state(), "stalled");

  auto detectors = byId(s.summary.detectors());
  ASSERT_EQ(detectors.size(), 3u);
  EXPECT_EQ(detectors["x"]->state(), "ok") << "enabled again after its disable";
  EXPECT_EQ(detectors["x2"]->state(), "ok");
  EXPECT_EQ(detectors["y"]->state(), "disabled");
  EXPECT_EQ(detectors["x"]->detail(), "3 crash(es)");
  EXPECT_EQ(detectors["x2"]->detail(), "5 crash(es)");
  EXPECT_EQ(detectors["y"]->detail(), "");
  EXPECT_EQ(s.crashes, (std::map<std::string, uint64_t>{{"x", 3}, {"x2", 5}, {"y", 0}}));

  // /healthz's verdict: the stalled source, the stalled frame detector, the disabled detector.
  EXPECT_FALSE(s.summary.healthy());
  ASSERT_EQ(s.problems.size(), 3u) << ::testing::PrintToString(s.problems);
  EXPECT_TRUE(contains(s.problems[0], "source c made no progress")) << s.problems[0];
  EXPECT_TRUE(contains(s.problems[1], "detector a processed no frame")) << s.problems[1];
  EXPECT_TRUE(contains(s.problems[2], "detector y is disabled")) << s.problems[2];
}

// /healthz does not count a source paused by a full outbox (backpressure) as stalled; the summary
// a probation judges by should not either, or a bundle is rolled back for the outbox's state.
TEST(HealthSampleTest, ASourcePausedByAFullOutboxIsNotStalled) {
  ops::OpsInputs in = opsInputs();
  in.status->outbox_accepting = false;
  const HealthSample s = sampleHealth(in, 7, "", 1);
  for (const auto& p : s.problems) EXPECT_FALSE(contains(p, "source c")) << p;
  EXPECT_NE(byId(s.summary.sources())["c"]->state(), "stalled")
      << "/healthz: no problem with source c; the fleet summary: stalled";
}

TEST(HealthSampleTest, AHealthySiteAndOneWhosePipelineDidNotAnswer) {
  ops::OpsInputs in = opsInputs();
  in.progress[1].stalled = false;
  in.progress[2].stalled = false;
  in.counters[counterKey("detector_enabled_total", {{"detector", "y"}})] = 2;
  const HealthSample healthy = sampleHealth(in, 0, "", 1);
  EXPECT_TRUE(healthy.summary.healthy()) << ::testing::PrintToString(healthy.problems);
  EXPECT_TRUE(healthy.problems.empty());
  EXPECT_EQ(byId(healthy.summary.sources())["c"]->state(), "ok");
  EXPECT_EQ(byId(healthy.summary.detectors())["y"]->state(), "ok");

  in.status.reset();
  const HealthSample silent = sampleHealth(in, 0, "", 1);
  EXPECT_FALSE(silent.pipeline_answered);
  EXPECT_FALSE(silent.summary.healthy());
  EXPECT_EQ(silent.summary.sources_size(), 0);
  EXPECT_EQ(silent.summary.gateway_version(), "1.2.3");
  // A probation sees the silence.
  Probation p(healthy);
  for (int i = 1; i < kLinkDownSamples; ++i) EXPECT_EQ(p.judge(silent), std::nullopt);
  EXPECT_EQ(p.judge(silent), "the pipeline thread stopped answering");
}

TEST(HealthSampleTest, TheFingerprintIgnoresTheOutboxButNotStates) {
  const auto base = sampleHealth(opsInputs(), 7, "", 1).summary;
  auto busier = base;
  busier.set_outbox_messages(9000);
  busier.set_outbox_oldest_age_seconds(600);
  EXPECT_EQ(summaryFingerprint(busier), summaryFingerprint(base));
  auto changed = base;
  changed.mutable_sources(0)->set_state("stalled");
  EXPECT_NE(summaryFingerprint(changed), summaryFingerprint(base));
  changed = base;
  changed.set_broker_connected(false);
  EXPECT_NE(summaryFingerprint(changed), summaryFingerprint(base));
  changed = base;
  changed.set_policy_version(8);
  EXPECT_NE(summaryFingerprint(changed), summaryFingerprint(base));
}

// ---------------------------------------------------------------------------------------------
// Fleet reports

class FleetReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::initSodium().ok());
    report_.set_site(kSite);
    report_.set_group(kGroup);
    report_.set_sent_unix_ms(1780000000000);
    auto* health = report_.mutable_health();
    health->set_policy_version(7);
    health->set_healthy(true);
    addState(health->mutable_sources(), "pm", "ok");
  }
  gateway::v1::FleetReport report_;
  crypto::IdentityKey gateway_ = crypto::generateIdentityKey(kSite);
};

TEST_F(FleetReportTest, ASignedReportChecksAndReadsBack) {
  const std::string bytes = signFleetReport(report_, gateway_).SerializeAsString();
  auto checked = checkFleetReport(bytes, {crypto::identityPublicHalf(gateway_)});
  ASSERT_TRUE(checked.ok()) << checked.status().message();
  EXPECT_TRUE(checked->pinned);
  EXPECT_EQ(checked->signer_key_id, gateway_.key_id);
  EXPECT_EQ(checked->report.SerializeAsString(), report_.SerializeAsString());
  EXPECT_EQ(checked->report.health().sources(0).id(), "pm");
}

TEST_F(FleetReportTest, AnyFlippedByteIsRefused) {
  const auto signed_report = signFleetReport(report_, gateway_);
  const std::string bytes = signed_report.SerializeAsString();
  const std::vector<crypto::IdentityPublicKey> pinned = {crypto::identityPublicHalf(gateway_)};
  // The signed parts: the report, the signature and the signer's public key.
  std::vector<std::pair<size_t, size_t>> covered;
  for (const std::string* part :
       {&signed_report.report(), &signed_report.signature(), &signed_report.signer_public_key()}) {
    const size_t at = bytes.find(*part);
    ASSERT_NE(at, std::string::npos);
    covered.emplace_back(at, at + part->size());
  }
  size_t refused_in_signed_parts = 0, flips_in_signed_parts = 0, changed_and_accepted = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string tampered = bytes;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    auto checked = checkFleetReport(tampered, pinned);
    const bool in_signed_part = std::any_of(covered.begin(), covered.end(), [&](const auto& r) {
      return i >= r.first && i < r.second;
    });
    if (in_signed_part) {
      ++flips_in_signed_parts;
      if (!checked.ok()) ++refused_in_signed_parts;
    }
    // Anywhere else (the key id the report carries is not trusted, it is derived again), a
    // flip may be accepted only when it changes nothing the reader gets.
    if (checked.ok() && (checked->report.SerializeAsString() != report_.SerializeAsString() ||
                         checked->signer_key_id != gateway_.key_id || !checked->pinned)) {
      ++changed_and_accepted;
    }
  }
  EXPECT_EQ(refused_in_signed_parts, flips_in_signed_parts);
  EXPECT_GT(flips_in_signed_parts, 96u);
  EXPECT_EQ(changed_and_accepted, 0u);
  // One changed field in the report, without signing it again, breaks the signature.
  auto forged_report = signed_report;
  auto forged = report_;
  forged.mutable_health()->set_healthy(false);
  forged_report.set_report(forged.SerializeAsString());
  auto checked = checkFleetReport(forged_report.SerializeAsString(), {});
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(checked.status().message(), "the signature does not hold");
}

TEST_F(FleetReportTest, APinnedSiteMustUseItsPinnedKey) {
  const auto other = crypto::generateIdentityKey(kSite);
  const std::string by_other = signFleetReport(report_, other).SerializeAsString();
  auto refused = checkFleetReport(by_other, {crypto::identityPublicHalf(gateway_)});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.status().message(),
            "site lamp-12 reported with key " + other.key_id + ", which is not its pinned key");
  // Unpinned (no key, or only another site's): intact, but not known to be the site's.
  for (const auto& pinned : std::vector<std::vector<crypto::IdentityPublicKey>>{
           {}, {crypto::identityPublicHalf(crypto::generateIdentityKey("lamp-13"))}}) {
    auto unpinned = checkFleetReport(by_other, pinned);
    ASSERT_TRUE(unpinned.ok()) << unpinned.status().message();
    EXPECT_FALSE(unpinned->pinned);
    EXPECT_EQ(unpinned->signer_key_id, other.key_id);
    EXPECT_EQ(unpinned->report.site(), kSite);
  }
}

}  // namespace
}  // namespace gw::fleet
