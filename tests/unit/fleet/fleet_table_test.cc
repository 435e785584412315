// The operator's fleet table (gateway/fleet/fleet_table.h) on reports signed with real gateway
// identities, at times we choose (no clock, no broker): each state a row can be in, staleness,
// the Last Will, forged and moved reports refused while the last authentic one stays, pinned
// and unpinned keys, a bundle from a foreign signer, site order, and the JSON and text forms.
#include <gtest/gtest.h>

#include "gateway/fleet/fleet_json.h"
#include "gateway/fleet/fleet_report.h"
#include "gateway/fleet/fleet_table.h"
#include "gateway/fleet/fleet_text.h"
#include "gateway/fleet/fleet_topics.h"

namespace gw::fleet {
namespace {

using gateway::v1::FleetReport;
using gateway::v1::PolicyStatus;

constexpr int64_t kNow = 1780000000000;  // "now" for every row below

class FleetTableTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::initSodium().ok()); }

  FleetTableOptions options(std::vector<crypto::IdentityPublicKey> pinned = {}) {
    FleetTableOptions o;
    o.gateway_keys = std::move(pinned);
    o.operator_key_ids = {operator_.key_id};
    o.stale_after = std::chrono::seconds(180);
    return o;
  }

  static FleetReport health(const std::string& site, int64_t sent_ms, uint64_t policy_version = 12,
                            bool healthy = true) {
    FleetReport r;
    r.set_site(site);
    r.set_group("north");
    r.set_sent_unix_ms(sent_ms);
    auto* h = r.mutable_health();
    h->set_gateway_version("0.23.0");
    h->set_policy_version(policy_version);
    auto* cam = h->add_sources();
    cam->set_id("cam-1");
    cam->set_state("ok");
    auto* replay = h->add_sources();
    replay->set_id("replay");
    replay->set_state("finished");
    auto* fall = h->add_detectors();
    fall->set_id("fall");
    fall->set_state("ok");
    h->set_outbox_messages(0);
    h->set_broker_connected(true);
    h->set_healthy(healthy);
    return r;
  }

  FleetReport policy(const std::string& site, int64_t sent_ms, PolicyStatus::Outcome outcome,
                     uint64_t bundle, uint64_t running, const std::string& reason = "",
                     const std::string& signer = "") {
    FleetReport r;
    r.set_site(site);
    r.set_group("north");
    r.set_sent_unix_ms(sent_ms);
    auto* p = r.mutable_policy();
    p->set_outcome(outcome);
    p->set_bundle_version(bundle);
    p->set_running_version(running);
    p->set_reason(reason);
    p->set_operator_name("city-ops");
    p->set_signer_key_id(signer.empty() ? operator_.key_id : signer);
    return r;
  }

  static std::string sign(const FleetReport& report, const crypto::IdentityKey& key) {
    return signFleetReport(report, key).SerializeAsString();
  }

  // A site that is online, with a fresh healthy summary and a confirmed bundle 12.
  void goodSite(FleetTable& table, const std::string& site, const crypto::IdentityKey& key) {
    table.onMessage(onlineTopic(site), "online");
    table.onMessage(healthTopic(site), sign(health(site, kNow - 30000), key));
    table.onMessage(
        policyStatusTopic(site),
        sign(policy(site, kNow - 600000, PolicyStatus::OUTCOME_CONFIRMED, 12, 12), key));
  }

  crypto::IdentityKey lamp1_ = crypto::generateIdentityKey("lamp-1");
  crypto::IdentityKey lamp2_ = crypto::generateIdentityKey("lamp-2");
  crypto::IdentityKey operator_ = crypto::generateIdentityKey("city-ops");
};

