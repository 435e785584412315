// A fleet end to end (issue 23): three real gatewayd sites on one Mosquitto take a signed bundle
// that grants the police PM10, published with one `gatewayctl policy publish`; each applies it,
// says so in its signed, retained policy status, confirms it after its probation, and the police
// receive from every site. Then every kind of bad bundle is refused with its reason and changes
// nothing; a bundle whose plugin crashes is rolled back everywhere; and a restart keeps both the
// bundle and the anti-rollback floor.
#include <set>
#include <sstream>

#include "gateway/core/files.h"
#include "gateway/fleet/bundle_builder.h"
#include "gateway/fleet/bundle_reader.h"
#include "gateway/fleet/bundle_signature.h"
#include "gateway/fleet/fleet_topics.h"
#include "gateway/fleet/fleet_versions.h"
#include "tests/e2e/fleet_fixture.h"

namespace gw::e2e {
namespace {

using gw::testing::waitUntil;

constexpr size_t kSites = 3;
constexpr auto kWait = std::chrono::seconds(30);

class FleetE2eTest : public FleetFixture {
 protected:
  // `gatewayctl policy publish`: its exit code; what it said in ctl_out_.
  int publish(const std::filesystem::path& bundle) { return fleet_->publish(bundle, &ctl_out_); }

  void startAll() {
    for (size_t i = 0; i < kSites; ++i) fleet_->startSite(i);
    for (size_t i = 0; i < kSites; ++i) {
      ASSERT_TRUE(waitUntil(
          [&] { return fleet_->latestIs(i, PolicyStatus::OUTCOME_LOCAL_ONLY, 0); }, kWait))
          << fleet_->describe(i);
    }
  }

  void expectEverySite(PolicyStatus::Outcome outcome, uint64_t version) {
    for (size_t i = 0; i < kSites; ++i) {
      EXPECT_TRUE(waitUntil([&] { return fleet_->latestIs(i, outcome, version); }, kWait))
          << fleet_->describe(i);
    }
  }

  // Applies v2 (police get PM10) everywhere and waits for its confirmation.
  void rollOutVersion2() {
    ASSERT_EQ(publish(fleet_->bundle(fleet_->sharedPolicy("v2"), 2, "v2")), 0) << ctl_out_;
    EXPECT_NE(ctl_out_.find("published version 2"), std::string::npos) << ctl_out_;
    expectEverySite(PolicyStatus::OUTCOME_CONFIRMED, 2);
  }

  fleet::FleetVersions versionsOf(size_t i) {
    auto v = fleet::readFleetVersions(fleet_->stateDir(i) / "fleet");
    EXPECT_TRUE(v.ok()) << v.status().message();
    return v.ok() ? *v : fleet::FleetVersions{};
  }

  uint64_t policeOf(size_t i) { return fleet_->view(i).police_messages; }

  std::string ctl_out_;
};

TEST_F(FleetE2eTest, OneCommandChangesWhatThePoliceReceiveOnEverySite) {
  startAll();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (size_t i = 0; i < kSites; ++i) EXPECT_EQ(policeOf(i), 0u) << "before the bundle";

  ASSERT_EQ(publish(fleet_->bundle(fleet_->sharedPolicy("v2"), 2, "v2")), 0) << ctl_out_;
  expectEverySite(PolicyStatus::OUTCOME_CONFIRMED, 2);
  for (size_t i = 0; i < kSites; ++i) {
    const auto statuses = fleet_->view(i).statuses;
    // Applied (on probation, with its end) before confirmed.
    bool applied = false;
    for (const auto& s : statuses) {
      if (s.outcome() == PolicyStatus::OUTCOME_APPLIED && s.bundle_version() == 2) {
        applied = true;
        EXPECT_GT(s.probation_ends_unix_ms(), 0);
        EXPECT_EQ(s.operator_name(), "city-ops");
        EXPECT_EQ(s.signer_key_id(), fleet_->operatorKey().key_id);
      }
    }
    EXPECT_TRUE(applied) << fleet_->describe(i);
    EXPECT_TRUE(waitUntil([&] { return policeOf(i) > 3; }, kWait)) << fleet_->describe(i);
    EXPECT_TRUE(waitUntil([&] { return fleet_->view(i).health_policy_version == 2; }, kWait));
    const auto v = versionsOf(i);
    EXPECT_EQ(v.running, 2u);
    EXPECT_EQ(v.floor, 2u);
    EXPECT_EQ(v.last_good, 2u);
    EXPECT_FALSE(v.onProbation());
    // The plugin-free bundle unpacked by version, its key rewritten beside it.
    EXPECT_TRUE(std::filesystem::exists(fleet_->stateDir(i) / "fleet" / "bundles" / "2" / "keys" /
                                        "police.pub"));
  }

  // One table: gatewayctl fleet status sees every site running version 2.
  ChildProcess status({{gw::testing::appBinary("gatewayctl"), "fleet", "status", "--broker",
                        broker_.url(), "--operator-key", fleet_->operatorPublicKey().string()},
                       {},
                       dir_ / "status.out",
                       dir_ / "status.err"});
  auto exit = status.wait(kWait);
  ASSERT_TRUE(exit.has_value());
  const std::string table = status.readStdout();
  EXPECT_EQ(ChildProcess::exitCode(*exit), 0) << table << status.readStderr();
  EXPECT_NE(table.find("sites 3: online 3"), std::string::npos) << table;
  EXPECT_NE(table.find("policy versions: 2 x3"), std::string::npos) << table;
}

TEST_F(FleetE2eTest, AForgedStaleOrBrokenBundleChangesNothingAnywhere) {
  startAll();
  rollOutVersion2();
  const auto group_topic = fleet::groupBundleTopic("north");
  const auto v2 = fleet_->sharedPolicy("v2");
  std::vector<std::pair<std::string, std::string>> cases;  // bytes, expected reason part

  // Signed by a key the sites do not hold (an attacker with write access to the topic).
  auto intruder = crypto::generateIdentityKey("intruder");
  cases.push_back(
      {*readFile(fleet_->bundle(v2, 9, "forged", {}, &intruder)), "not an operator key"});
  // A proper bundle with one byte of its policy changed (public_order -> public_ordes).
  std::string tampered = *readFile(fleet_->bundle(v2, 9, "t"));
  const size_t purpose = tampered.find("public_order");
  ASSERT_NE(purpose, std::string::npos);
  tampered[purpose + 11] = 's';
  cases.push_back({tampered, "signature does not hold"});
  // Older than what runs, properly signed.
  cases.push_back({*readFile(fleet_->bundle(v2, 1, "stale")), "is not above 2"});
  // Truncated in transit.
  const std::string good = *readFile(fleet_->bundle(v2, 9, "good"));
  cases.push_back({good.substr(0, good.size() / 2), ""});
  // Another site's, on the group topic.
  cases.push_back({*readFile(fleet_->bundle(v2, 9, "other", {"elsewhere"})), "not for site"});
  // A policy that does not validate (a route to an actor nobody defined).
  cases.push_back(
      {*readFile(fleet_->bundle(fleet_->sharedPolicy("v9bad", "",
                                                     "  - {to: nobody, purpose: public_order, "
                                                     "from: {measurements: [pm10]}}\n"),
                                9, "bad")),
       "does not validate"});
  // A plugin whose hash does not match: re-signed by the operator's key after the swap, so
  // only the hash check can catch it.
  {
    auto built =
        fleet::buildBundle({fleet_->sharedPolicy("v9p", GW_PLUGIN_DIR "/libgw_example_plugin.so"),
                            9,
                            {},
                            "north",
                            gw::testing::unixMsNow()},
                           fleet_->operatorKey());
    ASSERT_TRUE(built.ok()) << built.status().message();
    gateway::v1::BundleManifest manifest;
    ASSERT_TRUE(manifest.ParseFromString(built->manifest()));
    for (auto& file : *manifest.mutable_files()) {
      if (file.path().rfind("plugins/", 0) == 0) file.mutable_content()->append("payload");
    }
    cases.push_back(
        {fleet::signBundle(manifest, fleet_->operatorKey()).SerializeAsString(), "does not match"});
  }

  for (const auto& [bytes, reason] : cases) {
    fleet_->publishRaw(group_topic, bytes);
    for (size_t i = 0; i < kSites; ++i) {
      EXPECT_TRUE(waitUntil(
          [&] {
            auto s = fleet_->latest(i);
            return s && s->outcome() == PolicyStatus::OUTCOME_REFUSED &&
                   s->reason().find(reason) != std::string::npos;
          },
          kWait))
          << "expected a refusal with '" << reason << "'\n"
          << fleet_->describe(i);
      auto s = fleet_->latest(i);
      ASSERT_TRUE(s);
      EXPECT_EQ(s->running_version(), 2u) << s->ShortDebugString();
      const auto v = versionsOf(i);
      EXPECT_EQ(v.running, 2u);
      EXPECT_EQ(v.floor, 2u);
    }
    // Cleared, so the next case is a new message for every site.
    fleet_->publishRaw(group_topic, "");
  }
  // The police still receive under version 2 from every site.
  for (size_t i = 0; i < kSites; ++i) {
    const uint64_t before = policeOf(i);
    EXPECT_TRUE(waitUntil([&] { return policeOf(i) > before; }, kWait)) << fleet_->describe(i);
  }
}

TEST_F(FleetE2eTest, ABundleWhosePluginCrashesIsRolledBackEverywhere) {
  startAll();
  rollOutVersion2();
  const std::string crasher = std::string(GW_PLUGIN_DIR) + "/libgw_misbehave_segfault_plugin.so";
  ASSERT_TRUE(std::filesystem::exists(crasher)) << crasher;
  ASSERT_EQ(publish(fleet_->bundle(fleet_->sharedPolicy("v3", crasher), 3, "v3")), 0) << ctl_out_;
  expectEverySite(PolicyStatus::OUTCOME_ROLLED_BACK, 3);
  for (size_t i = 0; i < kSites; ++i) {
    auto s = fleet_->latest(i);
    ASSERT_TRUE(s);
    EXPECT_NE(s->reason().find("detector probe crashed"), std::string::npos)
        << s->ShortDebugString();
    EXPECT_EQ(s->running_version(), 2u);
    const auto v = versionsOf(i);
    EXPECT_EQ(v.running, 2u);
    EXPECT_EQ(v.last_good, 2u);
    EXPECT_EQ(v.floor, 3u) << "a rolled-back version is never taken again";
    const uint64_t before = policeOf(i);
    EXPECT_TRUE(waitUntil([&] { return policeOf(i) > before; }, kWait)) << fleet_->describe(i);
  }
}

TEST_F(FleetE2eTest, ARestartKeepsTheBundleAndTheFloor) {
  startAll();
  rollOutVersion2();
  ASSERT_TRUE(fleet_->stopSite(0));
  fleet_->startSite(0);
  // It starts on version 2 (the retained bundle is no news) and the police get data again.
  const uint64_t before = policeOf(0);
  ASSERT_TRUE(waitUntil([&] { return policeOf(0) > before + 3; }, kWait)) << fleet_->describe(0);
  EXPECT_TRUE(fleet_->latestIs(0, PolicyStatus::OUTCOME_CONFIRMED, 2)) << fleet_->describe(0);
  ASSERT_EQ(publish(fleet_->bundle(fleet_->sharedPolicy("v2"), 1, "v1")), 0) << ctl_out_;
  EXPECT_TRUE(waitUntil(
      [&] {
        auto s = fleet_->latest(0);
        return s && s->outcome() == PolicyStatus::OUTCOME_REFUSED && s->bundle_version() == 1;
      },
      kWait))
      << fleet_->describe(0);
  EXPECT_EQ(versionsOf(0).running, 2u);
}

// The police's key rotated through a bundle: every site starts a new epoch sealed to the new key.
// A subscriber holding both keys reads on across the switch with no gap; one holding only the old
// key reads up to the switch and has everything after it refused as addressed to another key.
TEST_F(FleetE2eTest, ABundleWithThePolicesNewKeyRotatesItWithoutAGap) {
  startAll();
  rollOutVersion2();
  auto new_key = crypto::generateKeyPair("police");
  ASSERT_TRUE(crypto::writeKeyPair(new_key, dir_.path() / "keys-new").ok());
  const auto old_key_file = dir_.path() / "keys" / "police.key";
  const auto new_key_file = dir_.path() / "keys-new" / "police.key";
  auto subscriber = [&](const std::string& name, std::vector<std::filesystem::path> keys) {
    std::vector<std::string> args{gw::testing::appBinary("gatewayctl"),
                                  "subscribe",
                                  "--broker",
                                  broker_.url(),
                                  "--site",
                                  fleet_->siteId(0),
                                  "--actor",
                                  "police",
                                  "--gateway-key",
                                  (fleet_->stateDir(0) / "identity.pub").string(),
                                  "--envelope"};
    for (const auto& key : keys) {
      args.push_back("--key");
      args.push_back(key.string());
    }
    return std::make_unique<ChildProcess>(ChildProcess::Options{
        args, {}, dir_.path() / (name + ".out"), dir_.path() / (name + ".err")});
  };
  auto both = subscriber("both", {old_key_file, new_key_file});
  auto old_only = subscriber("old", {old_key_file});
  for (auto* s : {both.get(), old_only.get()}) {
    ASSERT_TRUE(
        waitUntil([&] { return s->readStderr().find("subscribed") != std::string::npos; }, kWait))
        << s->readStderr();
  }
  auto lines = [](const std::string& text) {
    size_t n = 0;
    for (char c : text) n += c == '\n' ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(waitUntil([&] { return lines(both->readStdout()) >= 5; }, kWait));

  ASSERT_EQ(
      publish(fleet_->bundle(
          fleet_->sharedPolicy("v3", "", "", dir_.path() / "keys-new" / "police.pub"), 3, "v3")),
      0)
      << ctl_out_;
  expectEverySite(PolicyStatus::OUTCOME_CONFIRMED, 3);
  const size_t at_switch = lines(both->readStdout());
  ASSERT_TRUE(waitUntil([&] { return lines(both->readStdout()) >= at_switch + 10; }, kWait))
      << both->readStderr();
  for (auto* s : {both.get(), old_only.get()}) {
    s->signal(SIGTERM);
    ASSERT_TRUE(s->wait(kWait).has_value());
  }
  // Both keys: every message, two epochs, sequences rising, no gap and nothing refused.
  std::set<uint64_t> epochs;
  uint64_t last_sequence = 0;
  size_t read_with_both = 0;
  std::istringstream out(both->readStdout());
  for (std::string line; std::getline(out, line);) {
    const auto epoch_at = line.find("\"epoch\":");
    const auto sequence_at = line.find("\"sequence\":");
    ASSERT_NE(epoch_at, std::string::npos) << line;
    epochs.insert(std::stoull(line.substr(epoch_at + 8)));
    const uint64_t sequence = std::stoull(line.substr(sequence_at + 11));
    EXPECT_GT(sequence, last_sequence) << line;
    last_sequence = sequence;
    ++read_with_both;
  }
  EXPECT_GE(epochs.size(), 2u) << "no new epoch after the bundle";
  const std::string both_err = both->readStderr();
  EXPECT_NE(both_err.find("\"rejected\":0,"), std::string::npos) << both_err;
  EXPECT_NE(both_err.find("\"gaps\":0,"), std::string::npos) << both_err;
  EXPECT_NE(both_err.find("\"missing\":0,"), std::string::npos) << both_err;
  // The old epoch proven complete by its final checkpoint, the new one checked too.
  EXPECT_NE(both_err.find("\"report\":\"checkpoint_verified\",\"epoch\":2"), std::string::npos)
      << both_err;
  // The old key alone: fewer messages, and the new epoch refused as another key's.
  const std::string old_err = old_only->readStderr();
  EXPECT_NE(old_err.find("wrong_recipient"), std::string::npos) << old_err;
  EXPECT_LT(lines(old_only->readStdout()), read_with_both);
}

}  // namespace
}  // namespace gw::e2e