TEST_F(FleetTableTest, AnOnlineHealthyFreshSiteIsOkWithEveryFieldFromItsReports) {
  FleetTable table(options({crypto::identityPublicHalf(lamp1_)}));
  goodSite(table, "lamp-1", lamp1_);
  const auto rows = table.rows(kNow);
  ASSERT_EQ(rows.size(), 1u);
  const SiteRow& r = rows[0];
  EXPECT_EQ(r.site, "lamp-1");
  EXPECT_EQ(r.state, "ok");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.link, "online");
  EXPECT_EQ(r.group, "north");
  EXPECT_EQ(r.gateway_version, "0.23.0");
  EXPECT_EQ(r.gateway_key_id, lamp1_.key_id);
  EXPECT_EQ(r.trust, "pinned");
  EXPECT_EQ(r.running_version, 12u);
  EXPECT_EQ(r.policy_outcome, "confirmed");
  EXPECT_EQ(r.policy_bundle_version, 12u);
  EXPECT_FALSE(r.foreign_signer);
  EXPECT_EQ(r.health, "ok");
  EXPECT_TRUE(r.problems.empty());
  // A recorded source that played to its end is done, not broken.
  EXPECT_EQ(r.sources_ok, 2);
  EXPECT_EQ(r.sources_total, 2);
  EXPECT_EQ(r.detectors_ok, 1);
  EXPECT_EQ(r.detectors_total, 1);
  EXPECT_EQ(r.broker_connected, true);
  ASSERT_TRUE(r.summary_age_seconds.has_value());
  EXPECT_DOUBLE_EQ(*r.summary_age_seconds, 30.0);
  EXPECT_FALSE(r.stale);
  EXPECT_TRUE(r.errors.empty());
  const FleetSummary s = summarize(rows);
  EXPECT_TRUE(s.all_ok);
  EXPECT_EQ(summaryLine(s),
            "sites 1: online 1, offline 0, stale 0, unhealthy 0; policy versions: 12 x1");
}

TEST_F(FleetTableTest, ASummaryOlderThanStaleAfterIsStale) {
  FleetTable table(options());
  goodSite(table, "lamp-1", lamp1_);
  EXPECT_EQ(table.rows(kNow + 150000)[0].state, "ok");  // 180 s old: not yet
  const SiteRow r = table.rows(kNow + 151000)[0];       // 181 s old
  EXPECT_TRUE(r.stale);
  EXPECT_EQ(r.state, "stale");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(summarize({r}).stale, 1);
  EXPECT_NE(fleetText({r}).find("3m01s stale"), std::string::npos) << fleetText({r});
  // A gateway clock ahead of ours: age 0, not negative.
  EXPECT_DOUBLE_EQ(*table.rows(kNow - 60000)[0].summary_age_seconds, 0.0);
}

TEST_F(FleetTableTest, TheLastWillTurnsASiteOfflineAndItsLastReportsStay) {
  FleetTable table(options());
  goodSite(table, "lamp-1", lamp1_);
  table.onMessage(onlineTopic("lamp-1"), "offline");
  const SiteRow r = table.rows(kNow)[0];
  EXPECT_EQ(r.link, "offline");
  EXPECT_EQ(r.state, "offline");
  EXPECT_EQ(r.running_version, 12u);
  EXPECT_EQ(r.health, "ok");
  // No status at all: the link is unknown, which is not ok either.
  FleetTable quiet(options());
  quiet.onMessage(healthTopic("lamp-2"), sign(health("lamp-2", kNow), lamp2_));
  EXPECT_EQ(quiet.rows(kNow)[0].link, "unknown");
  EXPECT_EQ(quiet.rows(kNow)[0].state, "unknown");
}

TEST_F(FleetTableTest, AForgedReportIsAnErrorAndNeverReplacesTheAuthenticOne) {
  FleetTable table(options());
  goodSite(table, "lamp-1", lamp1_);
  // Someone who may write the topic claims the site is on bundle 99: one signature byte changed.
  auto forged = signFleetReport(health("lamp-1", kNow, 99), lamp1_);
  forged.mutable_signature()->back() ^= 1;
  table.onMessage(healthTopic("lamp-1"), forged.SerializeAsString());
  SiteRow r = table.rows(kNow)[0];
  EXPECT_EQ(r.state, "error");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "forged report: health: the signature does not hold");
  EXPECT_EQ(r.running_version, 12u);  // the authentic summary's, not 99
  EXPECT_NE(fleetText({r}).find("forged report: health"), std::string::npos);
  EXPECT_EQ(summarize({r}).forged, 1);

  // Garbage is refused the same way.
  table.onMessage(policyStatusTopic("lamp-1"), "not a report");
  r = table.rows(kNow)[0];
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0], "forged report: policy: not a signed fleet report");
  EXPECT_EQ(r.policy_outcome, "confirmed");

  // An authentic report on the topic clears its error.
  table.onMessage(healthTopic("lamp-1"), sign(health("lamp-1", kNow + 1000, 12), lamp1_));
  EXPECT_EQ(table.rows(kNow)[0].errors.size(), 1u);
}

TEST_F(FleetTableTest, AnAuthenticReportMovedToAnotherSiteOrTopicIsRefused) {
  FleetTable table(options());
  goodSite(table, "lamp-2", lamp2_);
  // lamp-1's own signed report, copied onto lamp-2's topic.
  table.onMessage(healthTopic("lamp-2"), sign(health("lamp-1", kNow, 7), lamp1_));
  SiteRow r = table.rows(kNow)[0];
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0],
            "forged report: health: signed for site lamp-1, published on site lamp-2's topic");
  EXPECT_EQ(r.running_version, 12u);
  // A policy report on the health topic.
  table.onMessage(healthTopic("lamp-2"),
                  sign(policy("lamp-2", kNow, PolicyStatus::OUTCOME_APPLIED, 13, 13), lamp2_));
  r = table.rows(kNow)[0];
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "forged report: health: a policy report on the health topic");
  // An older authentic report published again (a replay) does not roll the row back.
  table.onMessage(healthTopic("lamp-2"), sign(health("lamp-2", kNow, 14), lamp2_));
  table.onMessage(healthTopic("lamp-2"), sign(health("lamp-2", kNow - 60000, 11), lamp2_));
  EXPECT_EQ(table.rows(kNow)[0].running_version, 14u);
}

TEST_F(FleetTableTest, PinnedKeysArePinnedOthersUnpinnedAndAWrongKeyForAPinnedSiteIsForged) {
  FleetTable table(options({crypto::identityPublicHalf(lamp1_)}));
  goodSite(table, "lamp-1", lamp1_);
  goodSite(table, "lamp-2", lamp2_);  // no pinned key for lamp-2
  auto rows = table.rows(kNow);
  EXPECT_EQ(rows[0].trust, "pinned");
  EXPECT_EQ(rows[1].trust, "unpinned");
  EXPECT_EQ(rows[1].state, "ok");  // unpinned is shown, not an error

  // A new key claiming to be lamp-1 signs a report that says all is well: refused.
  const auto impostor = crypto::generateIdentityKey("lamp-1");
  table.onMessage(healthTopic("lamp-1"), sign(health("lamp-1", kNow, 12), impostor));
  rows = table.rows(kNow);
  ASSERT_EQ(rows[0].errors.size(), 1u);
  EXPECT_NE(rows[0].errors[0].find("forged report: health: site lamp-1 reported with key " +
                                   impostor.key_id + ", which is not its pinned key"),
            std::string::npos)
      << rows[0].errors[0];
  EXPECT_EQ(rows[0].trust, "pinned");  // what is shown is still the pinned key's
  EXPECT_EQ(rows[0].gateway_key_id, lamp1_.key_id);
}

TEST_F(FleetTableTest, ABundleSignedByAKeyOutsideTheOperatorKeysIsAForeignSigner) {
  FleetTable table(options());
  goodSite(table, "lamp-1", lamp1_);
  const auto stranger = crypto::generateIdentityKey("stranger");
  table.onMessage(
      policyStatusTopic("lamp-1"),
      sign(policy("lamp-1", kNow, PolicyStatus::OUTCOME_REFUSED, 13, 12,
                  "signed by a key that is not an operator key of this gateway", stranger.key_id),
           lamp1_));
  const SiteRow r = table.rows(kNow)[0];
  EXPECT_TRUE(r.foreign_signer);
  EXPECT_EQ(r.state, "error");
  EXPECT_EQ(r.policy_signer_key_id, stranger.key_id);
  EXPECT_NE(fleetText({r}).find("foreign signer " + stranger.key_id), std::string::npos);
  EXPECT_EQ(summarize({r}).foreign_signer, 1);
  // The local policy alone has no signer: nothing foreign about it.
  auto local = policy("lamp-1", kNow + 1, PolicyStatus::OUTCOME_LOCAL_ONLY, 0, 0);
  local.mutable_policy()->clear_signer_key_id();
  table.onMessage(policyStatusTopic("lamp-1"), sign(local, lamp1_));
  EXPECT_FALSE(table.rows(kNow)[0].foreign_signer);
  EXPECT_EQ(table.rows(kNow)[0].state, "ok");
}

TEST_F(FleetTableTest, RefusedAndRolledBackOutcomesCarryTheirBundleAndReason) {
  FleetTable table(options());
  goodSite(table, "lamp-1", lamp1_);
  table.onMessage(policyStatusTopic("lamp-1"),
                  sign(policy("lamp-1", kNow, PolicyStatus::OUTCOME_REFUSED, 13, 12,
                              "version 13 is for group south"),
                       lamp1_));
  SiteRow r = table.rows(kNow)[0];
  EXPECT_EQ(r.policy_outcome, "refused");
  EXPECT_EQ(r.policy_bundle_version, 13u);
  EXPECT_EQ(r.policy_reason, "version 13 is for group south");
  EXPECT_EQ(r.running_version, 12u);
  EXPECT_EQ(r.state, "ok");  // a refused bundle leaves the running policy untouched
  EXPECT_NE(fleetText({r}).find("refused v13: version 13 is for group south"), std::string::npos);

  table.onMessage(policyStatusTopic("lamp-1"),
                  sign(policy("lamp-1", kNow + 1, PolicyStatus::OUTCOME_ROLLED_BACK, 14, 12,
                              "probation: detector fall crashed"),
                       lamp1_));
  r = table.rows(kNow)[0];
  EXPECT_EQ(r.policy_outcome, "rolled_back");
  EXPECT_NE(fleetText({r}).find("rolled back v14: probation: detector fall crashed"),
            std::string::npos);
}

TEST_F(FleetTableTest, ProblemsComeFromTheSummaryAndMakeTheSiteUnhealthy) {
  FleetTable table(options());
  goodSite(table, "lamp-1", lamp1_);
  FleetReport report = health("lamp-1", kNow, 12, false);
  auto* h = report.mutable_health();
  h->mutable_sources(0)->set_state("stalled");
  h->mutable_sources(0)->set_detail("no frame for 310 s");
  h->mutable_detectors(0)->set_state("crashed");
  h->set_broker_connected(false);
  h->set_outbox_messages(420);
  h->set_outbox_oldest_age_seconds(185);
  h->set_last_error("camera cam-1: connection refused");
  table.onMessage(healthTopic("lamp-1"), sign(report, lamp1_));
  const SiteRow r = table.rows(kNow)[0];
  EXPECT_EQ(r.health, "unhealthy");
  EXPECT_EQ(r.state, "unhealthy");
  EXPECT_EQ(r.problems, (std::vector<std::string>{"source cam-1 stalled: no frame for 310 s",
                                                  "detector fall crashed", "broker disconnected"}));
  EXPECT_EQ(r.sources_ok, 1);
  EXPECT_EQ(r.detectors_ok, 0);
  const std::string text = fleetText({r});
  EXPECT_NE(text.find("420, oldest 3m05s"), std::string::npos) << text;
  EXPECT_NE(text.find("camera cam-1: connection refused"), std::string::npos) << text;

  // Unhealthy by the gateway's own verdict, with nothing more specific to say.
  table.onMessage(healthTopic("lamp-1"), sign(health("lamp-1", kNow + 1, 12, false), lamp1_));
  EXPECT_EQ(table.rows(kNow)[0].problems,
            (std::vector<std::string>{"the gateway reports unhealthy"}));
}

TEST_F(FleetTableTest, RowsAreSortedBySiteAndADeletedRetainedMessageForgetsIt) {
  FleetTable table(options());
  for (const std::string site : {"lamp-3", "lamp-1", "depot", "lamp-2"}) {
    table.onMessage(onlineTopic(site), "online");
  }
  // Topics that are not a gateway's reports are ignored.
  table.onMessage("lantaarn/v1/lamp-9/police/event", "x");
  table.onMessage("lantaarn/v1/lamp-9/_gateway/other", "x");
  table.onMessage("elsewhere/lamp-9/_gateway/status", "online");
  std::vector<std::string> order;
  for (const auto& r : table.rows(kNow)) order.push_back(r.site);
  EXPECT_EQ(order, (std::vector<std::string>{"depot", "lamp-1", "lamp-2", "lamp-3"}));
  table.onMessage(onlineTopic("depot"), "");
  EXPECT_EQ(table.rows(kNow).front().site, "lamp-1");
}

TEST_F(FleetTableTest, TheSummaryCountsEachStateAndEveryPolicyVersion) {
  FleetTable table(options());
  goodSite(table, "a", crypto::generateIdentityKey("a"));
  goodSite(table, "b", crypto::generateIdentityKey("b"));
  const auto c = crypto::generateIdentityKey("c");
  table.onMessage(onlineTopic("c"), "offline");
  table.onMessage(healthTopic("c"), sign(health("c", kNow - 3600000, 11), c));
  table.onMessage(onlineTopic("d"), "online");
  const FleetSummary s = summarize(table.rows(kNow));
  EXPECT_FALSE(s.all_ok);
  EXPECT_EQ(summaryLine(s),
            "sites 4: online 3, offline 1, stale 1, unhealthy 1; policy versions: 11 x1, 12 x2, "
            "unknown x1");
  EXPECT_FALSE(summarize({}).all_ok);  // no site at all vouches for nothing
}

TEST_F(FleetTableTest, TheJsonHasStableFieldNamesAndNullForWhatNoReportSaid) {
  FleetTable table(options());
  goodSite(table, "lamp-1", lamp1_);
  table.onMessage(onlineTopic("lamp-2"), "offline");
  const auto json = fleetJson(table.rows(kNow));
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);
  std::vector<std::string> keys;
  for (const auto& [key, value] : json[0].items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"site",
                                            "state",
                                            "ok",
                                            "link",
                                            "group",
                                            "gateway_version",
                                            "gateway_key_id",
                                            "trust",
                                            "running_version",
                                            "policy_outcome",
                                            "policy_bundle_version",
                                            "policy_reason",
                                            "policy_operator",
                                            "policy_signer_key_id",
                                            "foreign_signer",
                                            "health",
                                            "problems",
                                            "sources_ok",
                                            "sources_total",
                                            "detectors_ok",
                                            "detectors_total",
                                            "outbox_messages",
                                            "outbox_oldest_age_seconds",
                                            "broker_connected",
                                            "last_error",
                                            "summary_age_seconds",
                                            "stale",
                                            "errors"}));
  EXPECT_EQ(json[0]["running_version"], 12);
  EXPECT_EQ(json[0]["summary_age_seconds"], 30.0);
  EXPECT_EQ(json[0]["ok"], true);
  EXPECT_EQ(json[1]["site"], "lamp-2");
  EXPECT_EQ(json[1]["state"], "offline");
  EXPECT_TRUE(json[1]["running_version"].is_null());
  EXPECT_TRUE(json[1]["broker_connected"].is_null());
  EXPECT_TRUE(json[1]["summary_age_seconds"].is_null());
  EXPECT_EQ(json[1]["health"], "unknown");
  EXPECT_EQ(json[1]["trust"], "none");
}

TEST(FleetTextTest, AgesReadAtAGlance) {
  EXPECT_EQ(ageText(0), "0s");
  EXPECT_EQ(ageText(59.9), "59s");
  EXPECT_EQ(ageText(185), "3m05s");
  EXPECT_EQ(ageText(7260), "2h01m");
  EXPECT_EQ(ageText(3 * 86400 + 4 * 3600), "3d04h");
  EXPECT_EQ(ageText(-5), "0s");
}

}  // namespace
}  // namespace gw::fleet
